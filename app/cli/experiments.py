"""`python -m app experiment list | run NAME | show NAME`: the shipped recipes from the command line.

    python -m app experiment run short-term-memory --seeds 3 --lags 5,10,20 --workers 2
    python -m app experiment run short-term-memory --executor ray --address head-node:6379
    python -m app experiment show short-term-memory

`run` shows a progress bar over runs on stderr (plain lines into a pipe) and
ends with the results table on stdout; Ctrl-C cancels the running runs (they
stop within a batch) and keeps every finished one, so the same command resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from app.cli.common import CliError, load_settings, open_store
from app.cli.progress import PLAIN_EVERY_S, duration
from app.cli.table import number, render
from app.core.experiments import (
    EXECUTORS,
    ExperimentConflict,
    ExperimentFolder,
    ExperimentNotFound,
    ExperimentProgress,
    ExperimentRunner,
    Overrides,
    RecipeError,
    aggregate,
    make_executor,
    seeds_from_count,
)
from app.core.experiments.ray_executor import RayUnavailable
from app.core.experiments.recipes import RECIPES, get_recipe

# What the results table shows per grid point, in this order.
HEADERS = (
    "point",
    "runs",
    "success",
    "95% interval",
    "steps to success (q1 median q3)",
    "final metric",
    "gradient decay/step (init, end)",
    "steps/s",
    "params",
    "model",
)
RIGHT = (False, True, True, True, True, True, True, True, True, False)


def add_parser(sub) -> None:
    experiment = sub.add_parser("experiment", help="run the recipes that test the subject's claims")
    commands = experiment.add_subparsers(dest="experiment_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="the recipes and their stored results")
    listing.set_defaults(handler=command_list)

    run = commands.add_parser("run", help="run a recipe (resuming its stored runs)")
    run.add_argument("name", help=f"one of {', '.join(RECIPES)}")
    run.add_argument("--seeds", help="how many seeds (N: 0..N-1), or a list such as 0,3,7")
    run.add_argument("--lags", help="the copy task's lags, e.g. 5,10,20,40,80")
    run.add_argument(
        "--option", action="append", default=[], metavar="NAME=V1,V2", help="values of a task option (repeatable)"
    )
    run.add_argument("--hidden-sizes", help="hidden sizes, e.g. 16,32,64")
    run.add_argument("--architectures", help="keep only these families, e.g. elman,lstm")
    run.add_argument("--steps", type=int, help="the step budget of every run")
    run.add_argument("--executor", choices=EXECUTORS, default="local", help="local process pool (default) or ray")
    run.add_argument("--address", help="the Ray cluster: host:port, ray://host:port, auto or local")
    run.add_argument(
        "--gpus-per-run", type=float, default=0.0, help="ray: the share of a GPU each run declares (and trains on)"
    )
    run.add_argument("--workers", type=int, help="runs at once (local: default one per core; ray local: its CPUs)")
    run.add_argument("--restart", action="store_true", help="discard stored runs made with other settings")
    run.set_defaults(handler=command_run)

    show = commands.add_parser("show", help="the stored results of an experiment, per grid point")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="the experiment, its runs and aggregates as JSON")
    show.set_defaults(handler=command_show)


def command_list(args: argparse.Namespace) -> int:
    settings = load_settings()
    rows = []
    for recipe in RECIPES.values():
        folder = ExperimentFolder(settings.models_dir, recipe.name)
        stored = f"{len(folder.records())} runs, {folder.document().get('status')}" if folder.exists else "-"
        rows.append((recipe.name, str(recipe.grid.runs), stored, recipe.claim))
    for line in render(("recipe", "runs", "stored", "claim"), rows, (False, True, False, False)):
        print(line)
    return 0


def overrides_from(args: argparse.Namespace) -> Overrides:
    options = {}
    if args.lags is not None:
        options["lag"] = _numbers(args.lags, "--lags")
    for entry in args.option:
        name, sep, values = entry.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--option takes NAME=V1,V2, not {entry!r}")
        options[name.strip()] = _numbers(values, f"--option {name.strip()}")
    seeds = None
    if args.seeds is not None:
        seeds = _numbers(args.seeds, "--seeds") if "," in args.seeds else seeds_from_count(_number(args.seeds))
    return Overrides(
        seeds=seeds,
        task_options=options,
        steps=args.steps,
        architectures=tuple(_words(args.architectures)) if args.architectures else None,
        hidden_sizes=_numbers(args.hidden_sizes, "--hidden-sizes") if args.hidden_sizes else None,
    )


def command_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    recipe = get_recipe(args.name).with_overrides(overrides_from(args))
    if args.executor == "local" and args.address:
        raise CliError("--address is for --executor ray")
    if args.workers is not None and args.workers < 1:
        raise CliError(f"--workers must be at least 1, not {args.workers}")
    store = open_store(settings)
    address = args.address or settings.ray_address or "local"
    if args.gpus_per_run and args.executor != "ray":
        raise CliError("--gpus-per-run is for --executor ray (the local pool trains on the CPU)")
    if not 0 <= args.gpus_per_run <= 8:
        raise CliError(f"--gpus-per-run must be between 0 and 8, not {args.gpus_per_run}")
    executor = make_executor(args.executor, workers=args.workers, address=address, gpus_per_run=args.gpus_per_run)
    runner = ExperimentRunner(recipe, store, executor, restart=args.restart)
    bar = RunsBar(recipe.name)
    try:
        with executor:
            if hasattr(executor, "connect"):
                executor.connect()  # an unreachable cluster is refused before anything is written
            try:
                outcome = runner.run(on_result=bar.update)
            except KeyboardInterrupt:
                runner.cancel()
                raise
    finally:
        bar.finish()
    print(
        f"{recipe.name}: {outcome.status}, {outcome.ran} runs now, {len(outcome.records)} stored, "
        f"{duration(outcome.wall_time_s)}"
    )
    for line in results_table(outcome.summaries):
        print(line)
    return 0


def command_show(args: argparse.Namespace) -> int:
    settings = load_settings()
    folder = ExperimentFolder(settings.models_dir, args.name)
    document = folder.document()
    records = sorted(folder.records().values(), key=_grid_order(document))
    summaries = aggregate(records)
    if args.json:
        print(json.dumps({"experiment": document, "runs": records, "summaries": summaries}, indent=1))
        return 0
    machine = document.get("machine", {})
    print(
        f"{args.name}: {document.get('status')}, {len(records)} runs, "
        f"{duration(document.get('wall_time_s') or 0)} on {machine.get('host', '?')} "
        f"({machine.get('executor', '?')}, {machine.get('cores', '?')} cores); budget "
        f"{document.get('configuration', {}).get('training', {}).get('steps')} steps"
    )
    for line in results_table(summaries):
        print(line)
    return 0


def results_table(summaries: list[dict]) -> list[str]:
    rows = []
    for summary in summaries:
        point = summary["point"]
        options = " ".join(f"{k}={v}" for k, v in sorted(point["task_options"].items()) if k in _varied(summaries))
        low, high = summary["success_interval"]
        steps = summary["steps_to_success"]
        rows.append(
            (
                f"{point['variant']} {options} h{point['hidden_size']}".replace("  ", " "),
                str(summary["runs"]),
                f"{summary['successes']}/{summary['runs']}",
                f"{low:.2f}-{high:.2f}",
                " ".join(number(steps[k], 0) for k in ("q1", "median", "q3")),
                number(summary["final_metric"]["median"], 3),
                f"{number(summary['decay_init'], 3)} {number(summary['decay_end'], 3)}",
                number(summary["steps_per_s"]["median"], 0),
                str(summary["parameters"]),
                summary["model"] or "-",
            )
        )
    return render(HEADERS, rows, RIGHT)


def _grid_order(document: dict):
    """Records in the order of the stored grid: variant as listed, then options, hidden size, seed."""
    listed = [variant["label"] for variant in document.get("recipe", {}).get("grid", {}).get("variants", [])]
    rank = {label: index for index, label in enumerate(listed)}

    def key(record: dict):
        point = record["point"]
        options = tuple(sorted((k, str(v).zfill(12)) for k, v in point["task_options"].items()))
        return rank.get(point["variant"], len(rank)), options, point["hidden_size"], record["seed"]

    return key


def _varied(summaries: list[dict]) -> set[str]:
    """Task options that differ between grid points: the others would repeat on every row."""
    seen: dict[str, set] = {}
    for summary in summaries:
        for key, value in summary["point"]["task_options"].items():
            seen.setdefault(key, set()).add(json.dumps(value))
    return {key for key, values in seen.items() if len(values) > 1}


class RunsBar:
    """A progress bar over an experiment's runs on stderr; plain lines when stderr is not a terminal."""

    def __init__(self, name: str, stream: TextIO | None = None):
        self.name = name
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self._last_plain = -float("inf")
        self._bar = None
        if self.stream.isatty():
            console = Console(file=self.stream, force_terminal=True, highlight=False)
            self._bar = Progress(BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), console=console)
            self._task = self._bar.add_task("", total=None)

    def describe(self, progress: ExperimentProgress) -> str:
        record = progress.record
        if record is None:
            return f"{progress.resumed} runs stored already" if progress.resumed else "starting"
        result = "success" if record["success"] else "no success"
        at = f" at step {record['steps_to_success']}" if record["success"] else ""
        return f"{record['point']['variant']} seed {record['seed']}: {result}{at}"

    def update(self, progress: ExperimentProgress) -> None:
        text = self.describe(progress)
        if self._bar is not None:
            if not self._bar.live.is_started:
                self._bar.start()
            self._bar.update(self._task, total=progress.total, completed=progress.done, description=text)
            return
        now = time.monotonic()
        if progress.done == progress.total or now - self._last_plain >= PLAIN_EVERY_S or progress.record is None:
            elapsed = duration(now - self.started)
            self.stream.write(f"{self.name}: {progress.done}/{progress.total} runs  {elapsed}  {text}\n")
            self.stream.flush()
            self._last_plain = now

    def finish(self) -> None:
        if self._bar is not None and self._bar.live.is_started:
            self._bar.stop()


def _number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise CliError(f"expected a whole number, not {text.strip()!r}") from None


def _numbers(text: str, flag: str) -> tuple[int, ...]:
    values = [part for part in text.split(",") if part.strip()]
    if not values:
        raise CliError(f"{flag} needs at least one value")
    return tuple(_number(value) for value in values)


def _words(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# The engine's refusals a person can fix: shown as one line, exit status 2.
EXPERIMENT_ERRORS = (RecipeError, ExperimentConflict, ExperimentNotFound, RayUnavailable)
