/**
 * main.js — wiring: read the state from the URL, load the catalog, trace the
 * model on screen, and hand every view its props when the state changes.
 *
 *   URL -> State --subscribe--> render(changed)
 *                                 |-- step only: cursor, folded, cell, panels (cheap, per frame)
 *                                 '-- otherwise: also traces, compare, drawer, tour
 *   api.trace(model, input) -> TraceModel -> views
 */

import { ApiError, api } from './api.js';
import { Catalog } from './catalog.js';
import { CellView } from './cell.js';
import { ClampMarks, clamps, interventionsOf } from './clamp.js';
import { ClassroomView } from './classroom.js';
import { CompareView } from './compare.js';
import { Controls } from './controls.js';
import { FoldedView } from './folded.js';
import { InputBox } from './inputbox.js';
import { setMath } from './lib/dom.js';
import { NetworkView, columnWidth } from './network.js';
import { PanelHost } from './panels.js';
import { PlaybackView } from './playback.js';
import { State } from './state.js';
import { TourView, chapterState, CHAPTERS } from './tour.js';
import { TraceModel } from './tracemodel.js';
import { TrainingView } from './training.js';
import { picked } from './unitpick.js';

const DEFAULT_MODELS = ['elman-reber', 'lstm-embedded-reber', 'elman-embedded-reber']; // first one present opens
const WEIGHTS_REFRESH_MS = 1000; // while training, the weights panel refetches at most this often
const $ = (role) => document.querySelector(`[data-role=${role}]`);

const state = State.fromSearch(location.search);
const catalog = new Catalog();
const main = { name: null, detail: null, model: null, input: null, weights: null, weightsOf: null }; // what is on screen
let compared = []; // [{name, detail, model, error}]
let loads = 0; // a newer load makes an older answer stale
let views = null;
let urlNotice = null; // {model, message}: the URL named a model there is none of; said while the fallback is shown

function banner(message) {
  const box = $('banner');
  box.textContent = message ?? '';
  box.hidden = !message;
}

async function boot() {
  const started = performance.now();
  try {
    await catalog.load();
  } catch (error) {
    return banner(`Cannot load the models: ${error.detail ?? error}`);
  }
  // ?tour=N alone opens chapter N as the tour sets it up (its model, input, mode, panels), not its
  // text over the default model; a URL that names its own model too is a view someone saved: kept
  const tour = state.get('tour');
  if (tour !== null && CHAPTERS[tour] && !new URLSearchParams(location.search).has('model')) state.set(chapterState(tour));
  if (!catalog.has(state.get('model'))) {
    const fallback = DEFAULT_MODELS.find((name) => catalog.has(name)) ?? catalog.usable()[0]?.name ?? null;
    // kept on screen while that model is shown (a successful trace clears other banners)
    if (state.get('model')) urlNotice = { model: fallback, message: `There is no model “${state.get('model')}”; showing ${fallback ?? 'nothing'} instead.` };
    state.set({ model: fallback });
  }
  views = makeViews();
  views.classroom.load(); // the header chip; not awaited: the models are on screen meanwhile
  state.subscribe((changed) => render(views, changed));
  if (!state.get('model')) banner('The model store is empty: build a model with “Build & train”, or run python -m app.demo_models.');
  await load(views);
  render(views, new Set(['all']));
  // for tests and the curious: the state, and how long the first screen took (ms since navigation began)
  window.unrolled = { state, catalog, views, firstScreenMs: performance.now(), bootMs: performance.now() - started };
  document.body.dataset.ready = '1';
  views.experiments.load(); // after the first screen, so its plots' code is never on the first trace's path
  return null;
}

/** The Experiments view, imported after the explorer's first screen, or at once when the URL opens it.
 * Until it has loaded, its tabs are plain links (a click loads the page with ?view=experiments). */
function lazyExperiments(options) {
  let view = null;
  let last = null; // the latest update, replayed once the view exists
  let loading = null;
  const load = () => (loading ??= import('./experiments.js').then(({ ExperimentsView }) => {
    view = new ExperimentsView($('experiments'), options);
    if (last) view.update(last);
  }));
  return {
    load,
    update(args) {
      last = args;
      if (view) view.update(args);
      else if (args.open) load();
    },
  };
}

function makeViews() {
  const network = $('network');
  const views = {
    controls: new Controls(document.body, { state, catalog }),
    classroom: new ClassroomView(document.querySelector('.topbar')),
    input: new InputBox($('input-area'), {
      onTrace: (text) => state.set({ input: text }), // never empty: the box refuses that itself
      onProbe: () => state.set({ input: null }),
    }),
    folded: new FoldedView(network),
    network: new NetworkView(network, {
      onStep: (step) => state.set({ step, cell: true }), // clicking a step (re)opens its cell
      onSource: (source) => state.set({ source }),
      onScroll: (left) => views.compare.scrollAll(left),
    }),
    cell: new CellView($('cell'), { onClose: () => state.set({ cell: false }), onOpen: () => state.set({ cell: true }) }),
    playback: new PlaybackView($('playback'), state),
    compare: new CompareView($('compare-slot'), {
      onStep: (step) => state.set({ step }),
      onSource: (source) => state.set({ source }),
      onRemove: (name) => state.set({ compare: state.get('compare').filter((n) => n !== name) }),
      onScroll: (left, name) => { views.network.scrollTo(left); views.compare.scrollAll(left, name); },
    }),
    panels: new PanelHost($('panels'), {
      onClose: (id) => state.set({ panels: state.get('panels').filter((p) => p !== id) }),
      onSelectStep: (step) => state.set({ step }),
      onInput: (text, step = 0) => state.set({ input: text, step }),
      onSelectCell: (cell) => picked.set(cell), // a heatmap cell: the unit inspector and the clamp form take it
    }),
    training: new TrainingView($('drawer'), {
      catalog,
      onCreated: (name) => state.set({ model: name, input: null, step: 0 }),
      onTrace: (name, trace) => streamed(views, name, trace),
      onFinished: () => refresh(views),
      onClose: () => state.set({ drawer: null }),
    }),
    tour: new TourView($('tour-slot'), {
      onChapter: (delta) => {
        const next = (state.get('tour') ?? 0) + delta;
        state.set(next >= 0 && next < CHAPTERS.length ? chapterState(next) : { tour: null });
      },
      onLeave: () => state.set({ tour: null }),
    }),
  };
  views.experiments = lazyExperiments({
    tabs: { explorer: $('tab-explorer'), experiments: $('tab-experiments') },
    onView: (view) => state.set({ view }),
    onShow: (experiment) => state.set({ experiment }),
    onOpenModel: (name) => state.set({ view: null, model: name, input: null, step: 0, compare: [] }),
  });
  views.clampMarks = new ClampMarks(views.network, { onPick: (cell) => picked.set(cell) });
  // a clamp added or removed: trace the model on screen again, with the clamps (clamp.js)
  clamps.listen(() => load(views).then(() => render(views, new Set(['trace']))));
  views.controls.onTour = () => state.set(chapterState(state.get('tour') ?? 0));
  // Esc leaves the tour (as its "Explore freely" does), unless a menu or field took the key first
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented || state.get('tour') === null) return;
    if (event.target.closest?.('input, textarea, select, details[open]')) return;
    state.set({ tour: null });
  });
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { views.network.resized(); render(views, new Set(['layout'])); }, 150);
  });
  return views;
}

/** Trace the model on screen (and the compared ones) for the current input. */
async function load(views) {
  const token = ++loads;
  const name = state.get('model');
  if (!name) return;
  let detail;
  try {
    detail = await catalog.detail(name);
  } catch (error) {
    return banner(`Cannot open ${name}: ${error.detail ?? error}`);
  }
  const input = state.get('input') ?? detail.task.probe_text;
  clamps.forget(name);
  const interventions = interventionsOf(clamps.items, detail.config.hidden_size);
  const traced = await Promise.all([tracedWithClamps(name, input, interventions), ...state.get('compare').map((other) => compareEntry(other, input))]);
  if (token !== loads) return;
  const [result, ...others] = traced;
  compared = others;
  if (result.error) {
    views.input.showError(result.error, input);
    if (main.name !== name) Object.assign(main, { name, detail, model: null, input });
  } else {
    views.input.clearError();
    Object.assign(main, { name, detail, model: result.model, input });
    if (urlNotice && urlNotice.model !== name) urlNotice = null; // the reader has moved on
    banner(urlNotice?.message ?? null);
  }
  ensureWeights(views);
}

/** Fetch the weights of the model on screen when the weights panel is open and they are stale. */
function ensureWeights(views, force = false) {
  const name = main.name;
  if (!name || !state.get('panels').includes('weights')) return;
  if (!force && (main.weightsOf === name || main.weightsPending === name)) return;
  main.weightsPending = name;
  api.weights(name).then((weights) => {
    if (main.name !== name) return;
    Object.assign(main, { weights, weightsOf: name });
    render(views, new Set(['weights']));
  }).catch(() => {}).finally(() => { if (main.weightsPending === name) main.weightsPending = null; });
}

/** The main trace, with the clamps when there are any; clamps the server refuses are said in the
 * Interventions panel and the input is traced without them. */
async function tracedWithClamps(name, input, interventions) {
  if (!interventions.length) return traceOf(name, input);
  const clamped = await traceOf(name, input, interventions, false);
  clamps.error = null;
  if (!clamped.error) return clamped;
  const clean = await traceOf(name, input);
  if (!clean.error) clamps.error = clamped.error; // the input is fine: it was the clamps the server refused
  return clean;
}

async function traceOf(name, input, interventions = null, loud = true) {
  try {
    return { model: new TraceModel(await api.trace(name, input, interventions)) };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 422 || !loud)) return { error: error.detail };
    banner(`Tracing ${name} failed: ${error.detail ?? error}`);
    return { error: error.detail ?? String(error) };
  }
}

async function compareEntry(name, input) {
  const detail = await catalog.detail(name).catch(() => null);
  if (!detail) return { name, detail: null, model: null, error: `there is no model ${name}` };
  const result = await traceOf(name, input);
  return { name, detail, model: result.model ?? null, error: result.error ? `cannot read this input: ${result.error}` : null };
}

/** A trace streamed by a training job: show it when its model is on screen with the probe input. */
function streamed(views, name, trace) {
  if (name !== state.get('model')) return;
  main.model = new TraceModel(trace);
  document.body.dataset.streamed = Number(document.body.dataset.streamed ?? 0) + 1;
  const now = performance.now();
  if (now - (main.weightsAt ?? 0) >= WEIGHTS_REFRESH_MS) {
    main.weightsAt = now;
    ensureWeights(views, true);
  }
  render(views, new Set(['trace']));
}

async function refresh(views) {
  await catalog.refreshModels().catch(() => {});
  if (main.name) main.detail = await catalog.detail(main.name).catch(() => main.detail);
  ensureWeights(views, true);
  render(views, new Set(['detail']));
}

const RETRACE_KEYS = ['model', 'input', 'compare'];

function render(views, changed) {
  const s = state.values;
  // first: the explorer is shown or hidden before it is measured and drawn
  views.experiments.update({ open: s.view === 'experiments', name: s.experiment, explorer: document.querySelector('.explorer') });
  if (changed.has('view')) views.network.resized();
  if (RETRACE_KEYS.some((key) => changed.has(key))) {
    load(views).then(() => render(views, new Set(['trace']))); // meanwhile the old trace stays on screen
  }
  const model = main.model;
  const arch = main.detail ? catalog.arch(main.detail.config.architecture) : null;
  // a step past the end (a tour chapter's "end") is the start of the pass: the last step
  // going forward, the step whose error flows back going backward; not while another model loads
  if (model && main.name === s.model && s.step > model.T - 1) {
    const source = model.resolveSource(s.source);
    state.adjust({ step: s.mode === 'backward' && source !== -1 ? source : model.T - 1 });
  }
  const step = model ? Math.min(s.step, model.T - 1) : 0;
  const colW = model ? columnWidth(model, views.network.scroller.clientWidth || 800) : null;
  const weights = main.weightsOf === main.name ? main.weights : null;
  // name, detail, input: the model on screen and the text traced; typed: the text in the box (refused or not)
  const ctx = { model, arch, step, mode: s.mode, source: s.source, colW, weights, panels: s.panels,
    name: main.name, detail: main.detail, input: main.input, typed: s.input ?? main.detail?.task.probe_text ?? null };
  views.network.update(ctx);
  views.clampMarks.update(ctx);
  views.folded.update(ctx);
  views.cell.update({ ...ctx, open: s.cell });
  views.playback.update({ model, step, mode: s.mode, speed: s.speed, source: s.source });
  const stepOnly = [...changed].every((key) => key === 'step' || key === 'speed');
  views.panels.update(ctx, stepOnly);
  if (stepOnly) return views.compare.step(step, s.mode, s.source, colW, catalog, compared);
  if (changed.has('panels')) ensureWeights(views);
  views.compare.update({ main, entries: s.compare.length ? compared : [], colW, step, mode: s.mode, source: s.source, catalog });
  views.controls.update({ model: s.model, detail: main.detail, panels: s.panels, compare: s.compare, drawer: s.drawer });
  views.input.update({ text: s.input ?? main.detail?.task.probe_text, task: main.detail?.task });
  views.training.update({ open: s.drawer === 'train', name: s.model, detail: main.detail, input: s.input });
  views.classroom.update({ name: s.model, detail: main.detail });
  const missing = s.tour !== null && !catalog.has(CHAPTERS[s.tour]?.model) ? CHAPTERS[s.tour]?.model : null;
  views.tour.update({ chapter: s.tour, missing });
  setMath($('network-caption'), networkCaption(arch, model));
  return null;
}

function networkCaption(arch, model) {
  if (!model) return '';
  const shared = Object.keys(arch?.shared_matrices ?? {}).join(', ');
  return `One column per step (${model.T}); the same ${shared} at every step; `
    + `L = L_1 + … + L_${model.T} = ${model.trace.loss === null ? '∞' : model.trace.loss.toPrecision(3)}.`;
}

boot();
