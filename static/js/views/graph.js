/**
 * graph.js — GraphView: a small directed graph (a grammar, an extracted
 * automaton) laid out by dagre in layers from left to right and drawn as SVG:
 * round states with their names, arrows with their symbols, the start marked
 * by an arrow coming from nowhere and end states by a double ring.
 *
 *   start ──▶ (0) ──B──▶ (1) ──T──▶ (2) ⟲ S
 *
 * What is lit is the caller's: the current state, the edge just taken, the
 * edges walked so far, a selected state, and an exit (a symbol the graph has
 * no edge for, drawn as a dashed arrow leaving the graph to a ✕).
 * Edges between the same two states are merged into one arrow labelled
 * "T, P", so an automaton with many symbols stays legible.
 */

import dagre from '/vendor/@dagrejs/dagre/dist/dagre.esm.js';

const NODE_R = 19; // state radius, px: a two-character name in 14 px type fits inside
const radius = (label) => Math.max(NODE_R, String(label).length * 4 + 8); // "branch", "T/end" get wider discs
const LABEL_H = 18; // edge label box height
const CHAR_W = 8.5; // width of one label character at 14 px
const MARGIN = 34; // room around the layout for the start arrow and an exit
const EXIT_LEN = 58; // the dashed arrow of a symbol leaving the graph
const MAX_SHRINK = 1.6; // a graph this many times wider than its box scrolls instead of shrinking
const LOOP_ROOM = 30; // px above and below a state with a self-loop, kept free by the layout
const MAX_LABEL = 12; // characters of an edge label; longer lists are cut to "first +n"
let graphIds = 0; // marker ids must be unique in the document

const edgeKey = (from, to) => `${from}\u2192${to}`;

/** Merge parallel edges: [{from, to, symbols: [...], key}] in first-seen order. */
function mergeEdges(edges) {
  const merged = new Map();
  for (const { from, to, symbol } of edges) {
    const key = edgeKey(from, to);
    if (!merged.has(key)) merged.set(key, { from, to, symbols: [], key });
    if (!merged.get(key).symbols.includes(symbol)) merged.get(key).symbols.push(symbol);
  }
  return [...merged.values()];
}

/** An edge's label: its symbols, or for many (a word task's machine) the first and how many more;
 * the whole list is the edge's tooltip. */
function edgeLabel(symbols) {
  const all = symbols.join(', ');
  if (all.length <= MAX_LABEL) return all;
  const first = symbols[0].length > MAX_LABEL - 4 ? `${symbols[0].slice(0, MAX_LABEL - 5)}…` : symbols[0];
  return symbols.length > 1 ? `${first} +${symbols.length - 1}` : first;
}

/** dagre's layout of nodes [{id, label}] and merged edges; returns {nodes: Map id -> {x, y}, edges: Map key -> {points, x, y}, width, height}. */
function layout(nodes, edges, { rankdir = 'LR', ranksep = 46, nodesep = 22 } = {}, looping = new Set()) {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir, ranksep, nodesep, edgesep: 12, marginx: MARGIN, marginy: MARGIN / 2 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const r = radius(node.label ?? node.id);
    // a state with a self-loop asks for room above and below it, where its loop will go
    g.setNode(node.id, { width: r * 2, height: r * 2 + (looping.has(node.id) ? 2 * LOOP_ROOM : 0) });
  }
  for (const edge of edges) {
    const text = edgeLabel(edge.symbols);
    g.setEdge(edge.from, edge.to, { width: text.length * CHAR_W + 8, height: LABEL_H, labelpos: 'c' });
  }
  dagre.layout(g);
  const placed = new Map(nodes.map((node) => [node.id, g.node(node.id)]));
  const routed = new Map(edges.map((edge) => {
    const route = g.edge(edge.from, edge.to);
    return [edge.key, { ...route, points: toRims(route.points, placed.get(edge.from), placed.get(edge.to)) }];
  }));
  const { width, height } = g.graph();
  return { nodes: placed, edges: routed, width, height };
}

/** dagre ends an edge on its state's box; move both ends onto the round state's rim instead. */
function toRims(points, from, to) {
  if (points.length < 2) return points;
  const rim = (centre, toward) => {
    const r = centre.width / 2;
    const length = Math.hypot(toward.x - centre.x, toward.y - centre.y) || 1;
    return { x: centre.x + ((toward.x - centre.x) * r) / length, y: centre.y + ((toward.y - centre.y) * r) / length };
  };
  const inner = points.slice(1, -1);
  const first = inner[0] ?? points[points.length - 1];
  const last = inner[inner.length - 1] ?? points[0];
  return [rim(from, first), ...inner, rim(to, last)];
}

/** A self-loop's path and label place: above its state, or below where that is further from the
 * other states and edge labels (a loop's label must not sit on another edge's). */
function loopPlaces(loops, placed) {
  // states, edge labels and the points edges pass through
  const obstacles = [...placed.nodes.values(), ...[...placed.edges.values()].flatMap((e) => [{ x: e.x, y: e.y }, ...e.points])];
  const room = (p) => Math.min(Infinity, ...obstacles.map((o) => Math.hypot((o.x - p.x) * 0.6, o.y - p.y)));
  const places = new Map();
  for (const edge of loops) {
    const at = placed.nodes.get(edge.from);
    const r = at.width / 2;
    const [above, below] = [-1, 1].map((side) => {
      const rim = at.y + side * (r - 2);
      const far = at.y + side * (r + 30);
      return { d: `M${at.x - 9},${rim} C${at.x - 30},${far} ${at.x + 30},${far} ${at.x + 9},${rim}`,
        label: { x: at.x, y: at.y + side * (r + 34) } };
    });
    places.set(edge.key, room(below.label) > room(above.label) ? below : above);
  }
  return places;
}

/** Points of a dagre edge, shortened so the arrow head stops at the state's ring. */
function edgePath(points) {
  return window.d3.line().x((p) => p.x).y((p) => p.y).curve(window.d3.curveBasis)(points);
}

/**
 * options: onSelect(nodeId) when a state is clicked; rankdir, ranksep, nodesep for dagre.
 * update({nodes: [{id, label?, fill, stroke?, title?}], edges: [{from, to, symbol}], start, end: [ids],
 *         lit: {node, edge: [from, to] | null, walked: Set of "from→to", exit: {from, symbol} | null},
 *         selected: id | null})
 */
export class GraphView {
  constructor(container, options = {}) {
    this.options = options;
    this.id = `graph${graphIds += 1}`;
    this.root = window.d3.select(container).append('div').attr('class', 'graph-view');
    this.svg = this.root.append('svg').attr('class', 'graph-svg').attr('role', 'img');
    const defs = this.svg.append('defs');
    for (const [suffix, className] of [['', 'graph-arrow'], ['-lit', 'graph-arrow lit'], ['-exit', 'graph-arrow exit']]) {
      defs.append('marker').attr('id', `${this.id}-head${suffix}`).attr('class', className)
        .attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5).attr('markerWidth', 9).attr('markerHeight', 9)
        .attr('markerUnits', 'userSpaceOnUse').attr('orient', 'auto-start-reverse')
        .append('path').attr('d', 'M0,0 L10,5 L0,10 z');
    }
    this.layer = this.svg.append('g');
    this.shape = null; // the drawn graph's identity: redraw only when it changes
  }

  update(props) {
    const shape = JSON.stringify([props.nodes.map((n) => n.id), props.edges, props.start, props.end]);
    if (shape !== this.shape) this.draw(props, shape);
    this.fit();
    this.paint(props);
  }

  /** Shrunk to its box unless that would make its labels unreadable: then it scrolls in the box. */
  fit() {
    const room = this.root.node().clientWidth || this.naturalWidth;
    const scroll = this.naturalWidth > MAX_SHRINK * room;
    if (scroll === this.scrolls) return;
    this.scrolls = scroll;
    this.svg.style('max-width', scroll ? 'none' : null).style('margin', scroll ? '0' : null);
  }

  draw({ nodes, edges, start, end = [], ariaLabel }, shape) {
    this.shape = shape;
    const d3 = window.d3;
    const merged = mergeEdges(edges);
    // dagre's own self-loops come out detached from their state: they are drawn here, above or below
    const looping = new Set(merged.filter((e) => e.from === e.to).map((e) => e.from));
    const placed = layout(nodes, merged.filter((e) => e.from !== e.to), this.options, looping);
    this.placed = placed;
    const loops = loopPlaces(merged.filter((e) => e.from === e.to), placed);
    const top = Math.min(0, ...[...loops.values()].map((loop) => loop.label.y - LABEL_H));
    const bottom = Math.max(placed.height, ...[...loops.values()].map((loop) => loop.label.y + LABEL_H));
    const width = placed.width + EXIT_LEN;
    const height = bottom - top + EXIT_LEN * 0.4;
    this.bounds = { top: top + 8, bottom: top + height - 8, right: width - 8 };
    this.svg.attr('viewBox', `0 ${top} ${width} ${height}`).attr('width', width).attr('height', height)
      .attr('aria-label', ariaLabel ?? 'a directed graph of states');
    this.naturalWidth = width;
    this.layer.selectAll('*').remove();
    const edgeLayer = this.layer.append('g').attr('class', 'graph-edges');
    const head = (suffix = '') => `url(#${this.id}-head${suffix})`;
    for (const edge of merged) {
      const group = edgeLayer.append('g').attr('class', 'graph-edge').attr('data-edge', edge.key)
        .attr('data-from', edge.from).attr('data-to', edge.to);
      const routed = placed.edges.get(edge.key);
      const d = routed ? edgePath(routed.points) : loops.get(edge.key).d;
      const labelAt = routed ? { x: routed.x, y: routed.y } : loops.get(edge.key).label;
      group.append('path').attr('class', 'graph-edge-line').attr('d', d).attr('marker-end', head());
      const text = edgeLabel(edge.symbols);
      group.append('title').text(edge.symbols.join(', '));
      group.append('rect').attr('class', 'graph-edge-label-bg')
        .attr('x', labelAt.x - (text.length * CHAR_W) / 2 - 3).attr('y', labelAt.y - LABEL_H / 2)
        .attr('width', text.length * CHAR_W + 6).attr('height', LABEL_H).attr('rx', 4);
      group.append('text').attr('class', 'graph-edge-label').attr('x', labelAt.x).attr('y', labelAt.y)
        .attr('dy', '0.35em').text(text);
    }
    const startAt = placed.nodes.get(start);
    if (startAt) {
      const g = this.layer.append('g').attr('class', 'graph-start');
      g.append('path').attr('class', 'graph-edge-line').attr('marker-end', head())
        .attr('d', `M${startAt.x - startAt.width / 2 - 28},${startAt.y} L${startAt.x - startAt.width / 2 - 1},${startAt.y}`);
      g.append('text').attr('class', 'graph-start-label').attr('x', startAt.x - startAt.width / 2 - 30).attr('y', startAt.y - 8)
        .attr('text-anchor', 'start').text('start');
    }
    const nodeLayer = this.layer.append('g').attr('class', 'graph-nodes');
    const ends = new Set(end);
    for (const node of nodes) {
      const at = placed.nodes.get(node.id);
      const group = nodeLayer.append('g').attr('class', 'graph-node').attr('data-node', node.id)
        .attr('transform', `translate(${at.x},${at.y})`)
        .classed('clickable', Boolean(this.options.onSelect))
        .on('click', () => this.options.onSelect?.(node.id));
      group.append('title').text(node.title ?? node.id);
      const label = String(node.label ?? node.id);
      const r = radius(label);
      group.append('circle').attr('class', 'graph-node-ring').attr('r', r + 5);
      group.append('circle').attr('class', 'graph-node-disc').attr('r', r);
      if (ends.has(node.id)) group.append('circle').attr('class', 'graph-node-end').attr('r', r - 4);
      group.append('text').attr('class', 'graph-node-label').attr('dy', '0.35em')
        .style('font-size', label.length > 3 ? '12.5px' : null).text(label);
    }
    this.exitLayer = this.layer.append('g').attr('class', 'graph-exit');
    d3.select(this.svg.node()).attr('data-drawn', nodes.length);
  }

  /** The lit parts and the node colours: cheap, run at every step. */
  paint({ nodes, lit = {}, selected = null }) {
    const fills = new Map(nodes.map((n) => [n.id, n]));
    this.layer.selectAll('.graph-node').each(function colour() {
      const group = window.d3.select(this);
      const node = fills.get(this.dataset.node);
      group.select('.graph-node-disc').attr('fill', node?.fill ?? '#fff').attr('stroke', node?.stroke ?? '#5a6472');
      group.classed('current', this.dataset.node === lit.node).classed('selected', this.dataset.node === selected);
    });
    const taken = lit.edge ? edgeKey(...lit.edge) : null;
    const walked = lit.walked ?? new Set();
    const head = (suffix) => `url(#${this.id}-head${suffix})`;
    this.layer.selectAll('.graph-edge').each(function mark() {
      const group = window.d3.select(this);
      const isTaken = this.dataset.edge === taken;
      group.classed('taken', isTaken).classed('walked', !isTaken && walked.has(this.dataset.edge));
      group.select('.graph-edge-line').attr('marker-end', head(isTaken ? '-lit' : ''));
    });
    this.drawExit(lit.exit, head('-exit'));
  }

  /** A symbol with no edge: a dashed arrow from its state out of the graph, to a ✕ and the symbol. */
  drawExit(exit, marker) {
    this.exitLayer.selectAll('*').remove();
    const at = exit && this.placed?.nodes.get(exit.from);
    if (!at) return;
    // the direction with the most room: the exit must not run into another state or label
    const r = at.width / 2;
    const obstacles = [...this.placed.nodes.values(), ...[...this.placed.edges.values()].map((e) => ({ x: e.x, y: e.y }))];
    const room = (p) => Math.min(...obstacles.filter((o) => o !== at).map((o) => Math.hypot(o.x - p.x, o.y - p.y)));
    const ends = [-90, -45, 45, 90, -135, 135].map((deg) => {
      const a = (deg * Math.PI) / 180;
      return { a, x: at.x + Math.cos(a) * (r + EXIT_LEN), y: at.y + Math.sin(a) * (r + EXIT_LEN) };
    });
    const { top, bottom, right } = this.bounds;
    const inside = ends.filter((e) => e.y - 16 > top && e.y + 16 < bottom && e.x + 12 < right);
    const best = (inside.length ? inside : ends.slice(2, 3)).reduce((b, e) => (room(e) > room(b) + 1 ? e : b));
    const x0 = at.x + Math.cos(best.a) * (r + 6);
    const y0 = at.y + Math.sin(best.a) * (r + 6);
    const [x1, y1] = [best.x, best.y];
    this.exitLayer.attr('data-symbol', exit.symbol);
    this.exitLayer.append('path').attr('class', 'graph-exit-line').attr('d', `M${x0},${y0} L${x1},${y1}`).attr('marker-end', marker);
    this.exitLayer.append('text').attr('class', 'graph-exit-label').attr('x', x1).attr('y', y1 + (y1 >= at.y ? 16 : -6))
      .attr('text-anchor', 'middle').text(`${exit.symbol} ✕`);
  }

  reset() {
    this.root.remove();
  }
}
