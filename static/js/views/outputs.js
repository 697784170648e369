/**
 * outputs.js — OutputsView: what the network says at step t, against what it
 * should say.
 *
 * Symbolic tasks get one bar per output symbol (y_t after the sigmoid or
 * softmax) with the target behind it as a dashed "ghost" bar: for a bce task
 * such as Reber every legal next symbol is a target of 1, for a cross-entropy
 * task the one true next symbol is. A ✓ under a symbol says it in words too, so
 * nothing rests on colour alone. Regression tasks (mse) get a small chart of
 * the output against the target over the whole sequence, with the step marked.
 *
 *        0.93        0.88                          <- y_t[k]
 *       ┌────┐ ┌ ─ ┐┌────┐
 *       │████│      │████│  ▁▁   ▁▁               <- ghost: target 1
 *         T     P     S     X    V  ...
 *         ✓           ✓                            <- legal / true next
 */

import { SERIES_COLORS } from '../lib/color.js';
import { el, setMath } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';
import { lossEquation } from '../tracemodel.js';
import { PanelFrame } from './widgets.js';
import { LineChartView } from './linechart.js';
import { ReadoutTermsView } from './readoutterms.js';

const MAX_BARS = 24; // more symbols than this (a word vocabulary): show the likeliest and the targets
const TOP_BARS = 12;
const COLUMN_BARS = 12; // up to this many short symbols stand as columns; more, or words, lie as rows
const CAPTIONS = {
  bce: 'Each bar: how likely the network thinks that symbol comes next. Dashed boxes and ✓ mark the symbols the grammar allows next (target z_k = 1).',
  cross_entropy: 'Each bar: the probability the network gives each next symbol. The dashed box and ✓ mark the true next symbol z_t.',
  mse: 'The network\u2019s output y_t (line) against the target z_t (dots), step by step; the dark line marks step t.',
};
const TARGET_WORD = { bce: 'legal next', cross_entropy: 'true next' };

/** Which output indices the target marks at step t ([] where the step is not scored). */
function targetIndices(trace, t) {
  if (!trace.target || !(trace.loss_mask?.[t] > 0)) return [];
  const target = trace.target[t];
  if (trace.loss_kind === 'cross_entropy') return Number.isInteger(target) ? [target] : [];
  return Array.isArray(target) ? target.flatMap((v, k) => (v >= 0.5 ? [k] : [])) : [];
}

/**
 * props: trace (the Trace document), step (0-based), title, caption, equation.
 * options: header (false to leave it to the page).
 */
export class OutputsView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'outputs', header: options.header !== false });
    this.status = el('p', { class: 'outputs-status' });
    this.bars = el('div', { class: 'symbol-bars' });
    this.chartBox = el('div', { class: 'outputs-chart' });
    this.frame.body.append(this.status, this.bars, this.chartBox);
    this.terms = new ReadoutTermsView(this.frame.body); // y_t's pre-activation term by term (W_hy h_t, W_xy x_t, b_y)
    this.pool = [];
    this.chart = null;
    this.trace = null;
  }

  update(props) {
    const { trace, step = 0 } = props;
    if (!trace || !Array.isArray(trace.y) || trace.y.length === 0) {
      this.reset();
      this.frame.showMessage('No trace yet.');
      return;
    }
    const kind = trace.loss_kind;
    this.frame.setText({
      title: props.title ?? 'Output at this step',
      caption: props.caption ?? CAPTIONS[kind] ?? '',
      equation: props.equation ?? lossEquation(trace),
    });
    this.frame.showMessage('');
    const t = Math.max(0, Math.min(trace.y.length - 1, step));
    const symbolic = kind !== 'mse';
    this.bars.hidden = !symbolic;
    this.chartBox.hidden = symbolic;
    this.frame.root.dataset.kind = symbolic ? 'symbols' : 'values';
    const shown = symbolic ? this.drawBars(trace, t) : trace.y[t].map((_, k) => k);
    if (!symbolic) this.drawChart(trace, t);
    this.terms.update(trace, t, shown);
    this.trace = trace;
    this.drawStatus(trace, t);
  }

  drawStatus(trace, t) {
    const parts = [`step t = ${t + 1}`];
    const input = trace.labels?.[t];
    if (input !== undefined && input !== '') parts.push(`input x_t: ${input}`);
    const scored = trace.loss_mask?.[t] > 0;
    if (trace.loss_kind === 'mse') {
      const y = trace.y[t]?.[0];
      parts.push(`output y_t = ${formatNumber(y)}`);
      if (scored) parts.push(`target ${formatNumber(trace.target?.[t]?.[0])}`);
    } else if (scored && trace.target_labels?.[t]) {
      parts.push(`${TARGET_WORD[trace.loss_kind] ?? 'target'}: ${trace.target_labels[t]}`);
    }
    parts.push(scored ? `L_t = ${formatNumber(trace.losses?.[t])}` : 'no loss at this step');
    const text = parts.join('   ·   ');
    setMath(this.status, text);
  }

  /** Bars for the symbols to show at step t: all of them, or for a big vocabulary the likeliest and the targets. */
  shownIndices(trace, t, targets) {
    const size = trace.y[t].length;
    const all = Array.from({ length: size }, (_, k) => k);
    if (size <= MAX_BARS) return { indices: all, size };
    const y = trace.y[t];
    const ranked = all.sort((a, b) => (y[b] ?? -1) - (y[a] ?? -1));
    const chosen = new Set(ranked.slice(0, TOP_BARS));
    for (const k of targets) chosen.add(k);
    return { indices: [...chosen].sort((a, b) => (y[b] ?? -1) - (y[a] ?? -1)), size };
  }

  drawBars(trace, t) {
    const targets = targetIndices(trace, t);
    const targetSet = new Set(targets);
    const { indices, size } = this.shownIndices(trace, t, targets);
    while (this.pool.length < indices.length) this.pool.push(this.makeBar());
    this.pool.forEach((bar, n) => { bar.root.hidden = n >= indices.length; });
    const word = TARGET_WORD[trace.loss_kind] ?? 'target';
    indices.forEach((k, n) => {
      const bar = this.pool[n];
      const value = trace.y[t][k];
      const symbol = trace.symbols?.[k] ?? String(k);
      const isTarget = targetSet.has(k);
      const height = Number.isFinite(value) ? Math.max(0, Math.min(1, value)) : 0;
      bar.root.style.setProperty('--v', height.toFixed(4));
      setText(bar.value, Number.isFinite(value) ? value.toFixed(2) : '—');
      setText(bar.symbol, symbol);
      setText(bar.mark, isTarget ? '✓' : '');
      bar.root.title = `${symbol}: y = ${formatNumber(value)}${isTarget ? ` — ${word}` : ''}`;
      bar.root.classList.toggle('is-target', isTarget);
      bar.root.dataset.symbol = symbol;
      bar.root.dataset.target = isTarget ? '1' : '0';
    });
    this.bars.dataset.count = String(indices.length);
    const rows = indices.length > COLUMN_BARS || indices.some((k) => String(trace.symbols?.[k] ?? k).length > 3);
    this.bars.classList.toggle('rows', rows);
    const note = size > indices.length ? `Showing the ${indices.length} likeliest of ${size} symbols (and any target).` : '';
    if (this.bars.dataset.note !== note) {
      this.bars.dataset.note = note;
      this.frame.legend.replaceChildren(...(note ? [el('span', { class: 'outputs-note', text: note })] : []), this.keyLegend(word));
    }
    return indices;
  }

  keyLegend(word) {
    return el('span', { class: 'outputs-keys' },
      el('span', { class: 'outputs-key' }, el('i', { class: 'outputs-swatch fill' }), 'network\u2019s y_t'),
      el('span', { class: 'outputs-key' }, el('i', { class: 'outputs-swatch target' }), `✓ ${word} (target 1)`));
  }

  makeBar() {
    const value = el('span', { class: 'symbol-bar-value' });
    const fill = el('div', { class: 'symbol-bar-fill' });
    const track = el('div', { class: 'symbol-bar-track' }, el('div', { class: 'symbol-bar-ghost' }), fill);
    const symbol = el('span', { class: 'symbol-bar-symbol' });
    const mark = el('span', { class: 'symbol-bar-mark' });
    const root = el('div', { class: 'symbol-bar' }, value, track, symbol, mark);
    this.bars.append(root);
    return { root, value, fill, symbol, mark };
  }

  drawChart(trace, t) {
    if (!this.chart) this.chart = new LineChartView(this.chartBox, { header: false, height: 200 });
    if (this.trace !== trace || !this.series) this.series = regressionSeries(trace);
    this.frame.legend.replaceChildren();
    this.chart.update({ series: this.series, step: t + 1, xLabel: 'step t', yLabel: 'value' });
  }

  reset() {
    this.trace = null;
    this.series = null;
    this.pool.forEach((bar) => { bar.root.hidden = true; });
    this.status.textContent = '';
    this.frame.legend.replaceChildren();
    this.bars.dataset.note = '';
    this.chart?.reset();
    this.terms.reset();
    this.frame.showMessage('');
  }
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Output and target per output dimension; targets only where the step is scored. */
function regressionSeries(trace) {
  const dims = trace.y[0]?.length ?? 0;
  const series = [];
  for (let k = 0; k < dims; k += 1) {
    const suffix = dims > 1 ? ` [${k + 1}]` : '';
    series.push({ name: `output y_t${suffix}`, style: 'both', points: trace.y.map((row, t) => [t + 1, row?.[k] ?? null]) });
    const targets = [];
    trace.y.forEach((_, t) => {
      const value = trace.target?.[t]?.[k];
      if (trace.loss_mask?.[t] > 0 && value !== undefined) targets.push([t + 1, value]);
    });
    series.push({ name: `target${suffix}`, style: 'dots', points: targets, color: SERIES_COLORS[1] });
  }
  return series;
}
