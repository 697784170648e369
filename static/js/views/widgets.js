/**
 * widgets.js — the parts every panel view is made of: the card (title,
 * caption, equation, body, legend, message), the colour legend with numbers,
 * the hover tooltip, and the cheap "did the props change?" test.
 */

import { HATCH_CSS, LUT_SIZE } from '../lib/color.js';
import { el, setMath } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';

/**
 * The card every view draws into: header (title, caption, equation), body,
 * legend row, and a message line for "nothing to show" states. With
 * options.header false the header is left out (the page may draw its own).
 */
export class PanelFrame {
  constructor(container, { className = '', header = true } = {}) {
    this.root = el('section', { class: `view ${className}`.trim() });
    this.title = el('h3', { class: 'view-title' });
    this.caption = el('p', { class: 'view-caption' });
    this.equation = el('p', { class: 'view-equation' });
    this.head = el('header', { class: 'view-head' }, this.title, this.caption, this.equation);
    this.body = el('div', { class: 'view-body' });
    this.message = el('p', { class: 'view-message', hidden: true });
    this.legend = el('div', { class: 'view-legend' });
    if (header) this.root.append(this.head);
    this.root.append(this.message, this.body, this.legend);
    container.append(this.root);
  }

  setText({ title, caption, equation }) {
    for (const [node, text] of [[this.title, title], [this.caption, caption], [this.equation, equation]]) {
      setMath(node, text ?? '');
      node.hidden = !text;
    }
  }

  showMessage(text) {
    setMath(this.message, text ?? '');
    this.message.hidden = !text;
  }

  remove() {
    this.root.remove();
  }
}

/** A colour bar with numbered ticks; `notes` add swatches: {text, kind: "null"} is hatched
 * like a missing value, {text, swatch: css colour} a plain colour. */
export class ColorLegend {
  constructor(container) {
    this.label = el('span', { class: 'legend-label' });
    this.bar = el('canvas', { class: 'legend-bar', width: LUT_SIZE, height: 1 });
    this.ticks = el('div', { class: 'legend-ticks' });
    this.notes = el('span', { class: 'legend-notes' });
    this.root = el('div', { class: 'legend' }, this.label, el('div', { class: 'legend-track' }, this.bar, this.ticks), this.notes);
    container.append(this.root);
    this.key = '';
  }

  update(scale, { label = '', notes = [] } = {}) {
    const key = `${scale.kind}|${scale.log}|${scale.domain}|${label}|${notes.map((n) => n.text).join('|')}`;
    if (key === this.key) return; // the legend is redrawn only when something in it changed
    this.key = key;
    const context = this.bar.getContext('2d');
    const image = context.createImageData(LUT_SIZE, 1);
    for (let i = 0; i < LUT_SIZE; i += 1) {
      image.data.set([scale.table[i * 3], scale.table[i * 3 + 1], scale.table[i * 3 + 2], 255], i * 4);
    }
    context.putImageData(image, 0, 0);
    setMath(this.label, label);
    const ticks = scale.ticks().map((value) => {
      const at = Math.max(0, Math.min(1, scale.position(value)));
      return { at, node: el('span', { class: 'legend-tick', text: formatNumber(value, 2), style: `left: ${(100 * at).toFixed(2)}%` }) };
    });
    this.ticks.replaceChildren(...ticks.map((tick) => tick.node));
    dropOverlappingTicks(ticks, this.ticks.clientWidth || LEGEND_WIDTH_PX);
    this.notes.replaceChildren(...notes.map((note) => {
      const swatch = el('i', { class: 'legend-swatch' });
      swatch.style.background = note.kind === 'null' ? HATCH_CSS : note.swatch ?? '';
      return el('span', { class: `legend-note ${note.kind ?? 'plain'}` }, swatch, note.text);
    }));
  }
}

const LEGEND_WIDTH_PX = 220; // .legend-track's width in panels.css, for a legend not laid out yet
const TICK_GAP_PX = 6;
const TICK_CHAR_PX = 7.5; // a label's width per character at the legend's 13.5 px, when it cannot be measured

/** Remove tick labels that would overlap the one before (a log scale over less than a decade
 * crowds them: "5×10⁻⁴0.0010.002"), keeping the first and the last. */
function dropOverlappingTicks(ticks, width) {
  const span = (tick) => {
    const half = (tick.node.offsetWidth || tick.node.textContent.length * TICK_CHAR_PX) / 2;
    return [tick.at * width - half, tick.at * width + half];
  };
  const last = ticks[ticks.length - 1];
  let edge = -Infinity;
  for (const tick of ticks) {
    const [left, right] = span(tick);
    const clashesWithLast = tick !== last && last && right + TICK_GAP_PX > span(last)[0];
    if (left < edge + TICK_GAP_PX || clashesWithLast) tick.node.remove();
    else edge = right;
  }
}

/** One floating box per view, filled with "label: value" lines (text only). */
export class Tooltip {
  constructor(container) {
    this.root = el('div', { class: 'tooltip', role: 'status', hidden: true });
    container.append(this.root);
  }

  /** x, y: position within the container; lines: [[label, value], ...]. */
  show(x, y, lines) {
    this.root.replaceChildren(...lines.map(([label, value]) => el('div', { class: 'tooltip-row' },
      el('span', { class: 'tooltip-label', math: String(label) }), el('span', { class: 'tooltip-value', text: String(value) }))));
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
