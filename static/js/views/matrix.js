/**
 * matrix.js — MatrixCanvas, the drawing engine the heatmap, gradient-flow and
 * weight views share.
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

import { Tooltip, element, formatNumber, readTheme } from './colors.js';

const FONT_PX = 13;
const TITLE_FONT_PX = 14;
const MAX_CELL_PX = 22; // small matrices stay compact instead of filling a wall
const MIN_CELL_PX = 1; // large ones never drop below one CSS pixel per cell (they scroll instead)
const DEFAULT_MAX_PLOT_HEIGHT = 340;
const LABEL_GAP = 4;
const FADE = 'rgba(255, 255, 255, 0.55)'; // steps not reached yet: still readable, clearly behind

/** The diagonal-hatch pattern that marks a missing (non-finite) value. */
function hatchPattern(context) {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 6;
  const t = tile.getContext('2d');
  t.fillStyle = '#d0d0d0';
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = '#555';
  t.lineWidth = 1.2;
  t.beginPath();
  t.moveTo(0, 6); t.lineTo(6, 0); t.moveTo(-1, 1); t.lineTo(1, -1); t.moveTo(5, 7); t.lineTo(7, 5);
  t.stroke();
  return context.createPattern(tile, 'repeat');
}

/**
 * A rows x cols matrix with axis labels, a highlight overlay and a hover tooltip.
 * options: fit (width follows the container; else cellSize px squares), square,
 * maxPlotHeight, describe(row, col, value) -> tooltip lines, onSelect(row, col).
 */
export class MatrixCanvas {
  constructor(container, options = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { fit: true, cellSize: 12, maxPlotHeight: DEFAULT_MAX_PLOT_HEIGHT, ...given };
    this.wrap = element('div', 'unr-matrix');
    this.base = element('canvas', 'unr-matrix__base');
    this.overlay = element('canvas', 'unr-matrix__overlay');
    this.wrap.append(this.base, this.overlay);
    // The tooltip lives outside the scrolling box, so it is never clipped at the matrix's edge.
    this.holder = element('div', 'unr-matrix-holder');
    this.holder.append(this.wrap);
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

  /** One pixel per cell; nulls grey (hatched later), blank cells transparent. */
  paintImage() {
    const { rows, cols, values, scale, blank } = this.data;
    const image = document.createElement('canvas');
    image.width = Math.max(1, cols);
    image.height = Math.max(1, rows);
    const pixels = new ImageData(image.width, image.height);
    const out = pixels.data;
    const table = scale.table;
    this.nulls = [];
    for (let r = 0; r < rows; r += 1) {
      for (let c = 0; c < cols; c += 1) {
        const p = (r * cols + c) * 4;
        if (blank && blank(r, c)) continue; // alpha stays 0
        const i = scale.index(values[r * cols + c]);
        if (i < 0) { this.nulls.push(r, c); out[p] = out[p + 1] = out[p + 2] = 200; out[p + 3] = 255; continue; }
        out[p] = table[i * 3]; out[p + 1] = table[i * 3 + 1]; out[p + 2] = table[i * 3 + 2]; out[p + 3] = 255;
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
    const dpr = window.devicePixelRatio || 1;
    for (const canvas of [this.base, this.overlay]) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
      canvas.style.width = `${cssW}px`;
      canvas.style.height = `${cssH}px`;
      canvas.getContext('2d').setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    this.wrap.style.height = `${cssH}px`;
    Object.assign(this.wrap.dataset, { rows, cols });
    this.drawBase(font, rowTexts, colTexts);
    this.drawOverlay();
  }

  drawBase(font, rowTexts, colTexts) {
    const { rows, cols, rowTitle, colTitle } = this.data;
    const { left, top, cellW, cellH, plotW, plotH, labelMode, numberRow } = this.layout;
    const context = this.base.getContext('2d');
    const { fg, muted } = this.theme;
    context.imageSmoothingEnabled = false;
    context.drawImage(this.image, left, top, plotW, plotH);
    if (this.nulls.length) {
      context.fillStyle = hatchPattern(context);
      for (let k = 0; k < this.nulls.length; k += 2) context.fillRect(left + this.nulls[k + 1] * cellW, top + this.nulls[k] * cellH, cellW, cellH);
    }
    context.strokeStyle = muted;
    context.lineWidth = 1;
    context.strokeRect(left - 0.5, top - 0.5, plotW + 1, plotH + 1);
    context.font = `${FONT_PX}px ${font}`;
    context.fillStyle = fg;
    // Row labels, thinned so they never overlap.
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    // Named rows (symbols) are thinned by position; numbered rows label round numbers only.
    const rowEvery = this.data.rowLabels ? Math.ceil((FONT_PX + 1) / cellH) : niceEvery(Math.ceil((FONT_PX + 1) / cellH));
    for (let r = 0; r < rows; r += 1) {
      const show = this.data.rowLabels ? r % rowEvery === 0 : rowEvery === 1 || (r + 1) % rowEvery === 0;
      if (show) context.fillText(rowTexts[r], left - LABEL_GAP, top + (r + 0.5) * cellH);
    }
    // Step numbers (1-based, as h_1 .. h_T), thinned to a readable spacing.
    context.textAlign = 'center';
    context.textBaseline = 'top';
    const y0 = top + plotH + 4;
    if (numberRow) {
      context.fillStyle = muted;
      const every = niceEvery(Math.ceil((context.measureText(String(cols)).width + 10) / cellW));
      for (let c = 0; c < cols; c += 1) {
        if ((c + 1) % every === 0) context.fillText(String(c + 1), left + (c + 0.5) * cellW, y0);
      }
    }
    context.fillStyle = fg;
    const y1 = y0 + numberRow;
    if (labelMode === 'flat') {
      for (let c = 0; c < cols; c += 1) context.fillText(colTexts[c], left + (c + 0.5) * cellW, y1);
    } else if (labelMode === 'turned') {
      context.textAlign = 'right';
      context.textBaseline = 'middle';
      for (let c = 0; c < cols; c += 1) {
        context.save();
        context.translate(left + (c + 0.5) * cellW, y1 + 2);
        context.rotate(-Math.PI / 2);
        context.fillText(clip(colTexts[c], 10), 0, 0);
        context.restore();
      }
    }
    context.font = `600 ${TITLE_FONT_PX}px ${font}`;
    context.fillStyle = muted;
    if (colTitle) {
      context.textAlign = 'center';
      context.textBaseline = 'bottom';
      context.fillText(colTitle, left + Math.max(plotW, this.layout.titleW) / 2, this.base.height / (window.devicePixelRatio || 1) - 2);
    }
    if (rowTitle) {
      context.save();
      context.translate(TITLE_FONT_PX - 2, top + plotH / 2);
      context.rotate(-Math.PI / 2);
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      context.fillText(rowTitle, 0, 0);
      context.restore();
    }
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
    context.fillStyle = '#ffffff';
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

function niceEvery(minimum) {
  return [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500].find((n) => n >= minimum) ?? minimum;
}

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** A dark line with a white inner line: visible on pale and dark cells alike. */
function outline(context, x, y, w, h, color, strong) {
  context.lineWidth = strong ? 2.5 : 1.5;
  context.strokeStyle = color;
  context.strokeRect(x - 1.25, y - 1.25, w + 2.5, h + 2.5);
  context.lineWidth = 1;
  context.strokeStyle = '#ffffff';
  context.strokeRect(x + 0.5, y + 0.5, Math.max(0, w - 1), Math.max(0, h - 1));
}
