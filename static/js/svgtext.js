/**
 * svgtext.js — maths in SVG labels: "W_hh", "h_{t-1}" drawn with real
 * subscripts (tspans), since SVG text has no <sub>.
 */

const SMALL = 0.72; // size of sub- and superscripts
const SUB_SHIFT = 0.25; // baseline offsets in em of the plain text
const SUP_SHIFT = -0.4;
const TOKEN = /([^_^]+)|_\{([^}]*)\}|_([A-Za-z0-9]+)|\^\{([^}]*)\}|\^([A-Za-z0-9]+)/g;

/** Replace a d3 text selection's content by `equation` with subscripts and superscripts. */
export function mathText(selection, equation) {
  selection.each(function write() {
    const node = window.d3.select(this);
    node.selectAll('tspan').remove();
    node.text(null);
    let shift = 0; // current baseline offset, in em of the plain text
    for (const match of String(equation).matchAll(TOKEN)) {
      const [, plain, subBraced, sub, supBraced, sup] = match;
      const text = plain ?? subBraced ?? sub ?? supBraced ?? sup;
      const target = plain !== undefined ? 0 : subBraced !== undefined || sub !== undefined ? SUB_SHIFT : SUP_SHIFT;
      const scale = target === 0 ? 1 : SMALL; // dy is in the tspan's own em
      node.append('tspan')
        .attr('dy', `${((target - shift) / scale).toFixed(3)}em`)
        .attr('font-size', target === 0 ? null : `${SMALL * 100}%`)
        .text(text);
      shift = target;
    }
  });
  return selection;
}
