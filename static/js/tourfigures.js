/**
 * tourfigures.js — the numbers in the tour's chapters, filled in from figures the
 * server measures on the stored models (GET /api/lessons/figures/{name}, app/core/lessons).
 * A chapter's text is a template: {figure.path|format} stands for a value of a figure,
 * e.g. {gradient_to_branch.ratio.median|x}; no number is written into a chapter by hand
 * (tests/core/test_claims.py holds the texts to that).
 */

import { api } from './api.js';
import { formatInt, formatNumber } from './lib/format.js';

// {name.path.to.value|format}: the figure's name, the path inside its value, how to write it
export const PLACEHOLDER = /\{([a-z_]+)((?:\.[a-z_0-9]+)+)(?:\|([a-z]+))?\}/g;
const PENDING = '…';

/** How a value is written: share as a percentage, ratio with ×, whole numbers, plain numbers. */
export const FORMATS = {
  pct: (v) => `${v * 100 < 1 && v > 0 ? formatNumber(v * 100, 1) : formatNumber(Math.round(v * 100), 3)}%`,
  x: (v) => `${formatNumber(v, 2)}×`,
  int: (v) => formatInt(v),
  num: (v) => formatNumber(v, 2),
};

/** The figure names a template uses. */
export function figureNames(text) {
  return [...new Set([...String(text).matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** The template with every placeholder replaced; one whose figure is not (yet) known reads "…". */
export function fillTemplate(text, figures) {
  return String(text).replace(PLACEHOLDER, (_, name, path, format = 'num') => {
    let value = figures.get(name)?.value;
    for (const key of path.slice(1).split('.')) value = value?.[key];
    if (value === null || value === undefined) return PENDING;
    return typeof value === 'number' ? (FORMATS[format] ?? FORMATS.num)(value) : String(value);
  });
}

/** Figures fetched once per page (the server caches them by the models' weights). */
export class TourFigures {
  constructor(fetchFigure = api.figure) {
    this.fetchFigure = fetchFigure;
    this.known = new Map(); // name -> FigureOut
    this.loading = new Map(); // name -> Promise
    this.failed = new Map(); // name -> message
  }

  /** Resolves when every figure the text names is known (or has failed, with its message kept). */
  load(text) {
    return Promise.all(figureNames(text).map((name) => this.loadOne(name)));
  }

  loadOne(name) {
    if (this.known.has(name)) return Promise.resolve();
    if (!this.loading.has(name)) {
      this.loading.set(name, this.fetchFigure(name).then(
        (figure) => { this.known.set(name, figure); this.failed.delete(name); },
        (error) => { this.failed.set(name, error.message); },
      ).finally(() => this.loading.delete(name)));
    }
    return this.loading.get(name);
  }

  /** Figures of this text that could not be measured, as a sentence for the tour's note ('' if none). */
  problems(text) {
    const names = figureNames(text);
    const missing = names.flatMap((name) => this.known.get(name)?.missing ?? []);
    const failed = names.filter((name) => this.failed.has(name)).map((name) => this.failed.get(name));
    if (missing.length) return `Some figures need ${[...new Set(missing)].join(', ')}, which is not in the store.`;
    return failed.length ? `Some figures could not be measured: ${failed[0]}` : '';
  }

  /** Whether every figure of this text is known. */
  ready(text) {
    return figureNames(text).every((name) => this.known.has(name));
  }
}
