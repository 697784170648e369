/**
 * format.js — numbers and maths as a person reads them: the page's one number
 * formatter, whole numbers, durations, round axis ticks, and the tokenizer that
 * finds the subscripts and superscripts in "W_hh h_{t-1}" or "h_t^i". No DOM
 * here: dom.js draws the tokens as HTML, svg.js as SVG.
 */

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
const MINUS = '−'; // U+2212: a real minus sign, as wide as the plus

/**
 * A number as a person reads it: `digits` significant digits; when tiny or huge, m×10ⁿ with a
 * short mantissa (one decimal, two from digits = 4) and plain 10ⁿ for a power of ten; "—" for none.
 */
export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : `${MINUS}∞`;
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e5)) {
    const [fixed, exponent] = value.toExponential(Math.max(1, digits - 2)).split('e');
    const mantissa = String(Number(fixed)); // 2.0 -> 2
    const power = [...String(Number(exponent))].map((c) => SUPERSCRIPT[c]).join('');
    if (Math.abs(Number(mantissa)) === 1) return `${value < 0 ? MINUS : ''}10${power}`;
    return `${mantissa.replace('-', MINUS)}×10${power}`;
  }
  return Number(value.toPrecision(digits)).toString().replace('-', MINUS);
}

/** Whole numbers with thousands separators: 12,345. */
export function formatInt(value) {
  return value === null || value === undefined ? '—' : Math.round(value).toLocaleString('en-US');
}

/** Seconds as "42 s", "3 min 05 s". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
}

/** At most about `count` round values (1, 2 or 5 times a power of ten apart) from lo to hi. */
export function linearTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => (hi - lo) / s <= count) ?? 10 * power;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

/** Powers of ten from lo to hi (with 2 and 5 times them when fewer than three fit), for a log axis. */
export function logTicks(lo, hi, count) {
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  if (last < first) return [lo, hi];
  const every = Math.max(1, Math.ceil((last - first + 1) / count));
  const ticks = [];
  for (let e = first; e <= last; e += every) ticks.push(10 ** e);
  if (ticks.length < 3) {
    for (const m of [2, 5]) {
      for (let e = first - 1; e <= last; e += 1) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) ticks.push(v);
      }
    }
  }
  return ticks.sort((a, b) => a - b);
}

// "h_t", "W_hh", "∂L_s", "h_{t-1}": a one- or two-letter symbol, an underscore, then a word or {group};
// "h_t^i", "x^{k}": a caret and a word or {group}. Longer names such as rnn.weight_ih_l0 are left alone.
const MARKS = /(?<![A-Za-z0-9_.])([A-Za-z∂Σ]{1,2})_(\{[^}]*\}|[A-Za-z0-9]+)|\^(\{[^}]*\}|[A-Za-z0-9]+)/g;
const unbrace = (text) => text.replace(/^\{|\}$/g, '');

/** "h_{t-1} = x^2" -> [["", "h"], ["sub", "t-1"], ["", " = x"], ["sup", "2"]]: the pieces to draw, in order. */
export function mathTokens(text) {
  const source = String(text ?? '');
  const tokens = [];
  let last = 0;
  for (const match of source.matchAll(MARKS)) {
    const [whole, symbol, sub, sup] = match;
    tokens.push(['', source.slice(last, match.index) + (symbol ?? '')]);
    tokens.push(sub !== undefined ? ['sub', unbrace(sub)] : ['sup', unbrace(sup)]);
    last = match.index + whole.length;
  }
  tokens.push(['', source.slice(last)]);
  return tokens.filter(([kind, piece]) => kind || piece);
}
