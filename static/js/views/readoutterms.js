/**
 * readoutterms.js — ReadoutTermsView: where y_t comes from, term by term.
 *
 * Under the Outputs panel's bars, a table splits each shown symbol's
 * pre-activation into the trace's readout_terms: W_hy h_t (through the hidden
 * layer), W_xy x_t (a shortcut model's direct input-to-output path) and b_y,
 * and their sum, the logit the sigmoid or softmax turns into the bar. Each cell
 * is coloured on one signed scale for the whole trace, so a term's share is
 * seen against the others' at a glance and its sign is written too.
 *
 *   where y_t comes from   T      P      S      X  ...
 *   W_hy h_t              +2.31  −1.02  +0.40  ...
 *   W_xy x_t              +0.88  −0.51  −0.12  ...     (shortcut models only)
 *   b_y                   −0.20  −0.35  +0.05  ...
 *   = logit               +2.99  −1.88  +0.33  ...
 */

import { ColorScale } from '../lib/color.js';
import { el, setMath } from '../lib/dom.js';

const SHORTCUT_TERM = 'W_xy x_t';

/** Largest |value| over every term of the trace: one scale for every step, so cells compare across steps. */
function termScale(terms) {
  let m = 0;
  for (const rows of Object.values(terms)) {
    for (const row of rows) for (const v of row) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return new ColorScale({ kind: 'diverging', domain: [-(m || 1), m || 1] });
}

const signed = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '\u2212'}${Math.abs(v).toFixed(2)}` : '—');

export class ReadoutTermsView {
  constructor(container) {
    this.summary = el('summary', { class: 'outputs-terms-summary' });
    this.table = el('table', { class: 'outputs-terms-table' });
    this.root = el('details', { class: 'outputs-terms', 'data-role': 'readout-terms', hidden: true },
      this.summary, this.table);
    container.append(this.root);
    this.trace = null;
    this.names = '';
  }

  /** trace (with readout_terms), t (0-based step), indices (the output indices the bars show). */
  update(trace, t, indices) {
    const terms = trace.readout_terms;
    if (!terms || !Object.keys(terms).length) { this.reset(); return; }
    this.root.hidden = false;
    const names = Object.keys(terms);
    if (names.join('|') !== this.names) {
      // a new kind of model: a shortcut model opens with its terms shown, the point of such a model
      this.names = names.join('|');
      this.root.open = names.includes(SHORTCUT_TERM);
      this.root.dataset.shortcut = names.includes(SHORTCUT_TERM) ? '1' : '0';
    }
    if (this.trace !== trace) { this.scale = termScale(terms); this.trace = trace; }
    setMath(this.summary, `Where y_t comes from: ${names.join(' + ')}`);
    const symbols = indices.map((k) => trace.symbols?.[k] ?? String(k + 1));
    const head = el('tr', {}, el('th', { text: `step ${t + 1}` }), ...symbols.map((s) => el('th', { text: s })));
    const rows = names.map((name) => this.row(name, indices.map((k) => terms[name][t]?.[k]), name));
    const total = indices.map((k) => trace.logits?.[t]?.[k]);
    rows.push(this.row('= logit', total, 'logit'));
    this.table.replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
  }

  row(label, values, term) {
    return el('tr', { 'data-term': term },
      el('th', { math: label, scope: 'row' }),
      ...values.map((v) => el('td', { text: signed(v), style: this.cellStyle(v) })));
  }

  cellStyle(v) {
    const strong = Number.isFinite(v) && Math.abs(v) > 0.6 * this.scale.domain[1]; // dark cell: light text
    return `background:${this.scale.css(v)}${strong ? ';color:#fff' : ''}`;
  }

  reset() {
    this.root.hidden = true;
    this.table.replaceChildren();
    this.trace = null;
  }
}
