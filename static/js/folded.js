/**
 * folded.js — the network folded up, as Elman drew it:
 *
 *      [ x_t ]        [ context = h_{t-1} ] <-.
 *          \ W_xh        / W_hh               |  copy
 *           [    h_t    ] --------------------'
 *                | W_hy
 *             [ y_t ]          (shortcut: x_t -> y_t directly, W_xy)
 *
 * The boxes show the current step's values: the input symbol, h_t and its
 * copy h_{t-1} as unit strips, and the output.
 */

import { multiplicative } from './catalog.js';
import { SIGNED, drawRow } from './lib/color.js';
import { el, sizeCanvas } from './lib/dom.js';
import { arrowHead, mathText } from './lib/svg.js';

const d3 = window.d3;

export const FOLDED = Object.freeze({
  width: 232,
  height: 250,
  x: { x: 10, y: 28, w: 92, h: 40 },
  context: { x: 128, y: 28, w: 96, h: 40 },
  hidden: { x: 36, y: 112, w: 164, h: 44 },
  output: { x: 60, y: 196, w: 116, h: 40 },
  strip: 12, // height of the mini unit strips
});

export class FoldedView {
  constructor(container) {
    this.root = el('div', { class: 'folded' });
    this.svg = d3.select(this.root).append('svg').attr('width', FOLDED.width).attr('height', FOLDED.height);
    this.hCanvas = el('canvas', { class: 'mini-strip' });
    this.contextCanvas = el('canvas', { class: 'mini-strip' });
    this.root.append(this.hCanvas, this.contextCanvas);
    container.append(this.root);
    this.reset();
  }

  reset() {
    this.model = null;
    this.svg.selectAll('*').remove();
  }

  update({ model, arch, step }) {
    if (!model) return this.reset();
    if (model !== this.model || arch !== this.arch) this.build(model, arch);
    this.show(Math.min(step, model.T - 1));
  }

  build(model, arch) {
    this.model = model;
    this.arch = arch;
    const svg = this.svg;
    svg.selectAll('*').remove();
    const id = `fold-head-${Math.random().toString(36).slice(2, 7)}`;
    arrowHead(svg.append('defs'), id, 'head head-fwd', 7);
    const { x, context, hidden, output } = FOLDED;
    const second = multiplicative(arch);
    // what computes h_t, when it is more than one matrix and a tanh
    const cellName = arch?.gate_names.length ? `${arch.title} cell` : second ? 'second-order' : '';
    const hasCell = Boolean(model.trace.c);
    const arrow = (d, cls = '') => svg.append('path').attr('class', `arrow ${cls}`).attr('d', d).attr('marker-end', `url(#${id})`);
    const label = (px, py, text, cls = 'w-label') => svg.append('text').attr('class', cls).attr('x', px).attr('y', py).call(mathText, text);

    arrow(`M${x.x + x.w / 2},${x.y + x.h} L${hidden.x + 40},${hidden.y - 2}`);
    arrow(`M${context.x + context.w / 2},${context.y + context.h} L${hidden.x + hidden.w - 40},${hidden.y - 2}`);
    arrow(`M${hidden.x + hidden.w / 2},${hidden.y + hidden.h} L${output.x + output.w / 2},${output.y - 2}`);
    arrow(`M${hidden.x + hidden.w},${hidden.y + hidden.h / 2} C${FOLDED.width - 2},${hidden.y + hidden.h / 2} ${FOLDED.width - 2},${context.y + context.h + 24} ${context.x + context.w - 14},${context.y + context.h + 2}`, 'copy');
    if (second) {
      label(hidden.x + hidden.w / 2 - 5, hidden.y - 22, '⊗', 'times');
      label(hidden.x + hidden.w / 2 + 10, hidden.y - 22, 'W');
    } else {
      label(x.x + 2, hidden.y - 24, 'W_xh');
      label(context.x + 30, hidden.y - 24, 'W_hh');
    }
    label(hidden.x + hidden.w / 2 + 6, (hidden.y + hidden.h + output.y) / 2 + 4, 'W_hy');
    label(FOLDED.width - 46, context.y + context.h + 44, 'copy', 'copy-label');
    if (arch?.has_shortcut) {
      arrow(`M${x.x + 10},${x.y + x.h} C${x.x - 6},${hidden.y + 60} ${x.x + 10},${output.y + 10} ${output.x - 2},${output.y + output.h / 2}`, 'arrow-shortcut');
      label(x.x - 2, hidden.y + hidden.h + 14, 'W_xy');
    }

    const box = (b, cls) => svg.append('rect').attr('class', `fold-box ${cls}`).attr('x', b.x).attr('y', b.y)
      .attr('width', b.w).attr('height', b.h).attr('rx', 8);
    box(x, 'fold-x');
    box(context, 'fold-context');
    box(hidden, 'fold-h');
    box(output, 'fold-y');
    label(x.x + 8, x.y + 16, 'x_t', 'fold-name');
    label(context.x + 8, context.y + 16, hasCell ? 'context h, c' : 'context h_{t-1}', 'fold-name');
    label(hidden.x + 8, hidden.y + 16, cellName ? `h_t · ${cellName}` : 'h_t', 'fold-name');
    label(output.x + 8, output.y + 16, 'y_t', 'fold-name');
    this.xValue = svg.append('text').attr('class', 'fold-value').attr('x', x.x + x.w - 8).attr('y', x.y + 30).attr('text-anchor', 'end');
    this.yValue = svg.append('text').attr('class', 'fold-value').attr('x', output.x + output.w - 8).attr('y', output.y + 30).attr('text-anchor', 'end');
    this.stepLabel = svg.append('text').attr('class', 'fold-step').attr('x', 10).attr('y', 14);
    this.place(this.hCanvas, hidden.x + 8, hidden.y + 24, hidden.w - 16);
    this.place(this.contextCanvas, context.x + 8, context.y + 22, context.w - 16);
  }

  place(canvas, left, top, width) {
    canvas.style.left = `${left}px`;
    canvas.style.top = `${top}px`;
    canvas.dataset.width = width;
    sizeCanvas(canvas, width, FOLDED.strip);
  }

  show(step) {
    const { trace, predictions } = this.model;
    this.xValue.text(trace.labels[step].slice(0, 9));
    this.yValue.text(predictions[step].label.slice(0, 10));
    this.stepLabel.text(`folded · at step ${step + 1}`);
    const width = Number(this.hCanvas.dataset.width);
    const previous = step > 0 ? trace.h[step - 1] : trace.h[0].map(() => 0);
    drawRow(this.hCanvas.getContext('2d'), trace.h[step], SIGNED, 0, 0, width, FOLDED.strip);
    drawRow(this.contextCanvas.getContext('2d'), previous, SIGNED, 0, 0, Number(this.contextCanvas.dataset.width), FOLDED.strip);
  }
}
