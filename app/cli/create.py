"""`python -m app create`: store a new, untrained model, from the flags `train` takes for one.

A model made this way can be traced, and its gates looked at, before any training:
what an initialisation scheme (--init) changes is visible at step 0.

    python -m app create --name recall-lstm --architecture lstm --task copy --hidden-size 32 --init chrono:80
"""

from __future__ import annotations

import argparse

from app.cli.common import CliError, load_settings, open_store
from app.cli.training import model_spec
from app.core.architectures import ARCHITECTURES, GateInit, InvalidInit
from app.core.models import store_new
from app.core.runs import RunRefused, build_new
from app.core.tasks import TASKS

INIT_HELP = (
    "how the gates start{new}: default (PyTorch's), forget_bias:V (LSTM forget / GRU update gate "
    "bias V, e.g. 1), chrono:T_MAX (that bias ~ log U[1, T_MAX-1], LSTM input bias its negative), "
    "identity (W_hh = I, relu elman or shortcut)"
)


def parse_init(text: str) -> GateInit:
    """--init's text; a malformed one is a usage error naming what is wrong."""
    try:
        return GateInit.parse(text)
    except InvalidInit as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_model_flags(parser: argparse.ArgumentParser, required: bool) -> None:
    """What a new model is made of; `train` takes them optionally (only a new model needs them)."""
    new = "" if required else " (new models)"
    parser.add_argument("--architecture", choices=list(ARCHITECTURES), required=required, help=f"cell family{new}")
    parser.add_argument("--task", required=required, help=f"one of {', '.join(TASKS)}{new}")
    parser.add_argument("--hidden-size", type=int, required=required, help=f"hidden units H{new}")
    parser.add_argument("--activation", help=f"cell nonlinearity, tanh or relu where offered{new}; default tanh")
    parser.add_argument(
        "--task-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"a task option, e.g. max_length=30 (repeatable){new}",
    )
    parser.add_argument("--init", type=parse_init, metavar="SCHEME", help=INIT_HELP.format(new=new))


def command_create(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    store.validate_name(args.name)
    spec = model_spec(store, args)
    try:
        loaded = build_new(args.name, spec)
    except RunRefused as error:  # a size, activation or initialisation the family refuses, a bad task option
        raise CliError(str(error)) from None
    store_new(store, loaded)
    config, metadata = loaded.model.config, loaded.metadata
    print(
        f"{loaded.name}: {config.architecture} ({config.activation}), hidden size {config.hidden_size}, "
        f"task {loaded.task.id}, init {metadata.init.to_text()}, seed {metadata.seed}, "
        f"{metadata.parameter_count} weights; untrained, saved in {store.root}"
    )
    return 0
