"""The commands other than `train`: serve, trace, list, info and delete.

Each takes the parsed arguments and returns the exit status; what a person
asked for is written to stdout, problems go up as CliError / the engine's input
errors, which app.__main__ turns into one "error: ..." line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from app import logs
from app.api.auth import classroom_on, new_token, teacher_url
from app.api.origin import listen_address_name
from app.cli.common import CliError, load_settings, open_store
from app.cli.progress import duration
from app.cli.table import model_rows, number, trace_lines
from app.core.models import load_model
from app.core.store import ModelMetadata
from app.core.trace import trace, trace_to_plain
from app.settings import ENV_PREFIX

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
    # The app (imported by uvicorn, in a child process with --reload) reads its settings
    # from the environment: this is how it learns the --host name it must answer to.
    os.environ[ENV_PREFIX + "HOST"] = host
    if classroom_on(settings.classroom, host):
        # The same token for the app (through the environment) and for the teacher, printed
        # the way Jupyter prints its URL: opening it sets the teacher's cookie.
        token = settings.classroom_token or new_token()
        os.environ[ENV_PREFIX + "CLASSROOM_TOKEN"] = token
        print(f"classroom mode: the teacher opens {teacher_url(host, port, token, settings.allowed_hosts)}", flush=True)
        print("students open the same address without the token; each browser gets a workspace of its own", flush=True)
    if listen_address_name(host) is None and not settings.allowed_hosts:
        log.warning(
            "listening on every interface, but the server answers only to localhost: set "
            "UNROLLED_ALLOWED_HOSTS to the name or address visitors will use (e.g. this machine's IP)"
        )
    log.info("serving on http://%s:%d with models from %s", host, port, settings.models_dir)
    # UNROLLED_LOG_FORMAT=json: uvicorn's own lines (its access log too) as JSON like the app's;
    # with text, uvicorn keeps its own logging config.
    log_config = logs.uvicorn_log_config(settings.log_format)
    options = {"log_config": log_config} if log_config else {}
    # No permessage-deflate on the event streams: it compresses every frame once per client, which
    # took three quarters of the server's time under 100 watchers (docs/benchmarks.md, "A class
    # watching"); the page's traces are float32 msgpack, which deflate barely shrinks.
    options["ws_per_message_deflate"] = False
    uvicorn.run("app.main:app", host=host, port=port, reload=args.reload, **options)
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
    config = loaded.model.config
    title = (
        f"model {loaded.name}: {config.architecture}, hidden size {config.hidden_size}, "
        f"{loaded.total_steps} steps trained; task {loaded.task.id} ({loaded.task.loss_kind} loss)"
    )
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
        print(json.dumps(metadata.to_document(), indent=2, allow_nan=False, ensure_ascii=False))
        return 0
    print("\n".join(info_lines(metadata)))
    return 0


def info_lines(metadata: ModelMetadata) -> list[str]:
    """The metadata a person wants to read, in words; --json gives all of it."""
    config, task, last_run = metadata.config, metadata.task, metadata.last_training
    options = ", ".join(f"{k}={v!r}" for k, v in (task.options if task else {}).items()) or "defaults"
    lines = [
        f"name:           {metadata.name}",
        f"architecture:   {config.architecture} (activation {config.activation})",
        f"sizes:          input {config.input_size}, hidden {config.hidden_size}, output {config.output_size}",
        f"parameters:     {metadata.parameter_count}",
        f"task:           {task.id if task else None} ({options})",
        f"init seed:      {metadata.seed}",
        f"initialisation: {metadata.init.to_text()}",
        f"steps trained:  {metadata.total_steps} in {duration(metadata.training_time_s)}",
        f"created:        {metadata.created_at}",
        f"updated:        {metadata.updated_at}",
    ]
    point = metadata.last_point
    if point is not None:
        lines.append(
            f"last report:    step {point.step}, loss {number(point.loss)}, "
            f"metric {number(point.metric, 3)}  ({len(metadata.history)} history points)"
        )
    if last_run is not None:
        settings = ", ".join(f"{k} {v}" for k, v in last_run.config.items())
        lines.append(f"last run:       {last_run.status} at {last_run.finished_at}; {settings}")
    lines.append(f"weights sha256: {metadata.weights_sha256}")
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
