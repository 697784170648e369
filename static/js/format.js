/**
 * format.js — small text helpers shared by the views: escaping, numbers,
 * and equations written with underscores ("W_hh h_{t-1}") turned into HTML
 * with real subscripts, so every caption reads like the maths on a slide.
 */

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** "h_t = tanh(W_hh h_{t-1})" -> HTML with <sub>t</sub>, <sub>t-1</sub>, <sub>hh</sub>. */
export function mathHTML(equation) {
  return escapeHTML(equation)
    .replace(/_\{([^}]*)\}/g, '<sub>$1</sub>')
    .replace(/_([A-Za-z0-9]+)/g, '<sub>$1</sub>')
    .replace(/\^\{([^}]*)\}/g, '<sup>$1</sup>')
    .replace(/\^([A-Za-z0-9]+)/g, '<sup>$1</sup>');
}

/** A number as a person reads it: 3 significant digits, exponent when tiny or huge. */
export function fmt(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e5)) {
    const [mantissa, exponent] = value.toExponential(1).split('e');
    return `${mantissa}×10${[...String(Number(exponent))].map((c) => SUPERSCRIPTS[c]).join('')}`;
  }
  return Number(value.toPrecision(digits)).toString();
}

const SUPERSCRIPTS = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** Whole numbers with thousands separators: 12,345. */
export function fmtInt(value) {
  return value === null || value === undefined ? '—' : Math.round(value).toLocaleString('en-US');
}

/** Seconds as "42 s", "3 min 05 s". */
export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
}

/** Create an element with attributes and children in one call. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'html') node.innerHTML = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}
