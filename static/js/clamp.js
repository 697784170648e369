/**
 * clamp.js — interventions: clamp a unit of h_t, c_t or a gate to a value, at
 * one step or every step, and see the network run with it. The page traces the
 * model on screen with {"interventions": [...]} (POST .../trace; the trace is
 * exact for the clamped network, docs/analysis.md, Interventions), so every
 * view shows the clamped run; the server sends the clean run's outputs and
 * losses and the difference beside it, which this module draws:
 *
 *   - the Interventions panel (ClampView): the form (target, unit or every
 *     unit, this step or every step, 0 / 1 / a typed value), the active clamps
 *     with remove buttons and "Clear all", L clean against clamped, a loss
 *     chart of both runs with a Δ badge per step, and the outputs at the
 *     current step, clean and clamped;
 *   - marks on the unrolled view (ClampMarks): the clamped cells outlined in
 *     the h_t / c_t strips (a gate's clamp labelled above its column), and a Δ
 *     badge over each step whose loss moved, the changed outputs ringed.
 *
 * The clamps live in `clamps` (a small store main.js listens to, to retrace);
 * a clamp of "every unit" is one entry here and one intervention per unit there.
 */

import { el, setMath } from './lib/dom.js';
import { formatNumber } from './lib/format.js';
import { sharedState } from './lib/shared.js';
import { picked, targetsOf, targetWords } from './unitpick.js';
import { PanelFrame } from './views/widgets.js';

export const MAX_INTERVENTIONS = 64; // the server's bound (app/core/trace/interventions.py)
const DELTA_SHOWN = 0.005; // a step's |ΔL_t| at least this gets a badge
const OUTPUT_CHANGED = 0.1; // an output whose |Δy| is at least this is ringed
const CHART_H = 150;

/** The clamps of the model on screen: {model, items: [{target, unit: j | 'all', step: t | null, value}], error}. */
export const clamps = sharedState({
  model: null,
  items: [],
  error: null, // the server's refusal of the last clamped trace
}, {
  /** Another model is on screen: its units are not these (no retrace asked: the model change retraces). */
  forget(model) {
    if (model === this.model) return;
    Object.assign(this, { model, items: [], error: null });
  },
});

/** The request's interventions for the clamps: "every unit" expanded over the H units. */
export function interventionsOf(items, hidden) {
  return items.flatMap(({ target, unit, step, value }) => {
    const units = unit === 'all' ? Array.from({ length: hidden }, (_, j) => j) : [unit];
    return units.map((j) => ({ step, target, unit: j, value }));
  });
}

/** One clamp in words: "f gate, every unit, at step 7 := 0". */
export function clampWords({ target, unit, step, value }, labels = []) {
  const where = step === null ? 'every step' : `step ${step + 1}${labels[step] ? ` (${labels[step]})` : ''}`;
  return `${targetWords(target)}, ${unit === 'all' ? 'every unit' : `unit ${unit + 1}`}, at ${where} := ${formatNumber(value, 3)}`;
}

const signed = (v, digits = 3) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${formatNumber(Math.abs(v), digits)}`;

/** The Interventions panel. props: {trace, step, hidden}. */
export class ClampView {
  constructor(container, options = {}) {
    this.frame = new PanelFrame(container, { className: 'clamp-view', header: options.header !== false });
    this.target = el('select', { 'data-field': 'clamp-target' });
    this.unit = el('select', { 'data-field': 'clamp-unit' });
    this.where = el('select', { 'data-field': 'clamp-step' });
    this.value = el('input', { type: 'number', step: 'any', value: '0', 'data-field': 'clamp-value', 'aria-label': 'value' });
    const quick = (v) => el('button', { class: 'button', type: 'button', text: String(v), title: `clamp to ${v}`,
      'data-action': `clamp-value-${v}`, onclick: () => { this.value.value = String(v); } });
    this.add = el('button', { class: 'button primary', type: 'button', text: 'Clamp', 'data-action': 'clamp', onclick: () => this.addClamp() });
    this.formNote = el('p', { class: 'clamp-note', 'data-role': 'clamp-note' });
    this.list = el('ul', { class: 'clamp-list', 'data-role': 'clamp-list' });
    this.clear = el('button', { class: 'button subtle', type: 'button', text: 'Clear all', 'data-action': 'clamp-clear',
      onclick: () => clamps.set({ items: [], error: null }) });
    this.summary = el('p', { class: 'clamp-summary', 'data-role': 'clamp-summary' });
    this.chart = el('div', { class: 'clamp-chart', 'data-role': 'clamp-chart' });
    this.outputs = el('div', { class: 'clamp-outputs', 'data-role': 'clamp-outputs' });
    this.frame.body.append(
      el('div', { class: 'analysis-bar clamp-form' },
        el('label', {}, 'clamp', this.target), el('label', {}, 'unit', this.unit), el('label', {}, 'at', this.where),
        el('label', {}, 'to', this.value), quick(0), quick(1), this.add),
      this.formNote,
      el('div', { class: 'clamp-active' }, this.list, this.clear),
      this.summary, this.chart, this.outputs);
    this.unlisten = [clamps.listen(() => this.draw()), picked.listen((cell) => this.prefill(cell))];
    this.props = {};
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    const { trace, step } = props;
    if (trace !== previous.trace) this.fillForm();
    else if (step !== previous.step) this.fillSteps();
    this.draw();
  }

  fillForm() {
    const { trace, hidden } = this.props;
    const keep = { target: this.target.value, unit: this.unit.value };
    this.target.replaceChildren(...targetsOf(trace).map(([value, text]) => el('option', { value, text })));
    if ([...this.target.options].some((o) => o.value === keep.target)) this.target.value = keep.target;
    this.unit.replaceChildren(el('option', { value: 'all', text: 'every unit' }),
      ...Array.from({ length: hidden }, (_, j) => el('option', { value: String(j), text: `unit ${j + 1}` })));
    this.unit.value = keep.unit === 'all' || (keep.unit && Number(keep.unit) < hidden) ? keep.unit : '0';
    this.fillSteps();
  }

  /** The step choices: the current step first (what a click on a step chose), every step, then each step. */
  fillSteps() {
    const { trace, step } = this.props;
    const keep = this.where.value;
    const labels = trace?.labels ?? [];
    this.where.replaceChildren(el('option', { value: 'every', text: 'every step' }),
      ...labels.map((label, t) => el('option', { value: String(t), text: `step ${t + 1} (${label})${t === step ? ' — current' : ''}` })));
    this.where.value = keep && keep !== '' && Number(keep) < labels.length ? keep : String(Math.min(step ?? 0, labels.length - 1));
  }

  /** A unit pointed at elsewhere (a heatmap cell, the unrolled strip): the form offers it. */
  prefill(cell) {
    if (!cell || !this.props.trace) return;
    if ([...this.target.options].some((o) => o.value === cell.target)) this.target.value = cell.target;
    this.unit.value = String(cell.unit);
    if (cell.step !== null && cell.step !== undefined) this.where.value = String(cell.step);
    this.formNote.textContent = `Picked ${targetWords(cell.target)} unit ${cell.unit + 1}${cell.step === null || cell.step === undefined ? '' : ` at step ${cell.step + 1}`}: choose a value and Clamp.`;
  }

  addClamp() {
    const value = Number(this.value.value);
    if (this.value.value.trim() === '' || !Number.isFinite(value)) {
      this.formNote.textContent = 'Type a number to clamp to (0 shuts a gate, 1 opens it).';
      return;
    }
    const item = { target: this.target.value, unit: this.unit.value === 'all' ? 'all' : Number(this.unit.value),
      step: this.where.value === 'every' ? null : Number(this.where.value), value };
    const same = (a) => a.target === item.target && a.unit === item.unit && a.step === item.step;
    const items = [...clamps.items.filter((a) => !same(a)), item];
    const count = interventionsOf(items, this.props.hidden).length;
    if (count > MAX_INTERVENTIONS) {
      this.formNote.textContent = `That makes ${count} clamped units; the server takes at most ${MAX_INTERVENTIONS}. Remove one first.`;
      return;
    }
    this.formNote.textContent = '';
    clamps.set({ items, error: null });
  }

  draw() {
    const { trace, step } = this.props;
    const labels = trace?.labels ?? [];
    this.list.replaceChildren(...clamps.items.map((item, i) => el('li', { 'data-clamp': i },
      el('span', { math: clampWords(item, labels) }),
      el('button', { class: 'icon-button', type: 'button', title: 'Remove this clamp', text: '×', 'data-action': 'clamp-remove',
        onclick: () => clamps.set({ items: clamps.items.filter((_, k) => k !== i), error: null }) }))));
    if (!clamps.items.length) this.list.append(el('li', { class: 'clamp-none', text: 'No clamps: the network runs as trained. Pick a unit (or click one in the Hidden state or Gates panel, or in the unrolled h_t strip).' }));
    this.clear.hidden = !clamps.items.length;
    if (clamps.error) {
      this.summary.className = 'clamp-summary error';
      setMath(this.summary, `The server refused these clamps: ${clamps.error}`);
    } else if (trace?.clean) {
      const delta = trace.difference.loss;
      this.summary.className = 'clamp-summary';
      setMath(this.summary, `Clamped: L = ${formatNumber(trace.loss, 4)} against ${formatNumber(trace.clean.loss, 4)} unclamped (ΔL = ${signed(delta, 3)}). `
        + `The unrolled view above shows the clamped run; a badge marks each step whose L_t moved.`);
    } else {
      this.summary.className = 'clamp-summary';
      this.summary.textContent = '';
    }
    this.summary.dataset.delta = trace?.clean ? String(trace.difference.loss) : '';
    this.drawChart(trace, step);
    this.drawOutputs(trace, step);
  }

  /** Both runs' per-step losses, side by side, a Δ badge over each step that moved. */
  drawChart(trace, step) {
    this.chart.replaceChildren();
    if (!trace?.clean) return;
    const d3 = window.d3;
    const T = trace.losses.length;
    const width = Math.max(320, this.chart.clientWidth || this.frame.body.clientWidth || 640);
    const margin = { left: 44, right: 10, top: 26, bottom: 24 };
    const clamped = trace.losses.map((v) => v ?? 0);
    const clean = trace.clean.losses.map((v) => v ?? 0);
    const x = d3.scaleBand().domain(d3.range(T)).range([margin.left, width - margin.right]).padding(0.18);
    const y = d3.scaleLinear().domain([0, Math.max(1e-6, d3.max([...clamped, ...clean]))]).nice().range([CHART_H - margin.bottom, margin.top]);
    const svg = d3.select(this.chart).append('svg').attr('width', width).attr('height', CHART_H).attr('class', 'clamp-chart-svg');
    svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(4));
    svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(0,${CHART_H - margin.bottom})`)
      .call(d3.axisBottom(x).tickFormat((t) => trace.labels[t]).tickSizeOuter(0));
    const half = x.bandwidth() / 2;
    const bars = svg.append('g');
    bars.selectAll('rect.clean').data(clean).join('rect').attr('class', 'clamp-bar clean')
      .attr('x', (_, t) => x(t)).attr('width', half).attr('y', (v) => y(v)).attr('height', (v) => y(0) - y(v));
    bars.selectAll('rect.clamped').data(clamped).join('rect').attr('class', 'clamp-bar clamped')
      .attr('x', (_, t) => x(t) + half).attr('width', half).attr('y', (v) => y(v)).attr('height', (v) => y(0) - y(v));
    svg.append('rect').attr('class', 'clamp-step').attr('x', x(Math.min(step, T - 1)) - 2).attr('width', x.bandwidth() + 4)
      .attr('y', margin.top - 4).attr('height', CHART_H - margin.top - margin.bottom + 4);
    const moved = trace.difference.losses.map((d, t) => [d ?? 0, t]).filter(([d]) => Math.abs(d) >= DELTA_SHOWN);
    svg.selectAll('text.clamp-delta').data(moved).join('text').attr('class', ([d]) => `clamp-delta ${d > 0 ? 'worse' : 'better'}`)
      .attr('x', ([, t]) => x(t) + x.bandwidth() / 2).attr('y', ([, t]) => Math.max(12, y(Math.max(clean[t], clamped[t])) - 4))
      .attr('text-anchor', 'middle').attr('data-step', ([, t]) => t).text(([d]) => signed(d, 2));
    const legend = svg.append('g').attr('class', 'clamp-legend').attr('transform', `translate(${margin.left + 6},12)`);
    [['clean', 'L_t unclamped'], ['clamped', 'L_t clamped']].forEach(([kind, text], i) => {
      const item = legend.append('g').attr('transform', `translate(${i * 130},0)`);
      item.append('rect').attr('class', `clamp-bar ${kind}`).attr('width', 10).attr('height', 10).attr('y', -9);
      item.append('text').attr('x', 14).text(text);
    });
  }

  /** The current step's outputs, clean against clamped, with the target marked. */
  drawOutputs(trace, step) {
    this.outputs.replaceChildren();
    if (!trace?.clean || !trace.y?.length) return;
    const t = Math.min(step, trace.y.length - 1);
    const symbols = trace.symbols ?? trace.y[t].map((_, k) => String(k + 1));
    const target = trace.target?.[t] ?? [];
    const rows = symbols.map((symbol, k) => {
      const after = trace.y[t][k];
      const before = trace.clean.outputs[t][k];
      const d = trace.difference.outputs[t][k];
      return el('tr', { class: Math.abs(d ?? 0) >= OUTPUT_CHANGED ? 'changed' : '' },
        el('th', { text: symbol, class: target[k] > 0.5 ? 'is-target' : '' }),
        el('td', { text: formatNumber(before, 3) }), el('td', { text: formatNumber(after, 3) }),
        el('td', { text: signed(d ?? 0, 3) }));
    });
    this.outputs.append(el('table', { class: 'clamp-table', 'data-step': t },
      el('caption', { text: `Outputs at step ${t + 1} (reading ${trace.labels[t]}); the legal or true next symbols in green` }),
      el('thead', {}, el('tr', {}, el('th', { text: 'y_t' }), el('th', { text: 'unclamped' }), el('th', { text: 'clamped' }), el('th', { text: 'Δ' }))),
      el('tbody', {}, rows)));
  }

  reset() {
    this.unlisten.forEach((fn) => fn());
    this.frame.remove();
  }
}

/** The clamps and the differences drawn over the unrolled view (NetworkView's stage and geometry). */
export class ClampMarks {
  constructor(network, { onPick } = {}) {
    this.network = network;
    this.layer = el('div', { class: 'clamp-marks', 'data-role': 'clamp-marks' });
    network.stage.append(this.layer);
    // a click on a row of the h_t or c_t strip picks that unit at that step (the step click still happens)
    network.svg.node().addEventListener('click', (event) => {
      const cell = this.cellAt(event.offsetX, event.offsetY);
      if (cell) onPick?.(cell);
    });
    this.drawn = null;
  }

  cellAt(px, py) {
    const { g, model } = this.network;
    if (!g || !model) return null;
    const t = Math.floor((px - g.left(0)) / g.colW);
    if (t < 0 || t >= model.T) return null;
    const rows = [['h', g.hTop]];
    if (g.hasCell) rows.push(['c', g.cTop]);
    for (const [target, top] of rows) {
      if (py >= top && py < top + g.stripH) return { target, unit: Math.floor(((py - top) / g.stripH) * model.H), step: t };
    }
    return null;
  }

  update({ model }) {
    const g = this.network.g;
    const trace = model?.trace;
    const key = [trace, g?.colW];
    if (this.drawn && this.drawn[0] === key[0] && this.drawn[1] === key[1]) return;
    this.drawn = key;
    this.layer.replaceChildren();
    if (!trace?.interventions?.length || !g) return;
    const H = model.H;
    const offset = (g.colW - g.stripW) / 2;
    const unitH = g.stripH / H;
    const marked = new Set();
    for (const { step, target, unit, value } of trace.interventions) {
      for (const t of step === null ? Array.from({ length: model.T }, (_, s) => s) : [step]) {
        if (target === 'h' || target === 'c') {
          const top = target === 'h' ? g.hTop : g.cTop;
          this.layer.append(el('div', { class: 'clamp-cell', 'data-step': t,
            style: `left:${g.left(t) + offset - 2}px;top:${top + unit * unitH - 1}px;width:${g.stripW + 4}px;height:${Math.max(2, unitH) + 2}px` }));
        } else if (!marked.has(`${target}@${t}`)) {
          marked.add(`${target}@${t}`);
          this.layer.append(el('span', { class: 'clamp-gate', 'data-step': t, text: `${target.replace('gate:', '')}:=${formatNumber(value, 2)}`,
            title: `${targetWords(target)} clamped at step ${t + 1}`, style: `left:${g.left(t) + 4}px;top:${g.hTop - 15}px;width:${g.colW - 8}px` }));
        }
      }
    }
    trace.difference.losses.forEach((d, t) => {
      if (Math.abs(d ?? 0) < DELTA_SHOWN) return;
      this.layer.append(el('span', { class: `clamp-badge ${d > 0 ? 'worse' : 'better'}`, 'data-step': t, text: signed(d, 2),
        title: `L_t ${signed(d, 4)} against the unclamped run`, style: `left:${g.left(t) + 1}px;top:${g.lTop - 2}px;width:${g.colW - 2}px` }));
    });
    trace.difference.outputs.forEach((row, t) => {
      if (Math.max(...row.map((v) => Math.abs(v ?? 0))) < OUTPUT_CHANGED) return;
      this.layer.append(el('div', { class: 'clamp-output', 'data-step': t, title: 'the output changed',
        style: `left:${g.left(t) + 1}px;top:${g.yTop - 2}px;width:${g.colW - 4}px;height:${44}px` }));
    });
  }
}
