"""The command line: `python -m app serve|train|create|trace|list|info|delete|experiment|generate|analyze`.

Owns the argument parser and the one place where errors become exit statuses:
a mistake a person can make (unknown model, bad name or symbol, a flag that
does not fit) prints one line "error: ..." to stderr and exits 2, Ctrl-C exits
130, and only a genuine bug shows a traceback. The commands live in app/cli/.

    python -m app train --name reber-lstm --architecture lstm --task reber --hidden-size 16 --steps 500
    python -m app train --name recall --architecture lstm --task copy --hidden-size 32 --init chrono:80 --steps 500
    python -m app trace reber-lstm BTSSXXTVVE
"""

from __future__ import annotations

import argparse
import logging
import sys

from app import logs
from app.cli.analyze import ANALYSIS_ERRORS
from app.cli.analyze import add_parser as add_analyze_parser
from app.cli.commands import command_delete, command_info, command_list, command_serve, command_trace
from app.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, USER_ERRORS, CliError
from app.cli.create import add_model_flags, command_create
from app.cli.experiments import EXPERIMENT_ERRORS
from app.cli.experiments import add_parser as add_experiment_parser
from app.cli.generate import GENERATION_ERRORS
from app.cli.generate import add_parser as add_generate_parser
from app.cli.training import command_train, parse_clip_norm
from app.core.train import OPTIMIZERS
from app.settings import Settings, SettingsError

log = logging.getLogger("app.cli")


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake like every other error: one line, exit 2."""

    def error(self, message: str):
        raise CliError(f"{message} (see '{self.prog} --help')")


def build_parser() -> Parser:
    parser = Parser(prog="unrolled", description="Unrolled: train and look inside small recurrent networks.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for a classroom)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    serve.set_defaults(handler=command_serve)

    train = sub.add_parser("train", help="create a model, or continue training a stored one")
    train.add_argument("--name", required=True, help="the model's name in the store")
    add_model_flags(train, required=False)
    train.add_argument("--steps", type=int, required=True, help="optimizer steps to run")
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--learning-rate", type=float, default=0.01)
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam")
    train.add_argument(
        "--clip-norm",
        type=parse_clip_norm,
        default=1.0,
        help="clip the gradient norm to this; 0 or 'none' for no clipping (default 1.0)",
    )
    train.add_argument("--tbptt", type=int, help="truncated BPTT: backpropagate at most K steps")
    train.add_argument(
        "--seed",
        type=int,
        help="initialises a new model and seeds the batches (default 0; a continued run draws fresh batches)",
    )
    train.set_defaults(handler=command_train)

    create = sub.add_parser("create", help="store a new, untrained model (e.g. to look at its initialisation)")
    create.add_argument("--name", required=True, help="the model's name in the store")
    add_model_flags(create, required=True)
    create.add_argument("--seed", type=int, help="initialises the weights (default 0)")
    create.set_defaults(handler=command_create)

    trace = sub.add_parser("trace", help="run one sequence forward and back, step by step")
    trace.add_argument("name")
    trace.add_argument("input", nargs="?", help="e.g. BTSSXXTVVE (default: the task's probe sequence)")
    trace.add_argument("--json", action="store_true", help="the whole trace as JSON")
    trace.add_argument("--no-grad-flow", action="store_true", help="skip the T x T gradient-flow table")
    trace.set_defaults(handler=command_trace)

    listing = sub.add_parser("list", help="the stored models")
    listing.set_defaults(handler=command_list)

    info = sub.add_parser("info", help="a stored model's metadata")
    info.add_argument("name")
    info.add_argument("--json", action="store_true", help="the whole metadata document")
    info.set_defaults(handler=command_info)

    delete = sub.add_parser("delete", help="delete a stored model")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=command_delete)

    add_experiment_parser(sub)  # experiment list | run NAME | show NAME (app/cli/experiments.py)
    add_generate_parser(sub)  # generate NAME [--prefix ...] (app/cli/generate.py)
    add_analyze_parser(sub)  # analyze NAME states|automaton|units (app/cli/analyze.py)
    return parser


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    try:
        log_format = Settings.from_env().log_format  # UNROLLED_LOG_FORMAT: text or json lines
    except SettingsError:
        log_format = "text"  # the command reads the settings again and reports the bad value
    # Like basicConfig, this leaves an already configured root logger (a host
    # program's, pytest's) alone, so calling main() in-process changes no one's logging.
    logs.configure(log_format, level)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    configure_logging(args.verbose)
    try:
        return args.handler(args)
    except (*USER_ERRORS, *EXPERIMENT_ERRORS, *GENERATION_ERRORS, *ANALYSIS_ERRORS) as error:
        log.debug("command failed", exc_info=True)
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
