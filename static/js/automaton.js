/**
 * automaton.js — the Extracted automaton panel: the finite machine read out of
 * the network's hidden states (POST /api/models/{name}/analysis/automaton, run
 * on demand: k-means clusters, majority-vote transitions, minimised), drawn
 * with GraphView beside the task's grammar. Each extracted state is coloured by
 * the grammar state most of its steps are in (the grammar panel's colours), and
 * the figures the engine computes are shown as it gives them: k, the states
 * after minimisation, agreement (steps of fresh strings whose predicted next
 * set equals the grammar's legal set), purity, fidelity, and the k search.
 *
 * Stepping the trace lights the machine's state at that step in both graphs.
 * Clicking a state selects it (links.selected): its cluster is drawn over the
 * faded cloud of the state-space panel, and its steps in the current input are
 * marked in the strip under the graphs. `links` is what the two panels share.
 */

import { api } from './api.js';
import { grammarGraph, grammarStateColor, litAt, walkGrammar } from './grammar.js';
import { el, setMath } from './lib/dom.js';
import { formatInt } from './lib/format.js';
import { sharedState } from './lib/shared.js';
import { GraphView } from './views/graph.js';
import { PanelFrame } from './views/widgets.js';

export const ANALYSIS_SEQUENCES = 200; // sampled sequences of both panels (the same, so their points align)
export const ANALYSIS_SEED = 0;
const HELD_OUT = 300; // fresh strings the agreement is measured on
const SHRINK_BESIDE = 1.2; // a graph that would shrink more than this beside the other is stacked
const LARGE_GRAPH = 12; // states beyond which the two graphs are stacked instead of side by side
const K_CHOICES = [null, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 24, 32]; // null: the engine searches

/** Shared by the analysis panels: {automaton, selected, listen(fn), set(patch)}. */
export const links = sharedState({
  automaton: null, // the automaton document of the model on screen, or null
  selected: null, // the automaton state clicked, or null
});

/** Show `text` as a busy status with the seconds gone by (an automaton search can take a while on a
 * busy machine); returns the function that stops the clock. */
export function busyStatus(node, text) {
  const started = performance.now();
  const tick = () => {
    const seconds = Math.round((performance.now() - started) / 1000);
    setMath(node, seconds >= 2 ? `${text} ${seconds} s` : text);
  };
  node.className = 'analysis-status busy';
  tick();
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}

export class AutomatonView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'automaton', header: options.header !== false });
    this.run = el('button', { class: 'button primary', type: 'button', 'data-action': 'extract-automaton',
      text: 'Extract automaton', onclick: () => this.fetch(true) });
    // a new k re-extracts at once when a machine is on screen (else it waits for the button)
    this.k = el('select', { 'data-field': 'k', onchange: () => { if (this.data) this.fetch(true); } }, K_CHOICES.map((k) => el('option', { value: k ?? '', text: k === null ? 'smallest that holds' : String(k) })));
    this.status = el('p', { class: 'analysis-status', 'data-role': 'automaton-status',
      text: `Cluster the hidden states of ${ANALYSIS_SEQUENCES} sampled sequences into a finite machine; agreement is measured on ${HELD_OUT} fresh ones.` });
    this.figures = el('div', { class: 'analysis-figures', 'data-role': 'automaton-figures' });
    this.search = el('p', { class: 'automaton-ksearch', 'data-role': 'automaton-ksearch' });
    const machine = el('div', { class: 'automaton-machine' }, el('h4', { text: 'Extracted from the network' }));
    this.grammarBox = el('div', { class: 'automaton-grammar' }, el('h4', { text: 'The task\u2019s grammar' }));
    this.graphs = el('div', { class: 'automaton-graphs', hidden: true }, machine, this.grammarBox);
    this.strip = el('div', { class: 'automaton-trace', 'data-role': 'automaton-trace' });
    this.frame.body.append(el('div', { class: 'analysis-bar' }, this.run, el('label', {}, 'k clusters', this.k)),
      this.status, this.figures, this.search, this.graphs, this.strip);
    this.machine = new GraphView(machine, { onSelect: (id) => links.set({ selected: links.selected === Number(id) ? null : Number(id) }) });
    this.grammarGraph = new GraphView(this.grammarBox, {});
    this.unlisten = links.listen(() => this.paint());
    this.props = {};
    this.data = null;
    this.requested = null;
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    if (props.name !== previous.name) {
      this.data = null;
      this.requested = null;
      this.graphs.hidden = true;
      this.figures.replaceChildren();
      this.search.replaceChildren();
      this.strip.replaceChildren();
      if (links.automaton) links.set({ automaton: null, selected: null });
    }
    if (this.data && props.text !== previous.text) this.fetch(false); // the new input's states, same machine
    else this.paint();
  }

  async fetch(fromButton) {
    const { name, text } = this.props;
    if (!name) return;
    // a new input keeps the k found (the same seeded clusters), so only the text's states are new
    const k = fromButton ? (this.k.value ? Number(this.k.value) : null) : this.data?.k ?? null;
    const body = { sequences: ANALYSIS_SEQUENCES, seed: ANALYSIS_SEED, k, held_out: HELD_OUT, text };
    const key = JSON.stringify([name, body]);
    if (!fromButton && key === this.requested) return;
    this.requested = key;
    this.stopBusy?.(); // an older request's clock stops writing
    const stop = this.stopBusy = busyStatus(this.status, k === null ? 'Clustering the states and searching for the smallest k whose machine holds…'
      : `Clustering the states into ${k} clusters…`);
    this.run.disabled = true;
    try {
      const data = await api.analysisAutomaton(name, body);
      if (key !== this.requested) return;
      if (!fromButton && this.data?.k_search) data.k_search = this.data.k_search; // searched once, kept
      this.data = data;
      this.status.textContent = '';
      this.status.className = 'analysis-status';
      this.describe();
      this.graphs.hidden = false;
      links.set({ automaton: data, selected: fromButton ? null : links.selected });
    } catch (error) {
      if (key !== this.requested) return;
      this.status.textContent = `No automaton: ${error.detail ?? error}`;
      this.status.className = 'analysis-status error';
    } finally {
      stop();
      this.run.disabled = false;
    }
  }

  /** The engine's figures, as it computed them. */
  describe() {
    const d = this.data;
    const figure = (label, value, role) => el('span', { 'data-figure': role }, `${label} `, el('b', { text: value }));
    const items = [figure('k =', String(d.k), 'k'), figure('states after minimisation:', String(d.states.length), 'states')];
    if (d.agreement !== null && d.agreement !== undefined) {
      items.push(figure('agreement with the grammar:', d.agreement.toFixed(3), 'agreement'));
    }
    if (d.acceptance !== null && d.acceptance !== undefined) items.push(figure('acceptance:', d.acceptance.toFixed(3), 'acceptance'));
    if (d.purity !== null && d.purity !== undefined) items.push(figure('purity:', d.purity.toFixed(3), 'purity'));
    if (d.fidelity !== null && d.fidelity !== undefined) items.push(figure('fidelity to the network:', d.fidelity.toFixed(3), 'fidelity'));
    if (d.held_out_steps) items.push(el('span', { text: `on ${formatInt(d.held_out_steps)} steps of ${HELD_OUT} fresh strings` }));
    this.figures.replaceChildren(...items);
    this.figures.title = 'agreement: share of steps of fresh strings where the machine\u2019s predicted next-symbol set equals the grammar\u2019s legal set; '
      + 'acceptance: share of steps where the machine accepts exactly where the string ends; '
      + 'purity: share of steps whose grammar state is their machine state\u2019s majority one; fidelity: share where the machine predicts what the network does';
    this.search.textContent = d.k_search?.length
      ? `k search: ${d.k_search.map((s) => `k ${s.k} → ${s.states} states, ${searchScore(s)}`).join(' · ')}`
      : '';
  }

  /** The graphs and the strip, lit for the current step and the selected state. */
  paint() {
    const d = this.data;
    if (!d) return;
    const { step = 0, symbols = [] } = this.props;
    const textStates = d.text_states ?? [];
    const t = Math.min(step, textStates.length - 1);
    const before = t > 0 ? textStates[t - 1] : d.start;
    const lit = t >= 0 ? { node: String(textStates[t]), edge: [String(before), String(textStates[t])],
      walked: new Set(textStates.slice(0, t).map((s, i) => `${i ? textStates[i - 1] : d.start}\u2192${s}`)) } : {};
    this.machine.update({
      nodes: d.states.map((s) => ({ id: String(s.id), label: `q${s.id}`, fill: grammarStateColor(s.grammar_state), title: stateTitle(s) })),
      edges: d.transitions.map((e) => ({ from: String(e.from), to: String(e.to), symbol: e.symbol })),
      start: String(d.start), end: d.states.filter((s) => s.accepting).map((s) => String(s.id)),
      lit, selected: links.selected === null ? null : String(links.selected),
      ariaLabel: `the extracted automaton: ${d.states.length} states`,
    });
    this.grammarBox.hidden = !d.grammar;
    if (d.grammar) this.grammarGraph.update({ ...grammarGraph(d.grammar), lit: litAt(walkGrammar(d.grammar, symbols), step) });
    // a large machine or grammar (embedded Reber: 20 states), or one that would shrink much in half the
    // panel, gets the panel's whole width: the two one above the other
    const half = (this.graphs.clientWidth - 18) / 2;
    const wide = [this.machine, d.grammar ? this.grammarGraph : null].some((g) => g && g.naturalWidth > half * SHRINK_BESIDE);
    const stacked = wide || Math.max(d.states.length, d.grammar?.states.length ?? 0) > LARGE_GRAPH;
    if (stacked !== this.graphs.classList.contains('stacked')) {
      this.graphs.classList.toggle('stacked', stacked);
      this.machine.fit();
      this.grammarGraph.fit();
    }
    this.paintStrip(symbols, textStates, t);
  }

  /** The current input, one chip per step with its machine state; the selected state's steps marked. */
  paintStrip(symbols, textStates, current) {
    this.strip.replaceChildren(...symbols.map((symbol, t) => el('button', {
      type: 'button', 'data-step': t, 'data-state': textStates[t],
      class: `automaton-trace-step${t === current ? ' current' : ''}${links.selected !== null && textStates[t] === links.selected ? ' marked' : ''}`,
      title: `step ${t + 1}: ${symbol}, machine state q${textStates[t]}`, onclick: () => this.options.onSelectStep?.(t) },
    symbol, el('small', { text: textStates[t] === undefined ? '' : `q${textStates[t]}` }))));
  }

  reset() {
    this.unlisten();
    links.set({ automaton: null, selected: null }); // the panel closed: the cloud drops its machine
    this.machine.reset();
    this.grammarGraph.reset();
    this.frame.remove();
  }
}

function stateTitle(s) {
  const mapped = s.grammar_state === null ? 'no grammar state' : `mostly grammar state ${s.grammar_state} (purity ${s.purity.toFixed(2)})`;
  return `q${s.id}: ${formatInt(s.size)} steps; predicts ${s.next.join(', ') || 'nothing'} next; ${mapped}`;
}

/** A k trial's scores as the search judged them: agreement, and acceptance where there is a grammar. */
function searchScore({ agreement, acceptance }) {
  const next = agreement === null ? '\u2014' : agreement.toFixed(2);
  return acceptance === null || acceptance === undefined ? next : `${next} / accepts ${acceptance.toFixed(2)}`;
}
