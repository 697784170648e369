/**
 * colors.js — the shared look of the panels: colour scales (as lookup tables a
 * canvas can fill pixels from), number formatting, the legend with numbers,
 * the panel frame (title, caption, equation) and the hover tooltip.
 *
 * Palettes are colour-blind safe: signed values (activations, weights,
 * gradients) use ColorBrewer's RdBu — blue negative, white zero, red positive;
 * magnitudes (gates, gradient norms) use YlGnBu, pale for small and dark for
 * large, so "nothing there" reads as empty paper. No D3: a 256-entry table and
 * a few lines of arithmetic are all a heatmap needs, and they are fast.
 */

const LUT_SIZE = 256;
const DIVERGING_STOPS = ['#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7',
  '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f'];
const SEQUENTIAL_STOPS = ['#ffffd9', '#edf8b1', '#c7e9b4', '#7fcdbb', '#41b6c4', '#1d91c0',
  '#225ea8', '#253494', '#081d58'];
/** Okabe–Ito: distinguishable under every common colour-vision deficiency. */
export const SERIES_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#e69f00', '#000000'];
export const NULL_RGB = [150, 150, 150];
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

  rgb(value) {
    const i = this.index(value);
    return i < 0 ? NULL_RGB : [this.table[i * 3], this.table[i * 3 + 1], this.table[i * 3 + 2]];
  }

  css(value) {
    return `rgb(${this.rgb(value).join(',')})`;
  }

  /** Whether text drawn on this value's colour should be white (the colour is dark). */
  isDark(value) {
    const [r, g, b] = this.rgb(value);
    return 0.299 * r + 0.587 * g + 0.114 * b < 130;
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

export function linearTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => (hi - lo) / s <= count) ?? 10 * power;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

export function logTicks(lo, hi, count) {
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  if (last < first) return [lo, hi];
  const every = Math.max(1, Math.ceil((last - first + 1) / count));
  const ticks = [];
  for (let e = first; e <= last; e += every) ticks.push(10 ** e);
  if (ticks.length < 3) for (const m of [2, 5]) for (let e = first - 1; e <= last; e += 1) {
    const v = m * 10 ** e;
    if (v >= lo && v <= hi) ticks.push(v);
  }
  return ticks.sort((a, b) => a - b);
}

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** A number as a person reads it: 3 significant digits, 10ⁿ notation when tiny or huge, "—" for null. */
export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e5)) {
    const [mantissa, exponent] = value.toExponential(digits - 2 > 0 ? digits - 2 : 0).split('e');
    const power = [...String(Number(exponent))].map((c) => SUPERSCRIPT[c]).join('');
    return mantissa === '1' ? `10${power}` : `${mantissa.replace('-', '−')}×10${power}`;
  }
  return Number(value.toPrecision(digits)).toString().replace('-', '−');
}

const THEME_DEFAULTS = {
  font: ['--unr-font', 'system-ui, sans-serif'],
  fg: ['--unr-fg', '#1b2129'],
  muted: ['--unr-muted', '#525c69'],
  grid: ['--unr-grid', '#e6e9ee'],
  highlight: ['--unr-highlight', '#111827'],
};

/** The panel colours and font a canvas draws with, read from the CSS variables once per full redraw. */
export function readTheme(node) {
  const style = getComputedStyle(node);
  return Object.fromEntries(Object.entries(THEME_DEFAULTS).map(([key, [name, fallback]]) => [key, style.getPropertyValue(name).trim() || fallback]));
}

/** document.createElement with a class and text, never innerHTML: labels may be a person's own text. */
export function element(tag, className = '', text = '') {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

// "h_t", "W_hh", "dL/dh_{t+1}": a one- or two-letter symbol, an underscore, then a word or {group}.
// Longer names such as rnn.weight_ih_l0 are left alone.
const SUBSCRIPT = /(?<![A-Za-z0-9_.])([A-Za-z∂Σ]{1,2})_(\{[^}]*\}|[A-Za-z0-9]+)/g;

/** Fill node with text whose "x_t" subscripts become <sub> elements (built as DOM, never parsed HTML). */
export function setMathText(node, text) {
  node.replaceChildren();
  let last = 0;
  for (const match of text.matchAll(SUBSCRIPT)) {
    node.append(document.createTextNode(text.slice(last, match.index) + match[1]));
    node.append(element('sub', '', match[2].replace(/^\{|\}$/g, '')));
    last = match.index + match[0].length;
  }
  node.append(document.createTextNode(text.slice(last)));
  node.dataset.text = text;
}

/**
 * The card every view draws into: header (title, caption, equation), body,
 * legend row, and a message line for "nothing to show" states. With
 * options.header false the header is left out (the page may draw its own).
 */
export class PanelFrame {
  constructor(container, { className = '', header = true } = {}) {
    this.root = element('section', `unr-panel ${className}`.trim());
    this.head = element('header', 'unr-panel__head');
    this.title = element('h3', 'unr-panel__title');
    this.caption = element('p', 'unr-panel__caption');
    this.equation = element('p', 'unr-panel__equation');
    this.head.append(this.title, this.caption, this.equation);
    this.body = element('div', 'unr-panel__body');
    this.message = element('p', 'unr-panel__message');
    this.message.hidden = true;
    this.legend = element('div', 'unr-panel__legend');
    if (header) this.root.append(this.head);
    this.root.append(this.message, this.body, this.legend);
    container.append(this.root);
  }

  setText({ title, caption, equation }) {
    for (const [node, text] of [[this.title, title], [this.caption, caption], [this.equation, equation]]) {
      if (node.dataset.text !== (text ?? '')) setMathText(node, text ?? '');
      node.hidden = !text;
    }
  }

  showMessage(text) {
    if (this.message.dataset.text !== (text ?? '')) setMathText(this.message, text ?? '');
    this.message.hidden = !text;
  }

  remove() {
    this.root.remove();
  }
}

/** A colour bar with numbered ticks; `note` adds swatches such as "hatched: no value". */
export class ColorLegend {
  constructor(container) {
    this.root = element('div', 'unr-legend');
    this.label = element('span', 'unr-legend__label');
    this.track = element('div', 'unr-legend__track');
    this.bar = element('canvas', 'unr-legend__bar');
    this.bar.width = LUT_SIZE;
    this.bar.height = 1;
    this.ticks = element('div', 'unr-legend__ticks');
    this.track.append(this.bar, this.ticks);
    this.notes = element('span', 'unr-legend__notes');
    this.root.append(this.label, this.track, this.notes);
    container.append(this.root);
    this.key = '';
  }

  update(scale, { label = '', notes = [] } = {}) {
    const key = `${scale.kind}|${scale.log}|${scale.domain}|${label}|${notes.join('|')}`;
    if (key === this.key) return; // the legend is redrawn only when something in it changed
    this.key = key;
    const context = this.bar.getContext('2d');
    const image = context.createImageData(LUT_SIZE, 1);
    for (let i = 0; i < LUT_SIZE; i += 1) {
      image.data.set([scale.table[i * 3], scale.table[i * 3 + 1], scale.table[i * 3 + 2], 255], i * 4);
    }
    context.putImageData(image, 0, 0);
    setMathText(this.label, label);
    this.ticks.replaceChildren(...scale.ticks().map((value) => {
      const tick = element('span', 'unr-legend__tick', formatNumber(value, 2));
      tick.style.left = `${(100 * Math.max(0, Math.min(1, scale.position(value)))).toFixed(2)}%`;
      return tick;
    }));
    this.notes.replaceChildren(...notes.map((note) => {
      const item = element('span', `unr-legend__note unr-legend__note--${note.kind ?? 'plain'}`);
      item.append(element('i', 'unr-legend__swatch'), document.createTextNode(note.text));
      return item;
    }));
  }
}

/** One floating box per view, filled with "label: value" lines (text only). */
export class Tooltip {
  constructor(container) {
    this.root = element('div', 'unr-tooltip');
    this.root.hidden = true;
    this.root.setAttribute('role', 'status');
    container.append(this.root);
  }

  /** x, y: position within the container; lines: [[label, value], ...]. */
  show(x, y, lines) {
    this.root.replaceChildren(...lines.map(([label, value]) => {
      const row = element('div', 'unr-tooltip__row');
      const name = element('span', 'unr-tooltip__label');
      setMathText(name, String(label));
      row.append(name, element('span', 'unr-tooltip__value', String(value)));
      return row;
    }));
    this.root.hidden = false;
    const parent = this.root.parentElement;
    const width = this.root.offsetWidth;
    const flip = parent && x + width + 16 > parent.clientWidth;
    this.root.style.left = `${flip ? Math.max(0, x - width - 12) : x + 12}px`;
    this.root.style.top = `${y + 12}px`;
  }

  hide() {
    this.root.hidden = true;
  }
}

/** Whether two short arrays (labels) hold the same items; cheap enough to call every frame. */
export function sameItems(a, b) {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
