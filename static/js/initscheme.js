/**
 * initscheme.js — the initialisation schemes a new model can start from, in a student's
 * words: their labels, the one parameter some take, a line on why each matters for the
 * chosen cell family, and the short text the model's detail shows. Which schemes a family
 * takes is the server's (`init_schemes` of GET /api/architectures); the formulas are in
 * docs/engine.md.
 */

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/** scheme -> label and, where it has one, its parameter (the API's field name, a default, bounds). */
export const INIT_SCHEMES = Object.freeze({
  default: { label: "PyTorch's default" },
  forget_bias: { label: 'forget bias', param: { name: 'forget_bias', label: 'Bias b', value: 1, step: 'any', min: -20, max: 20 } },
  chrono: { label: 'chrono (T_max)', param: { name: 't_max', label: 'T_max (steps)', value: 80, step: 1, min: 2, max: 100000 } },
  identity: { label: 'identity (IRNN)' },
});

/** The schemes to offer for a family with an activation: identity only for a relu net. */
export function offeredSchemes(arch, activation) {
  return (arch?.init_schemes ?? ['default']).filter((scheme) => scheme !== 'identity' || activation === 'relu');
}

/** Why the choice matters, in one line, for this family, scheme and parameter value. */
export function initExplanation(archId, scheme, value) {
  const gate = archId === 'gru' ? 'update gate z (which keeps h_{t-1})' : 'forget gate f (which keeps c_{t-1})';
  const state = archId === 'gru' ? 'hidden state' : 'cell state';
  if (archId === 'lstm' || archId === 'gru') {
    if (scheme === 'forget_bias') {
      return `The ${gate} starts near σ(${value}) = ${sigmoid(Number(value)).toFixed(3)}: the longer it starts open, ` +
        `the longer the ${state} carries information, and its gradient, across a lag (Gers et al. 2000).`;
    }
    if (scheme === 'chrono') {
      return `Chrono: the ${gate} bias of each unit is log U[1, T_max − 1]${archId === 'lstm' ? ' (the input gate’s its negative)' : ''}, ` +
        `so units start keeping their ${state} for 1 to ${Math.max(1, Number(value) - 1)} steps: open across the lags to learn (Tallec & Ollivier 2018).`;
    }
    return `PyTorch starts the ${gate} near 0.5, so the ${state} halves at every step: ` +
      'after 40 steps nothing of the first input is left to learn from. Opening the gate lets it carry long lags.';
  }
  if (scheme === 'identity') {
    return 'W_hh = I and zero biases: with relu the state is carried unchanged at the start, ' +
      'a plain RNN’s best case for long lags (Le, Jaitly & Hinton 2015).';
  }
  if (archId === 'elman' || archId === 'shortcut') {
    return 'PyTorch draws W_hh at random, so the state fades or blows up over a long lag; ' +
      'with relu, identity initialisation (IRNN) starts it carried unchanged.';
  }
  return 'This family starts from PyTorch-style random weights only.';
}

/** A model's init as the detail shows it: '' for the default. */
export function initText(init) {
  if (!init || init.scheme === 'default') return '';
  if (init.scheme === 'forget_bias') return `forget-bias init (b = ${init.forget_bias})`;
  if (init.scheme === 'chrono') return `chrono init (T_max ${init.t_max})`;
  return `${init.scheme} init`;
}
