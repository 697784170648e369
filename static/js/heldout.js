/**
 * heldout.js — a model's held-out figures as its summary states them: the task's metric on
 * sequences it did not train on (for a task with a split, contents training never drew) and the
 * share of its hidden values saturated there (|h| > 0.99, where tanh passes almost no gradient),
 * so a net at chance with most of its units saturated shows as collapsed, not merely forgetful.
 */

import { formatNumber } from './lib/format.js';

export const SATURATED = 0.99; // as app/core/heldout.py

const percent = (value) => `${formatNumber(100 * value, 3)}%`;

/**
 * "recall accuracy 99.8% on held-out contents, 1.31% of hidden values saturated (|h| > 0.99)", or null
 * for a model not measured. Only a task trained on a split has contents provably new to the model;
 * the others were measured on fresh sequences, which may repeat training ones, and say so.
 */
export function heldOutText(detail) {
  if (detail.held_out_metric === null || detail.held_out_metric === undefined) return null;
  const where = detail.task.options?.split === 'train' ? 'on held-out contents' : 'on fresh sequences';
  const metric = `${detail.task.metric_name} ${percent(detail.held_out_metric)} ${where}`;
  if (detail.saturation === null || detail.saturation === undefined) return metric;
  return `${metric}, ${percent(detail.saturation)} of hidden values saturated (|h| > ${SATURATED})`;
}
