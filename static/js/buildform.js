/**
 * buildform.js — "Build a new model" in the training drawer: a cell family and
 * its activation, the hidden size, the seed, how the gates start (the schemes the
 * family takes, initscheme.js), a task and the options of its options_spec, and a
 * free name; Create posts the model (POST /api/models).
 */

import { api } from './api.js';
import { taskTitle } from './catalog.js';
import { INIT_SCHEMES, initExplanation, offeredSchemes } from './initscheme.js';
import { el, field } from './lib/dom.js';

const number = (attributes) => el('input', { type: 'number', ...attributes });

export class BuildForm {
  /** catalog: the page's Catalog; onCreated(name) once the model exists. */
  constructor({ catalog, onCreated }) {
    this.catalog = catalog;
    this.onCreated = onCreated;
    this.name = el('input', { type: 'text', 'data-field': 'name', pattern: '[a-z0-9][a-z0-9_\\-]{0,63}', required: true });
    this.arch = el('select', { 'data-field': 'architecture', onchange: () => this.archChanged() });
    this.activation = el('select', { 'data-field': 'activation', onchange: () => this.initChoices() });
    this.init = el('select', { 'data-field': 'init', onchange: () => this.initChanged() });
    this.initParam = number({ 'data-field': 'init_param', oninput: () => this.explainInit() });
    this.initParamField = field('', this.initParam);
    this.initNote = el('p', { class: 'field-note init-note', 'data-field': 'init_note' });
    this.hidden = number({ 'data-field': 'hidden_size', min: 1, max: 512, value: 16 });
    this.task = el('select', { 'data-field': 'task', onchange: () => this.taskChanged() });
    this.seed = number({ 'data-field': 'seed', min: 0, value: 0 });
    this.options = el('div', { class: 'task-options' });
    this.error = el('div', { class: 'form-error', role: 'alert', hidden: true });
    this.createButton = el('button', { class: 'button', type: 'submit', text: 'Create model' });
    const form = el('form', { class: 'build-form', onsubmit: (event) => { event.preventDefault(); this.create(); } },
      el('div', { class: 'field-grid' },
        field('Cell', this.arch), field('Activation', this.activation),
        field('Hidden units H', this.hidden), field('Seed', this.seed),
        field('Initialisation', this.init), this.initParamField,
        field('Task', this.task), field('Name', this.name)),
      this.initNote, this.options, this.error, this.createButton);
    this.root = el('details', { class: 'build' }, el('summary', { text: 'Build a new model' }), form);
    fill(this.arch, [...catalog.architectures.values()].map((a) => [a.id, a.title]));
    fill(this.task, [...catalog.tasks.values()].map((t) => [t.id, taskTitle(t)]));
    this.archChanged();
    this.taskChanged();
  }

  archChanged() {
    const arch = this.catalog.arch(this.arch.value);
    fill(this.activation, (arch?.activations ?? ['tanh']).map((a) => [a, a]));
    this.initChoices();
    this.suggestName();
  }

  /** Only the schemes the family (and, for identity, a relu activation) can take. */
  initChoices() {
    const previous = this.init.value;
    const schemes = offeredSchemes(this.catalog.arch(this.arch.value), this.activation.value);
    fill(this.init, schemes.map((scheme) => [scheme, INIT_SCHEMES[scheme]?.label ?? scheme]));
    if (schemes.includes(previous)) this.init.value = previous;
    this.initChanged();
  }

  initChanged() {
    const param = INIT_SCHEMES[this.init.value]?.param;
    this.initParamField.hidden = !param;
    if (param && this.initParam.dataset.param !== param.name) {
      Object.assign(this.initParam, { value: param.value, step: param.step, min: param.min, max: param.max });
      this.initParam.dataset.param = param.name;
      this.initParamField.querySelector('.field-label').textContent = param.label;
    }
    this.explainInit();
  }

  explainInit() {
    this.initNote.textContent = initExplanation(this.arch.value, this.init.value, this.initParam.value);
  }

  /** The API's init object: the scheme and, where it has one, its parameter. */
  initSpec() {
    const scheme = this.init.value || 'default';
    const param = INIT_SCHEMES[scheme]?.param;
    return param ? { scheme, [param.name]: Number(this.initParam.value) } : { scheme };
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
      hidden_size: Number(this.hidden.value), seed: Number(this.seed.value), activation: this.activation.value, task_options: options,
      init: this.initSpec() };
    this.error.hidden = true;
    this.createButton.disabled = true;
    try {
      await api.createModel(spec);
      await this.catalog.refreshModels();
      this.root.open = false;
      this.onCreated(spec.name);
    } catch (error) {
      this.error.textContent = error.detail ?? String(error);
      this.error.hidden = false;
    } finally {
      this.createButton.disabled = false;
    }
  }
}

function fill(select, pairs) {
  select.replaceChildren(...pairs.map(([value, text]) => el('option', { value, text })));
}
