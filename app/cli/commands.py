"""The commands other than `train`: serve, trace, list, info and delete.

Each takes the parsed arguments and returns the exit status; what a person
asked for is written to stdout, problems go up as CliError / the engine's input
errors, which app.__main__ turns into one "error: ..." line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from app.cli.common import CliError, load_settings, open_store
from app.cli.progress import duration
from app.cli.table import model_rows, number, trace_lines
from app.core.models import load_model
from app.core.trace import trace, trace_to_plain

log = logging.getLogger(__name__)


def command_serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Imported here so that train/trace/list work without the web stack installed.
    try:
        import uvicorn
    except ImportError:
        raise CliError("the server needs uvicorn; install the project with `pip install -e .`") from None
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    log.info("serving on http://%s:%d with models from %s", host, port, settings.models_dir)
    uvicorn.run("app.main:app", host=host, port=port, reload=args.reload)
    return 0


def command_trace(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    # A trace is one short sequence: the CPU answers it faster than a GPU can start.
    loaded = load_model(store, args.name, "cpu")
    text = args.input if args.input is not None else loaded.task.probe_text()
    sequence = loaded.task.encode(text)
    loaded.model.eval()
    result = trace(loaded.model, loaded.task, sequence, grad_flow=False if args.no_grad_flow else None)
    if args.json:
        print(json.dumps(trace_to_plain(result), allow_nan=False))
        return 0
    config = loaded.metadata["config"]
    title = (f"model {loaded.name}: {config['architecture']}, hidden size {config['hidden_size']}, "
             f"{loaded.total_steps} steps trained; task {loaded.task.id} ({loaded.task.loss_kind} loss)")
    print("\n".join(trace_lines(result, title)))
    return 0


def command_list(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    entries = store.list()
    if not entries:
        print(f"no models in {store.root}")
        return 0
    print("\n".join(model_rows(entries)))
    return 0


def command_info(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    metadata = store.load_metadata(args.name)
    if args.json:
        print(json.dumps(metadata, indent=2, allow_nan=False, ensure_ascii=False))
        return 0
    print("\n".join(info_lines(metadata)))
    return 0


def info_lines(meta: dict) -> list[str]:
    """The metadata a person wants to read, in words; --json gives all of it."""
    config = meta.get("config") or {}
    task = meta.get("task") or {}
    history = meta.get("history") or []
    last = meta.get("last_training") or {}
    options = ", ".join(f"{k}={v!r}" for k, v in (task.get("options") or {}).items()) or "defaults"
    lines = [
        f"name:           {meta.get('name')}",
        f"architecture:   {config.get('architecture')} (activation {config.get('activation')})",
        f"sizes:          input {config.get('input_size')}, hidden {config.get('hidden_size')}, "
        f"output {config.get('output_size')}",
        f"parameters:     {meta.get('parameter_count')}",
        f"task:           {task.get('id')} ({options})",
        f"init seed:      {meta.get('seed')}",
        f"steps trained:  {meta.get('total_steps')} in {duration(float(meta.get('training_time_s') or 0.0))}",
        f"created:        {meta.get('created_at')}",
        f"updated:        {meta.get('updated_at')}",
    ]
    if history and isinstance(history[-1], dict):
        point = history[-1]
        lines.append(f"last report:    step {point.get('step')}, loss {number(point.get('loss'))}, "
                     f"metric {number(point.get('metric'), 3)}  ({len(history)} history points)")
    if last:
        settings = ", ".join(f"{k} {v}" for k, v in (last.get("config") or {}).items())
        lines.append(f"last run:       {last.get('status')} at {last.get('finished_at')}; {settings}")
    lines.append(f"weights sha256: {meta.get('weights_sha256')}")
    return lines


def command_delete(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    store.validate_name(args.name)
    if not store.exists(args.name):
        raise CliError(f"no model named {args.name!r} in {store.root}")
    if not args.yes:
        # Deleting is the one way to lose a trained model; never do it silently by accident.
        if sys.stdin is None or not sys.stdin.isatty():
            raise CliError("refusing to delete without --yes when not run interactively")
        answer = input(f"delete model {args.name!r} from {store.root}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return 0
    store.delete(args.name)
    print(f"deleted {args.name}")
    return 0
