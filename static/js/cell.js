/**
 * cell.js — inside a gated cell (LSTM, GRU) at the selected step: every gate's
 * activations as a strip of H units, and the state they write. Which gates
 * and states there are comes from the architecture (catalog.js).
 *
 *   f  forget gate   [▥▥▥▥▥▥▥▥]  keeps this much of c_{t-1}
 *   i  input gate    [▥▥▥▥▥▥▥▥]  lets this much of g in
 *   ...
 *   c_{t-1} -> c_t   [▥▥▥▥] [▥▥▥▥]
 */

import { GATE_WORDS } from './catalog.js';
import { SIGNED, UNIT, drawRow, symmetricScaleOf } from './lib/color.js';
import { el, sizeCanvas } from './lib/dom.js';
import { formatNumber } from './lib/format.js';

const ROW_HEIGHT = 16;
const STRIP_WIDTH = 360;
const GATE_ORDER = Object.keys(GATE_WORDS); // what is kept, then what is written

// The states a row can show: [label, plain words, scale kind]
const STATES = {
  c_prev: ['c_{t-1}', 'the cell state arriving from the last step', 'cell'],
  c: ['c_t', 'the cell state after this step', 'cell'],
  h_prev: ['h_{t-1}', 'the hidden state arriving from the last step', 'signed'],
  h: ['h_t', 'the hidden state this step outputs', 'signed'],
};

/** The rows of a gated cell (arch: a GET /api/architectures entry): its gates, then the states they write. */
function cellRows(arch) {
  const gates = [...arch.gate_names].sort((a, b) => rank(a) - rank(b)).map((name) => {
    const words = GATE_WORDS[name] ?? { title: 'gate', role: '' };
    return { key: name, label: name, words: `${words.title}: ${words.role}`, kind: words.signed ? 'signed' : 'gate' };
  });
  const states = (arch.has_cell_state ? ['c_prev', 'c', 'h'] : ['h_prev', 'h']).map((key) => {
    const [label, words, kind] = STATES[key];
    return { key, label, words: `${label}: ${words}`, kind };
  });
  return [...gates, ...states];
}

function rank(gate) {
  const k = GATE_ORDER.indexOf(gate);
  return k < 0 ? GATE_ORDER.length : k;
}

export class CellView {
  constructor(container, { onClose = () => {}, onOpen = () => {} } = {}) {
    this.root = el('section', { class: 'cell-view', 'aria-label': 'inside the cell' });
    // once closed, the view leaves this button behind (clicking a step reopens it too): a closed
    // view with no way back is a dead end for a reader the tour sent to look inside the cell
    this.reopen = el('button', { class: 'button cell-reopen', type: 'button', 'data-action': 'open-cell', hidden: true, onclick: () => onOpen() });
    container.append(this.root, this.reopen);
    this.onClose = onClose;
    this.reset();
  }

  reset() {
    this.model = null;
    this.root.replaceChildren();
    this.root.hidden = true;
  }

  /** props: {model: TraceModel, arch (GET /api/architectures entry), step, open} */
  update({ model, arch, step, open }) {
    const gated = Boolean(model && arch?.gate_names.length && model.hasGates);
    this.reopen.hidden = !gated || open;
    if (gated && !open) this.reopen.textContent = `Show inside the ${arch.title} cell (or click a step)`;
    if (!gated || !open) {
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    if (model !== this.model || arch !== this.arch) this.build(model, arch);
    this.show(Math.min(step, model.T - 1));
  }

  build(model, arch) {
    this.model = model;
    this.arch = arch;
    this.cScale = model.trace.c ? symmetricScaleOf(model.trace.c) : SIGNED;
    this.heading = el('h3', { class: 'cell-title' });
    const close = el('button', { class: 'icon-button', type: 'button', title: 'Close the cell view', text: '×', onclick: () => this.onClose() });
    // the cell's own equations: after the gates' pre-activations, before the read-out y_t
    const equations = el('div', { class: 'equation' }, arch.equations.slice(1, -1).flatMap((equation, k) => [
      k ? el('span', { class: 'eq-sep', text: '·' }) : null, el('span', { math: equation })]));
    const grid = el('div', { class: 'cell-grid' });
    this.rows = cellRows(arch).map(({ key, label, words, kind }) => {
      const canvas = el('canvas', { class: 'cell-strip' });
      sizeCanvas(canvas, STRIP_WIDTH, ROW_HEIGHT);
      const mean = el('span', { class: 'cell-mean' });
      grid.append(el('span', { class: 'cell-key', math: label }), canvas, mean, el('span', { class: 'cell-words', math: words }));
      return { key, kind, canvas, mean };
    });
    this.root.replaceChildren(
      el('header', { class: 'cell-head' }, this.heading, equations, close),
      grid,
    );
  }

  values(key, step) {
    const { trace } = this.model;
    if (key === 'c') return trace.c[step];
    if (key === 'h') return trace.h[step];
    if (key === 'c_prev') return step > 0 ? trace.c[step - 1] : trace.c[0].map(() => 0);
    if (key === 'h_prev') return step > 0 ? trace.h[step - 1] : trace.h[0].map(() => 0);
    return trace.gates[key][step];
  }

  show(step) {
    this.heading.textContent = `Inside the ${this.arch.title} cell at step ${step + 1} (input ${this.model.trace.labels[step]})`;
    for (const row of this.rows) {
      const values = this.values(row.key, step);
      const scale = row.kind === 'gate' ? UNIT : row.kind === 'cell' ? this.cScale : SIGNED;
      drawRow(row.canvas.getContext('2d'), values, scale, 0, 0, STRIP_WIDTH, ROW_HEIGHT);
      const mean = values.reduce((sum, v) => sum + (v ?? 0), 0) / Math.max(1, values.length);
      row.mean.textContent = `mean ${formatNumber(mean, 2)}`;
    }
  }
}
