/**
 * trainprogress.js — how a training run is going, in the training drawer: a
 * progress bar with steps/s and time left, and the loss and metric curves,
 * which start from the model's stored history and grow with every progress
 * message of the job's stream (redrawn at most once per animation frame).
 */

import { el } from './lib/dom.js';
import { formatDuration, formatInt, formatNumber } from './lib/format.js';

export class TrainProgress {
  /** onDrawn(points): after each redraw of the curves, with how many points they hold. */
  constructor({ onDrawn = () => {} } = {}) {
    this.onDrawn = onDrawn;
    this.points = []; // [{step, loss, metric}], steps increasing
    this.charts = null;
    this.bar = el('div', { class: 'progress-fill' });
    this.text = el('div', { class: 'progress-text', 'data-role': 'progress' });
    this.lossBox = el('div', { class: 'chart', 'data-chart': 'loss' });
    this.metricBox = el('div', { class: 'chart', 'data-chart': 'metric' });
    this.metricTitle = el('h4', { text: 'Metric' });
    this.root = el('section', { class: 'progress-block' },
      el('div', { class: 'progress', role: 'progressbar' }, this.bar), this.text,
      el('h4', { text: 'Training loss' }), this.lossBox, this.metricTitle, this.metricBox);
    // The charts load on their own: the drawer works (without curves) if the view cannot load.
    import('./views/linechart.js').then(({ LineChartView }) => {
      this.charts = { loss: new LineChartView(this.lossBox, {}), metric: new LineChartView(this.metricBox, {}) };
      this.drawCurves();
    }).catch(() => {});
  }

  /** Start over from a model's stored training history. */
  restart(history) {
    this.points = history.map((p) => ({ ...p }));
    this.show(null, null);
    this.drawCurves();
  }

  setMetricName(name) {
    this.metricTitle.textContent = `Metric: ${name}`;
  }

  addPoint(point) {
    const last = this.points[this.points.length - 1];
    if (last && point.step <= last.step) return;
    this.points.push({ step: point.step, loss: point.loss, metric: point.metric });
    if (this.curveFrame) return;
    this.curveFrame = requestAnimationFrame(() => {
      this.curveFrame = null;
      this.drawCurves();
    });
  }

  /** progress: a job's progress message; plan: {from, to} in the model's total steps. */
  show(progress, plan) {
    this.last = progress;
    this.root.dataset.state = progress && plan ? 'running' : 'idle';
    if (!progress || !plan) {
      this.bar.style.width = '0%';
      this.text.textContent = '';
      return;
    }
    const share = (progress.step - plan.from) / Math.max(1, plan.to - plan.from);
    this.bar.style.width = `${Math.min(100, 100 * share).toFixed(1)}%`;
    const left = progress.steps_per_s ? (plan.to - progress.step) / progress.steps_per_s : progress.eta_s;
    this.text.textContent = `step ${formatInt(progress.step - plan.from)} of ${formatInt(plan.to - plan.from)}`
      + ` · ${formatInt(progress.steps_per_s)} steps/s · ${formatDuration(left)} left · loss ${formatNumber(progress.loss)}`;
  }

  /** The run has stopped (outcome: paused, done, cancelled or failed): say so, in place of the
   * running rate and time left, which would otherwise stay on screen as if it were still going. */
  settle(outcome, plan) {
    this.root.dataset.state = outcome;
    const progress = this.last;
    if (!progress || !plan) {
      this.text.textContent = outcome === 'paused' ? 'Paused.' : '';
      return;
    }
    const at = `step ${formatInt(progress.step - plan.from)} of ${formatInt(plan.to - plan.from)}`;
    const loss = ` · loss ${formatNumber(progress.loss)}`;
    this.text.textContent = {
      paused: `Paused at ${at}${loss} · Resume continues from here`,
      done: `Done: ${formatInt(plan.to - plan.from)} steps${loss}`,
      cancelled: `Stopped at ${at}${loss}`,
      failed: `Failed at ${at}`,
    }[outcome] ?? '';
  }

  drawCurves() {
    if (!this.charts) return;
    const series = (key) => [{ name: key, style: 'line', points: this.points.filter((p) => p[key] !== null && p[key] !== undefined).map((p) => [p.step, p[key]]) }];
    this.charts.loss.update({ series: series('loss'), logY: true, yLabel: 'loss' });
    this.charts.metric.update({ series: series('metric'), logY: false, yLabel: 'metric' });
    this.onDrawn(this.points.length);
  }
}
