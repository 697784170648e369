/**
 * tour.js — a guided way through the explorer for a newcomer, in the order of
 * the subject (docs/design.md): each chapter opens a model, an input, a pass and
 * the panels that show the point, and says in a few sentences what to look
 * at. Leaving the tour keeps the view, to explore from there.
 *
 * Every number a chapter states is a figure the server measures on the shown models over many
 * seeded sequences ({figure.path|format} in the text, tourfigures.js fills it in): a median and
 * range, never one favourable example, and where the evidence differs from the textbook the text
 * says what the evidence says.
 */

import { el, setMath } from './lib/dom.js';
import { TourFigures, fillTemplate } from './tourfigures.js';

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
    title: 'Shortcut connections: do they help?',
    model: 'shortcut-reber', mode: 'forward', step: 3, panels: ['outputs', 'weights'], compare: ['elman-reber'],
    text: 'A shortcut net adds a direct path from the input to the output, y_t = W_hy h_t + W_xy x_t + b_y, so the '
      + 'output can read the current symbol without the hidden layer learning to pass it on. In the Reber grammar the '
      + 'next symbol depends much on the current one, so the textbook expects such a net to learn faster. The table '
      + 'under the bars splits each output into its terms: over {shortcut_pair.sequences|int} random strings the W_xy x_t '
      + 'path is a median {shortcut_pair.direct_share.median|pct} of the two paths\u2019 size in this net (from '
      + '{shortcut_pair.direct_share.min|pct} to {shortcut_pair.direct_share.max|pct}): the hidden layer does most of the '
      + 'work. Trained with the same recipe and seed as the Elman net below, its training log held '
      + '{shortcut_pair.level|pct} from step {shortcut_pair.shortcut_learned_at|int}, the Elman net\u2019s from step '
      + '{shortcut_pair.elman_learned_at|int}. One pair proves little, so the shortcuts experiment trained both nets from '
      + '{shortcuts.seeds|int} seeds at {shortcuts.size_count|int} sizes until each predicted exactly the set of legal '
      + 'next symbols at {shortcuts.level|pct} of the steps: {shortcuts.successes|int} of {shortcuts.runs|int} runs got there (with {shortcuts.smallest.shortcut.runs|int} '
      + 'runs a size, a success rate\u2019s {shortcuts.confidence|pct} interval is still as wide as '
      + '{shortcuts.smallest.shortcut.interval_low|pct} to {shortcuts.smallest.shortcut.interval_high|pct}). At H = {shortcuts.smallest.hidden|int} the shortcut net needed a '
      + 'median {shortcuts.smallest.shortcut.steps.median|int} steps (middle half {shortcuts.smallest.shortcut.steps.q1|int} '
      + 'to {shortcuts.smallest.shortcut.steps.q3|int}) against {shortcuts.smallest.elman.steps.median|int} '
      + '({shortcuts.smallest.elman.steps.q1|int} to {shortcuts.smallest.elman.steps.q3|int}), a change of '
      + '{shortcuts.smallest.median_change|pct} in the median, and was first in {shortcuts.smallest.faster|int} of '
      + '{shortcuts.smallest.pairs|int} seed pairs, later in {shortcuts.smallest.slower|int} (sign test p = '
      + '{shortcuts.smallest.sign_p|num}); at H = {shortcuts.largest.hidden|int}, {shortcuts.largest.shortcut.steps.median|int} '
      + 'against {shortcuts.largest.elman.steps.median|int} ({shortcuts.largest.median_change|pct}). Over every size it was '
      + 'first in {shortcuts.faster|int} pairs, later in {shortcuts.slower|int} and tied in {shortcuts.tied|int} (p = '
      + '{shortcuts.sign_p|num}). The evidence is of a small gain for the smallest net at most, within the seed-to-seed '
      + 'spread, not the clear speed-up the textbook suggests: even a few hidden units learn to pass the current symbol '
      + 'on almost as fast as a direct path.',
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
    text: 'In an embedded Reber string the symbol after the inner E must repeat the second symbol, here the P at step 2. '
      + 'Follow the error of that prediction (step 22, in purple) back through the Elman net: the arrows thin as they go '
      + 'back, because every step back multiplies the gradient by W_hh and tanh\u2032, a factor below one on the whole though '
      + 'not at every step. Over {gradient_to_branch.sequences|int} random '
      + 'strings with this gap of {gradient_to_branch.gap|int} steps, the share of the error that reaches the branch symbol has '
      + 'median {gradient_to_branch.elman_relative.median|num} (middle half {gradient_to_branch.elman_relative.q1|num} to '
      + '{gradient_to_branch.elman_relative.q3|num}), about {gradient_to_branch.elman_factor_per_step.median|num} per step. '
      + 'Yet this net learned the dependency: trained with Adam, its long-range accuracy held '
      + '{learning.level|pct} from training step {learning.elman_learned_at|int} (the LSTM\u2019s from step '
      + '{learning.lstm_learned_at|int}), and it is right on {learning.elman_accuracy|pct} of {learning.sequences|int} random '
      + 'strings. A faint signal summed over many updates was enough over this gap. Whether plain RNNs fail at longer '
      + 'gaps, as the textbook says, is what the Experiments view\u2019s short-term-memory experiment measures across seeds.',
  },
  {
    title: 'Short-term memory, measured across seeds',
    model: 'x-short-term-memory-elman-lag160-length1-n_symbols8-h32', mode: 'backward', step: END,
    panels: ['outputs', 'gradflow'], compare: ['x-short-term-memory-lstm-chrono_100-lag160-length1-n_sy-56671541'],
    text: 'One string shows a mechanism; a claim needs many runs. The short-term-memory experiment (the Experiments view) '
      + 'trained each net {memory.seeds|int} times per lag to recall one of {memory.n_symbols|int} symbols after '
      + '{memory.shortest_lag|int} to {memory.longest_lag|int} blanks, for at most {memory.max_steps|int} steps, a run counting '
      + 'as a success once it recalls {memory.level|pct} of {memory.held_out|int} newly drawn sequences (there are only '
      + '{memory.n_symbols|int} different ones at a lag, so none is new to the net: this is a test of memory, not of '
      + 'generalisation). The plain Elman net leans the textbook\u2019s way: at a lag of {memory.shortest_lag|int}, '
      + '{memory.variants.elman.shortest.successes|int} of {memory.variants.elman.shortest.runs|int} runs succeeded, and from '
      + 'a lag of {memory.variants.elman.fails_from|int} none did. But {memory.seeds|int} seeds per lag cannot show that its '
      + 'memory gives out: the {memory.confidence|pct} Wilson intervals for its success rate, '
      + '{memory.variants.elman.shortest.interval_low|pct} to {memory.variants.elman.shortest.interval_high|pct} at the '
      + 'shortest lag and {memory.variants.elman.longest.interval_low|pct} to {memory.variants.elman.longest.interval_high|pct} '
      + 'at the longest, overlap, so one rate could underlie both. More seeds narrow them: \u201cpython -m app experiment run '
      + 'short-term-memory --seeds N\u201d trains only the seeds not yet stored, and this chapter then reads the new '
      + 'counts. The surprise is the LSTM as PyTorch starts it: no run succeeded from a lag of '
      + '{memory.variants.lstm.fails_from|int} (where the Elman net still succeeded in some runs, though with so few seeds that does not rank the two), nor from '
      + '{memory.variants.lstm_forget_bias_1.fails_from|int} with its forget gates biased open by one. Started with chrono '
      + 'initialisation, whose forget gates begin by holding c for long spans, it succeeded at every lag, '
      + '{memory.variants.lstm_chrono_100.longest.successes|int} of {memory.variants.lstm_chrono_100.longest.runs|int} runs at '
      + '{memory.longest_lag|int}, and so did the GRU started the same way; the GRU as PyTorch starts it solved every run up '
      + 'to a lag of {memory.variants.gru.solved_to|int} and none at {memory.variants.gru.fails_from|int}. A plain net has '
      + 'its best case too: with ReLU units and W_hh started at the identity, the Elman net solved every run up to a lag of '
      + '{memory.variants.elman_relu_identity.solved_to|int}, and {memory.variants.elman_relu_identity.longest.successes|int} '
      + 'of {memory.variants.elman_relu_identity.longest.runs|int} at {memory.longest_lag|int} (again too few seeds to say '
      + 'its memory gives out there). So within this budget how a net starts decides how long a memory it learns, gated or not: forget gates '
      + 'started open, or a recurrence started at the identity. The second-order net failed even at the shortest lag '
      + '({memory.variants.second_order.shortest.successes|int} of {memory.variants.second_order.shortest.runs|int}), for '
      + 'a reason of its own: its input only multiplies the state, and the state starts at zero, so the first symbol, the '
      + 'one to recall, never enters it (Giles and colleagues start such nets from a state with one unit on). Above is an Elman net from the longest lag: follow its last recall\u2019s '
      + 'error back towards the step that read the symbol, and compare the chrono-started LSTM below.',
  },
  {
    title: 'LSTM and GRU gates',
    model: 'lstm-embedded-reber', input: LONG_RANGE.input, source: LONG_RANGE.source, mode: 'backward', step: END,
    panels: ['gates', 'gradflow'], compare: ['elman-embedded-reber'],
    text: 'The LSTM adds a cell state c_t, which each step multiplies by the forget gate f before adding new content: '
      + 'while f stays near one, c carries what it holds far. In this net the carry is not lossless: on the median of {forget_gates.sequences|int} random strings {forget_gates.steady_unit_share.median|pct} '
      + 'of the units keep f above {forget_gates.threshold|num} at every inner step, and the steadiest unit\u2019s lowest f is '
      + '{forget_gates.steadiest_lowest_f.median|num}. Compare the error reaching step 2 with the Elman net below: over '
      + '{gradient_to_branch.sequences|int} strings with this gap the LSTM\u2019s is {gradient_to_branch.ratio.median|x} the '
      + 'Elman net\u2019s at the median (middle half {gradient_to_branch.ratio.q1|x} to {gradient_to_branch.ratio.q3|x}), and the '
      + 'Elman net\u2019s is the larger in {gradient_to_branch.elman_larger_share|pct} of them, so this one string can show a '
      + 'gap far from typical. Click a step to open its cell: what does each gate add to c_t or remove from it? '
      + '(A GRU does the same with two gates, r and z.)',
  },
  {
    title: 'Remembering over a long gap',
    model: 'lstm-copy', mode: 'backward', step: END, panels: ['outputs', 'gradflow'], compare: ['elman-copy'],
    text: 'The delayed-recall task: read {delayed_recall.length|int} symbols, each one of {delayed_recall.n_symbols|int} (repeats '
      + 'allowed), wait through '
      + '{delayed_recall.lag|int} to {delayed_recall.max_lag|int} blanks (a new number each time), then say them back. Of '
      + 'the {delayed_recall.distinct_inputs|int} possible contents, the {delayed_recall.held_out_contents|int} that a hash of '
      + 'the symbols sets aside were never drawn in training, and the recall accuracies, saturations and gradient shares '
      + 'below are measured on them: sequences new to both nets. The LSTM (its forget gates started open by chrono initialisation) trained for '
      + '{delayed_recall.steps_trained.lstm|int} steps, the Elman net for {delayed_recall.steps_trained.elman|int}. How '
      + 'often does a plain Elman net learn a gap this long? The Experiments view has two measures, both of contents of '
      + 'length {memory_at_copy_lags.length|int} rather than {delayed_recall.length|int}: the vanishing-gradient '
      + 'experiment\u2019s runs reached its criterion at a lag of {vanishing_at_copy_lags.first.lag|int} in '
      + '{vanishing_at_copy_lags.first.successes|int} of {vanishing_at_copy_lags.first.runs|int} seeds within '
      + '{vanishing_at_copy_lags.max_steps|int} steps; the short-term-memory experiment\u2019s, within '
      + '{memory_at_copy_lags.max_steps|int} steps, in {memory_at_copy_lags.first.successes|int} of '
      + '{memory_at_copy_lags.first.runs|int} at a lag of {memory_at_copy_lags.first.lag|int} and in '
      + '{memory_at_copy_lags.next.successes|int} of {memory_at_copy_lags.next.runs|int} at '
      + '{memory_at_copy_lags.next.lag|int}. On '
      + '{delayed_recall.sequences|int} held-out sequences the LSTM recalls {delayed_recall.lstm_accuracy|pct} of the '
      + 'symbols, the Elman net {delayed_recall.elman_accuracy|pct}, about chance ({delayed_recall.chance|pct}). Outside '
      + 'the lags it trained on, at a lag of {delayed_recall.other_lag|int}, the LSTM recalls '
      + '{delayed_recall.lstm_accuracy_other_lag|pct}. The Elman net\u2019s training log, measured on its training '
      + 'batches, reached at best '
      + '{delayed_recall.elman_best_logged.metric|pct} (step {delayed_recall.elman_best_logged.step|int}); '
      + '{delayed_recall.elman_saturated|pct} of its hidden values are saturated (|h| above '
      + '{delayed_recall.saturation_level|num}, where tanh\u2032 passes almost nothing), against '
      + '{delayed_recall.lstm_saturated|pct} of the LSTM\u2019s: the model summary states both. Follow the error of the '
      + 'last recall step back to the step that read its symbol: a median {delayed_recall.lstm_relative_reach.median|num} '
      + 'of it arrives through the LSTM, {delayed_recall.elman_relative_reach.median|num} through the Elman net.',
  },
  {
    title: 'What the gates cost',
    model: 'lstm-embedded-reber', mode: 'forward', step: END, panels: ['hidden'], compare: ['elman-embedded-reber'],
    text: 'Gates are not free: an LSTM has four weight blocks (i, f, g, o) and a GRU three (r, z, n) where the Elman net '
      + 'has one. At H = {cost.hidden|int} the LSTM\u2019s cell weights (W_xh and W_hh) number {cost.lstm.core_weights|int} against '
      + 'the Elman net\u2019s {cost.elman.core_weights|int}, {cost.core_ratio|x} as many; with biases and the read-out, '
      + 'the Elman net, a GRU and the LSTM of this size have {cost.families.elman.parameters|int}, '
      + '{cost.families.gru.parameters|int} and {cost.families.lstm.parameters|int} parameters. Counting every matrix a step '
      + 'uses (W_xh, W_hh and W_hy), a step costs the GRU {cost.families.gru.multiply_adds_ratio|x} and the LSTM '
      + '{cost.families.lstm.multiply_adds_ratio|x} the Elman net\u2019s multiply-adds. Timed on this server (one '
      + 'training step on {cost.batch|int} strings of {cost.length|int} symbols, the median of {cost.rounds|int} '
      + 'interleaved rounds), two ways. With one plain step loop for every family, the same code for all, the GRU takes '
      + '{cost.timing.common.gru.ratio|x} and the LSTM {cost.timing.common.lstm.ratio|x} the Elman net\u2019s time. The '
      + 'multiply-adds are not all of it: a step runs as separate tensor operations, counting forward and backward, '
      + '{cost.families.elman.operations.total|int} for the Elman net, {cost.families.gru.operations.total|int} for the GRU '
      + 'and {cost.families.lstm.operations.total|int} for the LSTM. The GRU\u2019s reset gate multiplies W_hn h before the '
      + 'sum, so its input and recurrent parts cannot be added in one go as the LSTM\u2019s are: at H = {cost.hidden|int} the '
      + 'GRU has {cost.gru_over_lstm.multiply_adds|x} the LSTM\u2019s multiply-adds but {cost.gru_over_lstm.operations|x} its '
      + 'operations, and takes {cost.gru_over_lstm.time|x} its time. At H = {cost.large.hidden|int}, where the matrix '
      + 'products weigh more, it takes {cost.large.gru_over_lstm.time|x} the LSTM\u2019s time for '
      + '{cost.large.gru_over_lstm.multiply_adds|x} its multiply-adds. With PyTorch\u2019s fused kernels, what training '
      + 'runs, the GRU takes '
      + '{cost.timing.fused.gru.ratio|x} and the LSTM {cost.timing.fused.lstm.ratio|x}. The kernels are not equally '
      + 'optimised: on the CPU torch hands the LSTM to the oneDNN library\u2019s fused LSTM, and with oneDNN switched off '
      + 'the LSTM takes {cost.timing.fused_onednn_off.lstm.ratio|x} the Elman net\u2019s time. The table under the network '
      + 'compares the weights and the training speed measured when each model was trained: measured speed reflects the '
      + 'kernels as much as the weights.',
  },
  {
    title: 'Second-order networks and the Reber grammar',
    model: 'second-order-reber', mode: 'forward', step: 0, panels: ['outputs', 'hidden'],
    text: 'In a second-order network the input multiplies the state: each symbol picks its own recurrent matrix, like the '
      + 'transitions of the Reber grammar\u2019s finite-state machine. Step through and compare the predicted next symbols with '
      + 'the legal ones: the grammar is non-deterministic, and over {grammar_choices.sequences|int} random strings two symbols '
      + 'are legal at {grammar_choices.two_legal_share|pct} of the steps; this net predicts exactly the legal set at '
      + '{grammar_choices.accuracy|pct} of them.',
  },
  {
    title: 'I speak fluent ___',
    model: 'lstm-fluent', mode: 'backward', step: END, source: null, panels: ['outputs', 'gradflow'],
    text: '\u201cFrance is where I grew up, but I now live in Boston. \u2026 I speak fluent ___\u201d: the answer depends on a '
      + 'word far back. The cursor sits on the step after \u201cfluent\u201d; the Outputs panel shows the language the LSTM '
      + 'names. Press \u25b6 to run BPTT back and watch how much of that error still reaches \u201cfrance\u201d. This net was '
      + 'trained on fillers of {fluent_by_distance.trained_from|int} to {fluent_by_distance.trained_to|int} words between the '
      + 'country and the answer, in sentences put together from clauses about the country and the city, in either order, '
      + 'joined in different ways, now and then with filler in front or between: a net shown a few fixed sentences learns '
      + 'their shapes as well as the language. Over {fluent_by_distance.sequences|int} random sentences at each filler '
      + 'length from {fluent_by_distance.shortest|int} to {fluent_by_distance.longest|int} words its accuracy on the '
      + 'language is {fluent_by_distance.lowest.accuracy|pct} at the length where it is lowest. Sentences a person types '
      + 'with the task\u2019s words are harder. Of {fluent_by_distance.typed_new_count|int} in '
      + '{fluent_by_distance.typed_new_shapes|int} shapes its generator never writes (other wordings, filler sentences it '
      + 'never saw, a comma where it always read a full stop), each with every one of its '
      + '{fluent_by_distance.typed_countries|int} countries, it names the language of '
      + '{fluent_by_distance.typed_new_right|int} ({fluent_by_distance.typed_new_share|pct}); it misses some in '
      + '{fluent_by_distance.typed_new_missed_shapes|int} of those shapes, and the worst fools it: it is right in only '
      + '{fluent_by_distance.typed_new_worst.right|int} of {fluent_by_distance.typed_new_worst.count|int} sentences like '
      + '\u201c{fluent_by_distance.typed_new_worst.example}\u201d, where it answers '
      + '\u201c{fluent_by_distance.typed_new_worst.example_named}\u201d. With the shapes its generator writes among them, '
      + '{fluent_by_distance.typed_right|int} of {fluent_by_distance.typed_count|int} '
      + '({fluent_by_distance.typed_share|pct}). A wording unlike its training can still fool it: try one of your own in '
      + 'the input box.',
  },
  {
    title: 'What did it learn?',
    model: 'elman-reber', mode: 'forward', step: 0, panels: ['grammar', 'automaton', 'statespace', 'generate'],
    text: 'This network was shown strings of the Reber grammar, never its graph. Has it built the graph anyway? Its '
      + 'hidden states h_t over {learned.sequences|int} sampled strings fall into {learned.k|int} clusters (k-means, the '
      + 'smallest k that holds on fresh strings); reading which cluster follows which on each symbol, and merging those '
      + 'that behave alike, leaves a machine of {learned.states|int} states against the grammar\u2019s '
      + '{learned.grammar_states|int}: press Extract automaton to see it above the grammar, in the colours of the grammar '
      + 'states it stands for. On {learned.held_out_steps|int} steps of {learned.held_out|int} fresh strings the symbols it '
      + 'allows next are exactly the legal ones {learned.agreement|pct} of the time, and {learned.purity|pct} of the h_t '
      + 'lie in the grammar state of their machine state. Let it write (Generate): of {learned.samples|int} strings it '
      + 'draws, the grammar accepts {learned.accepted|int} ({learned.acceptance|pct}). The Unit inspector shows what one '
      + 'unit stands for; the Interventions panel tests it (open lstm-embedded-reber and its Interventions panel): with '
      + 'every forget gate shut in the middle of the inner string, the closing T or P is right on '
      + '{forget_shut.shut_right|int} of {forget_shut.sequences|int} random strings, against '
      + '{forget_shut.clean_right|int} unclamped. A guess between T and P would be right on about half, so wiping c loses '
      + 'the branch on many strings, and the strings above half show that some of it rides in h.',
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
    this.figures = new TourFigures();
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
    this.showText(spec.text, missing);
    if (!this.figures.ready(spec.text)) {
      // the figures are measured on the server (seconds the first time): fill them in when they come,
      // if this chapter is still the one on screen
      this.root.dataset.figures = 'loading';
      this.figures.load(spec.text).then(() => {
        if (this.chapter === chapter && !this.root.hidden) this.showText(spec.text, missing);
      });
    }
    this.prev.disabled = chapter === 0;
    this.next.textContent = chapter === CHAPTERS.length - 1 ? 'Finish' : 'Next →';
    this.root.dataset.chapter = chapter;
  }

  /** The chapter's text with its figures (… until they come), and the note on what is missing. */
  showText(template, missing) {
    setMath(this.text, fillTemplate(template, this.figures.known));
    const ready = this.figures.ready(template);
    const problem = missing
      ? `The model ${missing} is not in the store: run python -m app.demo_models to make it.`
      : this.figures.problems(template);
    const note = problem || (ready ? '' : 'Measuring this chapter\u2019s figures on the models (… until they come).');
    this.note.hidden = !note;
    this.note.textContent = note;
    this.root.dataset.figures = ready ? 'ready' : (problem ? 'failed' : 'loading');
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
