/**
 * gradflow.js — GradFlowView: the trace's grad_flow table, "which step's error
 * reaches which earlier step".
 *
 * Row s, column t (t <= s) holds ||dL_s/dh_t||: step s's loss carried back
 * s - t steps through the recurrence. Drawn on a log colour scale because the
 * interesting thing is the orders of magnitude: in a plain RNN each row fades
 * to nothing a few steps left of the diagonal (the vanishing gradient), in an
 * LSTM the colour holds on far from it. The upper triangle (t > s) does not
 * exist — an error cannot reach a later step — and stays blank.
 *
 *            t →  1   2   3   4
 *   s = 1        ■
 *   s = 2        ▪   ■                ■ the diagonal: L_s's own step
 *   s = 3        ·   ▪   ■            ▪ one step back, · fading further back
 *   s = 4        ·   ·   ▪   ■
 */

import { logScaleOf } from '../lib/color.js';
import { formatNumber } from '../lib/format.js';
import { ColorLegend, PanelFrame, sameItems } from './widgets.js';
import { MatrixCanvas } from './matrix.js';

const DEFAULT_TITLE = 'Gradient flow: whose error reaches where';
const DEFAULT_CAPTION = 'Row s, column t: how much of step s\u2019s error L_s still reaches h_t, s − t steps back. '
  + 'Pale far from the diagonal means the gradient has vanished.';
const DEFAULT_EQUATION = '‖∂L_s/∂h_t‖ = ‖(∂h_{t+1}/∂h_t)ᵀ ⋯ (∂h_s/∂h_{s−1})ᵀ ∂L_s/∂h_s‖,  t ≤ s';
const SKIPPED = 'Skipped for this sequence: the table needs one backward pass per step, so the server leaves it out '
  + 'for long sequences. The gradient-norm chart (‖∂L/∂h_t‖ over time) still shows how far gradients reach.';
const MAX_PLOT_HEIGHT = 380;

/** grad_flow [T][T] (nulls allowed) -> Float32Array, NaN for missing values. */
function flatten(gradFlow) {
  const T = gradFlow.length;
  const values = new Float32Array(T * T);
  for (let s = 0; s < T; s += 1) {
    const row = gradFlow[s] ?? [];
    for (let t = 0; t < T; t += 1) values[s * T + t] = t <= s ? (row[t] ?? NaN) : 0;
  }
  return values;
}

/**
 * props: gradFlow (T x T or null), step (0-based), mode ("forward" | "backward"),
 * labels (the steps' input labels), title, caption, equation.
 * Forward mode outlines row `step` (where L_step's error goes); backward mode
 * outlines column `step` (every error that reaches h_step).
 */
export class GradFlowView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'gradflow', header: options.header !== false });
    this.canvas = new MatrixCanvas(this.frame.body, {
      square: true,
      maxPlotHeight: options.maxPlotHeight ?? MAX_PLOT_HEIGHT,
      describe: (row, col, value) => this.describe(row, col, value),
      onSelect: (row, col) => options.onSelectStep?.(this.props.mode === 'backward' ? col : row),
    });
    this.legend = new ColorLegend(this.frame.legend);
    this.props = {};
    this.drawn = null;
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    this.frame.setText({
      title: props.title ?? DEFAULT_TITLE,
      caption: props.caption ?? DEFAULT_CAPTION,
      equation: props.equation ?? DEFAULT_EQUATION,
    });
    const { gradFlow } = props;
    if (!Array.isArray(gradFlow) || gradFlow.length === 0) {
      this.canvas.clear();
      this.frame.legend.hidden = true;
      this.frame.root.dataset.state = 'skipped';
      this.frame.showMessage(gradFlow === null || gradFlow === undefined ? SKIPPED : 'No steps to show.');
      this.drawn = null;
      return;
    }
    if (this.drawn !== gradFlow || !sameItems(previous.labels, props.labels)) this.draw(gradFlow);
    const backward = props.mode === 'backward';
    this.canvas.setHighlight({ row: props.step, col: props.step, strongRow: !backward, strongCol: backward });
  }

  draw(gradFlow) {
    const T = gradFlow.length;
    const values = flatten(gradFlow);
    const below = (row, col) => col > row;
    const lower = values.filter((_, k) => !below(Math.floor(k / T), k % T));
    const scale = logScaleOf(lower);
    this.frame.root.dataset.state = scale ? 'drawn' : 'zero';
    if (!scale) {
      this.canvas.clear();
      this.frame.legend.hidden = true;
      this.frame.showMessage('Every entry is zero: no step\u2019s loss counts on this sequence, so no error flows back.');
      this.drawn = gradFlow;
      return;
    }
    this.frame.showMessage('');
    this.frame.legend.hidden = false;
    const labels = this.props.labels ?? null;
    this.canvas.setData({
      rows: T, cols: T, values, scale, blank: below,
      colLabels: labels, rowTitle: 'error of step s', colTitle: 'reaches step t',
    });
    const notes = [{ swatch: scale.css(scale.domain[0]), text: `palest: ≤ ${formatNumber(scale.domain[0], 2)} or 0` }];
    if (values.some(Number.isNaN)) notes.push({ kind: 'null', text: 'not finite (exploded)' });
    this.legend.update(scale, { label: '‖∂L_s/∂h_t‖, log scale', notes });
    this.drawn = gradFlow;
  }

  describe(row, col, value) {
    const labels = this.props.labels;
    const named = (k) => (labels?.[k] ? `${k + 1}  (${labels[k]})` : String(k + 1));
    return [
      ['error of step s', named(row)],
      ['reaches step t', named(col)],
      ['steps back', row - col],
      ['‖∂L_s/∂h_t‖', Number.isNaN(value) ? '— not finite' : formatNumber(value)],
    ];
  }

  reset() {
    this.props = {};
    this.drawn = null;
    this.canvas.clear();
    this.frame.showMessage('');
    this.frame.legend.hidden = true;
  }
}
