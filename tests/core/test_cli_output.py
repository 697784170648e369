"""What the command line draws: the rich progress bar and tables, and their plain forms."""

from __future__ import annotations

import io
import re

from app.cli.progress import ProgressBar
from app.cli.table import render
from app.core.train import Progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def reports(bar: ProgressBar) -> None:
    for step in (70, 100, 150):  # 20, 50 and 100 steps of a run of 100 that starts at 50
        bar.update(Progress(step, 150, 0.5, 0.25, 1.0, 20.0, (step - 50) / 20))
    bar.finish()


def test_progress_bar_redraws_in_place_on_a_terminal():
    stream = io.StringIO()
    reports(ProgressBar(100, 50, "accuracy", stream, interactive=True))
    text = ANSI.sub("", stream.getvalue())
    lines = text.split("\r")
    assert len(lines) >= 4 and text.endswith("\n") and text.count("\n") == 1
    assert "20/100" in lines[1] and "ETA 0:04" in lines[1]
    assert "100/100" in lines[-1] and "accuracy 0.250" in lines[-1] and "ETA 0:00" in lines[-1]


def test_progress_into_a_pipe_is_plain_lines():
    stream = io.StringIO()
    reports(ProgressBar(100, 50, "accuracy", stream, interactive=False))
    text = stream.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    # the first report, then nothing for PLAIN_EVERY_S, then always the final one
    assert lines == [
        "20/100  loss 0.5000  accuracy 0.250  20.0 steps/s  ETA 0:04",
        "100/100  loss 0.5000  accuracy 0.250  20.0 steps/s  ETA 0:00",
    ]


def test_a_plain_table_aligns_columns_under_a_row_of_dashes():
    lines = render(
        ["t", "input", "L_t"], [["1", "B", "0.1234"], ["10", "TT", "12.5"]], [True, False, True], terminal=False
    )
    assert set(lines[1]) == {"-"}
    assert [line.split() for line in lines] == [
        ["t", "input", "L_t"],
        ["-" * len(lines[1])],
        ["1", "B", "0.1234"],
        ["10", "TT", "12.5"],
    ]
    # numbers right-aligned: the last characters of each numeric column line up
    assert lines[2].endswith("0.1234") and lines[3].endswith("  12.5")
    assert all("\x1b" not in line for line in lines)


def test_a_terminal_table_is_drawn_by_rich():
    lines = render(["name", "steps"], [["r1", "10"]], [False, True], terminal=True)
    assert any("\x1b[1m" in line for line in lines)  # a bold header
    assert "─" in ANSI.sub("", "\n".join(lines))  # ruled under it
    assert ANSI.sub("", lines[-1]).split() == ["r1", "10"]


def test_a_long_plain_cell_is_never_cut():
    problem = "not valid JSON (JSONDecodeError: Expecting property name enclosed in double quotes)" * 3
    lines = render(["name", "problem"], [["broken", problem]], [False, False], terminal=False)
    assert lines[-1].split(None, 1)[1] == problem
