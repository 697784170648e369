/**
 * generate.js — the Generate panel: the network writes (POST .../generate).
 * From a prefix it draws each next symbol from its own output at a
 * temperature, seeded, and the page traces the first sample, so every view
 * shows the network reading what it wrote. For a grammar task the grammar
 * judges each of N samples and the panel shows how many it accepts (the
 * engine's count); for words (fluent) and characters (text) the likeliest
 * next symbols after the prefix, with their probabilities.
 *
 * The default prefix: empty for a grammar task (each sample starts as the
 * task's strings do), otherwise the input without its last word or character,
 * so the completions say what the network expects there ("... i speak fluent").
 */

import { api } from './api.js';
import { el, setMath } from './lib/dom.js';
import { formatInt, formatNumber } from './lib/format.js';
import { PanelFrame } from './views/widgets.js';

const GRAMMAR_SAMPLES = 200; // samples judged by the grammar for the acceptance rate
const SHOWN_SAMPLES = 8;
const COMPLETIONS_SHOWN = 8;

const pct = (share) => `${formatNumber(100 * share, 3)} %`;

/** The input without its last symbol: a word for a word task, else a character. */
export function withoutLast(text, inputKind) {
  const trimmed = String(text ?? '').trimEnd();
  if (inputKind === 'words') return trimmed.includes(' ') ? trimmed.slice(0, trimmed.lastIndexOf(' ')) : '';
  return trimmed.slice(0, -1);
}

export class GenerateView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'generate-view', header: options.header !== false });
    const number = (field, value, attrs = {}) => el('input', { type: 'number', 'data-field': field, value: String(value), ...attrs });
    this.prefix = el('input', { type: 'text', class: 'generate-prefix', 'data-field': 'generate-prefix', spellcheck: 'false',
      placeholder: '(empty: start as the task’s sequences do)' });
    this.steps = number('generate-steps', 30, { min: '1', max: '500' });
    this.temperature = number('generate-temperature', 1, { min: '0.05', max: '10', step: '0.05' });
    this.seed = number('generate-seed', 0, { min: '0' });
    this.samples = number('generate-samples', GRAMMAR_SAMPLES, { min: '1', max: '1000' });
    this.samplesLabel = el('label', {}, 'samples', this.samples);
    this.run = el('button', { class: 'button primary', type: 'button', text: 'Generate', 'data-action': 'generate', onclick: () => this.generate() });
    this.useInput = el('button', { class: 'button subtle', type: 'button', text: 'Use the input', 'data-action': 'generate-use-input',
      onclick: () => { this.prefix.value = this.props.typed ?? ''; } });
    this.status = el('p', { class: 'analysis-status', 'data-role': 'generate-status' });
    this.result = el('div', { class: 'generate-result', 'data-role': 'generate-result' });
    this.frame.body.append(
      el('div', { class: 'analysis-bar' }, el('label', { class: 'generate-prefix-label' }, 'prefix', this.prefix), this.useInput),
      el('div', { class: 'analysis-bar' }, el('label', {}, 'steps', this.steps), el('label', {}, 'temperature', this.temperature),
        el('label', {}, 'seed', this.seed), this.samplesLabel, this.run),
      this.status, this.result);
    this.props = {};
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    if (props.name !== previous.name || props.task !== previous.task) {
      const grammar = Boolean(props.task?.grammar);
      this.prefix.value = grammar ? '' : withoutLast(props.typed, props.task?.input_kind);
      this.samples.value = String(grammar ? GRAMMAR_SAMPLES : 1);
      this.samplesLabel.hidden = !grammar;
      this.result.replaceChildren();
      this.setStatus(grammar
        ? `Draw ${GRAMMAR_SAMPLES} strings from the network and ask the grammar which it accepts; the first is traced.`
        : 'Draw from the network after the prefix; the likeliest next symbols are listed and the sample is traced.');
    }
  }

  setStatus(text, kind = '') {
    setMath(this.status, text);
    this.status.className = `analysis-status ${kind}`.trim();
  }

  async generate() {
    const { name, task } = this.props;
    if (!name) return;
    const body = { prefix: this.prefix.value, steps: Number(this.steps.value), temperature: Number(this.temperature.value),
      seed: Number(this.seed.value), samples: task?.grammar ? Number(this.samples.value) : 1 };
    this.setStatus('The network is writing…', 'busy');
    this.run.disabled = true;
    try {
      const data = await api.generate(name, body);
      this.draw(data, body);
      this.options.onInput?.(data.samples[0].text, Math.max(0, data.samples[0].symbols.length - 1));
    } catch (error) {
      this.setStatus(`The network could not write: ${error.detail ?? error}`, 'error');
    } finally {
      this.run.disabled = false;
    }
  }

  draw(data, body) {
    const sample = data.samples[0];
    const words = this.props.task?.input_kind === 'words';
    this.setStatus(`Temperature ${formatNumber(body.temperature, 3)}, seed ${body.seed}: the first sample is traced above`
      + `${data.acceptance ? '' : ` (${sample.steps.length} symbol${sample.steps.length === 1 ? '' : 's'} drawn)`}.`);
    const parts = [this.sampleLine(sample, data.vocabulary, words)];
    if (data.acceptance) parts.push(this.acceptance(data));
    if (data.completions) parts.push(this.completions(data.completions, body.prefix));
    this.result.replaceChildren(...parts);
  }

  /** The sample's symbols: given ones plain, drawn ones with the probability they were drawn with. */
  sampleLine(sample, vocabulary, words) {
    const chips = sample.symbols.map((symbol, i) => {
      const drawn = i >= sample.given ? sample.steps[i - sample.given] : null;
      const p = drawn ? drawn.p[vocabulary.indexOf(drawn.symbol)] : null;
      return el('span', { class: `generate-symbol${drawn ? ' drawn' : ''}`, title: drawn ? `drawn with p = ${formatNumber(p, 3)}` : 'given' },
        el('b', { text: symbol === ' ' ? '␣' : symbol }), drawn ? el('small', { text: formatNumber(p, 2) }) : '');
    });
    const verdict = sample.accepted === null ? '' : sample.accepted ? '✓ the grammar accepts it' : '✗ the grammar refuses it';
    return el('div', { class: 'generate-sample', 'data-role': 'generate-sample', 'data-text': sample.text },
      el('div', { class: `generate-symbols${words ? ' words' : ''}` }, chips),
      verdict ? el('p', { class: `generate-verdict ${sample.accepted ? 'accepted' : 'refused'}`, text: verdict }) : '');
  }

  acceptance(data) {
    const { accepted, total, rate } = data.acceptance;
    const list = el('ul', { class: 'generate-samples' }, ...data.samples.slice(0, SHOWN_SAMPLES).map((s) => el('li', {},
      el('button', { class: 'button subtle', type: 'button', title: 'trace this sample', onclick: () => this.options.onInput?.(s.text, s.symbols.length - 1) },
        el('span', { class: s.accepted ? 'accepted' : 'refused', text: s.accepted ? '✓' : '✗' }), ` ${s.text}`))));
    return el('div', { class: 'generate-acceptance', 'data-role': 'generate-acceptance', 'data-rate': rate, 'data-accepted': accepted, 'data-total': total },
      el('p', {}, 'The grammar accepts ', el('b', { text: `${formatInt(accepted)} of ${formatInt(total)}` }), ` samples (${pct(rate)}).`),
      el('div', { class: 'generate-rate' }, el('i', { style: `width:${(100 * rate).toFixed(1)}%` })),
      el('p', { class: 'note', text: `The first ${Math.min(SHOWN_SAMPLES, data.samples.length)} (click one to trace it):` }), list);
  }

  completions(completions, prefix) {
    const top = completions.slice(0, COMPLETIONS_SHOWN);
    const max = Math.max(...top.map((c) => c.p), 1e-9);
    const tail = prefix.length > 48 ? `…${prefix.slice(-48)}` : prefix;
    return el('div', { class: 'generate-completions', 'data-role': 'generate-completions' },
      el('p', {}, 'After ', el('q', { text: tail }), ' the network expects:'),
      el('table', {}, el('tbody', {}, ...top.map((c) => el('tr', { 'data-symbol': c.symbol, 'data-p': c.p },
        el('th', { text: c.symbol === ' ' ? '␣ (space)' : c.symbol }),
        el('td', { class: 'generate-bar' }, el('i', { style: `width:${(100 * c.p / max).toFixed(1)}%` })),
        el('td', { text: pct(c.p) }))))));
  }

  reset() {
    this.frame.remove();
  }
}
