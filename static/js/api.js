/**
 * api.js — the page's only door to the server: REST calls under /api and the
 * training-job WebSocket. Errors come back as ApiError with the server's
 * plain-language `detail`, so views can show them where they happened.
 *
 * Traces travel as msgpack (docs/api.md, "Binary traces"): POST .../trace?shuffle=true
 * with Accept: application/msgpack, and the job stream with ?encoding=msgpack, whose
 * trace events are binary frames. Each array arrives as {dtype, shape, data}:
 * little-endian float32 (or int32) bytes, read through a typed array and turned
 * into the nested rows a JSON trace has (arr[t][h], null where a value is not
 * finite), so every view reads a decoded trace exactly as it reads a JSON one.
 * A trace's arrays come byte-shuffled ({..., shuffle: true}: byte 0 of every value,
 * then byte 1, ...), which lets the server's zstd (or gzip) Content-Encoding shrink
 * them to a quarter of the JSON or less; fetch() undoes the compression, and
 * unshuffle() puts each value's four bytes back together, bit for bit.
 *
 * Classroom mode (classroom.js): the teacher's chosen workspace, kept for the tab,
 * goes with every call as ?workspace=ID; the server ignores it from anyone else.
 */

import { decode } from '/vendor/@msgpack/msgpack/dist.esm/index.mjs';

const MSGPACK = 'application/msgpack';
const OCTET_STREAM = 'application/octet-stream';
const WORKSPACE_KEY = 'unrolled.workspace';

let workspace = sessionStorage.getItem(WORKSPACE_KEY); // the teacher's choice; null: their own models

/** The workspace the teacher looks at (null: their own), and changing it (kept for this tab). */
export function chosenWorkspace() {
  return workspace;
}

export function chooseWorkspace(id) {
  workspace = id || null;
  if (workspace) sessionStorage.setItem(WORKSPACE_KEY, workspace);
  else sessionStorage.removeItem(WORKSPACE_KEY);
}

function inWorkspace(path) {
  return workspace ? `${path}${path.includes('?') ? '&' : '?'}workspace=${encodeURIComponent(workspace)}` : path;
}

export class ApiError extends Error {
  constructor(status, detail, body = null) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = this.message;
    this.body = body;
  }
}

async function request(method, path, body, accept = 'application/json') {
  const init = { method, headers: { Accept: accept } };
  if (body instanceof ArrayBuffer) { // a checkpoint upload: the raw .safetensors bytes
    init.headers['Content-Type'] = OCTET_STREAM;
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${inWorkspace(path)}`, init);
  } catch {
    throw new ApiError(0, 'the server cannot be reached — is `make run` still running?');
  }
  if (response.status === 204) return null;
  if (response.ok && response.headers.get('Content-Type')?.startsWith(MSGPACK)) {
    return fromMsgpack(decode(await response.arrayBuffer()));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) throw new ApiError(response.status, data?.detail ?? response.statusText, data);
  return data;
}

const enc = encodeURIComponent;

export const api = {
  health: () => request('GET', '/health'),
  architectures: () => request('GET', '/architectures'),
  tasks: () => request('GET', '/tasks'),
  models: () => request('GET', '/models'),
  model: (name) => request('GET', `/models/${enc(name)}`),
  createModel: (spec) => request('POST', '/models', spec),
  deleteModel: (name) => request('DELETE', `/models/${enc(name)}`),
  weights: (name) => request('GET', `/models/${enc(name)}/weights`),
  /** Trace a person's text input (the task encodes it and supplies the targets). */
  trace: (name, input, interventions = null) => request('POST', `/models/${enc(name)}/trace?shuffle=true`,
    interventions?.length ? { input, interventions } : { input }, MSGPACK),
  train: (name, config) => request('POST', `/models/${enc(name)}/train`, config),
  jobs: () => request('GET', '/jobs'),
  job: (id) => request('GET', `/jobs/${enc(id)}`),
  cancelJob: (id) => request('POST', `/jobs/${enc(id)}/cancel`),
  classroom: () => request('GET', '/classroom'),
  experiments: () => request('GET', '/experiments'),
  experiment: (name) => request('GET', `/experiments/${enc(name)}`),
  startExperiment: (body) => request('POST', '/experiments', body),
  /** Where the browser downloads an experiment's runs as CSV (in the chosen workspace). */
  runsCsvUrl: (name) => `/api${inWorkspace(`/experiments/${enc(name)}/runs.csv`)}`,
  workspaces: () => request('GET', '/workspaces'),
  /** One of the tour's figures, measured on the stored models (GET /api/lessons/figures/{name}). */
  figure: (name) => request('GET', `/lessons/figures/${enc(name)}`),
  /** What the network learned (docs/api.md, Analysis): its states projected by PCA, and the automaton extracted from them. */
  analysisStates: (name, body) => request('POST', `/models/${enc(name)}/analysis/states`, body),
  analysisAutomaton: (name, body) => request('POST', `/models/${enc(name)}/analysis/automaton`, body),
  /** One unit's profile over sampled sequences, and the units on in a marked range of a text (LSTMVis). */
  analysisUnit: (name, body) => request('POST', `/models/${enc(name)}/analysis/units`, body),
  analysisSelect: (name, body) => request('POST', `/models/${enc(name)}/analysis/units/select`, body),
  /** The model writes: samples from a prefix, grammar acceptance, completions (docs/api.md, Sampling). */
  generate: (name, body) => request('POST', `/models/${enc(name)}/generate`, body),
  /** Copy a model under a new name (a demo, read-only in classroom mode, becomes one's own to train). */
  copyModel: async (name, newName) => {
    const response = await fetch(`/api${inWorkspace(`/models/${enc(name)}/checkpoint`)}`).catch(() => null);
    if (!response?.ok) throw new ApiError(response?.status ?? 0, `cannot download ${name} to copy it`);
    return request('POST', `/models/${enc(newName)}/checkpoint`, await response.arrayBuffer());
  },
};

/**
 * Follow a training job: calls onMessage(message) for each status, progress,
 * trace, done, cancelled or failed message; onClose() once the socket ends.
 * Returns a function that closes the socket.
 */
export function followJob(jobId, onMessage, onClose = () => {}) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/api/jobs/${enc(jobId)}/events?encoding=msgpack`);
  socket.binaryType = 'arraybuffer'; // trace events: msgpack frames
  let closedByUs = false;
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = typeof event.data === 'string' ? JSON.parse(event.data) : fromMsgpack(decode(event.data));
    } catch {
      return; // not ours to show; the next message will do
    }
    onMessage(message);
  });
  socket.addEventListener('close', () => onClose({ closedByUs }));
  return () => {
    closedByUs = true;
    socket.close();
  };
}

// ----- msgpack traces -> the JSON trace's shape ------------------------------------

const TYPED_ARRAYS = { '<f4': Float32Array, '<i4': Int32Array };
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A decoded msgpack document with every {dtype, shape, data} array as nested rows. */
export function fromMsgpack(value) {
  if (Array.isArray(value)) return value.map(fromMsgpack);
  if (value === null || typeof value !== 'object') return value;
  if (isBinaryArray(value)) return nestedRows(typedValues(value), value.shape);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, fromMsgpack(v)]));
}

function isBinaryArray(value) {
  const keys = Object.keys(value).length;
  return value.data instanceof Uint8Array && typeof value.dtype === 'string' && Array.isArray(value.shape)
    && (keys === 3 || (keys === 4 && value.shuffle === true));
}

/** The array's values as a typed array over its bytes (copied only when misaligned, shuffled or on a big-endian host). */
function typedValues({ dtype, data: received, shuffle }) {
  const Type = TYPED_ARRAYS[dtype];
  if (!Type) throw new ApiError(0, `the server sent an array of unknown type ${dtype}`);
  const data = shuffle ? unshuffle(received, Type.BYTES_PER_ELEMENT) : received;
  const count = data.byteLength / Type.BYTES_PER_ELEMENT;
  if (!LITTLE_ENDIAN_HOST) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const read = dtype === '<f4' ? (k) => view.getFloat32(4 * k, true) : (k) => view.getInt32(4 * k, true);
    return Type.from({ length: count }, (_, k) => read(k));
  }
  if (data.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(data.buffer, data.byteOffset, count);
  return new Type(data.slice().buffer);
}

/** Byte-shuffled data (byte k of every value together, k = 0..size-1) back to whole values, in order. */
export function unshuffle(data, size) {
  const count = data.byteLength / size;
  const plain = new Uint8Array(data.byteLength);
  for (let k = 0; k < size; k += 1) {
    const plane = data.subarray(k * count, (k + 1) * count);
    for (let i = 0; i < count; i += 1) plain[i * size + k] = plane[i];
  }
  return plain;
}

/** values (row-major) as nested arrays of `shape`; NaN and infinities become null, as in JSON. */
function nestedRows(values, shape) {
  if (shape.length === 0) return finiteOrNull(values[0]);
  if (shape.length === 1) return Array.from(values, finiteOrNull);
  const [rows, ...inner] = shape;
  const size = inner.reduce((product, n) => product * n, 1);
  return Array.from({ length: rows }, (_, r) => nestedRows(values.subarray(r * size, (r + 1) * size), inner));
}

const finiteOrNull = (v) => (Number.isFinite(v) ? v : null);
