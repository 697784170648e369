/**
 * color.js — every colour a value is drawn in: the two colour scales (as lookup
 * tables a canvas can fill pixels from), the one grey of a value that is not a
 * finite number, the series colours of charts, and fast drawing of "unit
 * strips" (a T x H matrix as a T-pixel-wide image, one column per step).
 *
 * Palettes are colour-blind safe: signed values (activations, weights,
 * gradients) use ColorBrewer's RdBu — blue negative, white zero, red positive;
 * magnitudes (gates, gradient norms) use YlGnBu, pale for small and dark for
 * large, so "nothing there" reads as empty paper. No D3: a 256-entry table and
 * a few lines of arithmetic are all a heatmap needs, and they are fast.
 */

import { linearTicks, logTicks } from './format.js';

export const LUT_SIZE = 256;
const DIVERGING_STOPS = ['#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7',
  '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f'];
const SEQUENTIAL_STOPS = ['#ffffd9', '#edf8b1', '#c7e9b4', '#7fcdbb', '#41b6c4', '#1d91c0',
  '#225ea8', '#253494', '#081d58'];
/** Okabe–Ito: distinguishable under every common colour-vision deficiency. */
export const SERIES_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#e69f00', '#000000'];
/** A value that is not a finite number (an exploded gradient arrives as null): one neutral grey
 * everywhere, hatched with darker lines where a cell is big enough to carry the hatching. */
export const NON_FINITE = Object.freeze({ rgb: [150, 150, 150], css: 'rgb(150, 150, 150)', hatch: '#555555' });
// A log colour scale shows at most this many decades: below that, smaller is just "lowest".
const MAX_LOG_DECADES = 8;

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function buildTable(stops) {
  const rgb = stops.map(hexToRgb);
  const table = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i += 1) {
    const position = (i / (LUT_SIZE - 1)) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(position));
    const f = position - k;
    for (let c = 0; c < 3; c += 1) table[i * 3 + c] = rgb[k][c] + f * (rgb[k + 1][c] - rgb[k][c]);
  }
  return table;
}

const TABLES = { diverging: buildTable(DIVERGING_STOPS), sequential: buildTable(SEQUENTIAL_STOPS) };
const CSS = Object.fromEntries(Object.entries(TABLES).map(([kind, table]) => [kind,
  Array.from({ length: LUT_SIZE }, (_, i) => `rgb(${table[3 * i]},${table[3 * i + 1]},${table[3 * i + 2]})`)]));

/**
 * Value -> colour. kind "diverging" (signed, centred on 0) or "sequential";
 * log: true maps log10 of positive values (zeros fall to the lowest colour).
 */
export class ColorScale {
  constructor({ kind = 'diverging', domain = [-1, 1], log = false } = {}) {
    this.kind = kind;
    this.log = log;
    this.table = TABLES[kind];
    this.domain = domain;
    this.lo = log ? Math.log10(domain[0]) : domain[0];
    this.hi = log ? Math.log10(domain[1]) : domain[1];
    if (!(this.hi > this.lo)) this.hi = this.lo + 1; // a constant matrix still gets a usable scale
  }

  /** Lookup-table index 0..255, or -1 for a missing (null / non-finite) value. */
  index(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return -1;
    let v = value;
    if (this.log) v = value > 0 ? Math.log10(value) : this.lo;
    const t = (v - this.lo) / (this.hi - this.lo);
    return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
  }

  /** CSS colour of one value (the strings are made once per table). */
  css(value) {
    const i = this.index(value);
    return i < 0 ? NON_FINITE.css : CSS[this.kind][i];
  }

  /** A few round values inside the domain, for the legend. */
  ticks() {
    if (this.log) return logTicks(this.domain[0], this.domain[1], 6);
    const values = linearTicks(this.domain[0], this.domain[1], 5);
    if (this.kind === 'diverging' && !values.includes(0) && this.domain[0] < 0 && this.domain[1] > 0) values.push(0);
    return values.sort((a, b) => a - b);
  }

  /** Position 0..1 of a value along the legend bar. */
  position(value) {
    const v = this.log ? Math.log10(value) : value;
    return (v - this.lo) / (this.hi - this.lo);
  }
}

/** The fixed scales of bounded values: tanh units in [-1, 1], sigmoid gates in [0, 1]. */
export const SIGNED = new ColorScale({ kind: 'diverging', domain: [-1, 1] });
export const UNIT = new ColorScale({ kind: 'sequential', domain: [0, 1] });

/** A diverging scale over [-m, m], m the largest |value| of a time-first matrix (at least `floor`): c_t. */
export function symmetricScaleOf(matrix, floor = 1) {
  let m = floor;
  for (const row of matrix) for (const v of row) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
  return new ColorScale({ kind: 'diverging', domain: [-m, m] });
}

/**
 * The domain for a matrix's values when the caller gave none. Signed values get
 * [-m, m]; non-negative ones [0, max]; either snaps to the unit range when the
 * data nearly fill it (tanh units, gates), so colours hold still while stepping.
 */
export function autoScale(values, { symmetric } = {}) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) { min = 0; max = 1; }
  const signed = symmetric ?? min < 0;
  if (signed) {
    const m = Math.max(Math.abs(min), Math.abs(max)) || 1;
    const bound = m > 0.5 && m <= 1 ? 1 : m;
    return new ColorScale({ kind: 'diverging', domain: [-bound, bound] });
  }
  const lo = Math.min(0, min);
  const hi = max > 0.5 && max <= 1 && lo === 0 ? 1 : (max > lo ? max : lo + 1);
  return new ColorScale({ kind: 'sequential', domain: [lo, hi] });
}

/** A log scale over the positive finite values (at most MAX_LOG_DECADES wide), or null if none. */
export function logScaleOf(values, kind = 'sequential') {
  let min = Infinity;
  let max = 0;
  for (const v of values) {
    if (Number.isFinite(v) && v > 0) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (max === 0) return null;
  const lo = Math.max(min, max / 10 ** MAX_LOG_DECADES);
  return new ColorScale({ kind, log: true, domain: [lo, lo === max ? max * 10 : max] });
}

/** Write the colour of `value` into RGBA pixel data at `offset` (opaque; the non-finite grey for none). */
export function putPixel(data, offset, scale, value) {
  const i = scale.index(value);
  const [r, g, b] = i < 0 ? NON_FINITE.rgb : [scale.table[i * 3], scale.table[i * 3 + 1], scale.table[i * 3 + 2]];
  data[offset] = r;
  data[offset + 1] = g;
  data[offset + 2] = b;
  data[offset + 3] = 255;
}

/** A T x H matrix (time first) as an offscreen canvas, T pixels wide and H tall. */
export function matrixImage(matrix, scale) {
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
    for (let u = 0; u < H; u += 1) putPixel(image.data, (u * T + t) * 4, scale, row[u]);
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
export function drawRow(context, values, scale, x, y, w, h) {
  const n = values.length;
  const cell = w / Math.max(1, n);
  for (let u = 0; u < n; u += 1) {
    context.fillStyle = scale.css(values[u]);
    context.fillRect(x + u * cell, y, Math.ceil(cell), h);
  }
}

/** The diagonal hatching over a non-finite value, as a canvas fill pattern. */
export function hatchPattern(context) {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 6;
  const t = tile.getContext('2d');
  t.fillStyle = NON_FINITE.css;
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = NON_FINITE.hatch;
  t.lineWidth = 1.2;
  t.beginPath();
  t.moveTo(0, 6); t.lineTo(6, 0); t.moveTo(-1, 1); t.lineTo(1, -1); t.moveTo(5, 7); t.lineTo(7, 5);
  t.stroke();
  return context.createPattern(tile, 'repeat');
}

/** The same hatching as a CSS background, for the legend's swatch. */
export const HATCH_CSS = `repeating-linear-gradient(135deg, ${NON_FINITE.hatch} 0 1.5px, ${NON_FINITE.css} 1.5px 4px)`;
