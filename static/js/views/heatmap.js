/**
 * heatmap.js — HeatmapView: a T x H trace array (hidden states, gates,
 * gradients) drawn as units x time on a MatrixCanvas (matrix.js), the current
 * step outlined.
 */

import { ColorScale, autoScale } from '../lib/color.js';
import { formatNumber } from '../lib/format.js';
import { ColorLegend, PanelFrame, sameItems } from './widgets.js';
import { MatrixCanvas } from './matrix.js';

/** Time-first [T][H] (nulls allowed) -> Float32Array laid out units x time (H rows, T cols). */
export function unitsByTime(matrix) {
  const T = matrix.length;
  const H = T ? matrix[0].length : 0;
  const values = new Float32Array(T * H);
  for (let t = 0; t < T; t += 1) {
    const column = matrix[t];
    for (let u = 0; u < H; u += 1) values[u * T + t] = column[u] ?? NaN;
  }
  return { rows: H, cols: T, values };
}

/**
 * A trace array (time first, T x H) as units x time, the current step outlined.
 * props: matrix, step, title, caption, equation, symmetric, domain [lo, hi],
 * rowLabels, colLabels, rowTitle, colTitle, valueLabel, fade ("after" | "before").
 * options: header (false to leave the header to the page), onSelectStep(t), maxPlotHeight,
 * onSelectCell(row, col, valueLabel): the cell clicked (the page's unit inspector and clamps take it).
 */
export class HeatmapView {
  constructor(container, options = {}) {
    this.options = options;
    this.frame = new PanelFrame(container, { className: 'heatmap', header: options.header !== false });
    this.canvas = new MatrixCanvas(this.frame.body, {
      maxPlotHeight: options.maxPlotHeight,
      describe: (row, col, value) => this.describe(row, col, value),
      onSelect: (row, col) => {
        options.onSelectStep?.(col);
        options.onSelectCell?.(row, col, this.props.valueLabel);
      },
    });
    this.legend = new ColorLegend(this.frame.legend);
    this.props = {};
  }

  update(props) {
    const previous = this.props;
    this.props = props;
    this.frame.setText(props);
    const { matrix } = props;
    if (!Array.isArray(matrix) || matrix.length === 0 || !Array.isArray(matrix[0]) || matrix[0].length === 0) {
      this.canvas.clear();
      this.frame.legend.hidden = true;
      this.frame.showMessage(matrix === null ? 'Not available for this model.' : 'No data to show yet.');
      this.drawn = false;
      return;
    }
    this.frame.showMessage('');
    this.frame.legend.hidden = false;
    const changed = !this.drawn || matrix !== previous.matrix || props.symmetric !== previous.symmetric
      || !sameItems(props.domain, previous.domain) || !sameItems(props.rowLabels, previous.rowLabels)
      || !sameItems(props.colLabels, previous.colLabels) || props.rowTitle !== previous.rowTitle || props.colTitle !== previous.colTitle;
    if (changed) this.draw();
    const step = props.step;
    this.canvas.setHighlight({ col: step, fadeAfter: props.fade === 'after' ? step : null, fadeBefore: props.fade === 'before' ? step : null });
  }

  draw() {
    const { matrix, symmetric, domain, rowLabels, colLabels, rowTitle = 'unit', colTitle = 'step t', legendLabel } = this.props;
    const { rows, cols, values } = unitsByTime(matrix);
    const signed = symmetric ?? (domain ? domain[0] < 0 : undefined);
    const scale = domain ? new ColorScale({ kind: signed ? 'diverging' : 'sequential', domain }) : autoScale(values, { symmetric });
    const nulls = values.some(Number.isNaN);
    this.canvas.setData({ rows, cols, values, scale, rowLabels, colLabels, rowTitle, colTitle });
    this.legend.update(scale, { label: legendLabel ?? this.props.valueLabel ?? 'value',
      notes: nulls ? [{ kind: 'null', text: 'no value (not finite)' }] : [] });
    this.drawn = true;
  }

  describe(row, col, value) {
    const { colLabels, rowLabels, valueLabel = 'value' } = this.props;
    const label = colLabels?.[col];
    return [
      ['step t', label !== undefined && label !== '' ? `${col + 1}  (${label})` : col + 1],
      ['unit', rowLabels?.[row] ?? row + 1],
      [valueLabel, Number.isNaN(value) ? '— not a finite number' : formatNumber(value)],
    ];
  }

  reset() {
    this.props = {};
    this.drawn = false;
    this.canvas.clear();
    this.frame.setText({});
    this.frame.showMessage('');
  }
}
