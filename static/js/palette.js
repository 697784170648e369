/**
 * palette.js — the colours of activations and gates, and fast drawing of
 * "unit strips" (one column of H coloured cells per step) on a canvas.
 *
 * A T x H matrix becomes a T-pixel-wide, H-pixel-tall image once per trace;
 * each step's column is then one scaled drawImage, so even T = 200, H = 128
 * draws in a couple of milliseconds.
 */

const d3 = window.d3;
const LUT_SIZE = 256;

function lut(interpolate) {
  const table = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i += 1) {
    const { r, g, b } = d3.rgb(interpolate(i / (LUT_SIZE - 1)));
    table.set([r, g, b], i * 3);
  }
  return table;
}

/** Negative blue, zero pale, positive red: tanh units, c_t, gradients. */
export const DIVERGING = lut((t) => d3.interpolateRdBu(1 - t));
/** 0 pale to 1 deep teal: sigmoid gates (closed .. open). */
export const SEQUENTIAL = lut((t) => d3.interpolateYlGnBu(0.05 + 0.9 * t));
export const NAN_RGB = [120, 120, 120];

export const RANGE = { signed: [-1, 1], unit: [0, 1] };

function index(value, lo, hi) {
  const t = (value - lo) / (hi - lo);
  return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
}

const cssCache = new WeakMap(); // table -> its 256 colours as CSS strings, made once

function cssOf(table) {
  if (!cssCache.has(table)) {
    cssCache.set(table, Array.from({ length: LUT_SIZE }, (_, i) => `rgb(${table[3 * i]},${table[3 * i + 1]},${table[3 * i + 2]})`));
  }
  return cssCache.get(table);
}

/** CSS colour of one value. */
export function colorOf(table, value, [lo, hi]) {
  if (value === null || !Number.isFinite(value)) return `rgb(${NAN_RGB})`;
  return cssOf(table)[index(value, lo, hi)];
}

/** Largest |value| of a matrix (at least `floor`), for symmetric scales of unbounded values such as c_t. */
export function maxAbs(matrix, floor = 1e-12) {
  let best = floor;
  for (const row of matrix) for (const v of row) if (v !== null && Math.abs(v) > best) best = Math.abs(v);
  return best;
}

/** A T x H matrix (time first) as an offscreen canvas, T pixels wide and H tall. */
export function matrixImage(matrix, table, [lo, hi]) {
  const T = matrix.length;
  const H = T ? matrix[0].length : 0;
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, T);
  canvas.height = Math.max(1, H);
  if (!T || !H) return canvas;
  const context = canvas.getContext('2d');
  const image = context.createImageData(T, H);
  for (let t = 0; t < T; t += 1) {
    const row = matrix[t];
    for (let u = 0; u < H; u += 1) {
      const v = row[u];
      const offset = (u * T + t) * 4;
      const k = v === null || !Number.isFinite(v) ? -1 : index(v, lo, hi) * 3;
      image.data[offset] = k < 0 ? NAN_RGB[0] : table[k];
      image.data[offset + 1] = k < 0 ? NAN_RGB[1] : table[k + 1];
      image.data[offset + 2] = k < 0 ? NAN_RGB[2] : table[k + 2];
      image.data[offset + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/** Draw column t of a matrixImage, scaled to the box (x, y, w, h), cells kept crisp. */
export function drawColumn(context, image, t, x, y, w, h) {
  context.imageSmoothingEnabled = false;
  context.drawImage(image, t, 0, 1, image.height, x, y, w, h);
}

/** Draw one vector (H values) as a horizontal strip of cells in the box (x, y, w, h). */
export function drawRow(context, values, table, range, x, y, w, h) {
  const n = values.length;
  const cell = w / Math.max(1, n);
  for (let u = 0; u < n; u += 1) {
    context.fillStyle = colorOf(table, values[u], range);
    context.fillRect(x + u * cell, y, Math.ceil(cell), h);
  }
}

/** A canvas sized for the device's pixel ratio; returns its 2-D context in CSS pixels. */
export function sizeCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}
