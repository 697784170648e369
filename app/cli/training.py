"""`python -m app train`: create or continue a stored model and train it.

The order matters for "nothing trained is ever lost": every flag is checked
before the store is touched, a new model is stored before its first step (so an
interrupted run has somewhere to go), and the weights are saved after the run
whether it finished or was stopped with Ctrl-C. A run whose loss became
non-finite is not saved: the stored model keeps its last good weights.

The trainer runs on a worker thread while the main thread waits, because
Python delivers Ctrl-C (and SIGTERM) to the main thread: there it becomes
trainer.stop(), and the loop ends cleanly after its current batch instead of
mid-update; then the run is saved as usual.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import threading
import time

from app.cli.common import CliError, load_settings, open_store
from app.cli.progress import ProgressBar, duration
from app.cli.table import number
from app.core.device import pick_device
from app.core.models import LoadedModel, create_model, load_model, record_training, save_model
from app.core.store import ModelStore
from app.core.tasks import TASKS
from app.core.train import Trainer, TrainConfig, TrainResult

log = logging.getLogger(__name__)

# Progress reports (and history points) per run: enough for a smooth loss
# curve, few enough that reporting (a device sync each) costs nothing visible.
REPORTS_PER_RUN = 200
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


def train_config(args: argparse.Namespace, batch_seed: int) -> TrainConfig:
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        optimizer=args.optimizer,
        clip_norm=args.clip_norm,
        tbptt=args.tbptt,
        seed=batch_seed,
        report_every=max(1, args.steps // REPORTS_PER_RUN),
        report_every_s=REPORT_EVERY_S,
    )
    try:
        config.check()
    except ValueError as error:
        raise CliError(str(error)) from None
    return config


def open_model(store: ModelStore, args: argparse.Namespace, device) -> LoadedModel:
    """The stored model named args.name, or a new one built from the flags."""
    store.validate_name(args.name)
    if store.exists(args.name):
        loaded = load_model(store, args.name, device)
        check_matches(loaded, args)
        return loaded
    missing = [flag for flag, value in (("--architecture", args.architecture), ("--task", args.task),
                                        ("--hidden-size", args.hidden_size)) if value is None]
    if missing:
        raise CliError(f"no model named {args.name!r} yet; to create it give {', '.join(missing)}")
    if args.task not in TASKS:
        raise CliError(f"unknown task {args.task!r}; the tasks are: {', '.join(TASKS)}")
    try:
        loaded = create_model(
            store, name=args.name, architecture=args.architecture, task_id=args.task,
            hidden_size=args.hidden_size, seed=0 if args.seed is None else args.seed,
            activation=args.activation or "tanh", task_options=parse_task_options(args.task, args.task_option),
        )
    except ValueError as error:  # unknown architecture, bad option, a size the architecture refuses
        raise CliError(str(error)) from None
    loaded.model.to(device)
    return loaded


def check_matches(loaded: LoadedModel, args: argparse.Namespace) -> None:
    """Flags given while continuing must agree with the stored model, which cannot change."""
    config = loaded.metadata["config"]
    stored = {
        "--architecture": config["architecture"], "--task": loaded.task.id,
        "--hidden-size": config["hidden_size"], "--activation": config.get("activation"),
    }
    given = {"--architecture": args.architecture, "--task": args.task,
             "--hidden-size": args.hidden_size, "--activation": args.activation}
    for flag, value in given.items():
        if value is not None and value != stored[flag]:
            raise CliError(
                f"model {loaded.name!r} has {flag[2:]} {stored[flag]!r}, not {value!r}; "
                "a stored model keeps its shape, so choose a new --name to train a different one"
            )
    for key, value in parse_task_options(loaded.task.id, args.task_option).items():
        if loaded.task.options.get(key) != value:
            raise CliError(
                f"model {loaded.name!r} was made with task option {key}={loaded.task.options.get(key)!r}, "
                f"not {value!r}; choose a new --name for a different task setting"
            )


def run_interruptibly(trainer: Trainer) -> tuple[TrainResult, int | None]:
    """Run the trainer on a worker thread until it ends or a signal stops it.

    Returns the result and the signal that stopped the run (SIGINT for Ctrl-C,
    SIGTERM from `kill` or a container stop), or None when it ran to the end.
    """
    outcome: dict = {}
    finished = threading.Event()
    stopped_by: list[int] = []

    def stop(signum: int) -> None:
        if not stopped_by:
            log.warning("%s: stopping after the current batch, then saving", signal.Signals(signum).name)
        stopped_by.append(signum)
        trainer.stop()

    def work() -> None:
        try:
            outcome["result"] = trainer.run()
        except BaseException as error:  # handed to the main thread, which re-raises it
            outcome["error"] = error
        finally:
            finished.set()

    previous = _catch_sigterm(lambda signum, frame: stop(signum))
    worker = threading.Thread(target=work, name="unrolled-train", daemon=True)
    worker.start()
    try:
        # Wait on an Event, not on worker.join(): on Python 3.11 a Ctrl-C landing
        # inside join() marks a still-running thread as stopped (bpo-45274's fix).
        while not finished.is_set():
            try:
                finished.wait(POLL_S)
            except KeyboardInterrupt:
                stop(signal.SIGINT)
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
    # Fail on bad training flags before a new model is created.
    train_config(args, batch_seed=0)
    loaded = open_model(store, args, device)
    first_step = loaded.total_steps
    # A continued run must not replay the batches of the first one; offsetting
    # the seed by the steps already taken keeps runs reproducible yet fresh.
    seed = args.seed if args.seed is not None else int(loaded.metadata.get("seed") or 0) + first_step
    config = train_config(args, batch_seed=seed)
    bar = ProgressBar(config.steps, first_step, loaded.task.metric_name)
    log.info("training %s on %s from step %d", loaded.name, device, first_step)

    trainer = Trainer(loaded.model, loaded.task, config, on_progress=bar.update, first_step=first_step)
    started = time.perf_counter()
    try:
        result, stopped_by = run_interruptibly(trainer)
    finally:
        bar.finish()
    seconds = time.perf_counter() - started

    if result.status == "failed":
        raise CliError(f"training failed: {result.reason}; {loaded.name!r} was left as last saved")
    record_training(loaded, result.history, config, seconds, result.status)
    # A stopped run ends between progress reports; the steps it took after the
    # last report changed the weights too, so they count.
    loaded.metadata["total_steps"] = first_step + result.steps_done
    save_model(store, loaded)
    print(summary(loaded, result, seconds, device, store, stopped_by))
    # The shell convention 128 + signal number: 130 for Ctrl-C, 143 for SIGTERM.
    return 128 + stopped_by if stopped_by else 0


def summary(loaded: LoadedModel, result: TrainResult, seconds: float, device, store: ModelStore,
            stopped_by: int | None) -> str:
    last = result.history[-1] if result.history else None
    rate = result.steps_done / seconds if seconds > 0 else math.inf
    scores = (f"; loss {number(last.loss)}, {loaded.task.metric_name} {number(last.metric, 3)}"
              if last else "")
    took = f"{seconds:.1f} s" if seconds < 60 else duration(seconds)
    stopped = f" (stopped by {signal.Signals(stopped_by).name})" if stopped_by else ""
    return (
        f"{loaded.name}: {result.steps_done} steps in {took} ({rate:.1f} steps/s on {device}){stopped}, "
        f"{loaded.total_steps} in all{scores}; saved in {store.root}"
    )

