"""Tables for the command line, drawn by rich: the trace table and the model list.

Owns how numbers and predictions read in a terminal. Nothing here prints: each
function returns lines, so the commands decide where they go and tests can read
them without a terminal. On a terminal the header is bold and ruled with a line;
into a pipe or a file the same table comes out as plain aligned text (a row of
dashes under the header, no colour codes), which scripts and logs can read.
"""

from __future__ import annotations

import io
import math
import shutil
import sys
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from app.core.tasks.encoding import visible
from app.core.trace import Trace

# A bce output counts as "on" (the symbol is predicted legal) above this.
BCE_THRESHOLD = 0.5

# rich's SIMPLE_HEAD with ASCII dashes: the plain form for pipes and log files.
PLAIN_HEAD = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)
# A plain table is never wrapped: a log line may be long, a cut value is lost.
PLAIN_WIDTH = 1000


def render(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool], terminal: bool | None = None
) -> list[str]:
    """Columns padded to their widest cell; `right` aligns numeric columns right.

    terminal: draw for a terminal (bold header, rule) or as plain text; None asks
    whether stdout is one.
    """
    terminal = sys.stdout.isatty() if terminal is None else terminal
    table = Table(
        box=box.SIMPLE_HEAD if terminal else PLAIN_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold" if terminal else "",
        padding=(0, 1),
    )
    for header, align_right in zip(headers, right, strict=False):
        table.add_column(header, justify="right" if align_right else "left", no_wrap=not terminal)
    for row in rows:
        table.add_row(*row)
    width = shutil.get_terminal_size().columns if terminal else PLAIN_WIDTH
    text = io.StringIO()
    Console(
        file=text,
        force_terminal=terminal,
        no_color=not terminal,
        width=width,
        highlight=False,
        emoji=False,
        markup=False,
    ).print(table)
    return [line.rstrip() for line in text.getvalue().splitlines()]


def number(value: float | None, digits: int = 4) -> str:
    """A float for a table cell; None (a non-finite value stored as null) reads '-'."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)  # 'nan' / 'inf' is exactly what a person needs to see here
    return f"{value:.{digits}f}"


# ----- traces ---------------------------------------------------------------


def prediction(trace: Trace, t: int) -> str:
    """What the model says at step t, in the task's own vocabulary."""
    y = trace.y[t]  # (O,)
    if trace.symbols is None or trace.loss_kind == "mse":
        return " ".join(number(float(v), 3) for v in y.tolist())
    if trace.loss_kind == "bce":
        on = [visible(trace.symbols[k]) for k, p in enumerate(y.tolist()) if p > BCE_THRESHOLD]
        return "|".join(on) if on else "(none)"
    best = int(y.argmax())
    return f"{visible(trace.symbols[best])} ({float(y[best]):.2f})"


def trace_lines(trace: Trace, title: str) -> list[str]:
    """One row per step, then L = sum L_t and what was traced."""
    grad_h = trace.grad_h.norm(dim=1).tolist()  # (T,) ||dL/dh_t||
    # grad_flow[s][0] = ||dL_s/dh_1||: how much of step s's error still reaches
    # the first step, the number that shows a plain RNN's short-term memory.
    reach = trace.grad_flow[:, 0].tolist() if trace.grad_flow is not None else None
    headers = ["t", "input", "target", "prediction", "L_t", "||dL/dh_t||"]
    if reach is not None:
        headers.append("||dL_t/dh_1||")
    rows = []
    for t in range(trace.steps):
        counted = float(trace.loss_mask[t]) > 0
        row = [
            str(t + 1),
            trace.labels[t],
            trace.target_labels[t],
            prediction(trace, t),
            number(float(trace.losses[t])) if counted else "",
            number(grad_h[t], 5),
        ]
        if reach is not None:
            row.append(number(reach[t], 5) if counted else "")
        rows.append(row)
    right = [True, False, False, False, True, True, True]
    lines = render(headers, rows, right[: len(headers)])
    counted_steps = int((trace.loss_mask > 0).sum())
    lines.append("")
    lines.append(f"L = sum L_t = {number(trace.loss)}  over {counted_steps} counted of {trace.steps} steps")
    lines.append(title)
    return lines


# ----- the model list -------------------------------------------------------


def model_rows(entries) -> list[str]:
    """The store listing (app.core.store.ListingEntry); a broken entry shows its error."""
    headers = ["name", "architecture", "task", "hidden", "params", "steps", "loss", "metric", "problem"]
    rows = []
    for entry in entries:
        metadata = entry.metadata  # ModelMetadata, or None when the entry could not be read
        if metadata is None:
            rows.append([entry.name, "?", "?", "?", "?", "?", "", "", entry.error or ""])
            continue
        point = metadata.last_point
        rows.append(
            [
                entry.name,
                metadata.config.architecture,
                metadata.task.id if metadata.task else "?",
                str(metadata.config.hidden_size),
                str(metadata.parameter_count),
                str(metadata.total_steps),
                number(point.loss) if point else "",
                number(point.metric, 3) if point else "",
                entry.error or "",
            ]
        )
    right = [False, False, False, True, True, True, True, True, False]
    return render(headers, rows, right)
