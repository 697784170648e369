/**
 * linechart.js — LineChartView: a few series of (x, y) points on a canvas,
 * linear or log y, with a step marker and a hover read-out. Used for the live
 * loss and metric curves (points arrive many times a second) and for
 * ||dL/dh_t|| over time on a log axis, where the vanishing gradient is a
 * straight slope down to the left.
 *
 * The base canvas is drawn by lineplot.js; moving only the step redraws the
 * transparent marker layer on top. On a log axis, zeros and non-finite values (null) cannot be placed: the line
 * breaks there and a mark on the bottom edge (zero) or top edge (not finite)
 * says so, with a note in the legend.
 */

import { el, readTheme, sizeCanvas } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';
import { PAD, drawPlot, plotLayout, prepareSeries, sameSeries } from './lineplot.js';
import { PanelFrame, Tooltip, sameItems } from './widgets.js';

const DEFAULT_HEIGHT = 220;
const MARKER_FILL = '#ffffff'; // the marker's dots: hollow on any line colour

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
    this.frame = new PanelFrame(container, { className: 'linechart', header: options.header !== false });
    this.base = el('canvas', { class: 'plot-base' });
    this.overlay = el('canvas', { class: 'plot-overlay' });
    this.wrap = el('div', { class: 'plot' }, this.base, this.overlay);
    this.frame.body.append(this.wrap);
    this.tooltip = new Tooltip(this.wrap);
    this.keys = el('div', { class: 'plot-keys' });
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

  draw() {
    const { prepared, notes } = prepareSeries(this.props);
    this.prepared = prepared;
    this.theme = readTheme(this.wrap);
    this.width = this.wrap.clientWidth || 400;
    const height = this.options.height ?? DEFAULT_HEIGHT;
    this.layout = plotLayout(this.base.getContext('2d'), this.props, prepared, this.width, height, this.theme);
    for (const canvas of [this.base, this.overlay]) sizeCanvas(canvas, this.width, height);
    this.wrap.style.height = `${height}px`;
    drawPlot(this.base.getContext('2d'), this.layout, this.props, prepared, this.theme);
    const empty = prepared.every((s) => s.points.length === 0);
    this.frame.showMessage(empty ? (this.props.emptyMessage ?? 'No points yet.') : '');
    this.drawKeys(prepared, notes);
    this.drawOverlay();
  }

  drawKeys(prepared, notes) {
    const items = prepared.filter((s) => s.name).map((s) => {
      const key = el('span', { class: 'plot-key' });
      const look = s.style === 'dots' ? ' dots' : s.dashed ? ' dashed' : '';
      const swatch = el('i', { class: `plot-swatch${look}` });
      swatch.style.setProperty('--swatch', s.color);
      key.append(swatch, el('span', { math: s.name }));
      return key;
    });
    if (notes.zero) items.push(el('span', { class: 'plot-note', text: `▾ ${notes.zero} exactly 0 (below any log axis)` }));
    if (notes.missing) items.push(el('span', { class: 'plot-note', text: `× ${notes.missing} not finite (no value)` }));
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
      context.fillStyle = MARKER_FILL;
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
