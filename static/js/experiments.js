/**
 * experiments.js — the Experiments view: the recipes that test the subject's claims, their
 * stored results as plots, and a form that runs one as a job on the server.
 *
 *   GET /api/experiments            recipes (claim, default grid) and stored results
 *   GET /api/experiments/{name}     the runs and aggregates the plots draw (experimentplots.js)
 *   POST /api/experiments           {recipe, overrides} -> a job; its events (followJob) move the
 *                                   progress bar, and the plots are redrawn as runs arrive
 * A point of a plot opens its grid point's representative model in the explorer.
 */

import { api, followJob } from './api.js';
import { drawCost, drawGradients, drawSteps, drawSuccess } from './experimentplots.js';
import { el, field } from './lib/dom.js';
import { formatDuration, formatInt } from './lib/format.js';

const REDRAW_MS = 1500; // while an experiment runs, its results are refetched at most this often
const ENDED = ['done', 'cancelled', 'failed'];

export class ExperimentsView {
  constructor(root, { tabs, onView, onShow, onOpenModel }) {
    Object.assign(this, { root, tabs, onView, onShow, onOpenModel });
    this.listing = null; // GET /api/experiments
    this.detail = null; // GET /api/experiments/{name} of the experiment shown
    this.job = null; // the experiment job this page follows
    this.stop = null; // closes its event stream
    this.open = false;
    this.name = null;
    this.lastFetch = 0;
    this.pending = null;
    for (const [view, link] of Object.entries(tabs)) {
      link.addEventListener('click', (event) => {
        event.preventDefault();
        onView(view === 'experiments' ? 'experiments' : null);
      });
    }
    this.build();
  }

  build() {
    this.recipeSelect = el('select', { 'data-role': 'exp-recipe-select', onchange: () => this.fillDefaults() });
    this.seedsInput = el('input', { type: 'number', min: 1, max: 1000, 'data-role': 'exp-seeds' });
    this.valuesInput = el('input', { type: 'text', 'data-role': 'exp-option-values', placeholder: '5,10,20' });
    this.valuesField = field('Lags', this.valuesInput, 'comma-separated');
    this.stepsInput = el('input', { type: 'number', min: 1, 'data-role': 'exp-steps' });
    this.runsNote = el('p', { class: 'exp-note', 'data-role': 'exp-runs-note' });
    this.runButton = el('button', { class: 'button primary', type: 'submit', text: 'Run experiment', 'data-role': 'exp-run' });
    this.cancelButton = el('button', { class: 'button', type: 'button', text: 'Cancel', hidden: true, 'data-role': 'exp-cancel', onclick: () => this.cancel() });
    this.bar = el('progress', { max: 1, value: 0, 'data-role': 'exp-progress' });
    this.progressText = el('span', { class: 'exp-progress-text', 'data-role': 'exp-progress-text' });
    this.error = el('p', { class: 'exp-error', role: 'alert', hidden: true });
    const form = el('form', { class: 'exp-form', onsubmit: (event) => { event.preventDefault(); this.start(); } },
      field('Recipe', this.recipeSelect), field('Seeds', this.seedsInput, 'runs per grid point'), this.valuesField,
      field('Step budget', this.stepsInput, 'per run'), el('div', { class: 'exp-buttons' }, this.runButton, this.cancelButton));
    this.claim = el('p', { class: 'exp-claim', 'data-role': 'exp-recipe-claim' });
    this.storedSelect = el('select', { 'data-role': 'exp-stored-select', onchange: () => this.onShow(this.storedSelect.value) });
    this.budget = el('p', { class: 'exp-budget', 'data-role': 'exp-budget' });
    this.csvLink = el('a', { class: 'button subtle', 'data-role': 'exp-runs-csv', text: 'All runs (CSV)' });
    this.plots = el('div', { class: 'exp-plots', 'data-role': 'exp-plots' });
    this.root.append(
      el('section', { class: 'exp-card exp-start' }, el('h2', { text: 'Run an experiment' }), this.claim, form, this.runsNote,
        this.progressRow = el('div', { class: 'exp-progress', hidden: true }, this.bar, this.progressText), this.error),
      el('section', { class: 'exp-card' },
        el('div', { class: 'exp-results-head' }, el('h2', { text: 'Results' }), field('Experiment', this.storedSelect), this.csvLink),
        this.budget, this.plots),
    );
    for (const input of [this.seedsInput, this.valuesInput, this.stepsInput]) input.addEventListener('input', () => this.noteRuns());
  }

  /** props: open (the view is shown), name (the experiment to show), explorer (the node it replaces). */
  update({ open, name, explorer }) {
    if (open === this.open && name === this.requested) return; // main.js calls this on every render
    this.requested = name;
    this.root.hidden = !open;
    if (explorer) explorer.hidden = open;
    this.tabs.explorer.classList.toggle('on', !open);
    this.tabs.experiments.classList.toggle('on', open);
    document.body.classList.toggle('experiments-open', open);
    const opened = open && !this.open;
    this.open = open;
    if (opened) {
      this.name = name;
      this.refresh();
    }
    else if (open && name !== this.name) this.show(name);
  }

  async refresh() {
    try {
      this.listing = await api.experiments();
    } catch (error) {
      return this.fail(`Cannot list the experiments: ${error.detail ?? error}`);
    }
    if (!this.recipeSelect.options.length) { // once: later refreshes keep what a person typed
      this.recipeSelect.replaceChildren(...this.listing.recipes.map((r) => el('option', { value: r.name, text: `${r.name} (${formatInt(r.grid.runs)} runs)` })));
      this.fillDefaults();
    }
    const running = this.listing.stored.find((row) => row.job);
    if (running && !this.job) this.follow({ id: running.job, experiment: { name: running.name } });
    this.storedSelect.replaceChildren(...this.listing.stored.map((row) => el('option', {
      value: row.name, text: `${row.name} — ${row.status}, ${formatInt(row.runs_done)} of ${formatInt(row.runs)} runs${row.read_only ? ' (shared)' : ''}`,
    })));
    if (!this.listing.stored.length) this.storedSelect.append(el('option', { value: '', text: 'none stored yet' }));
    return this.show(this.name ?? null, true);
  }

  recipe() {
    return this.listing?.recipes.find((r) => r.name === this.recipeSelect.value) ?? null;
  }

  /** The varied task option of a recipe (lag, distance): the one the form lets a person set. */
  static variedOption(recipe) {
    const options = Object.entries(recipe?.grid.task_options ?? {});
    return (options.find(([, values]) => values.length > 1) ?? options.find(([name]) => name === 'lag') ?? [null])[0];
  }

  fillDefaults() {
    const recipe = this.recipe();
    if (!recipe) return;
    this.claim.textContent = `Claim: ${recipe.claim}`;
    this.seedsInput.value = recipe.grid.seeds.length;
    this.stepsInput.value = recipe.training.steps;
    const option = ExperimentsView.variedOption(recipe);
    this.valuesField.hidden = !option;
    if (option) {
      this.valuesField.querySelector('.field-label').textContent = option === 'lag' ? 'Lags' : `Values of ${option}`;
      this.valuesInput.value = recipe.grid.task_options[option].join(',');
    }
    this.noteRuns();
  }

  overrides() {
    const recipe = this.recipe();
    const option = ExperimentsView.variedOption(recipe);
    const overrides = { seeds: Number(this.seedsInput.value), steps: Number(this.stepsInput.value) };
    if (option) overrides.options = { [option]: this.valuesInput.value.split(',').map((v) => v.trim()).filter(Boolean).map(Number) };
    return overrides;
  }

  noteRuns() {
    const recipe = this.recipe();
    if (!recipe) return;
    const option = ExperimentsView.variedOption(recipe);
    const { seeds, options } = this.overrides();
    const perSeed = recipe.grid.runs / recipe.grid.seeds.length
      / (option ? recipe.grid.task_options[option].length : 1) * (option ? options[option].length : 1);
    const runs = Math.round(perSeed * (seeds || 0));
    const where = this.listing.experiment_workers === 1 ? 'one run at a time' : `${this.listing.experiment_workers} runs at a time`;
    this.runsNote.textContent = `${formatInt(runs)} training runs of at most ${formatInt(Number(this.stepsInput.value))} steps each, `
      + `${where} on this server (the experiment takes one training slot). Stored runs with the same settings are not run again.`;
  }

  async start() {
    this.fail(null);
    const recipe = this.recipe();
    try {
      const job = await api.startExperiment({ recipe: recipe.name, overrides: this.overrides() });
      this.onShow(recipe.name);
      this.follow(job);
    } catch (error) {
      this.fail(error.detail ?? String(error));
    }
  }

  follow(job) {
    this.stop?.();
    this.job = job;
    this.runButton.disabled = true;
    this.cancelButton.hidden = false;
    this.progressText.textContent = 'waiting for a training slot…';
    this.progressRow.hidden = false;
    this.stop = followJob(job.id, (message) => this.onEvent(message), () => { this.stop = null; });
  }

  onEvent(message) {
    const name = this.job?.experiment?.name;
    if (message.type === 'status') {
      const { job } = message;
      this.setProgress(job.step, job.steps, job.status === 'queued' ? `waiting for a training slot (place ${job.queue_position ?? '?'} in line)` : 'starting…');
    } else if (message.type === 'runs') {
      const run = message.record;
      const said = run ? `${run.variant} seed ${run.seed}: ${run.success ? `success at step ${formatInt(run.steps_to_success)}` : 'no success'}` : '';
      this.setProgress(message.runs_done, message.runs, said);
      if (name === this.name) this.scheduleFetch();
    } else if (ENDED.includes(message.type)) {
      const { job } = message;
      this.setProgress(job.step, job.steps, `${message.type}${message.reason ? `: ${message.reason}` : ''}`);
      this.job = null;
      this.runButton.disabled = false;
      this.cancelButton.hidden = true;
      this.stop?.();
      this.refresh();
    }
  }

  setProgress(done, total, text) {
    this.bar.max = Math.max(1, total);
    this.bar.value = done;
    this.progressText.textContent = `${formatInt(done)} of ${formatInt(total)} runs${text ? ` · ${text}` : ''}`;
  }

  async cancel() {
    if (!this.job) return;
    this.cancelButton.disabled = true;
    try {
      await api.cancelJob(this.job.id);
    } catch (error) {
      this.fail(`Cannot cancel: ${error.detail ?? error}`);
    } finally {
      this.cancelButton.disabled = false;
    }
  }

  scheduleFetch() {
    if (this.pending) return;
    const wait = Math.max(0, REDRAW_MS - (performance.now() - this.lastFetch));
    this.pending = setTimeout(() => { this.pending = null; this.show(this.name, true); }, wait);
  }

  /** Show experiment `name` (null: the first stored one); force refetches it. */
  async show(name, force = false) {
    const chosen = name ?? this.listing?.stored[0]?.name ?? null;
    if (!force && chosen === this.name && this.detail) return;
    this.name = chosen;
    if (!chosen) {
      this.detail = null;
      this.budget.textContent = 'No results yet: run an experiment above, or `python -m app experiment run NAME` on the server.';
      this.plots.replaceChildren();
      this.csvLink.hidden = true;
      return;
    }
    this.storedSelect.value = chosen;
    this.lastFetch = performance.now();
    let detail;
    try {
      detail = await api.experiment(chosen);
    } catch (error) {
      this.fail(`Cannot open ${chosen}: ${error.detail ?? error}`);
      return;
    }
    if (chosen !== this.name) return; // another was chosen meanwhile
    this.detail = detail;
    this.csvLink.hidden = false;
    this.csvLink.href = api.runsCsvUrl(chosen);
    this.budget.textContent = budgetLine(detail);
    this.draw();
  }

  draw() {
    const detail = this.detail;
    const open = (model) => model && this.onOpenModel(model);
    // the recipe's claim is what the runs test, not what they showed: said so, so a student reads the plot for the verdict
    const recipeClaim = detail.experiment.recipe?.claim;
    const claim = recipeClaim ? `Claim tested: ${recipeClaim}` : null;
    const primary = primaryPlot(detail);
    const plots = {
      success: drawSuccess(detail, { claim: primary === 'success' ? claim : null, onOpen: open }),
      steps: drawSteps(detail, { claim: primary === 'steps' ? claim : null, onOpen: open }), // null: too few successes to draw
      gradients: drawGradients(detail, { claim: primary === 'gradients' ? claim : null, onOpen: open }),
      cost: drawCost(detail, { claim: primary === 'cost' ? claim : null, onOpen: open }),
    };
    // the plot that tests the recipe's claim first, with the claim above it; the others after
    const first = plots[primary] ? primary : 'success';
    this.plots.replaceChildren(plots[first], ...Object.entries(plots).filter(([key, node]) => key !== first && node).map(([, node]) => node));
    this.root.dataset.drawn = Number(this.root.dataset.drawn ?? 0) + 1; // for tests: a redraw happened
  }

  fail(message) {
    this.error.textContent = message ?? '';
    this.error.hidden = !message;
  }
}

/** Which plot tests the recipe's claim: success against a varied option, the steps to the criterion against the
 * hidden size when runs stop at the criterion (shortcuts: "in fewer steps"), cost when hidden sizes vary for a
 * fixed budget, the gradient when nothing varies. */
function primaryPlot(detail) {
  const grid = detail.experiment.recipe?.grid ?? {};
  const optionVaries = Object.values(grid.task_options ?? {}).some((values) => values.length > 1);
  if (optionVaries) return 'success';
  if ((grid.hidden_sizes ?? []).length > 1) return detail.experiment.configuration?.criterion?.stop_early ? 'steps' : 'cost';
  return 'gradients';
}

/** What the results cost and how they were judged, in one sentence. */
function budgetLine(detail) {
  const doc = detail.experiment;
  const { training = {}, criterion = {} } = doc.configuration ?? {};
  const machine = doc.machine ?? {};
  const seeds = doc.recipe?.grid?.seeds?.length;
  const where = machine.executor ? ` on ${machine.host ?? 'a machine'} (${machine.executor}${machine.workers ? `, ${machine.workers} workers` : ''}, ${machine.cores ?? '?'} cores)` : '';
  const took = doc.wall_time_s ? `, ${formatDuration(doc.wall_time_s)}` : '';
  const metric = detail.runs[0]?.metric_name ?? 'the metric';
  return `Budget: ${formatInt(training.steps)} training steps per run (batch ${training.batch_size}, ${training.optimizer} ${training.learning_rate}), `
    + `${seeds ?? '?'} seed${seeds === 1 ? '' : 's'} per grid point. Success: ${metric} ≥ ${criterion.threshold} on ${formatInt(criterion.sequences)} fresh sequences, `
    + `checked every ${criterion.every} steps${criterion.stop_early ? ' (a run stops once it holds)' : ''}. `
    + `${formatInt(detail.runs.length)} runs stored, ${detail.status}${took}${where}.`;
}
