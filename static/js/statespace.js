/**
 * statespace.js — the State space panel: every hidden state h_t of many
 * sequences sampled from the model's task, projected on its two principal
 * components (POST /api/models/{name}/analysis/states, run on demand), drawn
 * as a cloud on a canvas; the traced input's own states drawn through it as a
 * path, its current step marked. Linked both ways with the step-through:
 * stepping the trace moves the marker; hovering a point names its sequence
 * and step; clicking one loads that sequence into the input at that step.
 *
 * From the automaton panel's `links` it takes the extracted machine (its
 * point_state is in this cloud's point order, as both ask for the same
 * sequences and seed) and the machine state a person clicked, whose cluster is
 * then drawn over the faded cloud.
 */

import { api } from './api.js';
import { ANALYSIS_SEED, ANALYSIS_SEQUENCES, busyStatus, links } from './automaton.js';
import { grammarStateColor } from './grammar.js';
import { el, setMath, sizeCanvas } from './lib/dom.js';
import { formatInt } from './lib/format.js';
import { PanelFrame, Tooltip } from './views/widgets.js';

const PLOT_H = 380;
const MARGIN = { left: 52, right: 16, top: 12, bottom: 44 };
const HOVER_PX = 10; // a point this close to the pointer is the one hovered
const SYMBOL_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442', '#7f7f7f'];

/** The colourings offered; each gives a key per point and a colour per key. */
const COLOURINGS = {
  symbol: { title: 'symbol read', keys: (d) => d.symbol },
  grammar: { title: 'grammar state', keys: (d) => d.grammar_state, colour: grammarStateColor, needs: (d) => d.grammar_state },
  step: { title: 'step', keys: (d) => d.step, continuous: true },
  automaton: { title: 'automaton state', keys: () => links.automaton.point_state.map(String),
    needs: (d) => links.automaton?.point_state?.length === d.points,
    colour: (key) => grammarStateColor(links.automaton.states.find((s) => String(s.id) === key)?.grammar_state ?? null) },
};

export class StateSpaceView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'statespace', header: options.header !== false });
    this.run = el('button', { class: 'button primary', type: 'button', 'data-action': 'collect-states', text: 'Collect states',
      onclick: () => this.fetch(true) });
    this.colourBy = el('select', { 'data-field': 'colour-by', onchange: () => this.draw() });
    this.stateKind = el('select', { 'data-field': 'state', onchange: () => this.fetch(true) },
      el('option', { value: 'h', text: 'h_t' }), el('option', { value: 'c', text: 'c_t (cell)' }));
    this.stateLabel = el('label', {}, 'state', this.stateKind);
    this.status = el('p', { class: 'analysis-status', 'data-role': 'states-status',
      text: `Collect the hidden states of ${ANALYSIS_SEQUENCES} sequences sampled from the task (seed ${ANALYSIS_SEED}).` });
    this.frame.body.append(el('div', { class: 'analysis-bar' }, this.run, el('label', {}, 'colour by', this.colourBy), this.stateLabel),
      this.status);
    this.plot = el('div', { class: 'statespace-plot', hidden: true });
    this.canvas = el('canvas');
    this.overlay = window.d3.select(this.plot).append('svg');
    this.plot.prepend(this.canvas);
    this.legend = el('div', { class: 'statespace-legend' });
    this.frame.body.append(this.plot, this.legend);
    this.tooltip = new Tooltip(this.plot);
    this.plot.addEventListener('pointermove', (event) => this.hover(event));
    this.plot.addEventListener('pointerleave', () => this.hover(null));
    this.plot.addEventListener('click', (event) => this.pick(event));
    this.unlisten = links.listen(() => { this.fillColourings(); this.draw(); });
    this.data = null; // the /analysis/states document on screen
    this.props = {};
    this.requested = null; // the request key of the data (or of the one in flight)
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    this.stateLabel.hidden = !props.hasCell;
    if (props.name !== previous.name) {
      this.data = null;
      this.requested = null;
      this.plot.hidden = true;
      this.legend.replaceChildren();
      if (links.automaton && links.automaton.model !== props.name) links.set({ automaton: null, selected: null }); // another model's
    }
    // once collected, a new input is traced into the same projection
    if (this.data && (props.text !== previous.text || props.name !== previous.name)) this.fetch(false);
    else if (this.data && (this.plot.parentElement?.clientWidth ?? 0) !== this.drawnWidth) this.draw(); // the page was resized
    else if (this.data && props.step !== previous.step) this.drawTrajectory();
  }

  request() {
    const { name, text } = this.props;
    return { name, body: { sequences: ANALYSIS_SEQUENCES, seed: ANALYSIS_SEED, components: 2, state: this.props.hasCell ? this.stateKind.value : 'h', text } };
  }

  async fetch(fromButton) {
    const { name, body } = this.request();
    if (!name) return;
    const key = JSON.stringify([name, body]);
    if (!fromButton && key === this.requested) return;
    this.requested = key;
    this.stopBusy?.(); // an older request's clock stops writing
    const stop = this.stopBusy = busyStatus(this.status, `Collecting the states of ${body.sequences} sequences and projecting them…`);
    this.run.disabled = true;
    try {
      const data = await api.analysisStates(name, body);
      if (key !== this.requested) return; // a newer request went out meanwhile
      this.data = data;
      this.fillColourings();
      this.plot.hidden = false;
      const [v1, v2] = data.explained_variance;
      this.setStatus(`${formatInt(data.points)} states (${data.state}_t) of ${data.sequences} sampled sequences; `
        + `the two axes hold ${pct(v1 + v2)} of their variance (PC1 ${pct(v1)}, PC2 ${pct(v2)}).`);
      this.draw();
    } catch (error) {
      if (key === this.requested) this.setStatus(`The states could not be collected: ${error.detail ?? error}`, 'error');
    } finally {
      stop();
      this.run.disabled = false;
    }
  }

  setStatus(text, kind = '') {
    setMath(this.status, text);
    this.status.className = `analysis-status ${kind}`.trim();
  }

  fillColourings() {
    if (!this.data) return;
    const offered = Object.entries(COLOURINGS).filter(([, c]) => !c.needs || c.needs(this.data));
    const ids = offered.map(([id]) => id).join();
    if (ids === this.offered) return;
    this.offered = ids;
    const keep = this.colourBy.value;
    this.colourBy.replaceChildren(...offered.map(([id, c]) => el('option', { value: id, text: c.title })));
    this.colourBy.value = offered.some(([id]) => id === keep) ? keep : (this.data.grammar_state ? 'grammar' : 'symbol');
  }

  /** The point colours of the chosen colouring, and its legend entries. */
  colours() {
    const colouring = COLOURINGS[this.colourBy.value] ?? COLOURINGS.symbol;
    const keys = colouring.keys(this.data);
    if (colouring.continuous) {
      const max = Math.max(1, ...keys);
      const scale = window.d3.scaleSequential(window.d3.interpolateViridis).domain([0, max]);
      return { of: (i) => scale(keys[i]), legend: [[`step 1`, scale(0)], [`step ${max + 1}`, scale(max)]] };
    }
    const distinct = [...new Set(keys)].sort(naturalOrder);
    const palette = new Map(distinct.map((key, i) => [key, colouring.colour ? colouring.colour(key) : SYMBOL_COLORS[i % SYMBOL_COLORS.length]]));
    return { of: (i) => palette.get(keys[i]), legend: distinct.map((key) => [key, palette.get(key)]) };
  }

  draw() {
    if (!this.data) return;
    const d3 = window.d3;
    this.drawnWidth = this.plot.parentElement?.clientWidth ?? 0;
    const width = Math.max(320, this.drawnWidth || 600);
    this.plot.style.height = `${PLOT_H}px`;
    const context = sizeCanvas(this.canvas, width, PLOT_H);
    this.overlay.attr('width', width).attr('height', PLOT_H);
    const xs = this.data.coords.map((c) => c[0]);
    const ys = this.data.coords.map((c) => c[1]);
    const pad = (lo, hi) => [lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04];
    this.x = d3.scaleLinear().domain(pad(d3.min(xs), d3.max(xs))).range([MARGIN.left, width - MARGIN.right]);
    this.y = d3.scaleLinear().domain(pad(d3.min(ys), d3.max(ys))).range([PLOT_H - MARGIN.bottom, MARGIN.top]);
    const { of, legend } = this.colours();
    const selected = links.selected;
    const inCluster = selected === null || !links.automaton ? null : (i) => links.automaton.point_state[i] === selected;
    context.clearRect(0, 0, width, PLOT_H);
    for (const pass of inCluster ? [false, true] : [null]) {
      context.globalAlpha = pass === false ? 0.12 : 0.7;
      for (let i = 0; i < xs.length; i += 1) {
        if (pass !== null && inCluster(i) !== pass) continue;
        context.fillStyle = of(i);
        context.beginPath();
        context.arc(this.x(xs[i]), this.y(ys[i]), pass ? 4.2 : 3.2, 0, 2 * Math.PI);
        context.fill();
      }
    }
    context.globalAlpha = 1;
    this.canvas.dataset.selected = selected ?? '';
    this.quadtree = d3.quadtree().x((i) => this.x(xs[i])).y((i) => this.y(ys[i])).addAll(d3.range(xs.length));
    this.drawAxes();
    this.drawTrajectory();
    this.legend.replaceChildren(...legend.slice(0, 24).map(([key, colour]) => el('span', {}, el('i', { style: `background:${colour}` }), String(key))));
  }

  drawAxes() {
    const d3 = window.d3;
    const [v1, v2] = this.data.explained_variance;
    this.overlay.selectAll('.statespace-axis').remove();
    const axes = this.overlay.append('g').attr('class', 'statespace-axis');
    axes.append('g').attr('transform', `translate(0,${PLOT_H - MARGIN.bottom})`).call(d3.axisBottom(this.x).ticks(6));
    axes.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(d3.axisLeft(this.y).ticks(5));
    const [x0, x1] = this.x.range();
    axes.append('text').attr('class', 'statespace-axis-title').attr('x', (x0 + x1) / 2).attr('y', PLOT_H - 8)
      .attr('text-anchor', 'middle').text(`PC1 — ${pct(v1)} of the variance`);
    const [y0, y1] = this.y.range();
    axes.append('text').attr('class', 'statespace-axis-title').attr('transform', `translate(14,${(y0 + y1) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle').text(`PC2 — ${pct(v2)}`);
  }

  /** The traced input's states as a path, step numbers on its points, the current step marked. */
  drawTrajectory() {
    this.overlay.selectAll('.statespace-trajectory').remove();
    const trajectory = this.data?.trajectory;
    if (!trajectory?.coords?.length) return;
    const layer = this.overlay.append('g').attr('class', 'statespace-trajectory');
    const points = trajectory.coords.map(([a, b]) => [this.x(a), this.y(b)]);
    layer.append('path').attr('class', 'statespace-path').attr('d', window.d3.line()(points));
    const marked = new Set();
    const textStates = links.automaton?.text_states;
    if (links.selected !== null && textStates) textStates.forEach((s, t) => { if (s === links.selected) marked.add(t); });
    points.forEach(([px, py], t) => {
      layer.append('circle').attr('class', `statespace-step${marked.has(t) ? ' marked' : ''}`).attr('cx', px).attr('cy', py).attr('r', 6.5);
    });
    const step = Math.min(this.props.step ?? 0, points.length - 1);
    const [cx, cy] = points[step];
    layer.append('circle').attr('class', 'statespace-current-ring').attr('cx', cx).attr('cy', cy).attr('r', 11);
    layer.append('circle').attr('class', 'statespace-current').attr('cx', cx).attr('cy', cy).attr('r', 6)
      .attr('data-step', step);
    layer.append('text').attr('class', 'statespace-step-label').attr('x', cx + 13).attr('y', cy - 9)
      .text(`step ${step + 1}: ${trajectory.symbol[step]}`);
  }

  nearest(event) {
    if (!this.quadtree || !event) return null;
    const box = this.plot.getBoundingClientRect();
    const i = this.quadtree.find(event.clientX - box.left, event.clientY - box.top, HOVER_PX);
    return i === undefined ? null : { i, x: event.clientX - box.left, y: event.clientY - box.top };
  }

  hover(event) {
    this.overlay.selectAll('.statespace-hover').remove();
    const hit = this.nearest(event);
    if (!hit) { this.tooltip.hide(); return; }
    const d = this.data;
    const { i } = hit;
    const text = d.texts[d.sequence[i]];
    // the hovered point's whole sequence, as a light path: where that string went through the cloud
    const own = [];
    for (let j = 0; j < d.sequence.length; j += 1) if (d.sequence[j] === d.sequence[i]) own.push([this.x(d.coords[j][0]), this.y(d.coords[j][1])]);
    this.overlay.append('path').attr('class', 'statespace-hover statespace-hover-path').attr('d', window.d3.line()(own));
    this.overlay.append('circle').attr('class', 'statespace-hover').attr('cx', this.x(d.coords[i][0])).attr('cy', this.y(d.coords[i][1])).attr('r', 6);
    const lines = [['sequence', text.length > 40 ? `${text.slice(0, 40)}…` : text], ['step', `${d.step[i] + 1}: ${d.symbol[i]}`]];
    if (d.grammar_state) lines.push(['grammar state', d.grammar_state[i]]);
    if (links.automaton?.point_state) lines.push(['automaton state', links.automaton.point_state[i]]);
    lines.push(['click', 'trace this sequence']);
    this.tooltip.show(hit.x, hit.y, lines);
  }

  pick(event) {
    const hit = this.nearest(event);
    if (!hit) return;
    this.options.onInput?.(this.data.texts[this.data.sequence[hit.i]], this.data.step[hit.i]);
  }

  reset() {
    this.unlisten();
    this.frame.remove();
  }
}

const pct = (share) => `${(100 * share).toFixed(1)} %`;

/** "2" before "10", "T/3" after "P/3": numbers as numbers inside names. */
function naturalOrder(a, b) {
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}
