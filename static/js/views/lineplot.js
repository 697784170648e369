/**
 * lineplot.js — the drawing behind LineChartView (linechart.js): cleaning the
 * series, the axes' domains and ticks, the grid, the lines and dots, and the
 * edge marks for what a log axis cannot place. Plain functions of the props
 * and a canvas context; the view owns the canvases, the marker and the hover.
 *
 * Cheap by construction: a full redraw walks each series once, collapsing
 * points that land on the same pixel column to their min and max.
 */

import { SERIES_COLORS } from '../lib/color.js';
import { formatNumber, linearTicks, logTicks } from '../lib/format.js';

export const FONT_PX = 13;
export const PAD = { top: 12, right: 16 };
const DOTS_BELOW = 60; // series with fewer points than this also get a dot per point

/** Whether two series lists draw the same picture (pages often rebuild equal arrays on every step). */
export function sameSeries(a, b) {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((s, k) => {
    const t = b[k];
    if (s.name !== t.name || s.color !== t.color || s.style !== t.style || s.dashed !== t.dashed) return false;
    const p = s.points ?? [];
    const q = t.points ?? [];
    if (p === q) return true;
    if (p.length !== q.length) return false;
    for (let i = 0; i < p.length; i += 1) if (p[i][0] !== q[i][0] || p[i][1] !== q[i][1]) return false;
    return true;
  });
}

/** Sorted, cleaned copies of the series; counts of points a log axis cannot place. */
export function prepareSeries({ series = [], logY = false }) {
  const notes = { zero: 0, missing: 0 };
  const prepared = series.map((s, k) => {
    const points = (s.points ?? []).filter((p) => p && Number.isFinite(p[0])).slice().sort((a, b) => a[0] - b[0]);
    for (const [, y] of points) {
      if (y === null || y === undefined || !Number.isFinite(y)) notes.missing += 1;
      else if (logY && y <= 0) notes.zero += 1;
    }
    return { ...s, points, color: s.color ?? SERIES_COLORS[k % SERIES_COLORS.length] };
  });
  return { prepared, notes };
}

function domains(prepared, { logY = false, xDomain, yDomain, step }) {
  let [xlo, xhi, ylo, yhi] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const s of prepared) for (const [x, y] of s.points) {
    xlo = Math.min(xlo, x); xhi = Math.max(xhi, x);
    if (y !== null && Number.isFinite(y) && (!logY || y > 0)) { ylo = Math.min(ylo, y); yhi = Math.max(yhi, y); }
  }
  if (Number.isFinite(step)) { xlo = Math.min(xlo, step); xhi = Math.max(xhi, step); }
  if (xDomain) [xlo, xhi] = xDomain;
  if (xlo === Infinity) [xlo, xhi] = [0, 1];
  if (xhi <= xlo) xhi = xlo + 1;
  if (yDomain) [ylo, yhi] = yDomain;
  else if (ylo === Infinity) [ylo, yhi] = logY ? [0.1, 1] : [0, 1];
  else if (logY) {
    ylo = 10 ** Math.floor(Math.log10(ylo) + 1e-9);
    yhi = 10 ** Math.ceil(Math.log10(yhi) - 1e-9);
    if (yhi <= ylo) yhi = ylo * 10;
  } else {
    if (ylo >= 0 && ylo <= 0.5 * yhi) ylo = 0; // magnitudes read best from zero
    const pad = (yhi - ylo || Math.abs(yhi) || 1) * 0.06;
    ylo = ylo === 0 ? 0 : ylo - pad;
    yhi += pad;
  }
  return { xlo, xhi, ylo, yhi };
}

/** Domains, ticks and the mapping to CSS pixels of a plot `width` x `height`, its y tick labels measured with `context`. */
export function plotLayout(context, props, prepared, width, height, theme) {
  const { logY = false, xLabel = '', yLabel = '' } = props;
  const d = domains(prepared, props);
  context.font = `${FONT_PX}px ${theme.font}`;
  const yTicks = logY ? logTicks(d.ylo, d.yhi, 6) : linearTicks(d.ylo, d.yhi, 5);
  const tickWidth = Math.max(...yTicks.map((v) => context.measureText(formatNumber(v, 2)).width));
  const left = tickWidth + 10 + (yLabel ? FONT_PX + 10 : 0);
  const bottom = FONT_PX + 10 + (xLabel ? FONT_PX + 8 : 0);
  const plotW = Math.max(40, width - left - PAD.right);
  const plotH = Math.max(40, height - PAD.top - bottom);
  const toY = logY
    ? (y) => PAD.top + plotH * (1 - (Math.log10(y) - Math.log10(d.ylo)) / (Math.log10(d.yhi) - Math.log10(d.ylo)))
    : (y) => PAD.top + plotH * (1 - (y - d.ylo) / (d.yhi - d.ylo));
  const toX = (x) => left + plotW * (x - d.xlo) / (d.xhi - d.xlo);
  return { left, plotW, plotH, toX, toY, d, yTicks, height };
}

/** Grid, ticks, axis labels, then every series clipped to the plot, then the edge marks. */
export function drawPlot(context, layout, props, prepared, theme) {
  const { logY = false, xLabel = '', yLabel = '' } = props;
  const { left, plotW, plotH, toX, toY, d, yTicks, height } = layout;
  context.font = `${FONT_PX}px ${theme.font}`;
  context.strokeStyle = theme.grid;
  context.fillStyle = theme.muted;
  context.lineWidth = 1;
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  for (const v of yTicks) {
    const y = Math.round(toY(v)) + 0.5;
    context.beginPath(); context.moveTo(left, y); context.lineTo(left + plotW, y); context.stroke();
    context.fillText(formatNumber(v, 2), left - 6, y);
  }
  const integerX = prepared.every((s) => s.points.every((p) => Number.isInteger(p[0])));
  const xTicks = linearTicks(d.xlo, d.xhi, Math.max(2, Math.floor(plotW / 70))).filter((v) => !integerX || Number.isInteger(v));
  context.textAlign = 'center';
  context.textBaseline = 'top';
  for (const v of xTicks) context.fillText(formatNumber(v, 3), toX(v), PAD.top + plotH + 5);
  context.strokeStyle = theme.muted;
  context.beginPath(); context.moveTo(left + 0.5, PAD.top); context.lineTo(left + 0.5, PAD.top + plotH + 0.5); context.lineTo(left + plotW, PAD.top + plotH + 0.5); context.stroke();
  context.fillStyle = theme.ink;
  context.font = `600 ${FONT_PX + 1}px ${theme.font}`;
  if (xLabel) { context.textBaseline = 'bottom'; context.fillText(xLabel, left + plotW / 2, height - 1); }
  if (yLabel) {
    context.save();
    context.translate(FONT_PX, PAD.top + plotH / 2);
    context.rotate(-Math.PI / 2);
    context.textBaseline = 'middle';
    context.fillText(yLabel + (logY ? ' (log)' : ''), 0, 0);
    context.restore();
  }
  context.save();
  context.beginPath(); context.rect(left, PAD.top - 4, plotW, plotH + 8); context.clip();
  for (const s of prepared) drawSeries(context, s, layout, logY);
  context.restore();
  drawUnplaceable(context, prepared, layout, logY);
}

function drawSeries(context, s, { toX, toY }, logY) {
  const placeable = (y) => y !== null && y !== undefined && Number.isFinite(y) && (!logY || y > 0);
  const style = s.style ?? (s.points.length < DOTS_BELOW ? 'both' : 'line');
  context.strokeStyle = context.fillStyle = s.color;
  context.lineWidth = 2.25;
  context.lineJoin = 'round';
  if (style !== 'dots') {
    context.setLineDash(s.dashed ? [6, 4] : []);
    context.beginPath();
    let open = false;
    let column = null; // pixel column being collapsed to its min/max
    let low = 0;
    let high = 0;
    const flush = () => { if (column !== null && high - low > 0.5) { context.moveTo(column, low); context.lineTo(column, high); context.moveTo(column, low); } };
    for (const [x, y] of s.points) {
      if (!placeable(y)) { flush(); column = null; open = false; continue; }
      const px = toX(x);
      const py = toY(y);
      if (open && column !== null && Math.floor(px) === Math.floor(column)) { low = Math.min(low, py); high = Math.max(high, py); continue; }
      flush();
      if (open) context.lineTo(px, py); else context.moveTo(px, py);
      open = true;
      column = px; low = high = py;
    }
    flush();
    context.stroke();
    context.setLineDash([]);
  }
  if (style !== 'line') {
    for (const [x, y] of s.points) {
      if (!placeable(y)) continue;
      context.beginPath(); context.arc(toX(x), toY(y), 3.5, 0, 2 * Math.PI); context.fill();
    }
  }
}

/** Marks on the edges for points a log axis cannot place (0) or that are not finite (null). */
function drawUnplaceable(context, prepared, { toX, plotH }, logY) {
  for (const s of prepared) {
    context.fillStyle = context.strokeStyle = s.color;
    for (const [x, y] of s.points) {
      const px = toX(x);
      if (y === null || y === undefined || !Number.isFinite(y)) {
        context.lineWidth = 2;
        context.beginPath(); context.moveTo(px - 4, PAD.top - 4); context.lineTo(px + 4, PAD.top + 4);
        context.moveTo(px + 4, PAD.top - 4); context.lineTo(px - 4, PAD.top + 4); context.stroke();
      } else if (logY && y <= 0) {
        const base = PAD.top + plotH;
        context.beginPath(); context.moveTo(px - 5, base - 9); context.lineTo(px + 5, base - 9); context.lineTo(px, base - 1); context.fill();
      }
    }
  }
}
