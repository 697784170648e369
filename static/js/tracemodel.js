/**
 * tracemodel.js — what the views need from a Trace document, computed once per
 * trace: per-step predictions against targets, the running loss
 * L_1 + ... + L_t, and the gradient norms that BPTT sends back.
 *
 * Trace (docs/design.md): arrays time first, T steps, H hidden units, O outputs;
 * grad_flow[s][t] = ||dL_s/dh_t|| for t <= s.
 */

/** The read-out and the loss of one step, by the trace's loss_kind (z: the target). */
export const LOSS_EQUATIONS = {
  bce: 'y_t = σ(W_hy h_t + b_y);   L_t = −Σ_k [z_k log y_k + (1 − z_k) log(1 − y_k)]',
  cross_entropy: 'y_t = softmax(W_hy h_t + b_y);   L_t = −log y_t[z_t]',
  mse: 'y_t = W_hy h_t + b_y;   L_t = Σ_k (y_k − z_k)²',
};

/** The read-out and loss equation of this trace's model: a shortcut model's y_t adds W_xy x_t (its readout_terms say). */
export function lossEquation(trace) {
  const equation = LOSS_EQUATIONS[trace?.loss_kind] ?? '';
  return trace?.readout_terms?.['W_xy x_t'] ? equation.replace('W_hy h_t + b_y', 'W_hy h_t + W_xy x_t + b_y') : equation;
}

// An mse output counts as right when this close to its target (the adding task's own tolerance).
export const MSE_TOLERANCE = 0.04;
// bce outputs: a symbol is predicted when its probability passes this.
export const BCE_THRESHOLD = 0.5;

const norm = (row) => (row ? Math.sqrt(row.reduce((sum, v) => sum + (v === null ? 0 : v * v), 0)) : 0);

function argmax(row) {
  let best = 0;
  for (let k = 1; k < row.length; k += 1) if ((row[k] ?? -Infinity) > (row[best] ?? -Infinity)) best = k;
  return best;
}

/** One step's output in words and whether it matches the target (null where L_t does not count). */
function prediction(trace, t, counted) {
  const y = trace.y[t];
  const symbols = trace.symbols;
  if (trace.loss_kind === 'cross_entropy') {
    const k = argmax(y);
    const label = symbols ? symbols[k] : String(k);
    return { label, p: y[k], correct: counted ? trace.target[t] === k : null };
  }
  if (trace.loss_kind === 'bce') {
    const chosen = y.map((p, k) => [p, k]).filter(([p]) => p > BCE_THRESHOLD).map(([, k]) => k);
    const label = chosen.map((k) => (symbols ? symbols[k] : k)).join('|') || '∅';
    const wanted = trace.target[t].map((v, k) => (v > BCE_THRESHOLD ? k : -1)).filter((k) => k >= 0);
    const correct = counted ? chosen.length === wanted.length && chosen.every((k, i) => k === wanted[i]) : null;
    return { label, p: null, correct };
  }
  const value = y[0];
  const target = Array.isArray(trace.target[t]) ? trace.target[t][0] : trace.target[t];
  return {
    label: value === null ? '—' : value.toFixed(2),
    p: null,
    correct: counted ? value !== null && Math.abs(value - target) <= MSE_TOLERANCE : null,
  };
}

export class TraceModel {
  constructor(trace) {
    this.trace = trace;
    this.T = trace.steps;
    this.H = trace.h[0]?.length ?? 0;
    this.counted = trace.loss_mask.map((m) => (m ?? 0) > 0);
    this.lastCounted = this.counted.lastIndexOf(true);
    if (this.lastCounted < 0) this.lastCounted = this.T - 1;
    this.losses = trace.losses.map((v) => v ?? 0);
    this.cumLoss = [];
    this.losses.reduce((sum, v, t) => (this.cumLoss[t] = sum + v), 0);
    this.maxLoss = Math.max(1e-9, ...this.losses);
    this.gradNorm = trace.grad_h.map(norm); // ||dL/dh_t||, all of L
    this.gradCNorm = trace.grad_c ? trace.grad_c.map(norm) : null;
    this.predictions = Array.from({ length: this.T }, (_, t) => prediction(trace, t, this.counted[t]));
    this.hasGates = Object.keys(trace.gates || {}).length > 0;
  }

  /** Which step's error flows back in backward mode: s, or -1 for all of L (the state's `source`). */
  resolveSource(source) {
    if (source === -1 || !this.trace.grad_flow) return -1;
    if (source === null || source === undefined || source < 0 || source >= this.T) return this.lastCounted;
    return source;
  }

  /** ||gradient reaching c_t|| (LSTM) for every t, from the error of step `source` (or all of L
   * when -1); null without a cell state, or when the trace skipped the gradient-flow tables. */
  reachC(source) {
    if (source === -1) return this.gradCNorm;
    const row = this.trace.grad_flow_c?.[source];
    return row ? row.map((v, t) => (t <= source ? v ?? 0 : 0)) : null;
  }

  /** ||gradient reaching h_t|| for every t, from the error of step `source` (or all of L when -1). */
  reach(source) {
    if (source === -1) return this.gradNorm;
    const row = this.trace.grad_flow[source];
    return row.map((v, t) => (t <= source ? v ?? 0 : 0));
  }
}
