/**
 * compare.js — two or three models side by side on the same input, with the
 * same column width and a shared scroll so their time axes line up, and what
 * each costs: weights, and the training speed measured when it was trained.
 *
 *   [ main model's network  (above, in the explorer) ]
 *   | elman-embedded-reber · Elman · 1,063 weights | ▥▥▥ -> ▥▥▥ -> ▥▥▥ ... |
 *   | lstm-embedded-reber  · LSTM  · 5,191 weights | ▥▥▥ -> ▥▥▥ -> ▥▥▥ ... |
 */

import { el } from './lib/dom.js';
import { formatInt, formatNumber } from './lib/format.js';
import { NetworkView } from './network.js';

export class CompareView {
  constructor(container, { onStep, onSource, onRemove, onScroll }) {
    this.handlers = { onStep, onSource, onRemove, onScroll };
    this.table = el('table', { class: 'cost-table' });
    this.rowsBox = el('div', { class: 'compare-rows' });
    this.root = el('section', { class: 'compare', 'data-role': 'compare', hidden: true },
      el('header', { class: 'compare-head' },
        el('h2', { text: 'Compare on the same input' }),
        el('p', { class: 'caption', text: 'Same input, same time axis: where does each network keep what it needs? And what does it cost?' })),
      el('div', { class: 'cost-scroll' }, this.table), this.rowsBox); // a narrow screen scrolls the table, not the page
    container.append(this.root);
    this.rows = new Map(); // name -> {root, info, view}
  }

  reset() {
    this.rows.forEach((row) => row.root.remove());
    this.rows.clear();
    this.root.hidden = true;
  }

  /** props: {main: entry, entries: [entry], colW, step, mode, source, catalog}; entry: {name, detail, model, error} */
  update({ main, entries, colW, step, mode, source, catalog }) {
    if (!entries.length) return this.reset();
    this.root.hidden = false;
    for (const [name, row] of this.rows) {
      if (!entries.some((entry) => entry.name === name)) {
        row.root.remove();
        this.rows.delete(name);
      }
    }
    for (const entry of entries) {
      const row = this.rows.get(entry.name) ?? this.addRow(entry.name);
      this.rowsBox.append(row.root);
      this.describe(row, entry, catalog);
      if (entry.model) row.view.update({ model: entry.model, arch: catalog.arch(entry.detail?.config.architecture), step: Math.min(step, entry.model.T - 1), mode, source, colW });
      else row.view.reset();
    }
    this.costTable([main, ...entries], catalog);
  }

  /** Only the step moved: the cheapest update. */
  step(step, mode, source, colW, catalog, entries) {
    for (const entry of entries) {
      const row = this.rows.get(entry.name);
      if (row && entry.model) row.view.update({ model: entry.model, arch: catalog.arch(entry.detail?.config.architecture), step: Math.min(step, entry.model.T - 1), mode, source, colW });
    }
  }

  addRow(name) {
    const info = el('div', { class: 'compare-info' });
    const holder = el('div', { class: 'compare-net' });
    const root = el('div', { class: 'compare-row', 'data-model': name }, info, holder);
    const view = new NetworkView(holder, {
      compact: true,
      onStep: this.handlers.onStep,
      onSource: this.handlers.onSource,
      onScroll: (left) => this.handlers.onScroll(left, name),
    });
    const row = { root, info, view };
    this.rows.set(name, row);
    return row;
  }

  scrollAll(left, except = null) {
    for (const [name, row] of this.rows) if (name !== except) row.view.scrollTo(left);
  }

  describe(row, entry, catalog) {
    const detail = entry.detail;
    const arch = detail ? catalog.arch(detail.config.architecture) : null;
    row.info.replaceChildren(...[
      el('div', { class: 'compare-name' }, el('strong', { text: entry.name }),
        el('button', { class: 'icon-button', type: 'button', title: `Stop comparing ${entry.name}`, text: '×', onclick: () => this.handlers.onRemove(entry.name) })),
      el('div', { class: 'compare-meta', text: detail ? `${arch?.title ?? detail.config.architecture} · H = ${detail.config.hidden_size}` : 'loading…' }),
      detail ? el('div', { class: 'compare-meta', text: `${formatInt(catalog.parameters(detail))} weights · ${formatInt(detail.total_steps)} steps trained` }) : null,
      entry.model ? el('div', { class: 'compare-meta', text: `L = ${formatNumber(entry.model.trace.loss)} on this input` }) : null,
      entry.error ? el('div', { class: 'compare-error', role: 'alert', text: entry.error }) : null,
    ].filter(Boolean)); // replaceChildren would print a null as the text "null"
  }

  costTable(entries, catalog) {
    const rows = entries.filter((e) => e?.detail).map((e) => ({
      name: e.name,
      arch: catalog.arch(e.detail.config.architecture)?.title ?? e.detail.config.architecture,
      weights: catalog.parameters(e.detail),
      speed: catalog.speed(e.detail),
      loss: e.model?.trace.loss ?? null,
    }));
    const maxWeights = Math.max(1, ...rows.map((r) => r.weights));
    const maxSpeed = Math.max(1, ...rows.map((r) => r.speed ?? 0));
    const bar = (value, max, text) => el('td', { class: 'bar-cell' },
      el('span', { class: 'bar-track' }, el('span', { class: 'bar', style: `width:${value ? Math.max(2, (100 * value) / max) : 0}%` })),
      el('span', { class: 'bar-text', text }));
    this.table.replaceChildren(
      el('thead', {}, el('tr', {}, ['model', 'cell', 'weights', 'training speed', 'L on this input'].map((h) => el('th', { text: h })))),
      el('tbody', {}, rows.map((r) => el('tr', { 'data-model': r.name },
        el('td', { text: r.name }), el('td', { text: r.arch }),
        bar(r.weights, maxWeights, formatInt(r.weights)),
        bar(r.speed, maxSpeed, r.speed ? `${formatInt(r.speed)} steps/s` : 'not measured'),
        el('td', { text: formatNumber(r.loss) })))),
    );
  }
}
