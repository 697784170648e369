/**
 * svg.js — SVG pieces the diagrams share: maths labels with real subscripts
 * (SVG text has no <sub>, so they are tspans shifted off the baseline), the
 * arrow-head marker, and small path icons.
 */

import { mathTokens } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const SMALL = 0.72; // size of sub- and superscripts
const SHIFT = { '': 0, sub: 0.25, sup: -0.4 }; // baseline offsets in em of the plain text

/** Replace a d3 text selection's content by `equation` with subscripts and superscripts. */
export function mathText(selection, equation) {
  selection.each(function write() {
    const node = window.d3.select(this);
    node.selectAll('tspan').remove();
    node.text(null);
    let shift = 0; // current baseline offset, in em of the plain text
    for (const [kind, text] of mathTokens(equation)) {
      const target = SHIFT[kind];
      const scale = kind ? SMALL : 1; // dy is in the tspan's own em
      node.append('tspan')
        .attr('dy', `${((target - shift) / scale).toFixed(3)}em`)
        .attr('font-size', kind ? `${SMALL * 100}%` : null)
        .text(text);
      shift = target;
    }
  });
  return selection;
}

/** An arrow-head marker with this id in a d3 <defs> selection; `size` in user units. */
export function arrowHead(defs, id, className, size) {
  defs.append('marker').attr('id', id).attr('class', className)
    .attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
    .attr('markerUnits', 'userSpaceOnUse').attr('markerWidth', size).attr('markerHeight', size).attr('orient', 'auto')
    .append('path').attr('d', 'M0,0 L10,5 L0,10 z');
}

/** A 16 x 16 icon from one path (font glyphs such as ⏮ are missing from many systems). */
export function icon(pathData) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [name, value] of Object.entries({ viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true' })) {
    svg.setAttribute(name, value);
  }
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', pathData);
  svg.append(path);
  return svg;
}
