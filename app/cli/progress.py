"""The training progress display on stderr for `python -m app train`.

On a terminal one line is redrawn in place with '\\r'; into a pipe or a log file
that would be one endless line full of carriage returns, so there it writes a
plain line every few seconds instead. stdout stays free for the final summary.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from app.cli.table import number
from app.core.train import Progress

BAR_WIDTH = 24
# How often a non-terminal stream gets a line: often enough to see a run is alive,
# rarely enough that a long run's log stays readable.
PLAIN_EVERY_S = 5.0


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """Shows Progress reports of one run of `steps` steps that starts at `first_step`."""

    def __init__(self, steps: int, first_step: int, metric_name: str, stream: TextIO | None = None,
                 interactive: bool | None = None) -> None:
        self.steps, self.first_step, self.metric_name = steps, first_step, metric_name
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._width = 0  # of the last redrawn line, to blank out its leftovers
        self._last_plain = -float("inf")
        self._drawn = False

    def line(self, progress: Progress) -> str:
        done = progress.step - self.first_step  # steps of this run
        share = min(1.0, done / self.steps) if self.steps else 1.0
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        # The run's average rate gives a steadier ETA than the last window's.
        average = done / progress.elapsed_s if progress.elapsed_s > 0 else 0.0
        eta = duration((self.steps - done) / average) if average > 0 else "?"
        return (
            f"[{bar}] {done}/{self.steps}  loss {number(progress.loss)}  "
            f"{self.metric_name} {number(progress.metric, 3)}  "
            f"{progress.steps_per_s:.1f} steps/s  ETA {eta}"
        )

    def update(self, progress: Progress) -> None:
        text = self.line(progress)
        if self.interactive:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
            self._drawn = True
            self.stream.flush()
            return
        now = time.monotonic()
        final = progress.step - self.first_step >= self.steps
        if final or now - self._last_plain >= PLAIN_EVERY_S:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_plain = now

    def finish(self) -> None:
        """End the redrawn line so whatever follows starts on a fresh one."""
        if self.interactive and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
