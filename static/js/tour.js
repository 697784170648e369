/**
 * tour.js — a guided way through the explorer for a newcomer, in the order of
 * the subject (docs/design.md): each chapter opens a model, an input, a pass and
 * the panels that show the point, and says in a few sentences what to look
 * at. Leaving the tour keeps the view, to explore from there.
 */

import { el, setMath } from './lib/dom.js';

const END = 'end'; // a chapter's step: 'end' is the start of the pass (see main.js), otherwise a 0-based index
// An embedded Reber string whose long-range symbol (the P at step 2) must be predicted at step 22.
const LONG_RANGE = { input: 'BPBPVPXTTTVPXVPXVPXVVEPE', source: 21 };

export const CHAPTERS = [
  {
    title: 'Sequences, one step at a time',
    model: 'elman-reber', mode: 'forward', step: 0, panels: ['outputs', 'hidden'],
    text: 'A recurrent network reads a sequence one symbol x_t at a time and answers at every step: here it predicts which symbols of the Reber grammar may come next (many-to-one tasks, such as adding, answer only at the end). Press → or ▶ and watch the input enter at the top and the output appear below it.',
  },
  {
    title: 'The Elman network and its context layer',
    model: 'elman-reber', mode: 'forward', step: 3, panels: ['hidden', 'outputs'],
    text: 'On the left, the network folded up: the hidden layer h_t reads the input and the context layer, which is just a copy of the previous h. Step through and watch the context strip take on the values h had one step before: that copy is the network\u2019s only memory.',
  },
  {
    title: 'Unrolling: the same weights at every step',
    model: 'elman-reber', mode: 'forward', step: END, panels: ['weights', 'hidden'],
    text: 'Unrolled in time the network is a deep feed-forward chain, one column per step. Every column uses the same W_xh, W_hh and W_hy: the Weights panel holds the only copy there is.',
  },
  {
    title: 'The loss is a sum over steps',
    model: 'elman-reber', mode: 'forward', step: 0, panels: ['outputs', 'gradnorm'],
    text: 'Each step\u2019s output is scored against its target, giving L_t (the bars at the bottom). The loss training lowers is L = L_1 + L_2 + … + L_T: press ▶ and watch the sum grow in the bar under the network.',
  },
  {
    title: 'Backpropagation through time',
    model: 'elman-reber', mode: 'backward', step: END, source: -1, panels: ['gradnorm', 'gradflow'],
    text: 'BPTT runs the chain backwards, from the last step to the first. The arrows now point back and their thickness is the size of the gradient reaching each step; the gradient of L with respect to W_hh is the sum of every step\u2019s share.',
  },
  {
    title: 'The short-term memory problem',
    model: 'elman-embedded-reber', input: LONG_RANGE.input, source: LONG_RANGE.source, mode: 'backward', step: END,
    panels: ['gradflow', 'gradnorm'],
    text: 'In an embedded Reber string the symbol after the inner E must repeat the second symbol, here the P at step 2. Follow the error of that prediction (step 22, in purple) back through the Elman net: the arrows thin step by step and the readout shows how little of it reaches step 2: every step back multiplies the gradient by W_hh and tanh\u2032, so it shrinks geometrically. Over long gaps it vanishes and a plain RNN cannot learn the dependency: the short-term memory problem. (Over this gap of about 20 steps the net still learnt it, slowly, from a faint signal.)',
  },
  {
    title: 'LSTM and GRU gates',
    model: 'lstm-embedded-reber', input: LONG_RANGE.input, source: LONG_RANGE.source, mode: 'backward', step: END,
    panels: ['gates', 'gradflow'], compare: ['elman-embedded-reber'],
    text: 'The LSTM adds a cell state c_t that the forget gate f can carry unchanged (f ≈ 1). The same error now reaches step 2 about a hundred times stronger than through the Elman net below. Click a step to open its cell: what does each gate add to c_t or remove from it? (A GRU does the same with two gates, r and z.)',
  },
  {
    title: 'Remembering over a long gap',
    model: 'lstm-copy', mode: 'backward', step: END, panels: ['outputs', 'gradflow'], compare: ['elman-copy'],
    text: 'The delayed-recall task: read three symbols, wait through 30 blanks, then say them back. Both networks were trained for 12,000 steps. The LSTM recalls them (every recall step right on 512 new sequences); the Elman net below stays at chance (26%, about one in four). Follow the error of the last recall step back: through the LSTM it still reaches the symbols at the start, through the Elman net it has faded long before.',
  },
  {
    title: 'What the gates cost',
    model: 'lstm-embedded-reber', mode: 'forward', step: END, panels: ['hidden'], compare: ['elman-embedded-reber'],
    text: 'Gates are not free: an LSTM has four weight blocks (i, f, g, o) where the Elman net has one, so about four times the weights. The table under the network compares the weights and the training speed of each model, measured for all demo models in one run. At these small sizes per-step overhead hides much of the difference; at H = 128 an LSTM step took 1.17x and a GRU step 2.33x the Elman net\u2019s time (docs/benchmarks.md).',
  },
  {
    title: 'Second-order networks and the Reber grammar',
    model: 'second-order-reber', mode: 'forward', step: 0, panels: ['outputs', 'hidden'],
    text: 'In a second-order network the input multiplies the state: each symbol picks its own recurrent matrix, like the transitions of the Reber grammar\u2019s finite-state machine. Step through and compare the predicted next symbols with the legal ones: the grammar is non-deterministic, so two symbols are often right.',
  },
  {
    title: 'I speak fluent ___',
    model: 'lstm-fluent', mode: 'backward', step: END, source: null, panels: ['outputs', 'gradflow'],
    text: '“France is where I grew up, but I now live in Boston. … I speak fluent ___”: the answer depends on a word far back. The cursor sits on the step after “fluent”; the Outputs panel shows the language the LSTM names. Press ▶ to run BPTT back and watch how much of that error still reaches “france”. Type your own sentence in the input box to test it.',
  },
];

export class TourView {
  /** onChapter(delta): move by delta chapters; onLeave(): close the tour, keep the view. */
  constructor(container, { onChapter, onLeave }) {
    this.onChapter = onChapter;
    this.title = el('h2', { class: 'tour-title' });
    this.counter = el('span', { class: 'tour-counter' });
    this.text = el('p', { class: 'tour-text' });
    this.note = el('p', { class: 'tour-note', hidden: true });
    this.prev = el('button', { class: 'button', type: 'button', text: '← Back', onclick: () => this.go(-1) });
    this.next = el('button', { class: 'button primary', type: 'button', text: 'Next →', onclick: () => this.go(1) });
    this.root = el('aside', { class: 'tour', 'data-role': 'tour', hidden: true, 'aria-label': 'guided tour' },
      el('header', { class: 'tour-head' }, this.counter, this.title),
      this.text,
      el('div', { class: 'button-row' }, this.next, this.prev,
        el('button', { class: 'button subtle', type: 'button', 'data-action': 'leave-tour', text: 'Explore freely ×',
          title: 'Leave the tour and keep this view', onclick: onLeave })),
      this.note);
    container.append(this.root);
    this.chapter = null;
  }

  /** props: {chapter: index or null, missing: model name not in the store, or null} */
  update({ chapter, missing }) {
    this.root.hidden = chapter === null;
    document.body.classList.toggle('tour-open', chapter !== null);
    if (chapter === null) return;
    const spec = CHAPTERS[chapter];
    this.chapter = chapter;
    this.counter.textContent = `Tour · ${chapter + 1} of ${CHAPTERS.length}`;
    this.title.textContent = spec.title;
    setMath(this.text, spec.text);
    this.note.hidden = !missing;
    this.note.textContent = missing ? `The model ${missing} is not in the store: run python -m app.demo_models to make it.` : '';
    this.prev.disabled = chapter === 0;
    this.next.textContent = chapter === CHAPTERS.length - 1 ? 'Finish' : 'Next →';
    this.root.dataset.chapter = chapter;
  }

  go(delta) {
    this.onChapter(delta); // the page knows the chapter on screen: quick clicks must not skip or repeat one
  }
}

/** The state a chapter opens (its step resolved once the trace's length is known). */
export function chapterState(index) {
  const spec = CHAPTERS[index];
  return {
    tour: index,
    model: spec.model,
    input: spec.input ?? null,
    mode: spec.mode,
    source: spec.source ?? null,
    panels: spec.panels,
    compare: spec.compare ?? [],
    step: spec.step === END ? Number.MAX_SAFE_INTEGER : spec.step,
  };
}
