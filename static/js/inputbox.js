/**
 * inputbox.js — the input a person types (a Reber string, a sentence, numbers).
 * It retraces as they type; a refused input shows the server's message right
 * under the box with the offending symbol, word or number marked.
 */

import { el } from './lib/dom.js';

const RETRACE_DELAY_MS = 350; // wait for a pause in typing before tracing
const EMPTY_INPUT = 'The input is empty: type a sequence to trace, or press “Reset to probe” for the task’s example.';
const HINTS = { symbols: 'symbols', words: 'a sentence', numbers: 'numbers' }; // what the task reads

// Which token of the text a message names, by its wording (positions count from 1).
const LOCATORS = [
  [/unknown character .* at position (\d+)/, 'characters'],
  [/unknown symbol .* at position (\d+)/, 'symbols'],
  [/at word (\d+)/, 'words'],
  [/^'.*' at position (\d+) (cannot follow|is not)/, 'symbols'],
  [/at position (\d+) is not a/, 'numbers'],
  [/value .* at position (\d+)/, 'numbers'],
  [/^a string of .* starts with/, 'first'],
];

function tokens(text, kind) {
  const spans = [];
  const pattern = { characters: /[\s\S]/g, symbols: /\S/g, words: /[^\s,.]+|[,.]/g, numbers: /[^\s,]+/g }[kind];
  for (const match of text.matchAll(pattern)) spans.push([match.index, match.index + match[0].length]);
  return spans;
}

/** [start, end) of the part of `text` the message points at, or null. */
export function locate(message, text, inputKind) {
  for (const [pattern, kind] of LOCATORS) {
    const match = message.match(pattern);
    if (!match) continue;
    if (kind === 'first') return tokens(text, 'symbols')[0] ?? null;
    const wordKind = kind === 'symbols' && inputKind === 'words' ? 'words' : kind;
    return tokens(text, wordKind)[Number(match[1]) - 1] ?? null;
  }
  return null;
}

export class InputBox {
  constructor(container, { onTrace, onProbe }) {
    this.onTrace = onTrace;
    this.timer = null;
    this.kind = 'symbols';
    this.field = el('input', { class: 'input-field', type: 'text', spellcheck: 'false', autocomplete: 'off',
      'aria-label': 'input sequence', 'data-role': 'input', oninput: () => this.typed(),
      onkeydown: (event) => { if (event.key === 'Enter') this.submit(); } });
    this.button = el('button', { class: 'button primary', type: 'button', text: 'Trace', onclick: () => this.submit() });
    this.probe = el('button', { class: 'button', type: 'button', text: 'Reset to probe', title: 'Trace the task\u2019s default input',
      onclick: () => onProbe() });
    this.hint = el('span', { class: 'input-hint' });
    this.error = el('div', { class: 'input-error', role: 'alert', 'data-role': 'input-error', hidden: true });
    this.root = el('div', { class: 'input-box' },
      el('label', { class: 'input-label' }, 'Input', this.hint),
      el('div', { class: 'input-row' }, this.field, this.button, this.probe),
      this.error);
    container.append(this.root);
  }

  /** props: {text, task (GET /tasks entry)} */
  update({ text, task }) {
    if (document.activeElement !== this.field && this.field.value !== text) this.field.value = text ?? '';
    this.kind = task?.input_kind ?? 'symbols';
    const example = task?.probe_text ?? '';
    this.field.placeholder = example;
    this.hint.textContent = HINTS[this.kind] ?? '';
    this.field.title = task ? `For example: ${example}` : '';
  }

  typed() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.submit(), RETRACE_DELAY_MS);
  }

  submit() {
    clearTimeout(this.timer);
    // an empty box is refused in words, not traced as the task's default behind the reader's back
    if (!this.field.value.trim()) return this.showError(EMPTY_INPUT, '');
    this.onTrace(this.field.value);
    return null;
  }

  clearError() {
    this.error.hidden = true;
    this.error.replaceChildren();
    this.field.classList.remove('invalid');
  }

  /** Show a refusal in place; mark the offending token when the message names one. */
  showError(message, text) {
    const span = typeof text === 'string' ? locate(message, text, this.kind) : null;
    this.error.replaceChildren(el('span', { class: 'input-error-text', text: message }));
    if (span) {
      const [start, end] = span;
      const shown = el('code', { class: 'input-echo' }, text.slice(0, start),
        el('mark', { 'data-role': 'error-mark', text: text.slice(start, end) }), text.slice(end));
      this.error.prepend(shown); // not setSelectionRange: it would move the caret of someone typing
    }
    this.error.hidden = false;
    this.field.classList.add('invalid');
  }
}
