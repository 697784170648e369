/**
 * playback.js — stepping through time: play, pause, step, scrub, speed, the
 * forward/backward switch, keyboard shortcuts, and the readout of the pass:
 *
 *   forward:   L_1 + ... + L_t accumulates as the activations flow
 *   backward:  BPTT from the last step to the first, ||dL_s/dh_t|| shrinking (or not)
 *
 * It owns the animation clock (requestAnimationFrame) and writes only
 * state.step; the views redraw from the state.
 */

import { el } from './lib/dom.js';
import { formatNumber } from './lib/format.js';
import { icon } from './lib/svg.js';
import { SPEEDS } from './state.js';

export const KEYS = Object.freeze({
  ' ': 'toggle',
  ArrowRight: 'next',
  ArrowLeft: 'previous',
  Home: 'first',
  End: 'last',
  b: 'backward',
  f: 'forward',
});

// Icons as SVG paths (16 x 16): font glyphs such as ⏮ are missing from many systems.
const ICONS = {
  first: 'M2 3h2v10H2zM9 3v10L4 8zM15 3v10l-5-5z',
  previous: 'M12 3v10L5 8z',
  play: 'M4 2.5v11L14 8z',
  pause: 'M3.5 3h3v10h-3zM9.5 3h3v10h-3z',
  next: 'M4 3v10l7-5z',
  last: 'M1 3v10l5-5zM7 3v10l5-5zM12 3h2v10h-2z',
};

// Every control follows the pass: forward runs t = 1 to T, backward (BPTT) runs from the step whose
// error flows back down to 1, so "next" is t+1 forward and t-1 backward.
const BUTTONS = [
  ['first', 'first', { forward: 'First step of the pass: t = 1 (Home)', backward: 'First step of BPTT: the error source (Home)' }],
  ['previous', 'previous', { forward: 'Previous step: t − 1 (←)', backward: 'Previous step of BPTT: t + 1, back toward the error source (←)' }],
  ['toggle', 'play', { forward: 'Play / pause (space)', backward: 'Play / pause (space)' }],
  ['next', 'next', { forward: 'Next step: t + 1 (→)', backward: 'Next step of BPTT: t − 1 (→)' }],
  ['last', 'last', { forward: 'Last step of the pass: t = T (End)', backward: 'Last step of BPTT: t = 1 (End)' }],
];

export class PlaybackView {
  constructor(container, state) {
    this.state = state;
    this.T = 0;
    this.playing = false;
    this.frame = null;
    this.titles = Object.fromEntries(BUTTONS.map(([action, , titles]) => [action, titles]));
    this.buttons = Object.fromEntries(BUTTONS.map(([action, glyph, titles]) => [action,
      el('button', { class: `pb-button pb-${action}`, type: 'button', title: titles.forward, 'aria-label': titles.forward,
        'data-action': action, onclick: () => this.act(action) }, icon(ICONS[glyph]))]));
    this.scrubber = el('input', { class: 'pb-scrubber', type: 'range', min: 0, max: 0, value: 0, 'aria-label': 'step',
      oninput: () => this.go(Number(this.scrubber.value)) });
    this.stepLabel = el('span', { class: 'pb-step', 'data-role': 'step' });
    this.modeButtons = ['forward', 'backward'].map((mode) => el('button', {
      class: 'seg', type: 'button', 'data-mode': mode, title: mode === 'forward' ? 'Forward pass (f)' : 'Backpropagation through time (b)',
      text: mode === 'forward' ? 'Forward' : 'Backward · BPTT', onclick: () => this.setMode(mode),
    }));
    this.speed = el('select', { class: 'pb-speed', 'aria-label': 'speed', title: 'Steps per second',
      onchange: () => state.set({ speed: Number(this.speed.value) }) },
    SPEEDS.map((s) => el('option', { value: s, text: `${s} steps/s` })));
    this.readout = el('div', { class: 'pb-readout', 'data-role': 'readout', 'aria-live': 'polite' });
    this.root = el('div', { class: 'playback' },
      el('div', { class: 'pb-buttons' }, Object.values(this.buttons)),
      this.stepLabel, this.scrubber,
      el('div', { class: 'segmented', role: 'group', 'aria-label': 'pass' }, this.modeButtons),
      this.speed, this.readout);
    container.append(this.root);
    document.addEventListener('keydown', (event) => this.key(event));
  }

  /** props: {model: TraceModel | null, step, mode, speed, source} */
  update({ model, step, mode, speed, source }) {
    this.model = model;
    this.T = model ? model.T : 0;
    this.scrubber.max = Math.max(0, this.T - 1);
    if (Number(this.scrubber.value) !== step) this.scrubber.value = step;
    this.stepLabel.textContent = this.T ? `step ${step + 1} / ${this.T}` : 'no trace';
    for (const button of this.modeButtons) button.classList.toggle('on', button.dataset.mode === mode);
    for (const [action, button] of Object.entries(this.buttons)) {
      const title = this.titles[action][mode === 'backward' ? 'backward' : 'forward'];
      if (button.title !== title) { button.title = title; button.setAttribute('aria-label', title); }
    }
    if (Number(this.speed.value) !== speed) this.speed.value = speed;
    this.readout.replaceChildren(...(model ? readout(model, step, mode, source) : []));
    this.root.dataset.mode = mode;
  }

  key(event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest?.('input, textarea, select, [contenteditable]')) return;
    const action = KEYS[event.key];
    if (!action) return;
    if (action === 'toggle' && target.closest?.('button')) return; // space on a focused button clicks it already
    event.preventDefault();
    this.act(action);
  }

  act(action) {
    const step = this.state.get('step');
    const backward = this.state.get('mode') === 'backward';
    const start = backward ? this.backwardStart() : 0;
    const end = backward ? 0 : this.T - 1;
    if (action === 'toggle') return this.playing ? this.pause() : this.play();
    if (action === 'backward' || action === 'forward') return this.setMode(action);
    this.pause();
    // backward, the steps after the error source get none of its gradient (they read 0): next and
    // previous stay between the source and step 1, the stretch BPTT actually runs over
    if (action === 'next') return this.go(backward ? (step > start ? start : step - 1) : step + 1);
    if (action === 'previous') return this.go(backward ? Math.min(step + 1, start) : step - 1);
    if (action === 'first') return this.go(start);
    if (action === 'last') return this.go(end);
    return null;
  }

  setMode(mode) {
    if (mode === this.state.get('mode')) return;
    this.pause();
    this.state.set({ mode, step: mode === 'backward' ? this.backwardStart() : 0 });
  }

  /** BPTT starts at the step whose error flows back (the last step for all of L). */
  backwardStart() {
    if (!this.model) return 0;
    const source = this.model.resolveSource(this.state.get('source'));
    return source === -1 ? this.T - 1 : source;
  }

  go(step) {
    if (!this.T) return;
    this.state.set({ step: Math.max(0, Math.min(this.T - 1, step)) });
  }

  play() {
    if (!this.T || this.playing) return;
    const backward = this.state.get('mode') === 'backward';
    const atEnd = backward ? this.state.get('step') <= 0 : this.state.get('step') >= this.T - 1;
    if (atEnd) this.go(backward ? this.backwardStart() : 0);
    else if (backward && this.state.get('step') > this.backwardStart()) this.go(this.backwardStart()); // past the source: 0 there
    this.playing = true;
    this.buttons.toggle.replaceChildren(icon(ICONS.pause));
    this.root.classList.add('playing');
    let last = performance.now();
    let owed = 0; // fractional steps carried between frames
    const tick = (now) => {
      owed += ((now - last) / 1000) * this.state.get('speed');
      last = now;
      const whole = Math.floor(owed);
      if (whole > 0) {
        owed -= whole;
        const direction = this.state.get('mode') === 'backward' ? -1 : 1;
        const next = this.state.get('step') + direction * whole;
        this.go(next);
        if (next <= 0 || next >= this.T - 1) return this.pause();
      }
      this.frame = requestAnimationFrame(tick);
      return null;
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause() {
    cancelAnimationFrame(this.frame);
    this.frame = null;
    if (!this.playing) return;
    this.playing = false;
    this.buttons.toggle.replaceChildren(icon(ICONS.play));
    this.root.classList.remove('playing');
  }
}

/** The pass in words and numbers at step t, as the readout's child nodes. */
function readout(model, step, mode, source) {
  const label = (text) => el('span', { class: 'ro-label', text });
  const note = (text) => el('span', { class: 'ro-note', text });
  if (mode === 'backward') {
    const s = model.resolveSource(source);
    const from = s === -1 ? 'L' : `L_${s + 1}`;
    const value = s !== -1 && step > s
      ? ['0 ', el('span', { class: 'ro-note', math: `(step ${step + 1} comes after step ${s + 1}: L_${s + 1} does not depend on it)` })]
      : [el('b', { text: formatNumber(model.reach(s)[step]) })];
    return [label('BPTT'), ' ', el('span', { math: `‖∂${from}/∂h_${step + 1}‖` }), ' = ', ...value, ' ',
      note(`gradient of ${s === -1 ? 'all of L' : `the error of step ${s + 1}`} reaching step ${step + 1}`)];
  }
  const terms = step === 0 ? 'L_1' : step === 1 ? 'L_1 + L_2' : `L_1 + … + L_${step + 1}`;
  return [label('Loss'), ' ', el('span', { math: terms }), ' = ',
    el('b', { 'data-role': 'loss-sum', text: formatNumber(model.cumLoss[step]) }), ' ',
    note(`of L = ${formatNumber(model.cumLoss[model.T - 1])} over ${model.T} steps`)];
}
