/**
 * weights.js — WeightsView: every weight matrix of a model as a small
 * heatmap, labelled with its role in the cell's equations (docs/design.md), on one shared
 * diverging scale so matrices can be compared with each other.
 *
 *   rnn.weight_ih_l0  (G·H, I)  -> W_xh, split into the G gate blocks
 *   rnn.weight_hh_l0  (G·H, H)  -> W_hh, split the same way
 *   readout.weight    (O, H)    -> W_hy
 *   shortcut.weight   (O, I)    -> W_xy
 *   rnn.weight        (H, H, I) -> second order: one H x H slice per input symbol
 *
 * torch stacks a gated cell's blocks along the first axis in the order of
 * the architecture's gate_names (GET /api/architectures: i, f, g, o for an
 * LSTM), which the caller passes as props.gates. While a model trains, update() may be called for every streamed
 * step: drawing is throttled to a few times a second, the last call winning.
 */

import { autoScale } from '../lib/color.js';
import { el } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';
import { MatrixCanvas } from './matrix.js';
import { ColorLegend, PanelFrame } from './widgets.js';

const THROTTLE_MS = 300;
const TARGET_BLOCK_PX = 256; // the longest side of any block, before clamping the cell size
const MIN_CELL = 1;
const MAX_CELL = 16;
const LABELLED_CELL = 15;
const LABELLED_MAX = 32;
const ROLES = {
  'rnn.weight_ih_l0': { role: 'W_xh', what: 'input x_t → hidden', rowTitle: 'to unit', colTitle: 'from x' },
  'rnn.weight_hh_l0': { role: 'W_hh', what: 'hidden h_{t−1} → hidden: the context loop', rowTitle: 'to unit', colTitle: 'from previous h' },
  'rnn.weight': { role: 'W', what: 'second order: W[i, j, k] h_{t−1}[j] x_t[k] → h_t[i], one matrix per input symbol', rowTitle: 'to unit i', colTitle: 'from unit j' },
  'readout.weight': { role: 'W_hy', what: 'hidden → output', rowTitle: 'output', colTitle: 'from unit' },
  'shortcut.weight': { role: 'W_xy', what: 'input → output: the shortcut', rowTitle: 'output', colTitle: 'from x' },
};
const ORDER = Object.keys(ROLES);

/** Nested lists -> Float32Array, row-major (NaN for null). */
function flat2d(data, rows, cols) {
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) values[r * cols + c] = data[r]?.[c] ?? NaN;
  return values;
}

/** The blocks to draw, grouped by tensor: [{name, role, what, shape, blocks: [{label, rows, cols, values, ...}]}]. */
export function weightBlocks(tensors, { inputSymbols = null, outputSymbols = null, gates = [] } = {}) {
  const hidden = tensors['rnn.weight_hh_l0']?.shape?.[1] ?? tensors['rnn.weight']?.shape?.[0] ?? null;
  const names = Object.keys(tensors).filter((n) => n in ROLES).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  return names.map((name) => {
    const { shape, data } = tensors[name];
    const info = ROLES[name];
    const group = { name, ...info, shape, blocks: [] };
    if (shape.length === 3) { // (H, H, I): slice k is the recurrent matrix used when x_t is symbol k
      const [H, , I] = shape;
      for (let k = 0; k < I; k += 1) {
        const values = new Float32Array(H * H);
        for (let i = 0; i < H; i += 1) for (let j = 0; j < H; j += 1) values[i * H + j] = data[i]?.[j]?.[k] ?? NaN;
        group.blocks.push({ label: `x_t = ${inputSymbols?.[k] ?? k + 1}`, rows: H, cols: H, values, rowTitle: info.rowTitle, colTitle: info.colTitle });
      }
      return group;
    }
    const [rows, cols] = shape;
    const values = flat2d(data, rows, cols);
    const colLabels = name.endsWith('ih_l0') || name === 'shortcut.weight' ? inputSymbols : null;
    const rowLabels = name.startsWith('readout') || name === 'shortcut.weight' ? outputSymbols : null;
    const split = hidden && name.startsWith('rnn.') && gates.length > 1 && rows === gates.length * hidden;
    if (!split) {
      group.blocks.push({ label: '', rows, cols, values, colLabels, rowLabels, rowTitle: info.rowTitle, colTitle: info.colTitle });
      return group;
    }
    group.gates = gates.map(([g]) => g).join(', ');
    gates.forEach(([gate, title], k) => { // rows k·H .. (k+1)·H − 1 belong to gate k
      group.blocks.push({
        label: `${gate} — ${title}`, gate, rows: hidden, cols, colLabels,
        values: values.subarray(k * hidden * cols, (k + 1) * hidden * cols),
        rowTitle: info.rowTitle, colTitle: info.colTitle,
      });
    });
    return group;
  });
}

/**
 * props: tensors ({name: {shape, data}} as GET /api/models/{name}/weights sends),
 * inputSymbols, outputSymbols (to label columns / rows), gates ([[name, title]] of a gated cell, in
 * torch's block order), title, caption, equation.
 * options: header (false to leave it to the page), throttleMs.
 */
export class WeightsView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'weights', header: options.header !== false });
    this.groups = el('div', { class: 'weights-groups' });
    this.frame.body.append(this.groups);
    this.legend = new ColorLegend(this.frame.legend);
    this.canvases = [];
    this.structure = '';
    this.lastDraw = 0;
    this.timer = null;
    this.pending = null;
    this.draws = 0; // how many times the matrices were redrawn (tests read it to see the throttle work)
  }

  update(props) {
    this.pending = props;
    if (this.timer) return; // a trailing draw is already booked; it will use the newest props
    const wait = this.lastDraw + (this.options.throttleMs ?? THROTTLE_MS) - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => { this.timer = null; this.flush(); }, wait);
  }

  flush() {
    const props = this.pending;
    this.pending = null;
    if (!props) return;
    this.lastDraw = performance.now();
    this.frame.setText({
      title: props.title ?? 'Weights',
      caption: props.caption ?? 'The learnt matrices — one set, reused at every step. Blue negative, red positive; rows are the units a weight feeds.',
      equation: props.equation ?? '',
    });
    const groups = weightBlocks(props.tensors ?? {}, props);
    if (!groups.length) {
      this.clear();
      this.frame.showMessage('No weights to show yet.');
      return;
    }
    this.frame.showMessage('');
    this.frame.legend.hidden = false;
    const all = groups.flatMap((g) => g.blocks.map((b) => b.values));
    const scale = autoScale(concat(all), { symmetric: true });
    const structure = groups.map((g) => `${g.name}:${g.shape}:${g.blocks.map((b) => b.label).join('/')}`).join('|')
      + `|${props.inputSymbols}|${props.outputSymbols}`;
    if (structure !== this.structure) this.build(groups);
    this.structure = structure;
    let n = 0;
    for (const group of groups) {
      for (const block of group.blocks) {
        const canvas = this.canvases[n++];
        canvas.block = { ...block, group };
        canvas.setData({ ...block, scale, stepNumbers: !block.colLabels });
      }
    }
    this.legend.update(scale, { label: 'weight' });
    this.draws += 1;
    this.frame.root.dataset.draws = String(this.draws);
  }

  /** DOM for a new set of tensors: a titled group per tensor, a titled canvas per block. */
  build(groups) {
    this.groups.replaceChildren();
    this.canvases = [];
    // One cell size for every block, so a unit is the same size in every matrix.
    const blocks = groups.flatMap((g) => g.blocks);
    const longest = Math.max(...blocks.map((b) => Math.max(b.rows, b.cols)));
    let cellSize = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(TARGET_BLOCK_PX / longest) || MIN_CELL));
    // Symbol labels need room: small labelled matrices get cells wide enough to name each column.
    if (blocks.some((b) => b.colLabels || b.rowLabels) && longest <= LABELLED_MAX) cellSize = Math.max(cellSize, LABELLED_CELL);
    for (const group of groups) {
      const section = el('div', { class: 'weights-group', 'data-tensor': group.name });
      const gates = group.gates ? `, gate blocks ${group.gates} stacked in torch's order` : '';
      const row = el('div', { class: 'weights-blocks' });
      section.append(el('div', { class: 'weights-head' },
        el('span', { class: 'weights-role', math: group.role }), el('span', { class: 'weights-what', math: group.what }),
        el('span', { class: 'weights-name', text: `${group.name}  (${group.shape.join(' × ')}${gates})` })), row);
      for (const block of group.blocks) {
        const figure = el('figure', { class: 'weights-block', 'data-gate': block.gate },
          block.label ? el('figcaption', { class: 'weights-label', math: block.label }) : null);
        const canvas = new MatrixCanvas(figure, { fit: false, cellSize, describe: (r, c, v) => describe(canvas.block, r, c, v) });
        this.canvases.push(canvas);
        row.append(figure);
      }
      this.groups.append(section);
    }
  }

  clear() {
    this.frame.legend.hidden = true;
    this.groups.replaceChildren();
    this.canvases = [];
    this.structure = '';
  }

  reset() {
    clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    this.lastDraw = 0; // a new model's weights appear at once, not after the throttle
    this.clear();
    this.frame.showMessage('');
  }
}

function concat(arrays) {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) { out.set(a, offset); offset += a.length; }
  return out;
}

function describe(block, row, col, value) {
  if (!block) return [];
  return [
    ['matrix', block.label ? `${block.group.role} · ${block.label}` : block.group.role],
    [block.rowTitle, block.rowLabels?.[row] ?? row + 1],
    [block.colTitle, block.colLabels?.[col] ?? col + 1],
    ['weight', formatNumber(value)],
  ];
}
