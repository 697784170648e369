/**
 * training.js — the "Build & train" drawer: build a model (buildform.js), train
 * it (optimizer, learning rate, batch size, clipping), and watch it learn
 * (trainprogress.js) while each trace of the probe sequence streamed by the job
 * redraws the unrolled view. This module owns the train form and the job.
 *
 * Pause cancels the job (the model keeps what it learnt); resume starts a new
 * job for the steps still to go. Stop cancels and forgets the plan.
 */

import { api, followJob } from './api.js';
import { BuildForm } from './buildform.js';
import { READ_ONLY_TIP } from './classroom.js';
import { el, field } from './lib/dom.js';
import { formatInt } from './lib/format.js';
import { TrainProgress } from './trainprogress.js';

export const TRAIN_DEFAULTS = Object.freeze({ steps: 500, learning_rate: 0.01, batch_size: 32, optimizer: 'adam', clip_norm: 1.0 });
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];
const FINAL_EVENTS = ['done', 'cancelled', 'failed'];

const number = (attributes) => el('input', { type: 'number', ...attributes });

export class TrainingView {
  constructor(container, { catalog, onCreated, onTrace, onFinished, onClose }) {
    this.catalog = catalog;
    this.handlers = { onTrace, onFinished, onCreated };
    this.phase = 'idle'; // idle | running | paused
    this.modelName = null;
    this.root = el('aside', { class: 'drawer', 'data-role': 'training', 'aria-label': 'Build and train', hidden: true });
    this.progress = new TrainProgress({ onDrawn: (points) => { this.root.dataset.points = points; } });
    this.root.append(
      el('header', { class: 'drawer-head' }, el('h2', { text: 'Build & train' }),
        el('button', { class: 'icon-button', type: 'button', title: 'Close', text: '×', onclick: onClose })),
      new BuildForm({ catalog, onCreated }).root, this.trainForm(), this.progress.root);
    container.append(this.root);
  }

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
    // Classroom mode: a demo model is read-only; a copy of it is the visitor's own to train.
    this.readOnly = el('p', { class: 'read-only-note', 'data-role': 'read-only-note', hidden: true },
      'A demo model is read-only here. ',
      el('button', { class: 'button', type: 'button', 'data-action': 'copy', text: 'Make a copy to train',
        onclick: () => this.copy() }));
    return el('section', { class: 'train' },
      el('h3', { text: 'Train' }), this.target, this.readOnly,
      el('div', { class: 'field-grid' },
        field('Steps', this.steps), field('Optimizer', this.optimizer),
        field('Learning rate', this.rate), field('Batch size', this.batch),
        el('label', { class: 'field field-check' }, this.clip, el('span', { class: 'field-label', text: 'Clip gradient norm to' }), this.clipNorm)),
      el('div', { class: 'button-row' }, Object.values(this.buttons)), this.trainError);
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
      this.progress.restart(detail.history ?? []);
    }
    const task = detail ? this.catalog.tasks.get(detail.task.id) : null;
    this.progress.setMetricName(task?.metric_name ?? detail?.task.metric_name ?? '');
    this.target.textContent = this.modelName
      ? `Model: ${this.modelName}${detail && this.modelName === name ? ` · ${formatInt(detail.total_steps)} steps so far` : ''}` : 'No model on screen.';
    this.demo = Boolean(detail?.read_only && detail.name === this.modelName);
    this.showButtons();
  }

  showButtons() {
    const { start, pause, resume, stop } = this.buttons;
    start.hidden = this.phase !== 'idle';
    pause.hidden = this.phase !== 'running';
    resume.hidden = this.phase !== 'paused';
    stop.hidden = this.phase === 'idle';
    start.disabled = this.demo && this.phase === 'idle';
    start.title = start.disabled ? READ_ONLY_TIP : '';
    this.readOnly.hidden = !(this.demo && this.phase === 'idle');
    this.root.dataset.phase = this.phase;
  }

  async start(resuming = false) {
    if (!this.modelName) return;
    const detail = await this.catalog.detail(this.modelName).catch(() => null);
    const done = detail?.total_steps ?? 0;
    if (!resuming) this.plan = { from: done, to: done + Math.max(1, Number(this.steps.value)) };
    const steps = this.plan.to - done;
    if (steps < 1) {
      this.finish('idle');
      return;
    }
    const config = { steps, batch_size: Number(this.batch.value), learning_rate: Number(this.rate.value),
      optimizer: this.optimizer.value, clip_norm: this.clip.checked ? Number(this.clipNorm.value) : null,
      seed: 0, probe: this.input || null };
    this.trainError.hidden = true;
    try {
      this.job = await api.train(this.modelName, config);
    } catch (error) {
      this.trainError.textContent = error.detail ?? String(error);
      this.trainError.hidden = false;
      return;
    }
    this.phase = 'running';
    this.showButtons();
    this.unfollow = followJob(this.job.id, (message) => this.message(message), ({ closedByUs }) => {
      if (!closedByUs && this.phase === 'running') this.finish('idle', 'the connection to the server closed');
    });
  }

  /** Copy the demo model on screen as `<name>-copy` (or -copy-2, ...) and open the copy. */
  async copy() {
    const base = `${this.modelName}-copy`;
    let name = base;
    for (let n = 2; this.catalog.summary(name); n += 1) name = `${base}-${n}`;
    this.trainError.hidden = true;
    try {
      await api.copyModel(this.modelName, name);
      await this.catalog.refreshModels();
    } catch (error) {
      this.trainError.textContent = error.detail ?? String(error);
      this.trainError.hidden = false;
      return;
    }
    this.handlers.onCreated(name);
  }

  /** One event of the job's stream (docs/api.md): status, progress, trace, then done, cancelled or failed. */
  message(message) {
    if (message.type === 'status' && Array.isArray(message.history)) {
      for (const point of message.history) this.progress.addPoint(point);
    } else if (message.type === 'progress') {
      this.progress.addPoint(message);
      this.progress.show(message, this.plan);
    } else if (message.type === 'trace') {
      this.handlers.onTrace(this.modelName, message.trace, message.step);
    } else if (FINAL_EVENTS.includes(message.type)) {
      const next = message.type === 'cancelled' && this.pausing ? 'paused' : 'idle';
      this.progress.settle(next === 'paused' ? 'paused' : message.type, this.plan ?? this.stoppedPlan);
      this.finish(next, message.type === 'failed' ? `training failed: ${message.reason || message.job?.reason || ''}` : '');
    }
  }

  async stop(next) {
    if (!this.job) {
      // Stop on a paused run: no job to cancel, the run just ends where the pause left it
      if (this.phase === 'paused' && next === 'idle') {
        this.progress.settle('cancelled', this.plan);
        this.finish('idle');
      }
      return;
    }
    this.pausing = next === 'paused';
    this.stoppedPlan = this.plan; // what the "stopped at step …" line counts against
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
}
