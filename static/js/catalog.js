/**
 * catalog.js — what the server offers: architectures (with what each cell
 * family has: gates, a cell state, a shortcut, its shared matrices), tasks and
 * stored models, with each model's detail (config, task, training record)
 * fetched once and kept until it changes. The page asks here, never keeps its
 * own list of cell families.
 */

import { api } from './api.js';

/**
 * What each gate does, in a student's words. Which gates a cell has, and the order torch
 * stacks their weight blocks in, is the architecture's `gate_names` (GET /api/architectures);
 * these entries are listed in the order the cell view shows them: what is kept, then what is written.
 * signed: a tanh candidate in [-1, 1]; the other gates are sigmoids in [0, 1].
 */
export const GATE_WORDS = Object.freeze({
  f: { title: 'forget gate', role: 'how much of c_{t-1} is kept (1 = all)' },
  i: { title: 'input gate', role: 'how much of the candidate g is written' },
  g: { title: 'candidate', role: 'what could be written into the cell', signed: true },
  o: { title: 'output gate', role: 'how much of tanh(c_t) is shown as h_t' },
  r: { title: 'reset gate', role: 'how much of h_{t-1} the candidate sees' },
  z: { title: 'update gate', role: 'how much of h_{t-1} is kept (1 = all)' },
  n: { title: 'candidate', role: 'the new content', signed: true },
});

/** "f — forget gate": a gate's letter and name. */
export function gateTitle(name) {
  return `${name} — ${GATE_WORDS[name]?.title ?? 'gate'}`;
}

/** How a task's outputs line up with its inputs, from the task's own `mode` (GET /api/tasks). */
export const TASK_SHAPES = Object.freeze({
  many_to_many: { short: 'many-to-many', long: 'many-to-many: an output and a loss at every step' },
  many_to_one: { short: 'many-to-one', long: 'many-to-one: one output, read at the last step' },
});

/** "Reber grammar (many-to-many)": a task's title with its shape. */
export function taskTitle(task) {
  const shape = TASK_SHAPES[task?.mode]?.short;
  return shape ? `${task.title} (${shape})` : task?.title ?? '';
}

/** Whether the input picks the recurrent matrix (a second-order cell: no W_hh of its own). */
export function multiplicative(arch) {
  return Boolean(arch) && !('W_hh' in arch.shared_matrices);
}

/** Weights of a model with this config and architecture, counted as torch.nn would (when the server does not say). */
export function countParameters({ input_size: I, output_size: O, hidden_size: H }, arch) {
  const readout = O * H + O;
  if (multiplicative(arch)) return H * H * I + H + readout;
  const G = Math.max(1, arch?.gate_names.length ?? 0); // gate blocks: W_ih is (G*H, I), W_hh (G*H, H)
  const shortcut = arch?.has_shortcut ? O * I : 0;
  return G * H * (I + H) + 2 * G * H + readout + shortcut;
}

export class Catalog {
  constructor() {
    this.architectures = new Map();
    this.tasks = new Map();
    this.models = [];
    this.details = new Map(); // name -> Promise<detail>
  }

  async load() {
    const [architectures, tasks, models] = await Promise.all([api.architectures(), api.tasks(), api.models()]);
    architectures.forEach((a) => this.architectures.set(a.id, a));
    tasks.forEach((t) => this.tasks.set(t.id, t));
    this.models = models;
    return this;
  }

  async refreshModels() {
    this.models = await api.models();
    return this.models;
  }

  usable() {
    return this.models.filter((m) => !m.error);
  }

  has(name) {
    return this.usable().some((m) => m.name === name);
  }

  summary(name) {
    return this.models.find((m) => m.name === name) ?? null;
  }

  detail(name) {
    if (!this.details.has(name)) {
      const pending = api.model(name);
      pending.catch(() => this.details.delete(name));
      this.details.set(name, pending);
    }
    return this.details.get(name);
  }

  forget(name) {
    this.details.delete(name);
  }

  arch(id) {
    return this.architectures.get(id) ?? null;
  }

  parameters(detail) {
    return detail.parameter_count ?? countParameters(detail.config, this.arch(detail.config.architecture));
  }

  /** Training steps/s: the like-for-like measurement (metadata.speed, made for every demo model
   * in one run) when the server sends it, else the speed of the model's last training run. */
  speed(detail) {
    return detail.speed?.steps_per_s ?? detail.last_training?.steps_per_s ?? null;
  }
}
