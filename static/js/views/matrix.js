/**
 * matrix.js — MatrixCanvas, the drawing engine the heatmap, gradient-flow and
 * weight views share: the cell image, the layout, the highlight overlay and
 * the hover (matrixlabels.js draws the static frame and labels).
 *
 * A matrix is drawn once into an offscreen image at one pixel per cell and
 * scaled up with smoothing off; the step highlight, fading and hover live on a
 * second, transparent canvas on top, so moving the step redraws a rectangle,
 * not 25,000 cells — stepping at 60 fps costs well under a millisecond.
 *
 *   ┌ left margin: row labels ┬──────── plot: cols x rows cells ─────────┐
 *   │                  unit 1 │ ■ ■ ■ ■ ▐■▌■ ■ ■   <- overlay: column `step` │
 *   │                  unit H │ ■ ■ ■ ■ ▐■▌■ ■ ■                          │
 *   └─────────────────────────┴ 1 2 3 4  5  6 7 8  step numbers, then labels┘
 */

import { putPixel } from '../lib/color.js';
import { el, readTheme, sizeCanvas } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';
import { FONT_PX, LABEL_GAP, TITLE_FONT_PX, drawMatrixBase } from './matrixlabels.js';
import { Tooltip } from './widgets.js';

const MAX_CELL_PX = 22; // small matrices stay compact instead of filling a wall
const MIN_CELL_PX = 1; // large ones never drop below one CSS pixel per cell (they scroll instead)
const DEFAULT_MAX_PLOT_HEIGHT = 340;
const FADE = 'rgba(255, 255, 255, 0.55)'; // steps not reached yet: still readable, clearly behind
const WHITE = '#ffffff'; // the inner line of an outline and the step chip's text: visible on any cell

/**
 * A rows x cols matrix with axis labels, a highlight overlay and a hover tooltip.
 * options: fit (width follows the container; else cellSize px squares), square,
 * maxPlotHeight, describe(row, col, value) -> tooltip lines, onSelect(row, col).
 */
export class MatrixCanvas {
  constructor(container, options = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { fit: true, cellSize: 12, maxPlotHeight: DEFAULT_MAX_PLOT_HEIGHT, ...given };
    this.base = el('canvas', { class: 'matrix-base' });
    this.overlay = el('canvas', { class: 'matrix-overlay' });
    this.wrap = el('div', { class: 'matrix' }, this.base, this.overlay);
    // The tooltip lives outside the scrolling box, so it is never clipped at the matrix's edge.
    this.holder = el('div', { class: 'matrix-holder' }, this.wrap);
    container.append(this.holder);
    this.tooltip = new Tooltip(this.holder);
    this.data = null;
    this.highlight = {};
    this.hover = null;
    this.overlay.addEventListener('pointermove', (event) => this.onPointer(event));
    this.overlay.addEventListener('pointerleave', () => { this.hover = null; this.tooltip.hide(); this.drawOverlay(); });
    this.overlay.addEventListener('click', (event) => {
      const cell = this.cellAt(event);
      if (cell && this.options.onSelect) this.options.onSelect(cell.row, cell.col);
    });
    this.width = 0;
    if (this.options.fit && typeof ResizeObserver !== 'undefined') {
      this.resizer = new ResizeObserver(() => {
        if (this.data && Math.abs(this.wrap.clientWidth - this.width) > 1) this.render();
      });
      this.resizer.observe(this.wrap);
    }
  }

  /** values: Float32Array, row-major rows x cols, NaN = missing; blank(r, c): cells that do not exist. */
  setData({ rows, cols, values, scale, rowLabels = null, colLabels = null, rowTitle = '', colTitle = '', blank = null, stepNumbers = true }) {
    this.data = { rows, cols, values, scale, rowLabels, colLabels, rowTitle, colTitle, blank, stepNumbers };
    this.image = this.paintImage();
    this.render();
  }

  /** { col, row, strongCol, strongRow, fadeAfter, fadeBefore }: all optional column/row indices. */
  setHighlight(highlight) {
    this.highlight = highlight;
    this.drawOverlay();
  }

  clear() {
    this.data = null;
    this.tooltip.hide();
    for (const canvas of [this.base, this.overlay]) { canvas.width = canvas.height = 0; canvas.style.width = canvas.style.height = '0px'; }
  }

  /** One pixel per cell; non-finite values grey (hatched later), blank cells transparent. */
  paintImage() {
    const { rows, cols, values, scale, blank } = this.data;
    const image = document.createElement('canvas');
    image.width = Math.max(1, cols);
    image.height = Math.max(1, rows);
    const pixels = new ImageData(image.width, image.height);
    this.nulls = [];
    for (let r = 0; r < rows; r += 1) {
      for (let c = 0; c < cols; c += 1) {
        if (blank && blank(r, c)) continue; // alpha stays 0
        const value = values[r * cols + c];
        if (scale.index(value) < 0) this.nulls.push(r, c);
        putPixel(pixels.data, (r * cols + c) * 4, scale, value);
      }
    }
    image.getContext('2d').putImageData(pixels, 0, 0);
    return image;
  }

  /** Work out margins and cell sizes, size both canvases, draw the base layer. */
  render() {
    if (!this.data) return;
    const { rows, cols, rowLabels, colLabels, rowTitle, colTitle } = this.data;
    const measure = this.base.getContext('2d');
    this.theme = readTheme(this.wrap);
    const { font } = this.theme;
    measure.font = `${FONT_PX}px ${font}`;
    const rowTexts = Array.from({ length: rows }, (_, r) => String(rowLabels?.[r] ?? r + 1));
    const rowLabelWidth = Math.min(120, Math.max(...rowTexts.map((t) => measure.measureText(t).width), 8));
    const left = (rowTitle ? TITLE_FONT_PX + 8 : 0) + rowLabelWidth + LABEL_GAP + 2;
    this.width = this.wrap.clientWidth;
    let cellW;
    let cellH;
    if (this.options.fit) {
      cellW = Math.max(MIN_CELL_PX, Math.min(MAX_CELL_PX * 2.5, (this.width - left - 8) / Math.max(1, cols)));
      cellH = Math.max(MIN_CELL_PX, Math.min(MAX_CELL_PX, this.options.maxPlotHeight / Math.max(1, rows)));
      if (this.options.square) cellW = cellH = Math.max(MIN_CELL_PX, Math.min(cellW, cellH));
    } else {
      cellW = cellH = this.options.cellSize;
    }
    const colTexts = colLabels ? Array.from({ length: cols }, (_, c) => String(colLabels[c] ?? '')) : null;
    const widest = colTexts ? Math.min(80, Math.max(0, ...colTexts.map((t) => measure.measureText(t).width))) : 0;
    // Column labels: upright when they fit the cell, turned a quarter when the font fits, else left out.
    const labelMode = !colTexts ? 'none' : widest + 2 <= cellW ? 'flat' : cellW >= FONT_PX - 1 ? 'turned' : 'none';
    const numberRow = this.data.stepNumbers ? FONT_PX + 6 : 0;
    const labelRow = labelMode === 'flat' ? FONT_PX + 6 : labelMode === 'turned' ? widest + 8 : 0;
    const bottom = numberRow + labelRow + (colTitle ? TITLE_FONT_PX + 8 : 0) + 4;
    this.layout = { left, top: 6, cellW, cellH, plotW: cellW * cols, plotH: cellH * rows, labelMode, numberRow };
    measure.font = `600 ${TITLE_FONT_PX}px ${font}`;
    this.layout.titleW = colTitle ? measure.measureText(colTitle).width : 0;
    const cssW = Math.ceil(left + Math.max(this.layout.plotW, this.layout.titleW) + 8);
    const cssH = Math.ceil(this.layout.top + this.layout.plotH + bottom);
    this.layout.cssH = cssH;
    for (const canvas of [this.base, this.overlay]) sizeCanvas(canvas, cssW, cssH);
    this.wrap.style.height = `${cssH}px`;
    Object.assign(this.wrap.dataset, { rows, cols });
    drawMatrixBase(this.base.getContext('2d'), { data: this.data, layout: this.layout, theme: this.theme,
      image: this.image, nulls: this.nulls, rowTexts, colTexts });
    this.drawOverlay();
  }

  drawOverlay() {
    const context = this.overlay.getContext('2d');
    if (!this.data || !this.layout) return;
    const { left, top, cellW, cellH, plotW, plotH } = this.layout;
    const { rows, cols } = this.data;
    context.clearRect(0, 0, this.overlay.width, this.overlay.height);
    const { col, row, strongCol = true, strongRow = true, fadeAfter, fadeBefore } = this.highlight;
    context.fillStyle = FADE;
    if (Number.isInteger(fadeAfter) && fadeAfter < cols - 1) context.fillRect(left + (fadeAfter + 1) * cellW, top, (cols - fadeAfter - 1) * cellW, plotH);
    if (Number.isInteger(fadeBefore) && fadeBefore > 0) context.fillRect(left, top, fadeBefore * cellW, plotH);
    const accent = this.theme.highlight;
    if (inRange(row, rows)) outline(context, left, top + row * cellH, plotW, cellH, accent, strongRow);
    if (inRange(col, cols)) {
      outline(context, left + col * cellW, top, cellW, plotH, accent, strongCol);
      if (this.data.stepNumbers) this.stepChip(context, col, accent);
    }
    if (this.hover) outline(context, left + this.hover.col * cellW, top + this.hover.row * cellH, cellW, cellH, accent, false);
  }

  /** The current column's number in a dark chip on the axis: findable even where cells are one pixel wide. */
  stepChip(context, col, accent) {
    const { left, top, cellW, plotH } = this.layout;
    const text = String(col + 1);
    context.font = `700 ${FONT_PX}px ${this.theme.font}`;
    const width = Math.max(cellW, context.measureText(text).width + 10);
    const x = left + (col + 0.5) * cellW;
    const y = top + plotH + 2;
    context.fillStyle = accent;
    context.beginPath();
    context.roundRect(x - width / 2, y, width, FONT_PX + 6, 4);
    context.fill();
    context.fillStyle = WHITE;
    context.textAlign = 'center';
    context.textBaseline = 'top';
    context.fillText(text, x, y + 3);
  }

  cellAt(event) {
    if (!this.data || !this.layout) return null;
    const box = this.overlay.getBoundingClientRect();
    const { left, top, cellW, cellH } = this.layout;
    const col = Math.floor((event.clientX - box.left - left) / cellW);
    const row = Math.floor((event.clientY - box.top - top) / cellH);
    if (!inRange(row, this.data.rows) || !inRange(col, this.data.cols)) return null;
    if (this.data.blank && this.data.blank(row, col)) return null;
    return { row, col, x: event.clientX - box.left, y: event.clientY - box.top };
  }

  onPointer(event) {
    const cell = this.cellAt(event);
    if (!cell) {
      if (this.hover) { this.hover = null; this.tooltip.hide(); this.drawOverlay(); }
      return;
    }
    this.hover = cell;
    const value = this.data.values[cell.row * this.data.cols + cell.col];
    const lines = this.options.describe ? this.options.describe(cell.row, cell.col, value)
      : [['row', cell.row + 1], ['column', cell.col + 1], ['value', formatNumber(value)]];
    const box = this.holder.getBoundingClientRect();
    this.tooltip.show(event.clientX - box.left, event.clientY - box.top, lines);
    this.drawOverlay();
  }
}

function inRange(index, size) {
  return Number.isInteger(index) && index >= 0 && index < size;
}

/** A dark line with a white inner line: visible on pale and dark cells alike. */
function outline(context, x, y, w, h, color, strong) {
  context.lineWidth = strong ? 2.5 : 1.5;
  context.strokeStyle = color;
  context.strokeRect(x - 1.25, y - 1.25, w + 2.5, h + 2.5);
  context.lineWidth = 1;
  context.strokeStyle = WHITE;
  context.strokeRect(x + 0.5, y + 0.5, Math.max(0, w - 1), Math.max(0, h - 1));
}
