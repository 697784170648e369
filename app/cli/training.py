"""`python -m app train`: create or continue a stored model and train it.

The flags become a RunDescription for app.core.runs, which owns creating,
training and the save rules (see there); this module owns what is particular
to a terminal. Every flag is checked before the store is touched.

The run goes on a worker thread while the main thread waits, because Python
delivers Ctrl-C (and SIGTERM) to the main thread: there it becomes a stop
request, and the loop ends cleanly after its current batch instead of
mid-update; then the run is saved as usual and the exit status says which
signal stopped it.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import threading
from collections.abc import Callable

from app.cli.common import CliError, load_settings, open_store
from app.cli.progress import ProgressBar, duration
from app.cli.table import number
from app.core.device import pick_device
from app.core.runs import IncompleteModelSpec, ModelSpec, RunDescription, RunOutcome, RunRequest, RunStart, run_training
from app.core.store import ModelStore
from app.core.tasks import TASKS
from app.core.train import StopFlag

log = logging.getLogger(__name__)

REPORT_EVERY_S = 0.25  # a slow model still moves the bar this often
POLL_S = 0.1  # the waiting main thread wakes at least this often to notice a signal


def parse_clip_norm(text: str) -> float | None:
    """'0' or 'none' switch clipping off; anything else is the maximum norm."""
    if text.strip().lower() in ("0", "none", "off"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def parse_task_options(task_id: str, pairs: list[str]) -> dict:
    """--task-option key=value pairs, typed by the task's options_spec."""
    spec = {option.name: option for option in TASKS[task_id].options_spec}
    options: dict = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"--task-option expects key=value, got {pair!r}")
        option = spec.get(key)
        if option is None:
            known = ", ".join(spec) or "none"
            raise CliError(f"unknown option {key!r} for task {task_id!r}; its options are: {known}")
        options[key] = _typed(option, raw)
    return options


def _typed(option, raw: str):
    try:
        if option.kind == "int":
            return int(raw)
        if option.kind == "float":
            return float(raw)
    except ValueError:
        what = "a whole number" if option.kind == "int" else "a number"
        raise CliError(f"task option {option.name!r} must be {what}, got {raw!r}") from None
    return raw


def run_request(args: argparse.Namespace) -> RunRequest:
    try:
        return RunRequest(
            steps=args.steps,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            optimizer=args.optimizer,
            clip_norm=args.clip_norm,
            tbptt=args.tbptt,
            seed=0 if args.seed is None else args.seed,
            report_every_s=REPORT_EVERY_S,
        )
    except ValueError as error:
        raise CliError(str(error)) from None


def model_spec(store: ModelStore, args: argparse.Namespace) -> ModelSpec:
    """The model the flags describe; --task-option values are typed by the task
    named, or else by the stored model's."""
    task_id = args.task
    if task_id is None and args.task_option and store.exists(args.name):
        task_id = store.load_metadata(args.name).task.id
    options = parse_task_options(task_id, args.task_option) if task_id in TASKS else {}
    return ModelSpec(
        architecture=args.architecture,
        task=args.task,
        hidden_size=args.hidden_size,
        activation=args.activation,
        seed=0 if args.seed is None else args.seed,
        task_options=options,
        init=args.init,
    )


def run_interruptibly(work: Callable[[], RunOutcome], stop: StopFlag) -> tuple[RunOutcome, int | None]:
    """Run `work` on a worker thread until it ends; a signal meanwhile sets `stop`.

    Returns the outcome and the signal that stopped the run (SIGINT for Ctrl-C,
    SIGTERM from `kill` or a container stop), or None when it ran to the end.
    """
    outcome: dict = {}
    finished = threading.Event()
    stopped_by: list[int] = []

    def on_signal(signum: int) -> None:
        if not stopped_by:
            log.warning("%s: stopping after the current batch, then saving", signal.Signals(signum).name)
        stopped_by.append(signum)
        stop.stop()

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed to the main thread, which re-raises it
            outcome["error"] = error
        finally:
            finished.set()

    previous = _catch_sigterm(lambda signum, frame: on_signal(signum))
    worker = threading.Thread(target=target, name="unrolled-train", daemon=True)
    worker.start()
    try:
        # Wait on an Event, not on worker.join(): on Python 3.11 a Ctrl-C landing
        # inside join() marks a still-running thread as stopped (bpo-45274's fix).
        while not finished.is_set():
            try:
                finished.wait(POLL_S)
            except KeyboardInterrupt:
                on_signal(signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], (stopped_by[0] if stopped_by else None)


def _catch_sigterm(handler):
    """Route SIGTERM to handler; returns the previous handler, or None where signals
    cannot be set (main() called from a thread other than the main one)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


def command_train(args: argparse.Namespace) -> int:
    settings = load_settings()
    store = open_store(settings)
    try:
        device = pick_device(settings.device)
    except ValueError as error:
        raise CliError(f"UNROLLED_DEVICE: {error}") from None
    store.validate_name(args.name)
    description = RunDescription(args.name, run_request(args), create=model_spec(store, args))
    stop = StopFlag()
    shown: dict = {}  # the run's start and its progress bar, once the model is ready

    def on_start(start: RunStart) -> None:
        shown["start"] = start
        shown["bar"] = ProgressBar(start.steps, start.first_step, start.metric_name)

    def train() -> RunOutcome:
        return run_training(
            store,
            description,
            device,
            on_start=on_start,
            on_progress=lambda progress: shown["bar"].update(progress),
            stop=stop,
        )

    try:
        outcome, stopped_by = run_interruptibly(train, stop)
    except IncompleteModelSpec as error:
        flags = ", ".join("--" + key.replace("_", "-") for key in error.missing)
        raise CliError(f"no model named {args.name!r} yet; to create it give {flags}") from None
    finally:
        if "bar" in shown:
            shown["bar"].finish()
    if outcome.deleted:
        raise CliError(f"{args.name!r} was deleted while it trained; nothing was saved")
    if outcome.status == "failed":
        raise CliError(f"training failed: {outcome.reason}")
    print(summary(outcome, shown["start"].metric_name, device, store, stopped_by))
    # The shell convention 128 + signal number: 130 for Ctrl-C, 143 for SIGTERM.
    return 128 + stopped_by if stopped_by else 0


def summary(outcome: RunOutcome, metric_name: str, device, store: ModelStore, stopped_by: int | None) -> str:
    last, seconds = outcome.last, outcome.seconds
    rate = outcome.steps_done / seconds if seconds > 0 else math.inf
    scores = f"; loss {number(last.loss)}, {metric_name} {number(last.metric, 3)}" if last else ""
    took = f"{seconds:.1f} s" if seconds < 60 else duration(seconds)
    stopped = f" (stopped by {signal.Signals(stopped_by).name})" if stopped_by else ""
    saved = f"saved in {store.root}" if outcome.saved else "nothing to save"
    return (
        f"{outcome.model}: {outcome.steps_done} steps in {took} ({rate:.1f} steps/s on {device}){stopped}, "
        f"{outcome.total_steps} in all{scores}; {saved}"
    )
