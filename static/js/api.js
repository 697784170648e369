/**
 * api.js — the page's only door to the server: REST calls under /api and the
 * training-job WebSocket. Errors come back as ApiError with the server's
 * plain-language `detail`, so views can show them where they happened.
 */

export class ApiError extends Error {
  constructor(status, detail, body = null) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = this.message;
    this.body = body;
  }
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch {
    throw new ApiError(0, 'the server cannot be reached — is `make run` still running?');
  }
  if (response.status === 204) return null;
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
  trace: (name, input) => request('POST', `/models/${enc(name)}/trace`, { input }),
  train: (name, config) => request('POST', `/models/${enc(name)}/train`, config),
  jobs: () => request('GET', '/jobs'),
  job: (id) => request('GET', `/jobs/${enc(id)}`),
  cancelJob: (id) => request('POST', `/jobs/${enc(id)}/cancel`),
};

/**
 * Follow a training job: calls onMessage(message) for each status, progress,
 * trace, done, cancelled or failed message; onClose() once the socket ends.
 * Returns a function that closes the socket.
 */
export function followJob(jobId, onMessage, onClose = () => {}) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/api/jobs/${enc(jobId)}/events`);
  let closedByUs = false;
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
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
