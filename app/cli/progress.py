"""The training progress display on stderr for `python -m app train`.

On a terminal it is a rich progress bar, redrawn in place. Into a pipe or a log
file a redrawn line would be one endless line full of carriage returns, so there
it writes a plain line every few seconds instead. stdout stays free for the
final summary.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from app.cli.table import number
from app.core.train import Progress as TrainProgress

# How often a non-terminal stream gets a line: often enough to see a run is alive,
# rarely enough that a long run's log stays readable.
PLAIN_EVERY_S = 5.0


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """Shows the progress reports of one run of `steps` steps that starts at `first_step`."""

    def __init__(
        self,
        steps: int,
        first_step: int,
        metric_name: str,
        stream: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.steps, self.first_step, self.metric_name = steps, first_step, metric_name
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._last_plain = -float("inf")
        self._bar: Progress | None = None
        if self.interactive:
            console = Console(file=self.stream, force_terminal=True, highlight=False)
            # Redrawn when a report arrives (auto_refresh off): no thread of rich's own
            # beside the trainer's, and nothing drawn between reports.
            self._bar = Progress(
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                auto_refresh=False,
                transient=False,
            )
            self._task = self._bar.add_task("", total=steps)

    def scores(self, progress: TrainProgress) -> str:
        """What a report says, beside the bar: loss, metric, speed and time left."""
        done = progress.step - self.first_step  # steps of this run
        # The run's average rate gives a steadier ETA than the last window's.
        average = done / progress.elapsed_s if progress.elapsed_s > 0 else 0.0
        eta = duration((self.steps - done) / average) if average > 0 else "?"
        return (
            f"loss {number(progress.loss)}  {self.metric_name} {number(progress.metric, 3)}  "
            f"{progress.steps_per_s:.1f} steps/s  ETA {eta}"
        )

    def line(self, progress: TrainProgress) -> str:
        """The plain form: steps done of the run, then the scores."""
        return f"{progress.step - self.first_step}/{self.steps}  {self.scores(progress)}"

    def update(self, progress: TrainProgress) -> None:
        if self._bar is not None:
            if not self._bar.live.is_started:
                self._bar.start()
            self._bar.update(self._task, completed=progress.step - self.first_step, description=self.scores(progress))
            self._bar.refresh()
            return
        now = time.monotonic()
        final = progress.step - self.first_step >= self.steps
        if final or now - self._last_plain >= PLAIN_EVERY_S:
            self.stream.write(self.line(progress) + "\n")
            self.stream.flush()
            self._last_plain = now

    def finish(self) -> None:
        """Leave the last bar drawn and end its line, so whatever follows starts on a fresh one."""
        if self._bar is not None and self._bar.live.is_started:
            self._bar.stop()
