/**
 * state.js — the whole state of the page in one small store, mirrored in the URL.
 *
 *   ?model=lstm-embedded-reber&input=BTBTSSXXTVVETE&t=12&mode=backward&from=12
 *    &panels=hidden,gradflow&compare=elman-embedded-reber&tour=6&speed=8&open=train
 *   ?view=experiments&exp=short-term-memory     (the Experiments view instead of the explorer)
 *
 * Views never talk to each other: they call state.set(patch) and subscribe to
 * the keys they draw. Reloading the URL restores the same view.
 */

export const MODES = ['forward', 'backward'];
export const SPEEDS = [1, 2, 4, 8, 15, 30, 60]; // steps per second
export const MAX_COMPARE = 2; // models shown beside the main one
const URL_WRITE_INTERVAL_MS = 400; // replaceState is rate-limited by browsers; never call it per frame

export const DEFAULTS = Object.freeze({
  model: null, // the model in the main view
  input: null, // the traced text; null: the task's probe
  step: 0, // current step t, 0-based (shown 1-based)
  mode: 'forward', // forward | backward
  source: null, // backward mode: the step s whose error L_s flows back; null: the last counted step; -1: all of L
  panels: ['hidden', 'gradnorm', 'outputs'],
  compare: [], // other models traced on the same input
  tour: null, // chapter index while the tour is open
  speed: 4,
  drawer: null, // 'train' when the build-and-train drawer is open
  cell: true, // LSTM/GRU: the cell of the selected step is open
  view: null, // 'experiments' when the Experiments view replaces the explorer
  experiment: null, // the experiment the Experiments view shows; null: the first stored one
});

// key -> [url name, to string, from string]
const list = (s) => (s ? s.split(',').filter(Boolean) : []);
const int = (s) => (s === '' || s === null || Number.isNaN(Number(s)) ? null : Math.trunc(Number(s)));
const URL_KEYS = {
  model: ['model', String, String],
  input: ['input', String, String],
  step: ['t', (v) => String(v + 1), (s) => Math.max(0, (int(s) ?? 1) - 1)],
  mode: ['mode', String, (s) => (MODES.includes(s) ? s : 'forward')],
  source: ['from', (v) => (v === -1 ? 'all' : String(v + 1)), (s) => (s === 'all' ? -1 : int(s) === null ? null : int(s) - 1)],
  panels: ['panels', (v) => v.join(','), list],
  compare: ['compare', (v) => v.join(','), (s) => list(s).slice(0, MAX_COMPARE)],
  tour: ['tour', (v) => String(v + 1), (s) => (int(s) === null ? null : int(s) - 1)],
  speed: ['speed', String, (s) => (SPEEDS.includes(Number(s)) ? Number(s) : DEFAULTS.speed)],
  drawer: ['open', String, (s) => (s === 'train' ? s : null)],
  cell: ['cell', (v) => (v ? '1' : '0'), (s) => s !== '0'],
  view: ['view', String, (s) => (s === 'experiments' ? s : null)],
  experiment: ['exp', String, String],
};

function same(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

export class State {
  constructor(initial = {}) {
    this.values = { ...DEFAULTS, ...initial };
    this.listeners = new Set();
    this.lastUrlWrite = 0;
    this.urlTimer = null;
  }

  get(key) {
    return this.values[key];
  }

  /** Apply a patch; listeners hear once with the set of keys that really changed. */
  set(patch) {
    const changed = new Set();
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in DEFAULTS)) throw new Error(`unknown state key ${key}`);
      if (!same(this.values[key], value)) {
        this.values[key] = value;
        changed.add(key);
      }
    }
    if (changed.size === 0) return changed;
    for (const listener of this.listeners) listener(changed, this.values);
    this.scheduleUrlWrite();
    return changed;
  }

  /** Correct values while rendering them (e.g. clamp the step to a new trace) without notifying again. */
  adjust(patch) {
    Object.assign(this.values, patch);
    this.scheduleUrlWrite();
  }

  /** listener(changedKeys: Set, values) after every change; returns an unsubscribe function. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toSearch() {
    const params = new URLSearchParams();
    for (const [key, [name, write]] of Object.entries(URL_KEYS)) {
      const value = this.values[key];
      if (value === null || same(value, DEFAULTS[key])) continue;
      params.set(name, write(value));
    }
    return params.toString().replace(/%2C/g, ',');
  }

  static fromSearch(search) {
    const params = new URLSearchParams(search);
    const initial = {};
    for (const [key, [name, , read]] of Object.entries(URL_KEYS)) {
      if (params.has(name)) initial[key] = read(params.get(name));
    }
    return new State(initial);
  }

  /** Write the URL now (tests and the tour call this; playback relies on the throttle). */
  writeUrl() {
    clearTimeout(this.urlTimer);
    this.urlTimer = null;
    this.lastUrlWrite = performance.now();
    const search = this.toSearch();
    const url = `${location.pathname}${search ? `?${search}` : ''}`;
    if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
  }

  scheduleUrlWrite() {
    if (this.urlTimer) return;
    const wait = Math.max(0, URL_WRITE_INTERVAL_MS - (performance.now() - this.lastUrlWrite));
    this.urlTimer = setTimeout(() => this.writeUrl(), wait);
  }
}
