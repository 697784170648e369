/**
 * linechart.js — LineChartView: a few series of (x, y) points on a canvas,
 * linear or log y, with a step marker and a hover read-out. Used for the live
 * loss and metric curves (points arrive many times a second) and for
 * ||dL/dh_t|| over time on a log axis, where the vanishing gradient is a
 * straight slope down to the left.
 *
 * Cheap by construction: a full redraw walks each series once, collapsing
 * points that land on the same pixel column to their min and max; moving only
 * the step redraws the transparent marker layer on top.
 * On a log axis, zeros and non-finite values (null) cannot be placed: the line
 * breaks there and a mark on the bottom edge (zero) or top edge (not finite)
 * says so, with a note in the legend.
 */

import { PanelFrame, SERIES_COLORS, Tooltip, element, formatNumber, linearTicks, logTicks, readTheme, sameItems, setMathText } from './colors.js';

const FONT_PX = 13;
const DEFAULT_HEIGHT = 220;
const DOTS_BELOW = 60; // series with fewer points than this also get a dot per point
const PAD = { top: 12, right: 16 };

/** ||row|| for each row of a time-first matrix; null where the row holds a non-finite value. */
export function rowNorms(matrix) {
  if (!Array.isArray(matrix)) return [];
  return matrix.map((row) => {
    let sum = 0;
    for (const v of row) {
      if (v === null || !Number.isFinite(v)) return null;
      sum += v * v;
    }
    return Math.sqrt(sum);
  });
}

function sameSeries(a, b) {
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

/** Index of the point whose x is nearest to x (points sorted by x). */
function nearest(points, x) {
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < x) lo = mid; else hi = mid;
  }
  return Math.abs(points[lo][0] - x) <= Math.abs(points[hi][0] - x) ? lo : hi;
}

/**
 * props: series [{name, points: [[x, y]], color?, style?: "line"|"dots"|"both"}], logY,
 * step (x of the marker), xLabel, yLabel, xDomain, yDomain, title, caption, equation.
 * options: header (false to leave it to the page), height (CSS px of the plot).
 */
export class LineChartView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'unr-linechart', header: options.header !== false });
    this.wrap = element('div', 'unr-chart');
    this.base = element('canvas', 'unr-chart__base');
    this.overlay = element('canvas', 'unr-chart__overlay');
    this.wrap.append(this.base, this.overlay);
    this.frame.body.append(this.wrap);
    this.tooltip = new Tooltip(this.wrap);
    this.keys = element('div', 'unr-chart__keys');
    this.frame.legend.append(this.keys);
    this.props = null;
    this.hoverX = null;
    this.overlay.addEventListener('pointermove', (event) => this.onPointer(event));
    this.overlay.addEventListener('pointerleave', () => { this.hoverX = null; this.tooltip.hide(); this.drawOverlay(); });
    if (typeof ResizeObserver !== 'undefined') {
      this.resizer = new ResizeObserver(() => {
        if (this.props && Math.abs(this.wrap.clientWidth - (this.width ?? 0)) > 1) this.draw();
      });
      this.resizer.observe(this.wrap);
    }
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    this.frame.setText(props);
    // Pages often rebuild the series arrays on every step; compare contents (cheap next to drawing).
    const onlyStep = previous && sameSeries(previous.series, props.series) && previous.logY === props.logY
      && previous.xLabel === props.xLabel && previous.yLabel === props.yLabel
      && sameItems(previous.xDomain, props.xDomain) && sameItems(previous.yDomain, props.yDomain);
    if (onlyStep && this.layout) this.drawOverlay(); else this.draw();
  }

  reset() {
    this.props = null;
    this.layout = null;
    this.frame.setText({});
    this.frame.showMessage('');
    this.keys.replaceChildren();
    this.tooltip.hide();
    for (const canvas of [this.base, this.overlay]) canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
  }

  /** Sorted, cleaned copies of the series; counts of points a log axis cannot place. */
  prepare() {
    const { series = [], logY = false } = this.props;
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

  domains(prepared) {
    const { logY = false, xDomain, yDomain, step } = this.props;
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

  draw() {
    const { logY = false, xLabel = '', yLabel = '' } = this.props;
    const { prepared, notes } = this.prepare();
    this.prepared = prepared;
    const d = this.domains(prepared);
    this.theme = readTheme(this.wrap);
    const { font, fg, muted, grid } = this.theme;
    const context = this.base.getContext('2d');
    context.font = `${FONT_PX}px ${font}`;
    const yTicks = logY ? logTicks(d.ylo, d.yhi, 6) : linearTicks(d.ylo, d.yhi, 5);
    const tickWidth = Math.max(...yTicks.map((v) => context.measureText(formatNumber(v, 2)).width));
    const left = tickWidth + 10 + (yLabel ? FONT_PX + 10 : 0);
    const bottom = FONT_PX + 10 + (xLabel ? FONT_PX + 8 : 0);
    this.width = this.wrap.clientWidth || 400;
    const height = this.options.height ?? DEFAULT_HEIGHT;
    const plotW = Math.max(40, this.width - left - PAD.right);
    const plotH = Math.max(40, height - PAD.top - bottom);
    const toY = logY
      ? (y) => PAD.top + plotH * (1 - (Math.log10(y) - Math.log10(d.ylo)) / (Math.log10(d.yhi) - Math.log10(d.ylo)))
      : (y) => PAD.top + plotH * (1 - (y - d.ylo) / (d.yhi - d.ylo));
    const toX = (x) => left + plotW * (x - d.xlo) / (d.xhi - d.xlo);
    this.layout = { left, plotW, plotH, toX, toY, d };
    const dpr = window.devicePixelRatio || 1;
    for (const canvas of [this.base, this.overlay]) {
      canvas.width = Math.round(this.width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${this.width}px`;
      canvas.style.height = `${height}px`;
      canvas.getContext('2d').setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    this.wrap.style.height = `${height}px`;
    context.font = `${FONT_PX}px ${font}`;
    // Grid and ticks.
    context.strokeStyle = grid;
    context.fillStyle = muted;
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
    context.strokeStyle = muted;
    context.beginPath(); context.moveTo(left + 0.5, PAD.top); context.lineTo(left + 0.5, PAD.top + plotH + 0.5); context.lineTo(left + plotW, PAD.top + plotH + 0.5); context.stroke();
    context.fillStyle = fg;
    context.font = `600 ${FONT_PX + 1}px ${font}`;
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
    for (const s of prepared) this.drawSeries(context, s);
    context.restore();
    this.drawUnplaceable(context, prepared);
    const empty = prepared.every((s) => s.points.length === 0);
    this.frame.showMessage(empty ? (this.props.emptyMessage ?? 'No points yet.') : '');
    this.drawKeys(prepared, notes);
    this.drawOverlay();
  }

  drawSeries(context, s) {
    const { toX, toY } = this.layout;
    const logY = this.props.logY;
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
  drawUnplaceable(context, prepared) {
    const { toX, plotH } = this.layout;
    for (const s of prepared) {
      context.fillStyle = context.strokeStyle = s.color;
      for (const [x, y] of s.points) {
        const px = toX(x);
        if (y === null || y === undefined || !Number.isFinite(y)) {
          context.lineWidth = 2;
          context.beginPath(); context.moveTo(px - 4, PAD.top - 4); context.lineTo(px + 4, PAD.top + 4);
          context.moveTo(px + 4, PAD.top - 4); context.lineTo(px - 4, PAD.top + 4); context.stroke();
        } else if (this.props.logY && y <= 0) {
          const base = PAD.top + plotH;
          context.beginPath(); context.moveTo(px - 5, base - 9); context.lineTo(px + 5, base - 9); context.lineTo(px, base - 1); context.fill();
        }
      }
    }
  }

  drawKeys(prepared, notes) {
    const items = prepared.filter((s) => s.name).map((s) => {
      const key = element('span', 'unr-chart__key');
      const look = s.style === 'dots' ? ' unr-chart__swatch--dots' : s.dashed ? ' unr-chart__swatch--dashed' : '';
      const swatch = element('i', `unr-chart__swatch${look}`);
      swatch.style.setProperty('--swatch', s.color);
      const name = element('span');
      setMathText(name, s.name);
      key.append(swatch, name);
      return key;
    });
    if (notes.zero) items.push(element('span', 'unr-chart__note', `▾ ${notes.zero} exactly 0 (below any log axis)`));
    if (notes.missing) items.push(element('span', 'unr-chart__note', `× ${notes.missing} not finite (no value)`));
    this.keys.replaceChildren(...items);
  }

  drawOverlay() {
    const context = this.overlay.getContext('2d');
    context.clearRect(0, 0, this.overlay.width, this.overlay.height);
    if (!this.layout || !this.props) return;
    const { step } = this.props;
    const accent = this.theme.highlight;
    if (Number.isFinite(step)) this.marker(context, step, accent, true);
    if (this.hoverX !== null) this.marker(context, this.hoverX, this.theme.muted, false);
  }

  /** A vertical line at x with a dot on each series where it has a value there. */
  marker(context, x, color, strong) {
    const { toX, toY, plotH } = this.layout;
    const px = Math.round(toX(x)) + 0.5;
    context.strokeStyle = color;
    context.lineWidth = strong ? 2 : 1;
    context.setLineDash(strong ? [] : [4, 3]);
    context.beginPath(); context.moveTo(px, PAD.top); context.lineTo(px, PAD.top + plotH); context.stroke();
    context.setLineDash([]);
    for (const s of this.prepared) {
      if (!s.points.length) continue;
      const [px0, y] = s.points[nearest(s.points, x)];
      if (px0 !== x || y === null || !Number.isFinite(y) || (this.props.logY && y <= 0)) continue;
      context.fillStyle = '#fff';
      context.strokeStyle = s.color;
      context.lineWidth = 2.5;
      context.beginPath(); context.arc(px, toY(y), 5, 0, 2 * Math.PI); context.fill(); context.stroke();
    }
  }

  onPointer(event) {
    if (!this.layout || !this.prepared) return;
    const box = this.overlay.getBoundingClientRect();
    const { left, plotW, d } = this.layout;
    const fraction = (event.clientX - box.left - left) / plotW;
    if (fraction < 0 || fraction > 1) { this.hoverX = null; this.tooltip.hide(); this.drawOverlay(); return; }
    const target = d.xlo + fraction * (d.xhi - d.xlo);
    const withPoints = this.prepared.filter((s) => s.points.length);
    if (!withPoints.length) return;
    // Snap to the nearest x any series has, so the read-out shows real points.
    let best = null;
    for (const s of withPoints) {
      const x = s.points[nearest(s.points, target)][0];
      if (best === null || Math.abs(x - target) < Math.abs(best - target)) best = x;
    }
    this.hoverX = best;
    const lines = [[this.props.xLabel || 'x', formatNumber(best, 4)]];
    for (const s of withPoints) {
      const [x, y] = s.points[nearest(s.points, best)];
      if (x === best) lines.push([s.name || 'y', y === null || !Number.isFinite(y) ? '— not finite' : formatNumber(y, 4)]);
    }
    this.tooltip.show(event.clientX - box.left, event.clientY - box.top, lines);
    this.drawOverlay();
  }
}
