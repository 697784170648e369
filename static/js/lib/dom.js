/**
 * dom.js — building the page's HTML: one element builder, maths text with real
 * subscripts (built as DOM, never parsed HTML: labels may be a person's own
 * text), a labelled form field, canvases sized for the screen's pixel ratio, and
 * the theme colours a canvas draws with, read from the CSS custom properties.
 */

import { mathTokens } from './format.js';

/**
 * Create an element with attributes and children in one call. Keys: class, text, math
 * (text with subscripts, see setMath), style, on<event> (a listener); any other key is an
 * attribute (true: present, false / null / undefined: left out).
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'math') setMath(node, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Fill node with text whose "x_t" subscripts and "x^2" superscripts become <sub> and <sup> elements. */
export function setMath(node, text) {
  const value = String(text ?? '');
  if (node.dataset.math === value) return; // unchanged: no DOM work (views call this every frame)
  node.replaceChildren(...mathTokens(value).map(([kind, piece]) => (kind ? el(kind, { text: piece }) : piece)));
  node.dataset.math = value;
}

/** A form field: its label above the input, an optional note under it. */
export function field(label, input, note = '') {
  return el('label', { class: 'field' }, el('span', { class: 'field-label', text: label }), input,
    note ? el('span', { class: 'field-note', text: note }) : null);
}

/** Size a canvas to width x height CSS pixels at the screen's pixel ratio; returns its 2-D context in CSS pixels. */
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

// What a canvas reads from the CSS custom properties of app.css (the one place the colours are set).
const THEME = { font: '--font', ink: '--ink', muted: '--muted', grid: '--grid', highlight: '--highlight' };

/** The font and colours a canvas draws with, read from the CSS once per full redraw. */
export function readTheme(node) {
  const style = getComputedStyle(node);
  return Object.fromEntries(Object.entries(THEME).map(([key, name]) => [key, style.getPropertyValue(name).trim()]));
}
