/**
 * experimentplots.js — the four plots of an experiment's results (GET /api/experiments/{name}):
 *
 *   drawSuccess     success rate against the grid's varied option (the lag, the distance, else the
 *                   hidden size), a Wilson 95% interval band and bars per variant (family and gate
 *                   init); many variants of several families: a small panel per family; one x
 *                   value: a row per variant
 *   drawSteps       steps to reach the criterion (median and quartiles of the runs that succeeded)
 *   drawGradients   ||dL_T/dh_t|| against T − t on a log axis: the median over seeds, the
 *                   quartiles as a band, at initialisation or after training
 *   drawCost        training steps per second and parameters against the hidden size
 * Each returns a <figure> (experimentfigure.js); a point or curve opens its grid point's
 * representative model (onOpen(model name)).
 */

import { GRID, HEIGHT, MARGIN, MUTED, axes, colorOf, dashOf, familyName, figure, variantName } from './experimentfigure.js';
import { el } from './lib/dom.js';
import { formatNumber } from './lib/format.js';

const powerOfTen = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
// 50, 100, 200, 500, 1k, 2k: labels enough to read a log axis of steps without crowding it
const oneTwoFive = (v) => [1, 2, 5].some((k) => powerOfTen(v / k));

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

const SUCCESS_NOTE = 'Bar: Wilson 95% interval over the seeds (shaded along the line where one or two variants share the axes). '
  + 'Click a point to open its model.';
const BANDS_UP_TO = 2; // more bands than this on one pair of axes stack into one dark slab: bars alone then
const PANELS_FROM = 5; // more series than this, of several families: one small panel per family
const PANEL = { columns: 3, height: 150, title: 28, ticks: 22, gap: 30 }; // a panel's plot height and the space around it
const PANEL_ROW = PANEL.title + PANEL.height + PANEL.gap;

export function drawSuccess(detail, { claim, onOpen }) {
  const summaries = detail.summaries;
  const x = xDimension(summaries);
  const metric = detail.runs[0]?.metric_name ?? 'the metric';
  const threshold = detail.experiment.configuration?.criterion?.threshold;
  const values = [...new Set(summaries.map(x.of))].sort((a, b) => a - b);
  const series = seriesOf(summaries, x);
  const families = [...new Set(series.map((s) => s.items[0].point.architecture))];
  const layout = values.length === 1 ? 'rows' : usePanels(series, families) ? 'panels' : 'lines';
  const frame = {
    lines: {},
    // one row per variant, its name at the left: a grid with a single x value has nothing to draw lines along
    rows: { height: Math.max(HEIGHT, 120 + series.length * 34), margin: { ...MARGIN, left: 230, right: 130 } },
    panels: panelsFrame(families),
  }[layout];
  const what = `A run succeeds when ${metric} ≥ ${threshold} on fresh sequences within its budget.`;
  const fig = figure({
    id: 'success',
    title: layout === 'rows' ? `Success rate per variant (${xName(x)} ${values[0] ?? ''})` : `Success rate against ${xName(x)}`,
    claim: claim ?? 'Whether each variant met the criterion within the step budget, over the seeds.',
    note: `${what} ${layout === 'panels' ? 'One panel per family; line style: gate initialisation. ' : ''}${SUCCESS_NOTE}`,
    ...frame,
  });
  if (!summaries.length) return fig.node;
  const draw = { lines: successLines, rows: successRows, panels: successPanels }[layout];
  draw(fig, { series, families, values, x, onOpen });
  if (layout !== 'rows') fig.legend(series, 'architecture, gate init');
  fig.setData(summaries.map((d) => ({
    variant: d.point.variant, [x.name]: x.of(d), hidden_size: d.point.hidden_size, runs: d.runs, successes: d.successes,
    success_rate: d.success_rate, interval_low: d.success_interval[0], interval_high: d.success_interval[1],
    steps_to_success_median: d.steps_to_success.median, final_metric_median: d.final_metric.median, model: d.model,
  })));
  return fig.node;
}

const xName = (x) => (x.name === 'hidden_size' ? 'hidden size' : x.name);

/** The whole grid on one pair of axes: a line, a Wilson band and a bar per point for each series. */
function successLines(fig, { series, values, x, onOpen }) {
  const sx = xScale(values, fig.inner.width);
  const sy = window.d3.scaleLinear().domain([0, 1]).range([fig.inner.height, 0]);
  axes(fig, sx, sy, { xLabel: X_LABELS[x.name] ?? x.name, yLabel: 'success rate (share of seeds)', xTicks: values, xFormat: String, yFormat: '.0%' });
  const band = series.length <= BANDS_UP_TO;
  series.forEach((s, i) => successSeries(fig.plot, s, { sx, sy, x, onOpen, band, offset: (i - (series.length - 1) / 2) * 5 }));
}

/** Small multiples: a panel per family (its variants differ by line style), the same axes in each. */
function successPanels(fig, { series, families, values, x, onOpen }) {
  const sy = window.d3.scaleLinear().domain([0, 1]).range([PANEL.height, 0]);
  familyPanels(fig, { series, families, values, x, sy, yFormat: '.0%', yTicks: 2, yLabel: 'success rate (share of seeds)' },
    (g, s, sx, offset, shared) => successSeries(g, s, { sx, sy, x, onOpen, offset, band: shared <= BANDS_UP_TO }));
}

/** fig.inner as a grid of panels, one per family, PANEL.columns wide; drawSeries(g, series, sx, offset, series in
 * the panel) fills them. */
function familyPanels(fig, { series, families, values, x, sy, yFormat, yTicks, yLabel }, drawSeries) {
  const columns = Math.min(PANEL.columns, families.length);
  const width = (fig.inner.width - (columns - 1) * PANEL.gap) / columns;
  const sx = xScale(values, width);
  families.forEach((family, index) => {
    const [column, row] = [index % columns, Math.floor(index / columns)];
    const g = fig.plot.append('g').attr('class', 'exp-panel').attr('data-family', family)
      .attr('transform', `translate(${column * (width + PANEL.gap)},${row * PANEL_ROW + PANEL.title})`);
    g.append('text').attr('x', width / 2).attr('y', -13).attr('text-anchor', 'middle').attr('font-weight', 600).text(familyName(family));
    axes({ plot: g, inner: { width, height: PANEL.height } }, sx, sy, {
      xLabel: null, yLabel: null, xTicks: values, xFormat: String, yFormat, yTicks, yTickLabels: column === 0,
    });
    const own = series.filter((s) => s.items[0].point.architecture === family);
    own.forEach((s, i) => drawSeries(g, s, sx, (i - (own.length - 1) / 2) * 7, own.length));
  });
  const height = fig.inner.height;
  fig.plot.append('text').attr('x', fig.inner.width / 2).attr('y', height + 18).attr('text-anchor', 'middle').attr('font-weight', 600)
    .text(X_LABELS[x.name] ?? x.name);
  fig.plot.append('text').attr('transform', `translate(-58,${height / 2}) rotate(-90)`).attr('text-anchor', 'middle').attr('font-weight', 600)
    .text(yLabel);
}

/** The frame of a small-multiples figure: its height for the families' rows, the x label in a narrow bottom margin. */
function panelsFrame(families) {
  const rows = Math.ceil(families.length / PANEL.columns);
  return { height: MARGIN.top + rows * PANEL_ROW - PANEL.gap + PANEL.ticks + 30, margin: { ...MARGIN, bottom: 30 } };
}

const usePanels = (series, families) => series.length > PANELS_FROM && families.length > 1;

/** One row per variant: the success rate as a point, its Wilson interval as a bar, the count beside it. */
function successRows(fig, { series, onOpen }) {
  const d3 = window.d3;
  const sy = d3.scaleBand().domain(series.map((s) => s.key)).range([0, fig.inner.height]).padding(0.3);
  const sx = d3.scaleLinear().domain([0, 1]).range([0, fig.inner.width]);
  fig.plot.append('g').attr('class', 'grid').selectAll('line').data(sx.ticks(5)).join('line')
    .attr('x1', sx).attr('x2', sx).attr('y1', 0).attr('y2', fig.inner.height).attr('stroke', GRID);
  const bottom = fig.plot.append('g').attr('transform', `translate(0,${fig.inner.height})`).call(d3.axisBottom(sx).ticks(5, '.0%').tickSizeOuter(0));
  bottom.attr('font-family', null).attr('font-size', 12).selectAll('path, line').attr('stroke', MUTED);
  fig.plot.append('text').attr('x', fig.inner.width / 2).attr('y', fig.inner.height + 44).attr('text-anchor', 'middle').attr('font-weight', 600)
    .text('success rate (share of seeds)');
  for (const s of series) {
    const d = s.items[0];
    const y = sy(s.key) + sy.bandwidth() / 2;
    const g = fig.plot.append('g').attr('class', 'series').attr('data-series', s.key);
    g.append('text').attr('x', -54).attr('y', y).attr('dy', '0.35em').attr('text-anchor', 'end').text(s.label);
    g.append('line').attr('x1', -46).attr('x2', -14).attr('y1', y).attr('y2', y).attr('stroke', s.color)
      .attr('stroke-width', 2.5).attr('stroke-dasharray', s.dash); // the variant's line style, as in the other plots
    intervalBar(g, s.color, { x1: sx(d.success_interval[0]), x2: sx(d.success_interval[1]), y1: y, y2: y });
    g.append('text').attr('x', sx(1) + 14).attr('y', y).attr('dy', '0.35em').attr('fill', MUTED)
      .text(`${d.successes} of ${d.runs} runs`);
    successPoint(g, s, [d], { cx: (p) => sx(p.success_rate), cy: () => y, label: () => '', onOpen });
  }
}

/** A series of the line layouts: its Wilson band (when band), its line, a bar at each point and the points. */
function successSeries(parent, s, { sx, sy, x, onOpen, offset, band = true }) {
  const d3 = window.d3;
  const px = (d) => sx(x.of(d)) + offset; // side by side at one x, not on top of each other
  const g = parent.append('g').attr('class', 'series').attr('data-series', s.key);
  if (band) {
    g.append('path').datum(s.items).attr('class', 'exp-band').attr('fill', s.color).attr('fill-opacity', 0.1).attr('pointer-events', 'none')
      .attr('d', d3.area().x(px).y0((d) => sy(d.success_interval[0])).y1((d) => sy(d.success_interval[1])));
  }
  for (const d of s.items) intervalBar(g, s.color, { x1: px(d), x2: px(d), y1: sy(d.success_interval[0]), y2: sy(d.success_interval[1]) });
  g.append('path').datum(s.items).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2.2).attr('pointer-events', 'none')
    .attr('stroke-dasharray', s.dash).attr('d', d3.line().x(px).y((d) => sy(d.success_rate)));
  successPoint(g, s, s.items, { cx: px, cy: (d) => sy(d.success_rate), label: (d) => `, ${x.name} ${x.of(d)}`, onOpen });
}

/** An interval drawn as a thin bar with short caps: visible where a band has no width (one x value) or none is drawn. */
function intervalBar(g, color, { x1, x2, y1, y2 }) {
  const bar = g.append('g').attr('class', 'exp-interval').attr('pointer-events', 'none').attr('stroke', color)
    .attr('stroke-width', 1.5).attr('stroke-opacity', 0.6);
  bar.append('line').attr('x1', x1).attr('x2', x2).attr('y1', y1).attr('y2', y2);
  const cap = 3;
  for (const [x, y] of [[x1, y1], [x2, y2]]) {
    if (x1 === x2) bar.append('line').attr('x1', x - cap).attr('x2', x + cap).attr('y1', y).attr('y2', y);
    else bar.append('line').attr('x1', x).attr('x2', x).attr('y1', y - cap).attr('y2', y + cap);
  }
}

function successPoint(g, s, items, { cx, cy, label, onOpen }) {
  g.selectAll('circle.exp-point').data(items).join('circle').attr('class', 'exp-point')
    .attr('cx', cx).attr('cy', cy).attr('r', 5).attr('fill', '#fff')
    .attr('stroke', s.color).attr('stroke-width', 2).attr('cursor', (d) => (d.model ? 'pointer' : null))
    .attr('data-model', (d) => d.model).on('click', (_, d) => onOpen(d.model))
    .append('title').text((d) => `${s.label}${label(d)}: ${d.successes} of ${d.runs} runs succeeded `
      + `(95% interval ${formatNumber(d.success_interval[0], 2)}–${formatNumber(d.success_interval[1], 2)}); `
      + `median steps to success ${formatNumber(d.steps_to_success.median)}. Click to open its model.`);
}

/** Steps to reach the criterion against the varied dimension: the median over the runs that succeeded, a bar from
 * the first to the third quartile; none where no run succeeded. Null when fewer than two x values have one. */
export function drawSteps(detail, { claim = null, onOpen }) {
  const d3 = window.d3;
  const x = xDimension(detail.summaries);
  const summaries = detail.summaries.filter((s) => s.successes > 0 && s.steps_to_success?.median);
  const values = [...new Set(summaries.map(x.of))].sort((a, b) => a - b);
  if (values.length < 2) return null;
  const series = seriesOf(summaries, x);
  const families = [...new Set(series.map((s) => s.items[0].point.architecture))];
  const panels = usePanels(series, families);
  const every = detail.experiment.configuration?.criterion?.every;
  const fig = figure({
    id: 'steps',
    title: `Steps to reach the criterion against ${xName(x)}`,
    claim: claim ?? 'How long the runs that succeeded took: fewer steps, an easier problem for that variant.',
    note: `Point: median over the runs that succeeded; bar: their quartiles${every ? ` (the criterion is checked every ${every} steps)` : ''}. `
      + `A variant with no success at a ${xName(x)} has no point there. ${panels ? 'One panel per family. ' : ''}Click a point to open its model.`,
    ...(panels ? panelsFrame(families) : {}),
  });
  const [lo, hi] = d3.extent(summaries.flatMap((s) => [s.steps_to_success.q1, s.steps_to_success.q3]));
  const log = hi / lo >= 8; // a wide range (50 to 2,000 steps) reads on a log axis
  const height = panels ? PANEL.height : fig.inner.height;
  const sy = (log ? d3.scaleLog().domain([lo / 1.3, hi * 1.3]) : d3.scaleLinear().domain([0, hi * 1.1]).nice()).range([height, 0]);
  const yLabel = `steps to success${log ? ' (log scale)' : ''}`;
  const yFormat = log ? (v) => (oneTwoFive(v) ? d3.format('~s')(v) : '') : ',.0f';
  const drawSeries = (parent, s, sx, offset) => {
    const px = (d) => sx(x.of(d)) + offset;
    const g = parent.append('g').attr('class', 'series').attr('data-series', s.key);
    for (const d of s.items) intervalBar(g, s.color, { x1: px(d), x2: px(d), y1: sy(d.steps_to_success.q1), y2: sy(d.steps_to_success.q3) });
    g.append('path').datum(s.items).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2.2).attr('pointer-events', 'none')
      .attr('stroke-dasharray', s.dash).attr('d', d3.line().x(px).y((d) => sy(d.steps_to_success.median)));
    g.selectAll('circle.exp-point').data(s.items).join('circle').attr('class', 'exp-point')
      .attr('cx', px).attr('cy', (d) => sy(d.steps_to_success.median)).attr('r', 5).attr('fill', '#fff')
      .attr('stroke', s.color).attr('stroke-width', 2).attr('cursor', (d) => (d.model ? 'pointer' : null))
      .attr('data-model', (d) => d.model).on('click', (_, d) => onOpen(d.model))
      .append('title').text((d) => `${s.label}, ${x.name} ${x.of(d)}: ${d.successes} of ${d.runs} runs succeeded, median `
        + `${formatNumber(d.steps_to_success.median)} steps (quartiles ${formatNumber(d.steps_to_success.q1)}–${formatNumber(d.steps_to_success.q3)}). Click to open its model.`);
  };
  if (panels) {
    familyPanels(fig, { series, families, values, x, sy, yFormat, yTicks: 3, yLabel }, drawSeries);
  } else {
    const sx = xScale(values, fig.inner.width);
    axes(fig, sx, sy, { xLabel: X_LABELS[x.name] ?? x.name, yLabel, xTicks: values, xFormat: String, yFormat, yTicks: 5 });
    series.forEach((s, i) => drawSeries(fig.plot, s, sx, (i - (series.length - 1) / 2) * 5));
  }
  fig.legend(series, 'architecture, gate init');
  fig.setData(summaries.map((d) => ({
    variant: d.point.variant, [x.name]: x.of(d), hidden_size: d.point.hidden_size, runs: d.runs, successes: d.successes,
    steps_q1: d.steps_to_success.q1, steps_median: d.steps_to_success.median, steps_q3: d.steps_to_success.q3, model: d.model,
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
    claim: claim ?? 'The gradient of the last loss against the state t steps back: a near-constant factor per step is a straight line on this log axis; below 1 it vanishes, near 1 the error reaches the start. Compare how each variant starts.',
    note: 'Line: median over seeds of ‖∂L_T/∂h_t‖ (mean of 8 held-out sequences); band: quartiles. Legend: the fitted factor per step back. Click a curve to open its model.',
    controls: el('div', { class: 'exp-controls' }, 'Show ', phaseSelect, atSelect ? ' at ' : null, atSelect),
  });
  const shown = withCurves.filter((s) => s[phase] && (atSelect === null || x.of(s) === at));
  if (!shown.length) return fig.node;
  const longest = d3.max(shown, (s) => s[phase].median.length);
  // the axis follows the medians (the lines); a quartile band beyond them is cut at the edge. One run whose
  // gradient explodes (a ReLU net at lag 160 reached 1.9e18) would otherwise take the axis and flatten every line.
  const positive = shown.flatMap((s) => s[phase].median).filter((v) => v > 0);
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
  const gap = 100; // room for the right panel's tick labels and its axis label, left of its axis
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
  fig.plot.append('line').attr('x1', half + 22).attr('x2', half + 22).attr('y1', 0).attr('y2', fig.inner.height).attr('stroke', GRID);
  fig.legend(series, 'architecture');
  fig.setData(summaries.map((d) => ({
    variant: d.point.variant, hidden_size: d.point.hidden_size, parameters: d.parameters,
    steps_per_s_median: d.steps_per_s.median, steps_per_s_q1: d.steps_per_s.q1, steps_per_s_q3: d.steps_per_s.q3, model: d.model,
  })));
  return fig.node;
}
