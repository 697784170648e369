/**
 * network.js — the network unrolled in time: one column per step, the same
 * matrices at every step, and the arrows BPTT runs back along.
 *
 *   step t       1          2          3
 *   x_t        [ B ]      [ T ]      [ S ]       the input symbol
 *                | W_xh     | W_xh     | W_xh
 *   c_t        ▥▥▥ ═════> ▥▥▥ ═════> ▥▥▥        LSTM cell state (canvas)
 *   h_t  h_0 ->▥▥▥ -W_hh-> ▥▥▥ -W_hh-> ▥▥▥        every unit, coloured by activation (canvas)
 *                | W_hy     | W_hy     | W_hy
 *   y_t        T|P ✓      S|X ✓      S|X ✗       prediction against the target
 *   L_t         ▂          ▅          ▃         per-step loss
 *
 * The SVG and canvas are built once per trace; a step only moves the cursor
 * and the veil over the steps not reached yet, and a mode or source change
 * restyles the arrows, so playback costs a few attribute writes per frame.
 */

import { multiplicative } from './catalog.js';
import { LAYOUT, SUM_GAUGE, drawAxis, drawColumns, drawGutter } from './columns.js';
import { SIGNED, drawColumn, matrixImage, symmetricScaleOf } from './lib/color.js';
import { el, sizeCanvas } from './lib/dom.js';
import { arrowHead, mathText } from './lib/svg.js';

export { LAYOUT };

const d3 = window.d3;

/** Column width for a trace so that `available` pixels hold it, within the layout's bounds. */
export function columnWidth(model, available) {
  const longest = Math.max(1, ...model.trace.labels.map((label) => label.length));
  const needed = Math.min(LAYOUT.colMax, Math.max(LAYOUT.colMin, longest * LAYOUT.labelPx + 10));
  const fit = (available - LAYOUT.padLeft - LAYOUT.padRight) / Math.max(1, model.T);
  return Math.max(needed, Math.min(LAYOUT.colMax, Math.floor(fit)));
}

/** Arrow width for a gradient of size `value` when the largest is `max`: log scale. */
export function arrowWidth(value, max) {
  if (!(value > 0) || !(max > 0)) return LAYOUT.arrowMin;
  const share = Math.max(0, 1 + Math.log10(value / max) / LAYOUT.arrowDecades);
  return LAYOUT.arrowMin + (LAYOUT.arrowMax - LAYOUT.arrowMin) * share;
}

function geometry(model, colW, compact) {
  const hasCell = Boolean(model.trace.c);
  const stripCap = compact ? 72 : hasCell ? LAYOUT.stripMaxCell : LAYOUT.stripMax;
  const stripH = Math.max(Math.min(LAYOUT.stripMin, stripCap), Math.min(stripCap, model.H * LAYOUT.unitPx));
  const share = colW >= LAYOUT.textColumn ? LAYOUT.stripWide : LAYOUT.stripFraction;
  const g = { colW, stripH, hasCell, stripW: Math.max(6, Math.min(LAYOUT.stripMaxWidth, Math.round(colW * share))) };
  g.xTop = LAYOUT.axis + LAYOUT.axisGap;
  g.cTop = g.xTop + LAYOUT.xBox + LAYOUT.arrowGap;
  g.hTop = hasCell ? g.cTop + stripH + LAYOUT.cellGap : g.cTop;
  g.yTop = g.hTop + stripH + LAYOUT.arrowGap;
  g.lTop = g.yTop + LAYOUT.yBox + 6;
  g.height = g.lTop + LAYOUT.lossRow + 12;
  g.width = LAYOUT.padLeft + model.T * colW + LAYOUT.padRight;
  g.left = (t) => LAYOUT.padLeft + t * colW; // left edge of column t
  g.mid = (t) => g.left(t) + colW / 2;
  return g;
}

export class NetworkView {
  constructor(container, { compact = false, onStep = () => {}, onSource = () => {}, onScroll = null } = {}) {
    this.compact = compact;
    this.root = el('div', { class: `net${compact ? ' net-compact' : ''}` });
    this.gutter = d3.select(this.root).append('svg').attr('class', 'net-gutter').attr('width', LAYOUT.gutter).attr('height', 1);
    this.scroller = el('div', { class: 'net-scroll' });
    this.stage = el('div', { class: 'net-stage' });
    this.canvas = el('canvas', { class: 'net-canvas' });
    this.stage.append(this.canvas);
    this.svg = d3.select(this.stage).append('svg').attr('class', 'net-svg').attr('width', 1).attr('height', 1);
    this.scroller.append(this.stage);
    this.root.append(this.scroller);
    container.append(this.root);
    this.veil = el('div', { class: 'veil' });
    this.cursorLabel = el('span', { class: 'cursor-step' }); // the step number, over the axis
    this.cursor = el('div', { class: 'cursor' }, this.cursorLabel);
    this.stage.append(this.veil, this.cursor);
    this.svg.on('click', (event) => this.click(event, onStep, onSource));
    this.scrollLeft = 0; // kept from scroll events: reading scrollLeft in a frame would force a layout
    this.scroller.addEventListener('scroll', () => { this.scrollLeft = this.scroller.scrollLeft; }, { passive: true });
    if (onScroll) this.scroller.addEventListener('scroll', () => onScroll(this.scroller.scrollLeft), { passive: true });
    this.reset();
  }

  reset() {
    this.model = null;
    this.step = -1;
    this.mode = null;
    this.source = null;
    this.svg.selectAll('*').remove();
    this.gutter.selectAll('*').remove();
    this.root.dataset.status = 'empty';
  }

  /** props: {model: TraceModel, arch (GET /architectures entry), step, mode, source, colW} */
  update({ model, arch, step, mode, source, colW }) {
    if (!model) return this.reset();
    const width = colW ?? columnWidth(model, this.scroller.clientWidth || 800);
    const rebuilt = model !== this.model || width !== this.g?.colW || arch !== this.arch;
    if (rebuilt) this.build(model, arch, width);
    const resolved = model.resolveSource(source);
    if (rebuilt || mode !== this.mode || resolved !== this.source) this.styleArrows(mode, resolved);
    if (rebuilt || step !== this.step || mode !== this.mode) this.moveCursor(Math.min(step, model.T - 1), mode);
    this.mode = mode;
    this.source = resolved;
  }

  build(model, arch, colW) {
    this.model = model;
    this.arch = arch;
    const g = (this.g = geometry(model, colW, this.compact));
    const { T } = model;
    this.svg.selectAll('*').remove();
    this.svg.attr('width', g.width).attr('height', g.height).attr('data-steps', T);
    this.stage.style.width = `${g.width}px`;
    this.stage.style.height = `${g.height}px`;
    this.drawStrips(model, g);
    const defs = this.svg.append('defs');
    for (const kind of ['fwd', 'bwd']) arrowHead(defs, `head-${kind}-${this.uid()}`, `head head-${kind}`, 8);
    drawAxis(this.svg, g, T);
    ({ columns: this.columns, outArrows: this.outArrows } = drawColumns(this.svg, model, arch, g));
    this.drawRecurrence(model, arch, g);
    // The veil and the cursor are HTML layers moved by transform: a step costs the
    // compositor a translation instead of a repaint of the whole SVG under them.
    Object.assign(this.veil.style, { width: `${g.width}px`, height: `${g.height}px` });
    Object.assign(this.cursor.style, { width: `${colW}px`, height: `${g.height - 4}px` });
    ({ gauge: this.gauge, sumBar: this.sumBar } = drawGutter(this.gutter, model, g));
    this.root.dataset.status = 'ready';
    this.root.dataset.steps = T;
    this.root.dataset.builds = Number(this.root.dataset.builds ?? 0) + 1; // tests watch live redraws
  }

  uid() {
    this.id ??= Math.random().toString(36).slice(2, 8);
    return this.id;
  }

  drawStrips(model, g) {
    const context = sizeCanvas(this.canvas, g.width, g.height);
    const offset = (g.colW - g.stripW) / 2;
    const hImage = matrixImage(model.trace.h, SIGNED);
    const cImage = model.trace.c ? matrixImage(model.trace.c, symmetricScaleOf(model.trace.c)) : null;
    for (let t = 0; t < model.T; t += 1) {
      drawColumn(context, hImage, t, g.left(t) + offset, g.hTop, g.stripW, g.stripH);
      if (cImage) drawColumn(context, cImage, t, g.left(t) + offset, g.cTop, g.stripW, g.stripH);
    }
  }

  drawRecurrence(model, arch, g) {
    const rows = [{ y: g.hTop + g.stripH / 2, kind: 'h' }];
    if (g.hasCell) rows.push({ y: g.cTop + g.stripH / 2, kind: 'c' });
    const gap = (g.colW - g.stripW) / 2;
    const group = this.svg.append('g').attr('class', 'recurrence');
    this.recurrent = {};
    for (const row of rows) {
      // arrow t joins column t-1 (or the h_0 stub) to column t
      this.recurrent[row.kind] = group.selectAll(`line.rec-${row.kind}`).data(d3.range(model.T)).join('line')
        .attr('class', `arrow rec rec-${row.kind}`).attr('data-step', (t) => t)
        .attr('y1', row.y).attr('y2', row.y)
        .attr('data-from', (t) => (t === 0 ? LAYOUT.padLeft - 14 : g.left(t) - gap + 1))
        .attr('data-to', (t) => g.left(t) + gap - 1);
      group.append('text').attr('class', 'h0').attr('x', LAYOUT.padLeft - 16).attr('y', row.y + 4)
        .attr('text-anchor', 'end').call(mathText, `${row.kind}_0`);
    }
    if (g.colW >= LAYOUT.textColumn) {
      const name = arch && !multiplicative(arch) ? 'W_hh' : 'W·x_t';
      group.selectAll('text.w-rec').data(d3.range(1, model.T)).join('text').attr('class', 'w-label w-rec')
        .attr('x', (t) => g.left(t)).attr('y', g.hTop + g.stripH / 2 - 8).attr('text-anchor', 'middle')
        .call(mathText, name);
    }
  }

  /** Arrows in forward mode point forward; in backward mode they point back with width = gradient size. */
  styleArrows(mode, source) {
    const backward = mode === 'backward';
    const { model, g } = this;
    const head = `url(#head-${backward ? 'bwd' : 'fwd'}-${this.uid()})`;
    const reach = backward ? model.reach(source) : null;
    const max = reach ? Math.max(...reach, 1e-30) : 1;
    this.recurrent.h
      .attr('x1', function from() { return backward ? this.dataset.to : this.dataset.from; })
      .attr('x2', function to() { return backward ? this.dataset.from : this.dataset.to; })
      .style('stroke-width', (t) => `${backward ? arrowWidth(t === 0 ? 0 : reach[t - 1], max) : 1.6}px`) // style: CSS beats attributes
      .classed('faded', (t) => backward && (t === 0 || !(reach[t - 1] > max * 10 ** -LAYOUT.arrowDecades)))
      .attr('marker-end', g.colW >= 30 ? head : null);
    if (this.recurrent.c) {
      const cReach = backward ? model.reachC(source) : null;
      // one scale for both rows, so the cell state's thicker arrows are a real comparison
      const cMax = cReach ? Math.max(...cReach, max, 1e-30) : 1;
      this.recurrent.c
        .attr('x1', function from() { return backward ? this.dataset.to : this.dataset.from; })
        .attr('x2', function to() { return backward ? this.dataset.from : this.dataset.to; })
        .style('stroke-width', (t) => `${cReach ? arrowWidth(t === 0 ? 0 : cReach[t - 1], cMax) : 3}px`)
        .classed('faded', backward && !cReach)
        .attr('marker-end', g.colW >= 30 ? head : null);
    }
    const carriesError = (t) => backward && model.counted[t] && (source === -1 || t === source);
    this.outArrows
      .attr('y1', backward ? g.yTop - 2 : g.hTop + g.stripH + 1)
      .attr('y2', backward ? g.hTop + g.stripH + 2 : g.yTop - 2)
      .classed('error-in', carriesError)
      .attr('marker-end', (t) => (!backward || carriesError(t) ? head : null));
    this.svg.selectAll('.arrow-in').attr('marker-end', backward ? null : head);
    this.svg.classed('backward', backward);
    this.columns.select('.loss-bar').classed('source', (t) => backward && (source === -1 ? model.counted[t] : t === source));
    this.root.dataset.mode = mode;
    this.root.dataset.source = source;
  }

  /** Move the cursor to step t and veil what the pass has not reached yet. */
  moveCursor(step, mode) {
    const { g, model } = this;
    this.cursor.style.transform = `translateX(${g.left(step)}px)`;
    this.cursor.dataset.step = step;
    const veilX = mode === 'backward' ? g.left(step) - g.width : g.left(step + 1);
    this.veil.style.transform = `translateX(${veilX}px)`;
    const total = model.cumLoss[model.T - 1] || 1;
    this.gauge.attr('visibility', mode === 'backward' ? 'hidden' : null);
    this.sumBar.attr('width', (SUM_GAUGE.width * model.cumLoss[step]) / total);
    this.cursorLabel.textContent = step + 1; // HTML in the cursor's layer: touching SVG text would repaint the whole SVG
    this.step = step;
    this.root.dataset.step = step;
    this.keepVisible(step);
  }

  keepVisible(step) {
    const { g } = this;
    const view = (this.viewWidth ??= this.scroller.clientWidth);
    const x = g.left(step);
    if (x < this.scrollLeft + g.colW || x + 2 * g.colW > this.scrollLeft + view) {
      this.scrollLeft = Math.max(0, Math.min(g.width - view, x - view / 2));
      this.scroller.scrollLeft = this.scrollLeft;
    }
  }

  scrollTo(left) {
    if (Math.abs(this.scrollLeft - left) > 1) this.scroller.scrollLeft = this.scrollLeft = left;
  }

  resized() {
    this.viewWidth = this.scroller.clientWidth;
  }

  click(event, onStep, onSource) {
    if (!this.model) return;
    const t = Math.floor((event.offsetX - LAYOUT.padLeft) / this.g.colW);
    if (t < 0 || t >= this.model.T) return;
    if (this.mode === 'backward' && event.offsetY >= this.g.yTop && this.model.counted[t]) onSource(t);
    onStep(t);
  }
}
