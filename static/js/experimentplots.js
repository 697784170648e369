/**
 * experimentplots.js — the three plots of an experiment's results (GET /api/experiments/{name}):
 *
 *   drawSuccess     success rate against the grid's varied option (the lag, the distance, else the
 *                   hidden size), a Wilson 95% interval band per variant (family and gate init)
 *   drawGradients   ||dL_T/dh_t|| against T − t on a log axis: the median over seeds, the
 *                   quartiles as a band, at initialisation or after training
 *   drawCost        training steps per second and parameters against the hidden size
 * Each returns a <figure> (experimentfigure.js); a point or curve opens its grid point's
 * representative model (onOpen(model name)).
 */

import { GRID, axes, colorOf, dashOf, figure, variantName } from './experimentfigure.js';
import { el } from './lib/dom.js';
import { formatNumber } from './lib/format.js';

const powerOfTen = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;

const X_LABELS = {
  lag: 'lag (time steps between the symbol and its recall)',
  distance: 'distance (words between the country and “fluent”)',
  hidden_size: 'hidden size H (units)',
};

/** The dimension the grid varies along: a task option with several values, else the hidden size. */
export function xDimension(summaries) {
  const varied = (values) => new Set(values.map(String)).size > 1;
  const options = Object.keys(summaries[0]?.point.task_options ?? {});
  const option = options.find((name) => varied(summaries.map((s) => s.point.task_options[name])));
  if (option) return { name: option, of: (s) => s.point.task_options[option] };
  return { name: 'hidden_size', of: (s) => s.point.hidden_size };
}

/** Summaries grouped into series: one per variant (and hidden size, when it varies beside x). */
function seriesOf(summaries, x) {
  const hiddenVaries = x.name !== 'hidden_size' && new Set(summaries.map((s) => s.point.hidden_size)).size > 1;
  const groups = new Map();
  for (const summary of summaries) {
    const point = summary.point;
    const key = `${point.variant}${hiddenVaries ? ` H=${point.hidden_size}` : ''}`;
    if (!groups.has(key)) {
      groups.set(key, { key, label: `${variantName(point)}${hiddenVaries ? `, H = ${point.hidden_size}` : ''}`, color: colorOf(point), dash: dashOf(point), items: [] });
    }
    groups.get(key).items.push(summary);
  }
  for (const group of groups.values()) group.items.sort((a, b) => x.of(a) - x.of(b));
  return [...groups.values()];
}

function xScale(values, width) {
  const d3 = window.d3;
  const [lo, hi] = d3.extent(values);
  if (lo > 0 && hi / lo >= 4) return d3.scaleLog().domain([lo / 1.25, hi * 1.25]).range([0, width]); // doubling grids
  const pad = hi > lo ? (hi - lo) * 0.12 : 1;
  return d3.scaleLinear().domain([lo - pad, hi + pad]).range([0, width]);
}

export function drawSuccess(detail, { claim, onOpen }) {
  const d3 = window.d3;
  const summaries = detail.summaries;
  const x = xDimension(summaries);
  const metric = detail.runs[0]?.metric_name ?? 'the metric';
  const threshold = detail.experiment.configuration?.criterion?.threshold;
  const fig = figure({
    id: 'success',
    title: `Success rate against ${x.name === 'hidden_size' ? 'hidden size' : x.name}`,
    claim: claim ?? 'Whether each variant met the criterion within the step budget, over the seeds.',
    note: `A run succeeds when ${metric} ≥ ${threshold} on fresh sequences within its budget. Band: Wilson 95% interval over the seeds. Click a point to open its model.`,
  });
  if (!summaries.length) return fig.node;
  const values = [...new Set(summaries.map(x.of))].sort((a, b) => a - b);
  const sx = xScale(values, fig.inner.width);
  const sy = d3.scaleLinear().domain([0, 1]).range([fig.inner.height, 0]);
  axes(fig, sx, sy, { xLabel: X_LABELS[x.name] ?? x.name, yLabel: 'success rate (share of seeds)', xTicks: values, xFormat: (v) => String(v), yFormat: '.0%' });
  const series = seriesOf(summaries, x);
  const offset = (i) => (i - (series.length - 1) / 2) * 5; // side by side at one x, not on top of each other
  series.forEach((s, i) => {
    const px = (d) => sx(x.of(d)) + offset(i);
    const g = fig.plot.append('g').attr('class', 'series').attr('data-series', s.key);
    g.append('path').datum(s.items).attr('fill', s.color).attr('fill-opacity', 0.07).attr('pointer-events', 'none')
      .attr('d', d3.area().x(px).y0((d) => sy(d.success_interval[0])).y1((d) => sy(d.success_interval[1])));
    g.append('path').datum(s.items).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2.2).attr('pointer-events', 'none')
      .attr('stroke-dasharray', s.dash).attr('d', d3.line().x(px).y((d) => sy(d.success_rate)));
    g.selectAll('circle').data(s.items).join('circle').attr('class', 'exp-point')
      .attr('cx', px).attr('cy', (d) => sy(d.success_rate)).attr('r', 5).attr('fill', '#fff')
      .attr('stroke', s.color).attr('stroke-width', 2).attr('cursor', (d) => (d.model ? 'pointer' : null))
      .attr('data-model', (d) => d.model).on('click', (_, d) => onOpen(d.model))
      .append('title').text((d) => `${s.label}, ${x.name} ${x.of(d)}: ${d.successes} of ${d.runs} runs succeeded `
        + `(95% interval ${formatNumber(d.success_interval[0], 2)}–${formatNumber(d.success_interval[1], 2)}); `
        + `median steps to success ${formatNumber(d.steps_to_success.median)}. Click to open its model.`);
  });
  fig.legend(series, 'architecture, gate init');
  fig.setData(summaries.map((d) => ({
    variant: d.point.variant, [x.name]: x.of(d), hidden_size: d.point.hidden_size, runs: d.runs, successes: d.successes,
    success_rate: d.success_rate, interval_low: d.success_interval[0], interval_high: d.success_interval[1],
    steps_to_success_median: d.steps_to_success.median, final_metric_median: d.final_metric.median, model: d.model,
  })));
  return fig.node;
}

export function drawGradients(detail, { claim = null, onOpen }, choice = {}) {
  const d3 = window.d3;
  const withCurves = detail.summaries.filter((s) => s.gradient_init || s.gradient_end);
  const x = xDimension(detail.summaries);
  const atValues = [...new Set(withCurves.map(x.of))].sort((a, b) => a - b);
  const at = choice.at ?? atValues[atValues.length - 1];
  const phase = choice.phase ?? 'gradient_end';
  const redraw = (patch) => fig.node.replaceWith(drawGradients(detail, { claim, onOpen }, { at, phase, ...patch }));
  const phaseSelect = el('select', { 'data-role': 'gradient-phase', onchange: (e) => redraw({ phase: e.target.value }) },
    el('option', { value: 'gradient_end', text: 'after training', selected: phase === 'gradient_end' }),
    el('option', { value: 'gradient_init', text: 'at initialisation', selected: phase === 'gradient_init' }));
  const atSelect = atValues.length > 1 ? el('select', { 'data-role': 'gradient-at', onchange: (e) => redraw({ at: Number(e.target.value) }) },
    ...atValues.map((v) => el('option', { value: v, text: x.name === 'hidden_size' ? `H = ${v}` : `${x.name} ${v}`, selected: v === at }))) : null;
  const fig = figure({
    id: 'gradients',
    title: 'How far back the gradient reaches',
    claim: claim ?? 'In a plain RNN the gradient of the last loss shrinks by a near-constant factor for every step back (a straight line on this log axis); gated cells keep it from vanishing.',
    note: 'Line: median over seeds of ‖∂L_T/∂h_t‖ (mean of 8 held-out sequences); band: quartiles. Legend: the fitted factor per step back. Click a curve to open its model.',
    controls: el('div', { class: 'exp-controls' }, 'Show ', phaseSelect, atSelect ? ' at ' : null, atSelect),
  });
  const shown = withCurves.filter((s) => s[phase] && (atSelect === null || x.of(s) === at));
  if (!shown.length) return fig.node;
  const longest = d3.max(shown, (s) => s[phase].median.length);
  const positive = shown.flatMap((s) => [...s[phase].q1, ...s[phase].q3, ...s[phase].median]).filter((v) => v > 0);
  const sx = d3.scaleLinear().domain([0, Math.max(1, longest - 1)]).range([0, fig.inner.width]);
  const [lo, hi] = d3.extent(positive);
  const sy = d3.scaleLog().domain([Math.max(lo, hi * 1e-12) / 1.5, hi * 1.5]).range([fig.inner.height, 0]).clamp(true);
  axes(fig, sx, sy, { xLabel: 'T − t (steps back from the last loss)', yLabel: '‖∂L_T/∂h_t‖ (log scale)', yFormat: (v) => (powerOfTen(v) ? formatNumber(v) : ''), yTicks: 6 });
  const series = seriesOf(shown, x);
  const rows = [];
  for (const s of series) {
    for (const summary of s.items) {
      const curve = summary[phase];
      const points = curve.median.map((median, d) => ({ d, median, q1: curve.q1[d], q3: curve.q3[d] }));
      const ok = (v) => v !== null && v > 0;
      const g = fig.plot.append('g').attr('class', 'series').attr('data-series', s.key).attr('cursor', summary.model ? 'pointer' : null)
        .on('click', () => onOpen(summary.model));
      g.append('path').datum(points).attr('fill', s.color).attr('fill-opacity', 0.12).attr('pointer-events', 'none')
        .attr('d', d3.area().defined((p) => ok(p.q1) && ok(p.q3)).x((p) => sx(p.d)).y0((p) => sy(p.q1)).y1((p) => sy(p.q3)));
      g.append('path').datum(points).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2.2).attr('stroke-dasharray', s.dash)
        .attr('d', d3.line().defined((p) => ok(p.median)).x((p) => sx(p.d)).y((p) => sy(p.median)));
      g.append('path').datum(points).attr('fill', 'none').attr('stroke', 'transparent').attr('stroke-width', 12) // easy to click
        .attr('class', 'exp-curve').attr('data-model', summary.model)
        .attr('d', d3.line().defined((p) => ok(p.median)).x((p) => sx(p.d)).y((p) => sy(p.median)))
        .append('title').text(`${s.label}: click to open its model`);
      for (const p of points) rows.push({ variant: summary.point.variant, [x.name]: x.of(summary), phase, steps_back: p.d, median: p.median, q1: p.q1, q3: p.q3 });
    }
  }
  const decayKey = phase === 'gradient_end' ? 'decay_end' : 'decay_init';
  const entries = series.map((s) => ({ ...s, label: s.items.length === 1 ? `${s.label}  ×${formatNumber(s.items[0][decayKey], 2)}/step` : s.label }));
  fig.legend(entries, 'fitted factor per step back');
  fig.setData(rows);
  return fig.node;
}

export function drawCost(detail, { claim = null, onOpen }) {
  const d3 = window.d3;
  const summaries = detail.summaries.filter((s) => s.steps_per_s?.median);
  const machine = detail.experiment.machine ?? {};
  const sizes = [...new Set(summaries.map((s) => s.point.hidden_size))].sort((a, b) => a - b);
  if (sizes.length < 2) { // one size: nothing to draw against it (its steps/s are in the CSV)
    return el('p', { class: 'exp-note', 'data-plot': 'cost-none', text: `Cost against hidden size: this experiment trains one hidden size${sizes.length ? ` (H = ${sizes[0]})` : ''}; the cost recipe compares sizes.` });
  }
  const fig = figure({
    id: 'cost',
    title: 'What a step costs',
    claim: claim ?? 'Plain RNNs have fewer parameters and take more training steps per second than LSTM and GRU at every hidden size.',
    note: `Left: training steps per second (median over seeds, bar: quartiles), measured on ${machine.host ?? 'the server'}${machine.workers ? ` with ${machine.workers} runs side by side` : ''}, one torch thread each. Right: parameters.`,
  });
  const gap = 70;
  const half = (fig.inner.width - gap) / 2;
  const series = seriesOf(summaries, { name: 'hidden_size', of: (s) => s.point.hidden_size });
  const panels = [
    { key: 'steps_per_s', label: 'training steps per second', value: (s) => s.steps_per_s.median, lo: (s) => s.steps_per_s.q1, hi: (s) => s.steps_per_s.q3, log: false },
    { key: 'parameters', label: 'parameters (log scale)', value: (s) => s.parameters, log: true },
  ];
  panels.forEach((panel, index) => {
    const left = index * (half + gap);
    const g = fig.plot.append('g').attr('transform', `translate(${left},0)`);
    const sub = { plot: g, inner: { width: half, height: fig.inner.height } };
    const sx = d3.scaleLog().base(2).domain([sizes[0] / 1.3, sizes[sizes.length - 1] * 1.3]).range([0, half]);
    const top = d3.max(summaries, (s) => (panel.hi ?? panel.value)(s));
    const sy = panel.log ? d3.scaleLog().domain([d3.min(summaries, panel.value) / 1.5, top * 1.5]).range([fig.inner.height, 0])
      : d3.scaleLinear().domain([0, top * 1.08]).range([fig.inner.height, 0]);
    axes(sub, sx, sy, { xLabel: 'hidden size H (units)', yLabel: panel.label, xTicks: sizes, xFormat: String, yFormat: panel.log ? '~s' : '~s', yTicks: 5 });
    series.forEach((s, i) => {
      const px = (d) => sx(d.point.hidden_size) + (i - (series.length - 1) / 2) * 3;
      const sg = g.append('g').attr('class', 'series').attr('data-series', s.key);
      if (panel.lo) {
        sg.selectAll('line.q').data(s.items).join('line').attr('class', 'q').attr('x1', px).attr('x2', px)
          .attr('y1', (d) => sy(panel.lo(d))).attr('y2', (d) => sy(panel.hi(d))).attr('stroke', s.color).attr('stroke-width', 1.5);
      }
      sg.append('path').datum(s.items).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2)
        .attr('stroke-dasharray', s.dash).attr('d', d3.line().x(px).y((d) => sy(panel.value(d))));
      sg.selectAll('circle').data(s.items).join('circle').attr('class', 'exp-point').attr('cx', px).attr('cy', (d) => sy(panel.value(d)))
        .attr('r', 4.5).attr('fill', '#fff').attr('stroke', s.color).attr('stroke-width', 2).attr('cursor', (d) => (d.model ? 'pointer' : null))
        .attr('data-model', (d) => d.model).on('click', (_, d) => onOpen(d.model))
        .append('title').text((d) => `${s.label}, H = ${d.point.hidden_size}: ${formatNumber(panel.value(d))} ${panel.key === 'parameters' ? 'parameters' : 'steps/s'}. Click to open its model.`);
    });
  });
  fig.plot.append('line').attr('x1', half + gap / 2).attr('x2', half + gap / 2).attr('y1', 0).attr('y2', fig.inner.height).attr('stroke', GRID);
  fig.legend(series, 'architecture');
  fig.setData(summaries.map((d) => ({
    variant: d.point.variant, hidden_size: d.point.hidden_size, parameters: d.parameters,
    steps_per_s_median: d.steps_per_s.median, steps_per_s_q1: d.steps_per_s.q1, steps_per_s_q3: d.steps_per_s.q3, model: d.model,
  })));
  return fig.node;
}
