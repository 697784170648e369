/**
 * columns.js — the static parts of the unrolled view, drawn once per trace:
 * the step axis, one column per step (input, arrows, strip frames, output
 * against target, loss bar) and the gutter of row names on the left. The
 * moving parts (cursor, veil, arrow widths) are network.js's.
 */

import { formatNumber } from './lib/format.js';
import { mathText } from './lib/svg.js';

const d3 = window.d3;

export const LAYOUT = Object.freeze({
  gutter: 124, // row labels, outside the horizontal scroll
  padLeft: 40, // room for the h_0 = 0 stub
  padRight: 16,
  axis: 20, // step numbers
  axisGap: 8, // between the step numbers and the input boxes
  xBox: 28,
  arrowGap: 26, // vertical arrows x -> h and h -> y
  cellGap: 14, // between c_t and h_t strips (LSTM)
  unitPx: 4, // preferred strip height per hidden unit
  stripMin: 56,
  stripMax: 128,
  stripMaxCell: 92, // each strip when c_t is drawn too
  stripFraction: 0.45, // strip width / column width, narrow columns (room left for the recurrent arrows)...
  stripWide: 0.4, // ...and wide ones, which leave room for the W_hh labels
  stripMaxWidth: 30,
  yBox: 40,
  lossRow: 42,
  colMin: 18,
  colMax: 80,
  labelPx: 7.5, // width of one label character, for the column width
  textColumn: 44, // columns at least this wide carry text labels on arrows and outputs
  arrowMin: 0.7, // BPTT arrow widths in px...
  arrowMax: 10,
  arrowDecades: 4, // ...over this many factors of ten of gradient size
});

export const SUM_GAUGE = { left: 44, width: 70 }; // in the gutter, under the L_t row

export function drawAxis(svg, g, T) {
  const every = Math.max(1, Math.ceil(24 / g.colW));
  svg.append('g').attr('class', 'axis').selectAll('text')
    .data(d3.range(T)).join('text')
    .attr('x', (t) => g.mid(t)).attr('y', LAYOUT.axis - 4)
    .text((t) => ((t + 1) % every === 0 || t === 0 ? t + 1 : ''));
}

/** One group per step: input box, arrows, strip frames, output box, loss bar. */
export function drawColumns(svg, model, arch, g) {
  const { trace } = model;
  const wide = g.colW >= LAYOUT.textColumn;
  const stripLeft = (g.colW - g.stripW) / 2;
  const columns = svg.append('g').attr('class', 'columns').selectAll('g.column')
    .data(d3.range(model.T)).join('g')
    .attr('class', 'column').attr('data-step', (t) => t)
    .attr('transform', (t) => `translate(${g.left(t)},0)`);
  columns.append('title').text((t) => `step ${t + 1}: input ${trace.labels[t]}, output ${model.predictions[t].label}`
    + (model.counted[t] ? `, target ${trace.target_labels[t]}, L_${t + 1} = ${formatNumber(model.losses[t])}` : ' (no loss here)'));
  columns.append('rect').attr('class', 'x-box').attr('x', 3).attr('y', g.xTop)
    .attr('width', g.colW - 6).attr('height', LAYOUT.xBox).attr('rx', 5);
  columns.append('text').attr('class', 'x-label').attr('x', g.colW / 2).attr('y', g.xTop + LAYOUT.xBox / 2 + 5)
    .text((t) => shorten(trace.labels[t], g.colW));
  const xTo = g.hasCell ? g.cTop : g.hTop;
  columns.append('line').attr('class', 'arrow arrow-in')
    .attr('x1', g.colW / 2).attr('x2', g.colW / 2).attr('y1', g.xTop + LAYOUT.xBox + 1).attr('y2', xTo - 2);
  columns.append('rect').attr('class', 'strip-frame').attr('x', stripLeft - 0.5).attr('y', g.hTop - 0.5)
    .attr('width', g.stripW + 1).attr('height', g.stripH + 1);
  if (g.hasCell) {
    columns.append('rect').attr('class', 'strip-frame strip-frame-c').attr('x', stripLeft - 0.5)
      .attr('y', g.cTop - 0.5).attr('width', g.stripW + 1).attr('height', g.stripH + 1);
    columns.append('line').attr('class', 'arrow-link').attr('x1', g.colW / 2).attr('x2', g.colW / 2)
      .attr('y1', g.cTop + g.stripH + 1).attr('y2', g.hTop - 1);
  }
  const outArrows = columns.append('line').attr('class', 'arrow arrow-out')
    .attr('x1', g.colW / 2).attr('x2', g.colW / 2);
  drawOutputs(model, columns, g, wide);
  if (wide) labelMatrices(arch, columns, g, xTo);
  if (arch?.has_shortcut) {
    columns.append('path').attr('class', 'arrow arrow-shortcut')
      .attr('d', `M${g.colW - 4},${g.xTop + LAYOUT.xBox} C${g.colW},${g.hTop} ${g.colW},${g.yTop - 20} ${g.colW - 5},${g.yTop - 2}`);
  }
  columns.append('rect').attr('class', 'hit').attr('x', 0).attr('y', 0).attr('width', g.colW).attr('height', g.height);
  return { columns, outArrows };
}

function drawOutputs(model, columns, g, wide) {
  const verdict = (t) => (model.predictions[t].correct === null ? 'masked' : model.predictions[t].correct ? 'right' : 'wrong');
  columns.append('rect').attr('class', (t) => `y-box ${verdict(t)}`).attr('x', 3).attr('y', g.yTop)
    .attr('width', g.colW - 6).attr('height', LAYOUT.yBox).attr('rx', 5);
  if (wide) {
    columns.append('text').attr('class', 'y-label').attr('x', g.colW / 2).attr('y', g.yTop + 17)
      .text((t) => shorten(model.predictions[t].label, g.colW));
    columns.append('text').attr('class', 'y-target').attr('x', g.colW / 2).attr('y', g.yTop + 33)
      .text((t) => (model.counted[t] ? shorten(`→${model.trace.target_labels[t]}`, g.colW) : ''));
  } else {
    columns.append('text').attr('class', 'y-label').attr('x', g.colW / 2).attr('y', g.yTop + 25)
      .text((t) => ({ right: '✓', wrong: '✗', masked: '·' })[verdict(t)]);
  }
  const barMax = LAYOUT.lossRow - 14;
  columns.append('rect').attr('class', (t) => `loss-bar${model.counted[t] ? '' : ' uncounted'}`)
    .attr('x', g.colW * 0.25).attr('width', g.colW * 0.5)
    .attr('y', (t) => g.lTop + barMax - (model.losses[t] / model.maxLoss) * barMax)
    .attr('height', (t) => Math.max(model.counted[t] ? 1 : 0, (model.losses[t] / model.maxLoss) * barMax));
  if (wide) {
    columns.append('text').attr('class', 'loss-value').attr('x', g.colW / 2).attr('y', g.lTop + LAYOUT.lossRow - 1)
      .text((t) => (model.counted[t] ? formatNumber(model.losses[t], 2) : ''));
  }
}

function labelMatrices(arch, columns, g, xTo) {
  const names = Object.keys(arch?.shared_matrices ?? { W_xh: 1, W_hh: 1, W_hy: 1 });
  const inName = names.includes('W_xh') ? 'W_xh' : null;
  const outName = names.includes('W_hy') ? 'W_hy' : null;
  const at = (selection, y, name) => mathText(selection.append('text').attr('class', 'w-label')
    .attr('x', g.colW / 2 + 4).attr('y', y), name);
  if (inName) at(columns, (g.xTop + LAYOUT.xBox + xTo) / 2 + 4, inName);
  if (outName) at(columns, (g.hTop + g.stripH + g.yTop) / 2 + 4, outName);
}

/** The row names on the left, outside the scroll, and the running-sum gauge; returns the gauge and its bar. */
export function drawGutter(gutterSvg, model, g) {
  const gutter = gutterSvg.attr('width', LAYOUT.gutter).attr('height', g.height);
  gutter.selectAll('*').remove();
  const rows = [
    [LAYOUT.axis - 6, 'step t', ''],
    [g.xTop + LAYOUT.xBox / 2, 'x_t', 'input'],
    ...(g.hasCell ? [[g.cTop + g.stripH / 2, 'c_t', 'cell state']] : []),
    [g.hTop + g.stripH / 2, 'h_t', `hidden · ${model.H} units`],
    [g.yTop + LAYOUT.yBox / 2, 'y_t', 'output → target'],
    [g.lTop + LAYOUT.lossRow / 2, 'L_t', 'loss'],
  ];
  const row = gutter.selectAll('g.row').data(rows).join('g').attr('class', 'row')
    .attr('transform', ([y]) => `translate(${LAYOUT.gutter - 10},${y})`);
  row.append('text').attr('class', 'row-name').attr('y', ([, , note]) => (note ? 0 : 4)).each(function name([, label]) {
    mathText(d3.select(this), label);
  });
  row.append('text').attr('class', 'row-note').attr('y', 14).text(([, , note]) => note);
  // the running sum L_1 + ... + L_t as a gauge that fills up during the forward pass
  const gauge = gutter.append('g').attr('class', 'sum-gauge')
    .attr('transform', `translate(${SUM_GAUGE.left},${g.lTop + LAYOUT.lossRow + 2})`);
  gauge.append('text').attr('class', 'sum-label').attr('x', -4).attr('y', 4).attr('text-anchor', 'end').text('ΣL');
  gauge.append('rect').attr('class', 'sum-track').attr('y', -3).attr('height', 7).attr('width', SUM_GAUGE.width).attr('rx', 3);
  const sumBar = gauge.append('rect').attr('class', 'sum-bar').attr('y', -3).attr('height', 7).attr('width', 0).attr('rx', 3);
  return { gauge, sumBar };
}

function shorten(label, colW) {
  const room = Math.max(1, Math.floor((colW - 8) / LAYOUT.labelPx));
  return label.length <= room ? label : `${label.slice(0, Math.max(1, room - 1))}…`;
}
