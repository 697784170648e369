/**
 * unitpick.js — the unit a person last pointed at (a cell of the Hidden state
 * or Gates heatmap, or a row of the unrolled view's h_t / c_t strip), shared by
 * the unit inspector (which inspects it) and the interventions panel (which
 * offers to clamp it). A tiny store: views never talk to each other directly.
 */

/** target: "h" | "c" | "gate:<name>"; unit: 0-based; step: 0-based step of the trace, or null. */
export const picked = {
  cell: null,
  listeners: new Set(),
  listen(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  },
  set(cell) {
    this.cell = cell;
    this.listeners.forEach((fn) => fn(cell));
  },
};

/** A heatmap's value label (h_t, c_t, or a gate's name) as the target the API names. */
export function targetOfLabel(label) {
  if (label === 'h_t') return 'h';
  if (label === 'c_t') return 'c';
  return label ? `gate:${label}` : null;
}

/** The targets a trace offers: h, c (LSTM) and each gate. */
export function targetsOf(trace) {
  const targets = [['h', 'h_t — hidden state']];
  if (trace?.c) targets.push(['c', 'c_t — cell state']);
  for (const name of Object.keys(trace?.gates ?? {})) targets.push([`gate:${name}`, `${name} — gate`]);
  return targets;
}

/** How a target reads in a sentence: h_t, c_t, f (gate). */
export function targetWords(target) {
  if (target === 'h') return 'h_t';
  if (target === 'c') return 'c_t';
  return `${target.replace('gate:', '')} gate`;
}
