/**
 * panels.js — the panels under the network: which exist, what each says in
 * one plain line, the equation behind it, and which view draws it.
 *
 * The views (static/js/views/*.js) are small classes with update(props) and
 * reset(); this module only hands them props. A view module that fails to
 * load leaves a note in its panel instead of breaking the page.
 */

import { GATE_WORDS, gateTitle } from './catalog.js';
import { el, setMath } from './lib/dom.js';
import { lossEquation } from './tracemodel.js';
import { targetOfLabel } from './unitpick.js';

/** Every panel: id, title, one-line caption, equation(ctx), view module and class, props(ctx). */
export const PANELS = [
  {
    id: 'hidden', title: 'Hidden state', view: ['heatmap', 'HeatmapView'],
    caption: 'Every hidden unit (rows) at every step (columns): red is positive, blue negative, pale near zero.',
    equation: ({ arch }) => arch?.equations?.find((e) => e.startsWith('h_t')) ?? 'h_t = tanh(W_xh x_t + W_hh h_{t-1} + b)',
    props: ({ model, step, mode }) => ({ matrix: model.trace.h, step, domain: [-1, 1], valueLabel: 'h_t',
      colLabels: model.trace.labels, fade: fadeOf(mode) }),
  },
  {
    id: 'gates', title: 'Gates', view: ['heatmap', 'HeatmapView'], multi: true,
    caption: 'How open each gate is, for every unit and step: dark is open (1), pale is shut (0).',
    equation: ({ arch }) => (arch?.equations ?? []).slice(0, -1).join(';  ') || 'this cell has no gates',
    props: ({ model, step, mode }) => {
      const common = { step, colLabels: model.trace.labels, fade: fadeOf(mode), maxPlotHeight: 160 };
      const gates = Object.entries(model.trace.gates ?? {}).map(([name, matrix]) => ({ ...common, matrix,
        title: gateTitle(name), domain: GATE_WORDS[name]?.signed ? [-1, 1] : [0, 1], valueLabel: name }));
      if (model.trace.c) gates.push({ ...common, matrix: model.trace.c, title: 'c_t — cell state', symmetric: true, valueLabel: 'c_t' });
      return gates;
    },
  },
  {
    id: 'gradnorm', title: 'Gradient reaching each step', view: ['linechart', 'LineChartView'],
    caption: 'How much of the loss\u2019s gradient reaches h_t, on a log scale: a steep fall to the left is the vanishing gradient.',
    equation: () => '∂L/∂h_t = ∂L_t/∂h_t + (∂h_{t+1}/∂h_t)ᵀ ∂L/∂h_{t+1}',
    props: ({ model, step }) => ({
      series: [
        { name: '‖∂L/∂h_t‖', points: model.gradNorm.map((v, t) => [t + 1, v]) },
        ...(model.gradCNorm ? [{ name: '‖∂L/∂c_t‖', points: model.gradCNorm.map((v, t) => [t + 1, v]) }] : []),
      ],
      logY: true, step: step + 1, xLabel: 'step t', yLabel: 'gradient norm',
    }),
  },
  {
    id: 'gradflow', title: 'Gradient flow', view: ['gradflow', 'GradFlowView'],
    caption: 'Row s, column t: how much of step s\u2019s error L_s reaches back to step t. Dark far from the diagonal means long memory.',
    equation: () => '‖∂L_s/∂h_t‖ = ‖(∂h_{t+1}/∂h_t)ᵀ ⋯ (∂h_s/∂h_{s-1})ᵀ ∂L_s/∂h_s‖,  t ≤ s',
    props: ({ model, step, mode }) => ({ gradFlow: model.trace.grad_flow, step, mode, labels: model.trace.labels }),
  },
  {
    id: 'outputs', title: 'Outputs at this step', view: ['outputs', 'OutputsView'],
    caption: 'What the network says comes next, against what may (or does) come next.',
    equation: ({ model }) => lossEquation(model.trace),
    props: ({ model, step }) => ({ trace: model.trace, step }),
  },
  {
    id: 'weights', title: 'Weights', view: ['weights', 'WeightsView'], needsWeights: true,
    caption: 'The learnt matrices, one set shared by every step: red positive, blue negative.',
    equation: ({ arch }) => Object.keys(arch?.shared_matrices ?? {}).join(', ') + ' — the same at every step',
    props: ({ weights, arch }) => ({ tensors: weights?.tensors ?? {},
      gates: (arch?.gate_names ?? []).map((name) => [name, GATE_WORDS[name]?.title ?? 'gate']) }),
  },
  {
    id: 'grammar', title: 'Grammar', view: ['./grammar', 'GrammarView'],
    caption: 'The grammar that generates the task\u2019s strings: step through the input and watch where it is in the graph.',
    equation: ({ detail }) => (detail?.task.grammar ? `${detail.task.grammar.name}: ${detail.task.grammar.states.length} states; a string is a walk from start to end` : ''),
    props: ({ model, step, detail, typed }) => ({ grammar: detail?.task.grammar ?? null, symbols: model.trace.labels, typed, step }),
  },
  {
    id: 'statespace', title: 'State space', view: ['./statespace', 'StateSpaceView'],
    caption: 'Every hidden state h_t of many sampled sequences, projected on its two main directions (PCA); the input\u2019s own path drawn through them.',
    equation: () => 'h_t ≈ mean + z_1 a_1 + z_2 a_2   (a_1, a_2: the directions of most variance)',
    props: ({ model, step, name, input }) => ({ name, text: input, symbols: model.trace.labels, step, hasCell: Boolean(model.trace.c) }),
  },
  {
    id: 'automaton', title: 'Extracted automaton', view: ['./automaton', 'AutomatonView'],
    caption: 'The hidden states clustered (k-means) into a finite machine, drawn beside the true grammar, its states coloured by the grammar state they mostly are.',
    equation: () => 'state = nearest cluster of h_t;  edge s → s\u2032 on x: where most steps of s reading x go',
    props: ({ model, step, name, input }) => ({ name, text: input, symbols: model.trace.labels, step }),
  },
  {
    id: 'units', title: 'Unit inspector', view: ['./unitinspector', 'UnitInspectorView'],
    caption: 'One unit of h_t, c_t or a gate over many sampled sequences: its mean by symbol, grammar state and step, where it peaks, the units like it; or mark steps of the input to find the units on there and off elsewhere.',
    equation: () => 'mean over every step where the symbol (state, step) is x;  similar: correlation over the same steps',
    props: ({ model, step, name, input, detail }) => ({ name, text: input, trace: model.trace, step, hidden: model.H, grammar: Boolean(detail?.task.grammar) }),
  },
  {
    id: 'interventions', title: 'Interventions', view: ['./clamp', 'ClampView'],
    caption: 'Clamp a unit (or every unit) of h_t, c_t or a gate to a value, at one step or all: the network above runs clamped, and what changed is marked.',
    equation: () => 'h_t[j] := v (or c_t[j], or a gate\u2019s g_t[j]) in the forward pass; the gradient does not flow through a clamped value',
    props: ({ model, step }) => ({ trace: model.trace, step, hidden: model.H }),
  },
  {
    id: 'generate', title: 'Generate', view: ['./generate', 'GenerateView'],
    caption: 'Let the network write: each next symbol drawn from its own output, at a temperature; the first sample is traced.',
    equation: () => 'x_{t+1} ~ p_k ∝ exp(s_k / τ)   (s_k: the logit; log σ of it for a Reber net\u2019s sigmoid outputs; τ: the temperature)',
    props: ({ name, detail, typed }) => ({ name, task: detail?.task ?? null, typed }),
  },
];

const fadeOf = (mode) => (mode === 'backward' ? 'before' : 'after'); // dim the steps the pass has not reached

export const PANEL_IDS = PANELS.map((panel) => panel.id);
const byId = Object.fromEntries(PANELS.map((panel) => [panel.id, panel]));
const viewClasses = new Map(); // module name -> Promise<class | null>

function loadView([module, name]) {
  if (!viewClasses.has(module)) {
    // a bare name is a view of views/; './name' a panel module of its own beside this one
    const path = module.startsWith('./') ? `${module}.js` : `./views/${module}.js`;
    viewClasses.set(module, import(path).then((m) => m[name] ?? null).catch((error) => {
      console.warn(`panel view ${module}.js could not be loaded`, error);
      return null;
    }));
  }
  return viewClasses.get(module);
}

/** The panel grid: opens, closes and feeds the panels named in state.panels. */
export class PanelHost {
  constructor(container, { onClose, onSelectStep, onInput, onSelectCell }) {
    this.grid = el('div', { class: 'panel-grid' });
    container.append(this.grid);
    this.onClose = onClose;
    this.onSelectStep = onSelectStep;
    this.onInput = onInput; // (text, step): a view may load a sequence into the input box (the state space's points)
    // a heatmap cell clicked: {target, unit, step} for the unit inspector and the clamp form
    this.onSelectCell = (row, col, valueLabel) => { const target = targetOfLabel(valueLabel); if (target) onSelectCell?.({ target, unit: row, step: col }); };
    this.open = new Map(); // id -> {section, body, views: [], caption, equation}
    this.context = null;
  }

  /** ctx: {model, arch, step, mode, source, weights, panels, name, detail, input, typed}; stepOnly: only the step moved. */
  update(ctx, stepOnly = false) {
    this.context = ctx;
    if (!stepOnly) this.sync(ctx.panels);
    if (!ctx.model) return;
    for (const [id, panel] of this.open) this.feed(byId[id], panel, ctx, stepOnly);
  }

  sync(ids) {
    for (const [id, panel] of this.open) {
      if (!ids.includes(id)) {
        panel.views.forEach((view) => view?.reset?.());
        panel.section.remove();
        this.open.delete(id);
      }
    }
    for (const id of ids) {
      if (this.open.has(id) || !byId[id]) continue;
      this.open.set(id, this.build(byId[id]));
    }
    for (const id of ids) if (this.open.has(id)) this.grid.append(this.open.get(id).section); // keep the URL's order
  }

  build(spec) {
    const equation = el('div', { class: 'equation' });
    const body = el('div', { class: `panel-body${spec.multi ? ' panel-multi' : ''}` });
    const section = el('section', { class: 'panel', 'data-panel': spec.id },
      el('header', { class: 'panel-head' },
        el('h3', { text: spec.title }),
        el('button', { class: 'icon-button', type: 'button', title: `Close ${spec.title}`, text: '×', onclick: () => this.onClose(spec.id) })),
      el('p', { class: 'caption', math: spec.caption }),
      equation, body);
    const panel = { section, body, equation, views: [], ViewClass: null, key: null };
    loadView(spec.view).then((ViewClass) => {
      panel.ViewClass = ViewClass;
      if (!ViewClass) body.replaceChildren(el('p', { class: 'note', text: 'This panel\u2019s view is not available.' }));
      if (this.context?.model && this.open.get(spec.id) === panel) this.feed(spec, panel, this.context, false);
    });
    return panel;
  }

  feed(spec, panel, ctx, stepOnly) {
    if (!panel.ViewClass) return;
    if (spec.needsWeights && stepOnly) return; // weights do not change with the step
    if (!stepOnly) setMath(panel.equation, spec.equation(ctx));
    let props = spec.props(ctx);
    if (!spec.multi) props = [props];
    if (spec.multi && props.length === 0) {
      if (!panel.empty) panel.body.replaceChildren(panel.empty = el('p', { class: 'note', text: 'This cell has no gates: only LSTM and GRU cells do.' }));
      panel.views = [];
      return;
    }
    if (panel.empty) { panel.empty.remove(); panel.empty = null; }
    while (panel.views.length > props.length) panel.views.pop().holder.remove();
    while (panel.views.length < props.length) {
      const holder = el('div', { class: 'panel-view' });
      panel.body.append(holder);
      // a single view leaves its header to the panel; the gate views keep theirs to name each gate
      const view = new panel.ViewClass(holder, { header: Boolean(spec.multi), onSelectStep: this.onSelectStep, onInput: this.onInput,
        onSelectCell: this.onSelectCell, maxPlotHeight: spec.multi ? 160 : undefined });
      view.holder = holder;
      panel.views.push(view);
    }
    props.forEach((p, i) => panel.views[i].update(p));
  }
}
