/**
 * training.js — the "Build & train" drawer: build a model (architecture, hidden
 * size, task and its options), train it (optimizer, learning rate, batch size,
 * clipping), and watch it learn: a progress bar with steps/s and time left,
 * loss and metric curves growing from the job's WebSocket, and the unrolled
 * view of the probe sequence redrawn from each streamed trace.
 *
 * Pause cancels the job (the model keeps what it learnt); resume starts a new
 * job for the steps still to go. Stop cancels and forgets the plan.
 */

import { api, followJob } from './api.js';
import { el, fmt, fmtDuration, fmtInt } from './format.js';

export const TRAIN_DEFAULTS = Object.freeze({ steps: 500, learning_rate: 0.01, batch_size: 32, optimizer: 'adam', clip_norm: 1.0 });
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];

function field(label, input, note = '') {
  return el('label', { class: 'field' }, el('span', { class: 'field-label', text: label }), input,
    note ? el('span', { class: 'field-note', text: note }) : null);
}

const number = (attrs) => el('input', { type: 'number', ...attrs });

export class TrainingView {
  constructor(container, { catalog, onCreated, onTrace, onFinished, onClose }) {
    this.catalog = catalog;
    this.handlers = { onCreated, onTrace, onFinished };
    this.phase = 'idle'; // idle | running | paused
    this.modelName = null;
    this.points = [];
    this.charts = null;
    this.root = el('aside', { class: 'drawer', 'data-role': 'training', 'aria-label': 'Build and train', hidden: true });
    this.root.append(
      el('header', { class: 'drawer-head' }, el('h2', { text: 'Build & train' }),
        el('button', { class: 'icon-button', type: 'button', title: 'Close', text: '×', onclick: onClose })),
      this.buildForm(), this.trainForm(), this.progressBlock());
    container.append(this.root);
    import('./views/linechart.js').then(({ LineChartView }) => {
      this.charts = {
        loss: new LineChartView(this.lossBox, {}),
        metric: new LineChartView(this.metricBox, {}),
      };
      this.drawCurves();
    }).catch(() => {});
  }

  // ----- building a model -----------------------------------------------------------

  buildForm() {
    const { catalog } = this;
    this.name = el('input', { type: 'text', 'data-field': 'name', pattern: "[a-z0-9][a-z0-9_\\-]{0,63}", required: true });
    this.arch = el('select', { 'data-field': 'architecture', onchange: () => this.archChanged() });
    this.activation = el('select', { 'data-field': 'activation' });
    this.hidden = number({ 'data-field': 'hidden_size', min: 1, max: 512, value: 16 });
    this.task = el('select', { 'data-field': 'task', onchange: () => this.taskChanged() });
    this.seed = number({ 'data-field': 'seed', min: 0, value: 0 });
    this.options = el('div', { class: 'task-options' });
    this.buildError = el('div', { class: 'form-error', role: 'alert', hidden: true });
    this.createButton = el('button', { class: 'button', type: 'submit', text: 'Create model' });
    const form = el('form', { class: 'build-form', onsubmit: (event) => { event.preventDefault(); this.create(); } },
      el('div', { class: 'field-grid' },
        field('Cell', this.arch), field('Activation', this.activation),
        field('Hidden units H', this.hidden), field('Seed', this.seed),
        field('Task', this.task), field('Name', this.name)),
      this.options, this.buildError, this.createButton);
    this.details = el('details', { class: 'build' }, el('summary', { text: 'Build a new model' }), form);
    this.fill(this.arch, [...catalog.architectures.values()].map((a) => [a.id, a.title]));
    this.fill(this.task, [...catalog.tasks.values()].map((t) => [t.id, t.title]));
    this.archChanged();
    this.taskChanged();
    return this.details;
  }

  fill(select, pairs) {
    select.replaceChildren(...pairs.map(([value, text]) => el('option', { value, text })));
  }

  archChanged() {
    const arch = this.catalog.arch(this.arch.value);
    this.fill(this.activation, (arch?.activations ?? ['tanh']).map((a) => [a, a]));
    this.suggestName();
  }

  taskChanged() {
    const task = this.catalog.tasks.get(this.task.value);
    this.options.replaceChildren(...(task?.options_spec ?? []).map((spec) => {
      const input = spec.kind === 'str'
        ? el('textarea', { 'data-option': spec.name, rows: 3, text: String(spec.default) })
        : number({ 'data-option': spec.name, value: spec.default, step: spec.kind === 'int' ? 1 : 'any',
          min: spec.minimum ?? undefined, max: spec.maximum ?? undefined });
      input.dataset.kind = spec.kind;
      return field(spec.name.replace(/_/g, ' '), input, spec.description);
    }));
    this.suggestName();
  }

  suggestName() {
    const base = `${this.arch.value}-${this.task.value}`.replace(/_/g, '-');
    let name = base;
    for (let n = 2; this.catalog.summary(name); n += 1) name = `${base}-${n}`;
    this.name.value = name;
  }

  async create() {
    const options = {};
    for (const input of this.options.querySelectorAll('[data-option]')) {
      options[input.dataset.option] = input.dataset.kind === 'str' ? input.value : Number(input.value);
    }
    const spec = { name: this.name.value.trim(), architecture: this.arch.value, task: this.task.value,
      hidden_size: Number(this.hidden.value), seed: Number(this.seed.value), activation: this.activation.value, task_options: options };
    this.buildError.hidden = true;
    this.createButton.disabled = true;
    try {
      await api.createModel(spec);
      await this.catalog.refreshModels();
      this.details.open = false;
      this.handlers.onCreated(spec.name);
    } catch (error) {
      this.buildError.textContent = error.detail ?? String(error);
      this.buildError.hidden = false;
    } finally {
      this.createButton.disabled = false;
    }
  }

  // ----- training ------------------------------------------------------------------

  trainForm() {
    this.target = el('div', { class: 'train-target' });
    this.steps = number({ 'data-field': 'steps', min: 1, value: TRAIN_DEFAULTS.steps });
    this.optimizer = el('select', { 'data-field': 'optimizer' }, OPTIMIZERS.map((o) => el('option', { value: o, text: o })));
    this.rate = number({ 'data-field': 'learning_rate', min: 0, step: 'any', value: TRAIN_DEFAULTS.learning_rate });
    this.batch = number({ 'data-field': 'batch_size', min: 1, value: TRAIN_DEFAULTS.batch_size });
    this.clip = el('input', { type: 'checkbox', 'data-field': 'clip', checked: true });
    this.clipNorm = number({ 'data-field': 'clip_norm', min: 0, step: 'any', value: TRAIN_DEFAULTS.clip_norm });
    this.buttons = {
      start: el('button', { class: 'button primary', type: 'button', 'data-action': 'start', text: 'Start', onclick: () => this.start() }),
      pause: el('button', { class: 'button', type: 'button', 'data-action': 'pause', text: 'Pause', onclick: () => this.stop('paused') }),
      resume: el('button', { class: 'button primary', type: 'button', 'data-action': 'resume', text: 'Resume', onclick: () => this.start(true) }),
      stop: el('button', { class: 'button', type: 'button', 'data-action': 'stop', text: 'Stop', onclick: () => this.stop('idle') }),
    };
    this.trainError = el('div', { class: 'form-error', role: 'alert', hidden: true });
    return el('section', { class: 'train' },
      el('h3', { text: 'Train' }), this.target,
      el('div', { class: 'field-grid' },
        field('Steps', this.steps), field('Optimizer', this.optimizer),
        field('Learning rate', this.rate), field('Batch size', this.batch),
        el('label', { class: 'field field-check' }, this.clip, el('span', { class: 'field-label', text: 'Clip gradient norm to' }), this.clipNorm)),
      el('div', { class: 'button-row' }, Object.values(this.buttons)), this.trainError);
  }

  progressBlock() {
    this.bar = el('div', { class: 'progress-fill' });
    this.progressText = el('div', { class: 'progress-text', 'data-role': 'progress' });
    this.lossBox = el('div', { class: 'chart', 'data-chart': 'loss' });
    this.metricBox = el('div', { class: 'chart', 'data-chart': 'metric' });
    this.metricTitle = el('h4', { text: 'Metric' });
    return el('section', { class: 'progress-block' },
      el('div', { class: 'progress', role: 'progressbar' }, this.bar), this.progressText,
      el('h4', { text: 'Training loss' }), this.lossBox, this.metricTitle, this.metricBox);
  }

  /** props: {open, name (model on screen), detail, input} */
  update({ open, name, detail, input }) {
    this.root.hidden = !open;
    document.body.classList.toggle('drawer-open', open);
    this.input = input;
    if (this.phase === 'idle') this.modelName = name;
    // the curve starts from the stored history of the model on screen (once its detail has arrived)
    if (this.phase === 'idle' && detail?.name === name && this.historyOf !== name) {
      this.historyOf = name;
      this.points = (detail.history ?? []).map((p) => ({ ...p }));
      this.setProgress(null);
      this.drawCurves();
    }
    const task = detail ? this.catalog.tasks.get(detail.task.id) : null;
    this.metricTitle.textContent = `Metric: ${task?.metric_name ?? detail?.task.metric_name ?? ''}`;
    this.target.textContent = this.modelName
      ? `Model: ${this.modelName}${detail && this.modelName === name ? ` · ${fmtInt(detail.total_steps)} steps so far` : ''}` : 'No model on screen.';
    this.showButtons();
  }

  showButtons() {
    const { start, pause, resume, stop } = this.buttons;
    start.hidden = this.phase !== 'idle';
    pause.hidden = this.phase !== 'running';
    resume.hidden = this.phase !== 'paused';
    stop.hidden = this.phase === 'idle';
    this.root.dataset.phase = this.phase;
  }

  async start(resuming = false) {
    if (!this.modelName) return;
    const detail = await this.catalog.detail(this.modelName).catch(() => null);
    const done = detail?.total_steps ?? 0;
    if (!resuming) this.plan = { from: done, to: done + Math.max(1, Number(this.steps.value)) };
    const steps = this.plan.to - done;
    if (steps < 1) return this.finish('idle');
    const config = { steps, batch_size: Number(this.batch.value), learning_rate: Number(this.rate.value),
      optimizer: this.optimizer.value, clip_norm: this.clip.checked ? Number(this.clipNorm.value) : null,
      seed: 0, probe: this.input || null };
    this.trainError.hidden = true;
    try {
      this.job = await api.train(this.modelName, config);
    } catch (error) {
      this.trainError.textContent = error.detail ?? String(error);
      this.trainError.hidden = false;
      return null;
    }
    this.phase = 'running';
    this.showButtons();
    this.unfollow = followJob(this.job.id, (message) => this.message(message), ({ closedByUs }) => {
      if (!closedByUs && this.phase === 'running') this.finish('idle', 'the connection to the server closed');
    });
    return null;
  }

  message(message) {
    if (message.type === 'status' && Array.isArray(message.history)) {
      for (const point of message.history) this.addPoint(point);
    } else if (message.type === 'progress') {
      this.addPoint(message);
      this.setProgress(message);
    } else if (message.type === 'trace') {
      this.handlers.onTrace(this.modelName, message.trace, message.step);
    } else if (['done', 'cancelled', 'failed'].includes(message.type)) {
      const next = message.type === 'cancelled' && this.pausing ? 'paused' : 'idle';
      this.finish(next, message.type === 'failed' ? `training failed: ${message.reason || message.job?.reason || ''}` : '');
    }
  }

  addPoint(point) {
    const last = this.points[this.points.length - 1];
    if (last && point.step <= last.step) return;
    this.points.push({ step: point.step, loss: point.loss, metric: point.metric });
    this.scheduleCurves();
  }

  setProgress(progress) {
    if (!progress || !this.plan) {
      this.bar.style.width = '0%';
      this.progressText.textContent = '';
      return;
    }
    const share = (progress.step - this.plan.from) / Math.max(1, this.plan.to - this.plan.from);
    this.bar.style.width = `${Math.min(100, 100 * share).toFixed(1)}%`;
    const left = progress.steps_per_s ? (this.plan.to - progress.step) / progress.steps_per_s : progress.eta_s;
    this.progressText.textContent = `step ${fmtInt(progress.step - this.plan.from)} of ${fmtInt(this.plan.to - this.plan.from)}`
      + ` · ${fmtInt(progress.steps_per_s)} steps/s · ${fmtDuration(left)} left · loss ${fmt(progress.loss)}`;
  }

  async stop(next) {
    if (!this.job) return;
    this.pausing = next === 'paused';
    if (!this.pausing) this.plan = null;
    try {
      await api.cancelJob(this.job.id);
    } catch (error) {
      this.finish(next, error.detail);
    }
  }

  finish(phase, problem = '') {
    this.unfollow?.();
    this.unfollow = null;
    this.job = null;
    this.pausing = false;
    this.phase = phase;
    if (phase === 'idle') this.plan = null;
    this.trainError.textContent = problem;
    this.trainError.hidden = !problem;
    this.catalog.forget(this.modelName);
    this.handlers.onFinished(this.modelName);
    this.showButtons();
  }

  scheduleCurves() {
    if (this.curveFrame) return;
    this.curveFrame = requestAnimationFrame(() => {
      this.curveFrame = null;
      this.drawCurves();
    });
  }

  drawCurves() {
    if (!this.charts) return;
    const series = (key) => [{ name: key, style: 'line', points: this.points.filter((p) => p[key] !== null && p[key] !== undefined).map((p) => [p.step, p[key]]) }];
    this.charts.loss.update({ series: series('loss'), logY: true, yLabel: 'loss' });
    this.charts.metric.update({ series: series('metric'), logY: false, yLabel: 'metric' });
    this.root.dataset.points = this.points.length;
  }
}
