/**
 * catalog.js — what the server offers: architectures, tasks and stored models,
 * with each model's detail (config, task, training record) fetched once and
 * kept until it changes.
 */

import { api } from './api.js';

// Gate blocks per cell family: W_ih is (G*H, I), W_hh (G*H, H).
const GATE_BLOCKS = { elman: 1, shortcut: 1, lstm: 4, gru: 3 };

/** Weights of a model with this config, counted as torch.nn would (when the server does not say). */
export function countParameters({ architecture, input_size: I, output_size: O, hidden_size: H }) {
  const readout = O * H + O;
  if (architecture === 'second_order') return H * H * I + H + readout;
  const G = GATE_BLOCKS[architecture] ?? 1;
  const shortcut = architecture === 'shortcut' ? O * I : 0;
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
    return detail.parameter_count ?? countParameters(detail.config);
  }

  /** Training steps/s: the like-for-like measurement (metadata.speed, made for every demo model
   * in one run) when the server sends it, else the speed of the model's last training run. */
  speed(detail) {
    return detail.speed?.steps_per_s ?? detail.last_training?.steps_per_s ?? null;
  }
}
