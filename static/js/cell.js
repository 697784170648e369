/**
 * cell.js — inside an LSTM or GRU cell at the selected step: every gate's
 * activations as a strip of H units, and the state they write.
 *
 *   f  forget gate   [▥▥▥▥▥▥▥▥]  keeps this much of c_{t-1}
 *   i  input gate    [▥▥▥▥▥▥▥▥]  lets this much of g in
 *   ...
 *   c_{t-1} -> c_t   [▥▥▥▥] [▥▥▥▥]
 */

import { el, fmt, mathHTML } from './format.js';
import { DIVERGING, RANGE, SEQUENTIAL, drawRow, maxAbs, sizeCanvas } from './palette.js';

const ROW_HEIGHT = 16;
const STRIP_WIDTH = 360;

// gate -> [label, plain words, palette, range]; order is the order the cell uses them
const CELLS = {
  lstm: {
    title: 'Inside the LSTM cell',
    equations: ['c_t = f ⊙ c_{t-1} + i ⊙ g', 'h_t = o ⊙ tanh(c_t)'],
    rows: [
      ['f', 'forget gate: how much of c_{t-1} is kept (1 = all)', 'gate'],
      ['i', 'input gate: how much of the candidate g is written', 'gate'],
      ['g', 'candidate: what could be written into the cell', 'signed'],
      ['o', 'output gate: how much of tanh(c_t) is shown as h_t', 'gate'],
      ['c_prev', 'c_{t-1}: the cell state arriving from the last step', 'cell'],
      ['c', 'c_t: the cell state after this step', 'cell'],
      ['h', 'h_t: the hidden state this step outputs', 'signed'],
    ],
  },
  gru: {
    title: 'Inside the GRU cell',
    equations: ['n = tanh(W_in x_t + r ⊙ (W_hn h_{t-1}))', 'h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}'],
    rows: [
      ['r', 'reset gate: how much of h_{t-1} the candidate sees', 'gate'],
      ['z', 'update gate: how much of h_{t-1} is kept (1 = all)', 'gate'],
      ['n', 'candidate: the new content', 'signed'],
      ['h_prev', 'h_{t-1}: the state arriving from the last step', 'signed'],
      ['h', 'h_t: the state after this step', 'signed'],
    ],
  },
};

const ROW_LABELS = { c_prev: 'c_{t-1}', h_prev: 'h_{t-1}', c: 'c_t', h: 'h_t' };

export class CellView {
  constructor(container, { onClose = () => {} } = {}) {
    this.root = el('section', { class: 'cell-view', 'aria-label': 'inside the cell' });
    container.append(this.root);
    this.onClose = onClose;
    this.reset();
  }

  reset() {
    this.model = null;
    this.root.replaceChildren();
    this.root.hidden = true;
  }

  /** props: {model: TraceModel, arch, step, open} */
  update({ model, arch, step, open }) {
    const spec = CELLS[arch?.id];
    if (!model || !spec || !model.hasGates || !open) {
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    if (model !== this.model || spec !== this.spec) this.build(model, spec);
    this.show(Math.min(step, model.T - 1));
  }

  build(model, spec) {
    this.model = model;
    this.spec = spec;
    this.cScale = model.trace.c ? maxAbs(model.trace.c, 1) : 1;
    this.heading = el('h3', { class: 'cell-title' });
    const close = el('button', { class: 'icon-button', type: 'button', title: 'Close the cell view', text: '×', onclick: () => this.onClose() });
    const equations = el('div', { class: 'equation', html: spec.equations.map(mathHTML).join('<span class="eq-sep">·</span>') });
    const grid = el('div', { class: 'cell-grid' });
    this.rows = spec.rows.map(([key, words, kind]) => {
      const canvas = el('canvas', { class: 'cell-strip' });
      sizeCanvas(canvas, STRIP_WIDTH, ROW_HEIGHT);
      const mean = el('span', { class: 'cell-mean' });
      grid.append(
        el('span', { class: 'cell-key', html: mathHTML(ROW_LABELS[key] ?? key) }),
        canvas,
        mean,
        el('span', { class: 'cell-words', html: mathHTML(words) }),
      );
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
    this.heading.textContent = `${this.spec.title} at step ${step + 1} (input ${this.model.trace.labels[step]})`;
    for (const row of this.rows) {
      const values = this.values(row.key, step);
      const [table, range] = row.kind === 'gate' ? [SEQUENTIAL, RANGE.unit]
        : row.kind === 'cell' ? [DIVERGING, [-this.cScale, this.cScale]] : [DIVERGING, RANGE.signed];
      drawRow(row.canvas.getContext('2d'), values, table, range, 0, 0, STRIP_WIDTH, ROW_HEIGHT);
      const mean = values.reduce((sum, v) => sum + (v ?? 0), 0) / Math.max(1, values.length);
      row.mean.textContent = `mean ${fmt(mean, 2)}`;
    }
  }
}
