/**
 * unitinspector.js — the Unit inspector panel: one unit of h_t, c_t or a gate
 * over many sequences sampled from the task (POST .../analysis/units, the same
 * 200 seeded sequences as the state space): its mean by symbol read, by
 * grammar state and by step as small bar charts, the contexts where it peaks
 * (the symbols before, the peak symbol marked) and the units most like it
 * (correlation; click one to inspect it). Pick a unit here, or click one in
 * the Hidden state or Gates heatmap or the unrolled h_t / c_t strip.
 *
 * And LSTMVis's question the other way round (POST .../analysis/units/select):
 * mark a range of the input's steps (drag over them, or click one and
 * shift-click another) and a threshold, and list the units that are above it
 * on every marked step and below it everywhere else in the input.
 */

import { api } from './api.js';
import { el, setMath } from './lib/dom.js';
import { formatInt, formatNumber } from './lib/format.js';
import { ANALYSIS_SEED, ANALYSIS_SEQUENCES } from './automaton.js';
import { picked, targetsOf, targetWords } from './unitpick.js';
import { PanelFrame } from './views/widgets.js';

const TOP_CONTEXTS = 8;
const CONTEXT_SYMBOLS = 14; // a context shows at most this many symbols before the peak
const CHART = { width: 260, height: 140, margin: { left: 42, right: 6, top: 8, bottom: 30 } };

/** The context's symbols: words for a word task (spaces between), else one character each. */
function contextSymbols(context) {
  return context.includes(' ') ? context.split(' ') : [...context];
}

export class UnitInspectorView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'unit-inspector', header: options.header !== false });
    this.target = el('select', { 'data-field': 'unit-target', onchange: () => this.fetch() });
    this.unit = el('select', { 'data-field': 'unit', onchange: () => this.fetch() });
    this.status = el('p', { class: 'analysis-status', 'data-role': 'unit-status' });
    this.charts = el('div', { class: 'unit-charts', 'data-role': 'unit-charts' });
    this.contexts = el('ol', { class: 'unit-contexts', 'data-role': 'unit-contexts' });
    this.similar = el('div', { class: 'unit-similar', 'data-role': 'unit-similar' });
    this.frame.body.append(
      el('div', { class: 'analysis-bar' }, el('label', {}, 'state', this.target), el('label', {}, 'unit', this.unit)),
      this.status, this.charts,
      el('div', { class: 'unit-lists' },
        el('div', {}, el('h4', { text: 'Where it peaks' }), el('p', { class: 'note', text: 'Its highest values, each with the symbols read before it; the peak\u2019s own symbol marked.' }), this.contexts),
        el('div', {}, el('h4', { text: 'Units like it' }), el('p', { class: 'note', text: 'Correlation r over the same steps; click one to inspect it.' }), this.similar)));
    this.buildSelection();
    this.unlisten = picked.listen((cell) => this.pick(cell));
    this.props = {};
    this.requested = null;
    this.range = null; // [start, end] of the marked steps, inclusive
  }

  buildSelection() {
    this.strip = el('div', { class: 'unit-strip', 'data-role': 'unit-strip' });
    this.threshold = el('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '0.5', 'data-field': 'unit-threshold',
      oninput: () => { this.thresholdText.textContent = formatNumber(Number(this.threshold.value), 2); } });
    this.thresholdText = el('b', { text: '0.5' });
    this.find = el('button', { class: 'button primary', type: 'button', text: 'Find units', 'data-action': 'find-units', onclick: () => this.select() });
    this.found = el('div', { class: 'unit-found', 'data-role': 'unit-found' });
    this.frame.body.append(el('div', { class: 'unit-select' },
      el('h4', { text: 'On here, off elsewhere' }),
      el('p', { class: 'note', text: 'Mark steps of the input (drag over them, or click one and shift-click another): the units above the threshold on every marked step and below it everywhere else.' }),
      this.strip,
      el('div', { class: 'analysis-bar' }, el('label', {}, 'threshold', this.threshold, this.thresholdText), this.find),
      this.found));
    this.strip.addEventListener('pointerdown', (event) => {
      const t = stepOf(event);
      if (t === null) return;
      event.preventDefault();
      if (!event.shiftKey || this.anchor === undefined || !this.range) this.anchor = t; // shift-click extends from the last click
      this.range = [Math.min(this.anchor, t), Math.max(this.anchor, t)];
      this.dragging = true;
      this.markRange();
    });
    this.strip.addEventListener('pointerover', (event) => {
      const t = stepOf(event);
      if (!this.dragging || t === null) return;
      this.range = [Math.min(this.anchor, t), Math.max(this.anchor, t)];
      this.markRange();
    });
    window.addEventListener('pointerup', () => { this.dragging = false; });
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    if (props.trace !== previous.trace) this.fillForm(previous);
    if (props.text !== previous.text || props.name !== previous.name) this.fillStrip();
    if (props.name !== previous.name || props.trace?.c !== previous.trace?.c) this.fetch();
  }

  fillForm() {
    const { trace, hidden } = this.props;
    const keep = { target: this.target.value, unit: this.unit.value };
    this.target.replaceChildren(...targetsOf(trace).map(([value, text]) => el('option', { value, text })));
    if ([...this.target.options].some((o) => o.value === keep.target)) this.target.value = keep.target;
    this.unit.replaceChildren(...Array.from({ length: hidden }, (_, j) => el('option', { value: String(j), text: `unit ${j + 1}` })));
    this.unit.value = keep.unit && Number(keep.unit) < hidden ? keep.unit : '0';
  }

  fillStrip() {
    const labels = this.props.trace?.labels ?? [];
    this.range = null;
    this.strip.replaceChildren(...labels.map((label, t) => el('span', { class: 'unit-step', 'data-step': t, title: `step ${t + 1}`, text: label })));
    this.found.replaceChildren();
  }

  markRange() {
    const [a, b] = this.range ?? [-1, -1];
    for (const chip of this.strip.children) chip.classList.toggle('on', Number(chip.dataset.step) >= a && Number(chip.dataset.step) <= b);
  }

  /** A unit pointed at elsewhere on the page: inspect it. */
  pick(cell) {
    if (!cell || !this.props.trace) return;
    if (![...this.target.options].some((o) => o.value === cell.target)) return;
    this.target.value = cell.target;
    this.unit.value = String(cell.unit);
    this.fetch();
  }

  /** Inspect unit j of the current target (a similar unit's chip, a found unit). */
  inspect(unit) {
    this.unit.value = String(unit);
    this.fetch();
  }

  async fetch() {
    const { name } = this.props;
    if (!name || this.unit.value === '') return;
    const body = { sequences: ANALYSIS_SEQUENCES, seed: ANALYSIS_SEED, target: this.target.value, unit: Number(this.unit.value), top: TOP_CONTEXTS };
    const key = JSON.stringify([name, body]);
    this.requested = key;
    this.setStatus(`Collecting ${targetWords(body.target)} of unit ${body.unit + 1} over ${body.sequences} sampled sequences…`, 'busy');
    try {
      const data = await api.analysisUnit(name, body);
      if (key !== this.requested) return;
      this.data = data;
      const points = data.by_step.reduce((sum, row) => sum + row.count, 0);
      this.setStatus(`${targetWords(data.target)}, unit ${data.unit + 1}: its mean over ${formatInt(points)} steps of ${body.sequences} sampled sequences (seed ${body.seed}).`);
      this.frame.root.dataset.unit = data.unit;
      this.frame.root.dataset.target = data.target;
      this.draw();
    } catch (error) {
      if (key === this.requested) this.setStatus(`This unit could not be inspected: ${error.detail ?? error}`, 'error');
    }
  }

  setStatus(text, kind = '') {
    setMath(this.status, text);
    this.status.className = `analysis-status ${kind}`.trim();
  }

  draw() {
    const d = this.data;
    const signed = d.target === 'h' || d.target === 'c' || d.target === 'gate:g' || d.target === 'gate:n';
    this.charts.replaceChildren(
      barChart('by symbol read', d.by_symbol.map((r) => [r.symbol, r.mean, r.count]), signed),
      ...(d.by_grammar_state ? [barChart('by grammar state', d.by_grammar_state.map((r) => [r.grammar_state, r.mean, r.count]), signed)] : []),
      barChart('by step', d.by_step.map((r) => [String(r.step + 1), r.mean, r.count]), signed, true));
    this.contexts.replaceChildren(...d.top_contexts.map((c) => {
      const symbols = contextSymbols(c.context);
      const before = symbols.slice(Math.max(0, symbols.length - 1 - CONTEXT_SYMBOLS), -1);
      const gap = c.context.includes(' ') ? ' ' : '';
      return el('li', {},
        el('b', { class: 'unit-value', text: formatNumber(c.value, 3) }),
        el('span', { class: 'unit-context' }, symbols.length - 1 > CONTEXT_SYMBOLS ? `…${gap}` : '', before.join(gap) + gap,
          el('mark', { text: symbols[symbols.length - 1] })),
        el('span', { class: 'unit-where', text: `sequence ${c.sequence + 1}, step ${c.step + 1}` }));
    }));
    this.similar.replaceChildren(...d.similar.map((s) => el('button', { class: 'chip', type: 'button', 'data-unit': s.unit,
      title: `inspect unit ${s.unit + 1}`, onclick: () => this.inspect(s.unit) }, `unit ${s.unit + 1}`, el('small', { text: ` r = ${formatNumber(s.correlation, 2)}` }))));
  }

  async select() {
    const { name, text } = this.props;
    if (!this.range) { this.found.replaceChildren(el('p', { class: 'note', text: 'Mark one or more steps of the input first.' })); return; }
    const [start, end] = this.range;
    const body = { text, start, end, threshold: Number(this.threshold.value), target: this.target.value };
    this.found.replaceChildren(el('p', { class: 'analysis-status busy', text: 'Looking for the units…' }));
    try {
      const data = await api.analysisSelect(name, body);
      const where = start === end ? `step ${start + 1}` : `steps ${start + 1}–${end + 1}`;
      if (!data.units.length) {
        this.found.replaceChildren(el('p', { class: 'note', 'data-count': 0,
          math: `No unit of ${targetWords(body.target)} is above ${formatNumber(body.threshold, 2)} on all of ${where} and below it elsewhere in the input. Lower the threshold or mark fewer steps.` }));
        return;
      }
      this.found.replaceChildren(el('p', { class: 'note', 'data-count': data.units.length,
        math: `${data.units.length} unit${data.units.length === 1 ? '' : 's'} of ${targetWords(body.target)} above ${formatNumber(body.threshold, 2)} on ${where}, below it elsewhere (click one to inspect it):` }),
      el('div', { class: 'unit-found-list' }, ...data.units.map((u) => el('button', { class: 'chip', type: 'button', 'data-unit': u.unit,
        title: `lowest inside ${formatNumber(u.inside_min, 3)}, highest outside ${u.outside_max === null ? '—' : formatNumber(u.outside_max, 3)}`,
        onclick: () => this.inspect(u.unit) }, `unit ${u.unit + 1}`, el('small', { text: ` margin ${formatNumber(u.score, 2)}` })))));
    } catch (error) {
      this.found.replaceChildren(el('p', { class: 'analysis-status error', text: `The units could not be found: ${error.detail ?? error}` }));
    }
  }

  reset() {
    this.unlisten();
    this.frame.remove();
  }
}

function stepOf(event) {
  const chip = event.target.closest?.('.unit-step');
  return chip ? Number(chip.dataset.step) : null;
}

/** A small bar chart of means: rows [label, mean, count]; a zero line for signed values. */
function barChart(title, rows, signed, manyLabels = false) {
  const d3 = window.d3;
  // many long names (the embedded grammar's T/3, P/end ...) get a wider chart and slanted labels
  const slanted = !manyLabels && rows.length > 8;
  const margin = { ...CHART.margin, bottom: slanted ? 46 : CHART.margin.bottom };
  const width = slanted ? Math.max(CHART.width, margin.left + margin.right + rows.length * 17) : CHART.width;
  const height = CHART.height + margin.bottom - CHART.margin.bottom;
  const holder = el('figure', { class: 'unit-chart', 'data-chart': title });
  holder.append(el('figcaption', { text: title }));
  const lo = signed ? Math.min(-1, d3.min(rows, (r) => r[1])) : 0;
  const hi = signed ? Math.max(1, d3.max(rows, (r) => r[1])) : Math.max(1, d3.max(rows, (r) => r[1]));
  const x = d3.scaleBand().domain(rows.map((r) => r[0])).range([margin.left, width - margin.right]).padding(0.15);
  const y = d3.scaleLinear().domain([lo, hi]).range([height - margin.bottom, margin.top]);
  const svg = d3.select(holder).append('svg').attr('width', width).attr('height', height);
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(4));
  const every = manyLabels ? Math.ceil(rows.length / 12) : 1;
  const xAxis = svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(0,${height - margin.bottom})`)
    .call(d3.axisBottom(x).tickSizeOuter(0).tickValues(rows.map((r) => r[0]).filter((_, i) => i % every === 0)));
  if (slanted) xAxis.selectAll('text').attr('text-anchor', 'end').attr('dx', '-0.5em').attr('dy', '0.1em').attr('transform', 'rotate(-55)');
  svg.append('line').attr('class', 'unit-zero').attr('x1', margin.left).attr('x2', width - margin.right).attr('y1', y(0)).attr('y2', y(0));
  svg.append('g').selectAll('rect').data(rows).join('rect')
    .attr('class', (r) => `unit-bar${r[1] < 0 ? ' negative' : ''}`)
    .attr('x', (r) => x(r[0])).attr('width', x.bandwidth())
    .attr('y', (r) => y(Math.max(0, r[1]))).attr('height', (r) => Math.abs(y(r[1]) - y(0)))
    .attr('data-key', (r) => r[0]).attr('data-mean', (r) => r[1])
    .append('title').text((r) => `${r[0]}: mean ${formatNumber(r[1], 3)} over ${formatInt(r[2])} steps`);
  return holder;
}
