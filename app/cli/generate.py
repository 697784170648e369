"""`python -m app generate NAME [--prefix --steps --temperature --seed --samples --json]`: the model writes.

    $ python -m app generate elman-reber --samples 3
    sample   accepted   text
         1   yes        B T(.50) X(.49) X(.48) V(.50) V(.50) E(1.00)
    ...
    accepted by the Reber grammar: 3 of 3 (1.000)

Each drawn symbol is followed by the probability the model gave it. --json prints the
document POST /api/models/{name}/generate answers (without "model").
"""

from __future__ import annotations

import argparse
import json

from app.cli.common import load_settings, open_store
from app.cli.table import number, render
from app.core.analysis.generate import (
    MAX_SAMPLES,
    MAX_STEPS,
    GenerationError,
    generate,
    generation_document,
)
from app.core.models import load_model
from app.core.tasks.encoding import visible

GENERATION_ERRORS = (GenerationError,)
SHOWN_SAMPLES = 50  # a table longer than this is summarised; --json has all


def add_parser(sub) -> None:
    parser = sub.add_parser("generate", help="let a model write: sample from a prefix, symbol by symbol")
    parser.add_argument("name")
    parser.add_argument("--prefix", default="", help="what the model reads first (default: how its task starts)")
    parser.add_argument("--steps", type=int, default=40, help=f"at most this many symbols per sample (1..{MAX_STEPS})")
    parser.add_argument("--temperature", type=float, default=1.0, help="above 0, at most 10; lower is greedier")
    parser.add_argument("--seed", type=int, default=0, help="the same seed, the same samples")
    parser.add_argument("--samples", type=int, default=5, help=f"how many samples (1..{MAX_SAMPLES})")
    parser.add_argument("--json", action="store_true", help="every sample with each step's distribution, as JSON")
    parser.set_defaults(handler=command_generate)


def command_generate(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    loaded = load_model(store, args.name, "cpu")
    generation = generate(loaded, args.prefix, args.steps, args.temperature, args.seed, args.samples)
    if args.json:
        print(json.dumps(generation_document(generation), allow_nan=False))
        return 0
    print("\n".join(generation_lines(generation, loaded.task.input_kind == "words")))
    return 0


def generation_lines(generation, words: bool) -> list[str]:
    vocabulary = generation.vocabulary
    joiner = " " if words else ""
    rows = []
    for index, sample in enumerate(generation.samples[:SHOWN_SAMPLES], start=1):
        given = joiner.join(visible(s) for s in sample.symbols[: sample.given])
        drawn = [
            f"{visible(symbol)}({_p(float(p[vocabulary.index(symbol)]))})"
            for symbol, p in zip(sample.generated, sample.p, strict=True)
        ]
        accepted = "" if sample.accepted is None else ("yes" if sample.accepted else "no")
        rows.append([str(index), accepted, " ".join([given, *drawn])])
    lines = render(["sample", "accepted", "text (each drawn symbol with its probability)"], rows, [True, False, False])
    hidden = len(generation.samples) - SHOWN_SAMPLES
    if hidden > 0:
        lines.append(f"... and {hidden} more samples (--json lists them all)")
    if generation.accepted is not None:
        total = len(generation.samples)
        lines.append(f"accepted by the grammar: {generation.accepted} of {total} ({generation.accepted / total:.3f})")
    if generation.completions:
        lines.append("")
        lines += render(
            ["next after the prefix", "p"],
            [[visible(symbol), number(p)] for symbol, p in generation.completions],
            [False, True],
        )
    return lines


def _p(value: float) -> str:
    return f"{value:.2f}".removeprefix("0")
