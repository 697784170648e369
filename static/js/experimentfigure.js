/**
 * experimentfigure.js — the frame every experiment plot shares: a title, the claim in one
 * sentence, an SVG drawn with D3 (styled by attributes, not CSS, so an exported file looks
 * the same), a legend inside it, and buttons that export the figure (SVG, PNG) and its data (CSV).
 *
 *   const fig = figure({ id: 'success', title, claim, note });   height, margin: a taller or wider-labelled plot
 *   fig.svg ... draw inside fig.plot (a <g> within the margins), fig.legend(entries)
 *   fig.setData(rows)          the rows the CSV button writes (one object per row)
 *   fig.node                   the <figure> to put on the page
 */

import { el } from './lib/dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
export const WIDTH = 920; // the SVG's own units; it scales to the page's width
export const HEIGHT = 380;
export const MARGIN = { top: 18, right: 290, bottom: 56, left: 76 }; // the legend lives in the right margin
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const INK = '#1b2129';
export const MUTED = '#5a6472';
export const GRID = '#e6e9ee';
const PNG_SCALE = 2; // a PNG at twice the SVG's size: sharp on a slide

// Colour by family (Okabe–Ito, legible to colour-blind readers), dash by gate initialisation or nonlinearity.
const FAMILY_COLORS = { elman: '#0072b2', shortcut: '#56b4e9', lstm: '#d55e00', gru: '#009e73', second_order: '#cc79a7' };
const FALLBACK_COLORS = ['#e69f00', '#000000', '#999999'];

export function colorOf(point) {
  return FAMILY_COLORS[point.architecture] ?? FALLBACK_COLORS[point.architecture.length % FALLBACK_COLORS.length];
}

export function dashOf(point) {
  const init = point.init ?? '';
  if (init.startsWith('forget_bias')) return '7 4';
  if (init.startsWith('chrono')) return '2 3';
  if (init === 'identity') return '9 3 2 3';
  if (point.activation === 'relu') return '4 2';
  return null;
}

const FAMILY_NAMES = { elman: 'Elman', shortcut: 'Shortcut', lstm: 'LSTM', gru: 'GRU', second_order: 'Second-order' };

export const familyName = (architecture) => FAMILY_NAMES[architecture] ?? architecture;

/** "LSTM, forget bias 1", "Elman ReLU, identity init", "GRU, chrono T_max 100". */
export function variantName(point) {
  let name = FAMILY_NAMES[point.architecture] ?? point.architecture;
  if (point.activation) name += ` ${point.activation === 'relu' ? 'ReLU' : point.activation}`;
  const init = point.init ?? '';
  if (init.startsWith('forget_bias')) name += `, forget bias ${init.split(':')[1]}`;
  else if (init.startsWith('chrono')) name += `, chrono T_max ${init.split(':')[1]}`;
  else if (init === 'identity') name += ', identity init';
  return name;
}

/** The frame of one plot; see the module's comment. */
export function figure({ id, title, claim, note = '', controls = null, height = HEIGHT, margin = MARGIN }) {
  const d3 = window.d3;
  const svgNode = document.createElementNS(SVG_NS, 'svg');
  const svg = d3.select(svgNode)
    .attr('viewBox', `0 0 ${WIDTH} ${height}`).attr('class', 'exp-svg').attr('role', 'img').attr('aria-label', title)
    .attr('font-family', FONT).attr('font-size', 13).attr('fill', INK);
  svg.append('rect').attr('width', WIDTH).attr('height', height).attr('fill', '#ffffff');
  const plot = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  let rows = [];
  const fig = {
    svg,
    plot,
    margin,
    inner: { width: WIDTH - margin.left - margin.right, height: height - margin.top - margin.bottom },
    setData: (data) => { rows = data; },
    legend: (entries, heading) => drawLegend(svg, entries, heading),
  };
  const button = (text, action) => el('button', { class: 'button subtle', type: 'button', text, onclick: action, 'data-export': text.split(' ')[0].toLowerCase() });
  fig.node = el('figure', { class: 'exp-figure', 'data-plot': id },
    el('h3', { text: title }),
    el('p', { class: 'exp-claim', text: claim }),
    controls,
    svgNode,
    el('figcaption', { class: 'exp-caption' }, el('span', { text: note }),
      el('span', { class: 'exp-exports' }, 'Export: ',
        button('SVG', () => download(new Blob([serialize(svgNode)], { type: 'image/svg+xml' }), `${id}.svg`)),
        button('PNG', () => exportPng(svgNode, `${id}.png`)),
        button('CSV data', () => download(new Blob([toCsv(rows)], { type: 'text/csv' }), `${id}.csv`)))),
  );
  return fig;
}

/** Axes with their labels (units in the label; none when null: a panel of small multiples shares the
 * figure's), grid lines across the plot; yTickLabels false leaves a panel's y ticks unlabelled. */
export function axes(fig, x, y, { xLabel, yLabel, xTicks = null, yFormat = null, xFormat = null, yTicks = 6, yTickLabels = true, yLabelAt = -58 }) {
  const d3 = window.d3;
  const { width, height } = fig.inner;
  const bottom = d3.axisBottom(x).tickSizeOuter(0);
  if (xTicks) bottom.tickValues(xTicks);
  if (xFormat) bottom.tickFormat(xFormat);
  const left = typeof yFormat === 'function' ? d3.axisLeft(y).ticks(yTicks).tickFormat(yFormat).tickSizeOuter(0)
    : d3.axisLeft(y).ticks(yTicks, yFormat ?? undefined).tickSizeOuter(0);
  if (!yTickLabels) left.tickFormat(() => '');
  // a log axis gets a grid line per power of ten only: its 2..9 ticks would fill the plot with lines
  const gridTicks = y.ticks(yTicks).filter((v) => !y.base || Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
  fig.plot.append('g').attr('class', 'grid').selectAll('line').data(gridTicks).join('line')
    .attr('x1', 0).attr('x2', width).attr('y1', (v) => y(v)).attr('y2', (v) => y(v)).attr('stroke', GRID);
  for (const [axis, transform] of [[bottom, `translate(0,${height})`], [left, null]]) {
    const g = fig.plot.append('g').attr('transform', transform).call(axis);
    g.attr('font-family', null).attr('font-size', 12); // inherit the figure's font, a readable size
    g.selectAll('path, line').attr('stroke', MUTED);
    g.selectAll('text').attr('fill', INK);
  }
  if (xLabel) fig.plot.append('text').attr('x', width / 2).attr('y', height + 44).attr('text-anchor', 'middle').attr('font-weight', 600).text(xLabel);
  if (yLabel) {
    fig.plot.append('text').attr('transform', `translate(${yLabelAt},${height / 2}) rotate(-90)`).attr('text-anchor', 'middle')
      .attr('font-weight', 600).text(yLabel);
  }
}

/** entries: [{label, color, dash, key}] in the right margin, one line each (data-series: the series it names). */
function drawLegend(svg, entries, heading) {
  const g = svg.append('g').attr('transform', `translate(${WIDTH - MARGIN.right + 22},${MARGIN.top + 4})`).attr('class', 'legend');
  if (heading) g.append('text').attr('y', 0).attr('font-weight', 600).attr('fill', MUTED).attr('font-size', 12).text(heading);
  const top = heading ? 20 : 6;
  entries.forEach((entry, i) => {
    const row = g.append('g').attr('transform', `translate(0,${top + i * 21})`).attr('class', 'legend-entry').attr('data-series', entry.key ?? null);
    // long enough to show a dash pattern whole beside the point's circle (at the right end, not over the dashes)
    row.append('line').attr('x1', 0).attr('x2', 34).attr('y1', 0).attr('y2', 0)
      .attr('stroke', entry.color).attr('stroke-width', 2.5).attr('stroke-dasharray', entry.dash);
    row.append('circle').attr('cx', 34).attr('r', 3.5).attr('fill', '#fff').attr('stroke', entry.color).attr('stroke-width', 1.8);
    row.append('text').attr('x', 44).attr('dy', '0.35em').attr('font-size', 12.5).text(entry.label);
    if (entry.key) row.attr('cursor', 'default').on('mouseenter', () => highlight(svg, entry.key)).on('mouseleave', () => highlight(svg, null));
  });
}

/** Hovering a legend entry fades every other series: one variant read out of many. */
function highlight(svg, key) {
  svg.selectAll('g.series').attr('opacity', function fade() {
    return key === null || this.getAttribute('data-series') === key ? null : 0.12;
  });
}

/** The SVG as a standalone file. */
export function serialize(svgNode) {
  const clone = svgNode.cloneNode(true);
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', WIDTH);
  clone.setAttribute('height', heightOf(svgNode));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

/** A figure's own height: small multiples make some taller than HEIGHT. */
const heightOf = (svgNode) => svgNode.viewBox.baseVal.height;

function exportPng(svgNode, filename) {
  const image = new Image();
  const height = heightOf(svgNode);
  image.onload = () => {
    const canvas = el('canvas', { width: WIDTH * PNG_SCALE, height: height * PNG_SCALE });
    const context = canvas.getContext('2d');
    context.scale(PNG_SCALE, PNG_SCALE);
    context.drawImage(image, 0, 0, WIDTH, height);
    canvas.toBlob((blob) => download(blob, filename), 'image/png');
  };
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(serialize(svgNode))}`;
}

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Rows of plain objects as CSV (the first row's keys as the header). */
export function toCsv(rows) {
  if (!rows.length) return '';
  const keys = Object.keys(rows[0]);
  const cell = (v) => {
    const text = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `${[keys.join(','), ...rows.map((row) => keys.map((k) => cell(row[k])).join(','))].join('\n')}\n`;
}
