/**
 * controls.js — the page's small controls outside the views: the model
 * picker and its summary line, the action buttons (tour, compare, train),
 * the compare picker and the panel chips. Each writes the state, nothing else.
 */

import { TASK_SHAPES, taskTitle } from './catalog.js';
import { heldOutText } from './heldout.js';
import { initText } from './initscheme.js';
import { el } from './lib/dom.js';
import { formatInt } from './lib/format.js';
import { PANELS } from './panels.js';
import { MAX_COMPARE } from './state.js';

export class Controls {
  constructor(root, { state, catalog }) {
    this.state = state;
    this.catalog = catalog;
    this.select = root.querySelector('[data-role=model-select]');
    this.meta = root.querySelector('[data-role=model-meta]');
    this.select.addEventListener('change', () => state.set({ model: this.select.value, input: null, step: 0, source: null, tour: null }));
    this.compareList = el('div', { class: 'compare-list' });
    this.compareMenu = el('details', { class: 'menu', 'data-role': 'compare-menu' },
      el('summary', { class: 'button', text: 'Compare' }),
      el('div', { class: 'menu-body' },
        this.compareNote = el('p', { class: 'menu-note', 'data-role': 'compare-note' }), this.compareList));
    this.trainButton = el('button', { class: 'button', type: 'button', 'data-action': 'train',
      text: 'Build & train', onclick: () => state.set({ drawer: state.get('drawer') === 'train' ? null : 'train' }) });
    this.tourButton = el('button', { class: 'button primary', type: 'button', 'data-action': 'tour',
      text: 'Guided tour', onclick: () => this.onTour?.() });
    root.querySelector('[data-role=actions]').append(this.tourButton, this.compareMenu, this.trainButton);
    document.addEventListener('click', (event) => {
      if (this.compareMenu.open && !this.compareMenu.contains(event.target)) this.compareMenu.open = false;
    });
    this.chips = root.querySelector('[data-role=panel-chips]');
    this.chips.append(el('span', { class: 'chips-label', text: 'Panels' }),
      ...PANELS.map((panel) => el('button', { class: 'chip', type: 'button', 'data-panel': panel.id, text: panel.title,
        onclick: () => this.togglePanel(panel.id) })));
  }

  togglePanel(id) {
    const panels = this.state.get('panels');
    this.state.set({ panels: panels.includes(id) ? panels.filter((p) => p !== id) : [...panels, id] });
  }

  toggleCompare(name, on) {
    const list = this.state.get('compare').filter((n) => n !== name);
    if (on) list.push(name);
    if (list.length > MAX_COMPARE) return; // the other boxes are disabled when full; the note says why
    this.state.set({ compare: list });
  }

  /** One <option> of the picker; inside an experiment's group its name drops the "x-<experiment>-" it shares. */
  option(m, experiment) {
    const prefix = experiment ? `x-${experiment}-` : null;
    const name = prefix && m.name.startsWith(prefix) ? m.name.slice(prefix.length) : m.name;
    return el('option', { value: m.name,
      text: `${name}  —  ${this.catalog.arch(m.architecture)?.title ?? m.architecture}, ${this.catalog.tasks.get(m.task)?.title ?? m.task}` });
  }

  /** props: {model, detail, panels, compare, drawer} */
  update({ model, detail, panels, compare, drawer }) {
    const models = this.catalog.usable();
    const options = models.map((m) => `${m.name}|${m.architecture}|${m.task}|${m.experiment ?? ''}`).join();
    if (options !== this.options) {
      this.options = options;
      // The demos and one's own models first; an experiment's representative models (one per
      // grid point, dozens of them) each in a group of their experiment after them.
      const { own, groups } = groupByExperiment(models);
      this.select.replaceChildren(...own.map((m) => this.option(m)),
        ...[...groups].map(([experiment, members]) => el('optgroup', { label: `experiment: ${experiment}`, 'data-experiment': experiment },
          members.map((m) => this.option(m, experiment)))));
    }
    if (model && this.select.value !== model) this.select.value = model;
    if (detail) {
      const arch = this.catalog.arch(detail.config.architecture);
      const speed = this.catalog.speed(detail);
      this.meta.textContent = [arch?.title, `H = ${detail.config.hidden_size}`, initText(detail.init), `${formatInt(this.catalog.parameters(detail))} weights`,
        detail.total_steps ? `trained ${formatInt(detail.total_steps)} steps${speed ? ` at ${formatInt(speed)} steps/s` : ''}` : 'untrained',
        heldOutText(detail),
        taskTitle(detail.task)].filter(Boolean).join(' · ');
      this.meta.title = [detail.note ?? arch?.summary ?? '', TASK_SHAPES[detail.task.mode]?.long].filter(Boolean).join('\n');
      this.meta.dataset.taskMode = detail.task.mode;
    }
    for (const chip of this.chips.querySelectorAll('.chip')) chip.classList.toggle('on', panels.includes(chip.dataset.panel));
    const { own, groups } = groupByExperiment(models);
    // at most MAX_COMPARE: once full, the other boxes are disabled and the note says so (a third
    // box used to uncheck the first one silently)
    const full = compare.length >= MAX_COMPARE;
    this.compareNote.textContent = full
      ? `Comparing ${compare.length}, the most there is room for: uncheck one to compare another.`
      : `Trace up to ${MAX_COMPARE} more models on the same input:`;
    const items = (list) => list.filter((m) => m.name !== model).map((m) => el('label', {
      class: 'menu-item', title: full && !compare.includes(m.name) ? `At most ${MAX_COMPARE} models beside the main one` : null },
      el('input', { type: 'checkbox', value: m.name, checked: compare.includes(m.name), disabled: full && !compare.includes(m.name),
        onchange: (event) => this.toggleCompare(m.name, event.target.checked) }),
      el('span', { text: `${m.name}` }), el('small', { text: `${m.architecture} · ${m.task}` })));
    // as in the picker: an experiment's models under its name, after the others
    this.compareList.replaceChildren(...items(own), ...[...groups].flatMap(([experiment, members]) => [
      el('p', { class: 'menu-group', text: `experiment: ${experiment}` }), ...items(members)]));
    this.compareMenu.querySelector('summary').textContent = compare.length ? `Compare (${compare.length})` : 'Compare';
    this.trainButton.classList.toggle('on', drawer === 'train');
  }
}

/** {own: the models no experiment keeps, groups: Map experiment -> its models}, experiments by name. */
export function groupByExperiment(models) {
  const own = models.filter((m) => !m.experiment);
  const names = [...new Set(models.filter((m) => m.experiment).map((m) => m.experiment))].sort();
  return { own, groups: new Map(names.map((name) => [name, models.filter((m) => m.experiment === name)])) };
}
