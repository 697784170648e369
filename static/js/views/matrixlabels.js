/**
 * matrixlabels.js — the static layer of a MatrixCanvas (matrix.js), drawn once
 * per matrix: the scaled cell image, the hatching over non-finite values, the
 * frame, row labels, step numbers, column labels and the axis titles. Labels
 * are thinned so they never overlap, however small the cells.
 */

import { hatchPattern } from '../lib/color.js';

export const FONT_PX = 13;
export const TITLE_FONT_PX = 14;
export const LABEL_GAP = 4;

/**
 * Draw the base layer. data: MatrixCanvas.setData's fields; layout: {left, top, cellW, cellH, plotW,
 * plotH, labelMode, numberRow, titleW, cssH}; theme: readTheme(); image: one pixel per cell;
 * nulls: [row, col, row, col, ...] of the non-finite cells; rowTexts / colTexts: the labels.
 */
export function drawMatrixBase(context, { data, layout, theme, image, nulls, rowTexts, colTexts }) {
  const { left, top, cellW, cellH, plotW, plotH } = layout;
  context.imageSmoothingEnabled = false;
  context.drawImage(image, left, top, plotW, plotH);
  if (nulls.length) {
    context.fillStyle = hatchPattern(context);
    for (let k = 0; k < nulls.length; k += 2) context.fillRect(left + nulls[k + 1] * cellW, top + nulls[k] * cellH, cellW, cellH);
  }
  context.strokeStyle = theme.muted;
  context.lineWidth = 1;
  context.strokeRect(left - 0.5, top - 0.5, plotW + 1, plotH + 1);
  context.font = `${FONT_PX}px ${theme.font}`;
  drawRowLabels(context, data, layout, theme, rowTexts);
  const y1 = drawStepNumbers(context, data, layout, theme);
  drawColumnLabels(context, data, layout, theme, colTexts, y1);
  drawTitles(context, data, layout, theme);
}

function drawRowLabels(context, data, { left, top, cellH }, theme, rowTexts) {
  context.fillStyle = theme.ink;
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  // Named rows (symbols) are thinned by position; numbered rows label round numbers only.
  const rowEvery = data.rowLabels ? Math.ceil((FONT_PX + 1) / cellH) : niceEvery(Math.ceil((FONT_PX + 1) / cellH));
  for (let r = 0; r < data.rows; r += 1) {
    const show = data.rowLabels ? r % rowEvery === 0 : rowEvery === 1 || (r + 1) % rowEvery === 0;
    if (show) context.fillText(rowTexts[r], left - LABEL_GAP, top + (r + 0.5) * cellH);
  }
}

/** Step numbers (1-based, as h_1 .. h_T) under the plot, thinned to a readable spacing; returns the y below them. */
function drawStepNumbers(context, data, { left, top, cellW, plotH, numberRow }, theme) {
  context.textAlign = 'center';
  context.textBaseline = 'top';
  const y0 = top + plotH + 4;
  if (numberRow) {
    context.fillStyle = theme.muted;
    const every = niceEvery(Math.ceil((context.measureText(String(data.cols)).width + 10) / cellW));
    for (let c = 0; c < data.cols; c += 1) {
      if ((c + 1) % every === 0) context.fillText(String(c + 1), left + (c + 0.5) * cellW, y0);
    }
  }
  return y0 + numberRow;
}

function drawColumnLabels(context, data, { left, cellW, labelMode }, theme, colTexts, y) {
  context.fillStyle = theme.ink;
  if (labelMode === 'flat') {
    for (let c = 0; c < data.cols; c += 1) context.fillText(colTexts[c], left + (c + 0.5) * cellW, y);
  } else if (labelMode === 'turned') {
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (let c = 0; c < data.cols; c += 1) {
      context.save();
      context.translate(left + (c + 0.5) * cellW, y + 2);
      context.rotate(-Math.PI / 2);
      context.fillText(clip(colTexts[c], 10), 0, 0);
      context.restore();
    }
  }
}

function drawTitles(context, { rowTitle, colTitle }, { left, top, plotW, plotH, titleW, cssH }, theme) {
  context.font = `600 ${TITLE_FONT_PX}px ${theme.font}`;
  context.fillStyle = theme.muted;
  if (colTitle) {
    context.textAlign = 'center';
    context.textBaseline = 'bottom';
    context.fillText(colTitle, left + Math.max(plotW, titleW) / 2, cssH - 2);
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

function niceEvery(minimum) {
  return [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500].find((n) => n >= minimum) ?? minimum;
}

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
