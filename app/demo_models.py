"""The demo models that ship in models/, and the recipe that trains them.

    python -m app.demo_models [--out models] [--only NAME ...]

Each recipe is fixed (architecture, task, sizes, seed, optimizer settings), so
anyone can re-run it and get models that behave like the shipped ones. They
are chosen to make the subject matter visible on the first screen: an Elman
net that has learnt the Reber grammar, an LSTM and an Elman net trained alike
on the embedded Reber grammar (compare their gradient flow), an LSTM that
recalls four symbols over a 40- to 60-step gap and an Elman net that, trained as long,
cannot (on 512 sequences of contents held out of training: 0.998 against 0.125, chance being 0.125, with 75% of
its hidden values saturated), a GRU that adds over 10 to 60 steps,
an LSTM that remembers where "I grew up", and a second-order net acting out
the Reber automaton.
"""

from __future__ import annotations

import argparse
import copy
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from app.core.architectures import expected_shapes
from app.core.device import configure_threads
from app.core.heldout import measure_held_out
from app.core.models import load_model
from app.core.runs import ModelSpec, RunDescription, RunRequest, run_training
from app.core.store import ModelStore, Speed
from app.core.train import TrainConfig, Trainer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    name: str
    architecture: str
    task: str
    hidden_size: int
    steps: int
    learning_rate: float = 0.01
    batch_size: int = 32
    seed: int = 0
    task_options: dict = field(default_factory=dict)
    note: str = ""  # what the model shows, for the page's model list
    # "Starting small" (Elman 1993): first train on an easier version of the task
    # (same vocabulary), then on the real one. Without it the LSTM on `fluent`
    # stalls at chance on the language word for 5,000 steps (measured).
    warmup_options: dict | None = None
    warmup_steps: int = 0
    init: str | None = None  # how the gates start (GateInit.parse); None: PyTorch's default


COPY_OPTIONS = {"n_symbols": 8, "length": 4, "lag": 40, "max_lag": 60, "split": "train"}

RECIPES = (
    Recipe("elman-reber", "elman", "reber", 16, 600, note="An Elman net that has learnt the Reber grammar."),
    # elman-reber's recipe and seed plus W_xy: the shared weights start equal (the shortcuts experiment's
    # pairing), so the two differ only by the input-to-output path.
    Recipe(
        "shortcut-reber",
        "shortcut",
        "reber",
        16,
        600,
        note="elman-reber's recipe with shortcut connections: y_t = W_hy h_t + W_xy x_t + b_y.",
    ),
    Recipe(
        "second-order-reber",
        "second_order",
        "reber",
        8,
        600,
        note="A second-order net: each symbol picks its own recurrent matrix, like the automaton's transitions.",
    ),
    Recipe(
        "lstm-embedded-reber",
        "lstm",
        "embedded_reber",
        32,
        3000,
        learning_rate=0.005,
        # Right on every random string of the grammar tried (2,000 at seed 0), but a long run of one symbol in
        # the inner string, legal and within max_length, breaks it; elman-embedded-reber stays right there
        # (tests/core/test_demo_notes.py measures both).
        note="An LSTM that carries the second symbol across the inner string of the grammar's random strings. "
        "A long run of one symbol breaks it: after BTBPTTTTTTTTTTTTTTTTTTTTTTTTTTTTVVE it predicts P where the "
        "second symbol, T, must come again (elman-embedded-reber gets it right).",
    ),
    Recipe(
        "elman-embedded-reber",
        "elman",
        "embedded_reber",
        32,
        3000,
        learning_rate=0.005,
        note="An Elman net trained just as long. Compare how much gradient reaches back across the inner string.",
    ),
    # The recall pair: 8 symbols at length 4 give 4,096 contents, one in 8 held out of training by a
    # hash (the copy task's split), so the held-out figures are of sequences neither net ever saw; the
    # lag varies from 40 to 60, where the two recall experiments (models/experiments) train a plain net
    # on one symbol and see it succeed seldom: the tour's chapter reads both counts from their results
    # (lessons/memory.at_trained_lags), so the note points there instead of typing them. PyTorch's default
    # LSTM stays at chance here for 2,500 steps (measured); the chrono-initialised one solves it by then
    # (3,000 in the recipe).
    Recipe(
        "lstm-copy",
        "lstm",
        "copy",
        32,
        3000,
        task_options=COPY_OPTIONS,
        init="chrono:60",
        note="An LSTM (forget gates started by chrono initialisation) that recalls four of eight symbols "
        "after 40 to 60 blank steps; measured on contents held out of its training.",
    ),
    Recipe(
        "elman-copy",
        "elman",
        "copy",
        32,
        3000,
        task_options=COPY_OPTIONS,
        note="An Elman net trained just as long on the same recall task. How often a plain net learns lags this "
        "long in the Experiments view's two recall experiments: the tour's chapter 'Remembering over a long gap'. "
        "Its saturation says how many of its hidden values sit where tanh passes no gradient.",
    ),
    Recipe(
        "gru-adding",
        "gru",
        "adding",
        32,
        3000,
        learning_rate=0.005,
        task_options={"length": 10, "max_length": 60},
        note="A GRU solving the adding problem (Hochreiter & Schmidhuber 1997, in its modern form: values in "
        "[0, 1], the target their sum) on sequences of 10 to 60 steps.",
    ),
    # Over fillers of 0 to 30 words from the start the LSTM stays at chance on the language word
    # (1,300 steps measured), and so it does through 2,000 warm-up steps on 0 to 4 words and 1,250
    # more on 0 to 30 (measured); with no filler at all in the warm-up it learns the country's
    # language first, then carries it over the range. On the eleven listed openings it learned
    # their shapes too: 1.000 at every filler length, but 97 of 126 typed sentences in 9 other shapes
    # (176 of 224 in 16), the hardest shape 3 of 14. Composed openings (301 clause shapes), the same
    # steps: 1.000 at every length, 197 of 224 typed, but 1 of 14 where a filler sentence stood before
    # the country's clause and 1 of 14 opening "well ," (369 s). With filler now and then in front of
    # the opening or between its clauses (the model before): 1.000 at every length, 280 of 280 typed in
    # 20 shapes, 112 of 112 in the 8 the generator never writes (388 s, load 5-10; 100 sentences a
    # length, fluent_by_distance at seed 0); at seed 1 the same figures (295 s, load 2-5). An
    # independent audit with its own sentences then found it weaker: 378 of 406 in 29 shapes, 3 of 14
    # on "i grew up in a small city in {country} . i speak fluent", and random sentences in its own
    # composition 0.77 on average over fillers of 0-30 words (0.67 at 30, 0.35 at 60); in its clauses
    # and filler sentences 0.27 at 60. So the composed openings gained clause wordings (the country's
    # city, the family, the move naming both), two joins, and filler sentences put together from parts
    # half the time (this recipe, 337 s at load 2.5-3): 1.000 at every length 0-30 and at 40, 50, 60;
    # the 39 typed shapes (recall.TYPED_SHAPES, with the audit's hardest and 14 written after it) 501
    # of 546, 263 of 308 in the 22 shapes the generator never writes, the worst 2 of 14 ("my family
    # comes from {country} , but i was born in {city} .", the city where the country stands; the model
    # before named 14).
    # The model before: 487 of 546, and 319 of 378 in the 27 shapes its generator never wrote. The
    # audit's scripts on this model: 371 of 406 (its 29 shapes: the 3 hardest now 14 of 14, but 2 of
    # 14 on two of its shapes the model before named 14: the city above, and "still , i grew up in
    # {country} and i speak fluent"); its random sentences 0.97 on average over 0-30 (lowest 0.93), 0.95
    # at 60; in its own clauses and fillers 0.905-0.965 at every length, several of which the generator
    # now writes, so that figure is no longer fully held out.
    Recipe(
        "lstm-fluent",
        "lstm",
        "fluent",
        64,
        7000,
        learning_rate=0.005,
        task_options={"distance": 0, "max_distance": 30, "openings": "composed"},
        warmup_options={"distance": 0, "max_distance": 0, "openings": "composed"},
        warmup_steps=2000,
        note="An LSTM that remembers the country until it must say the language, over fillers of 0 to 30 words, "
        "in sentences put together from clauses (trained first on sentences whose answer follows the opening at once).",
    ),
)


def recipe_runs(recipe: Recipe) -> list[RunDescription]:
    """The recipe as runs of app.core.runs: the warm-up if it has one, then the training proper."""
    spec = ModelSpec(
        recipe.architecture,
        recipe.task,
        recipe.hidden_size,
        seed=recipe.seed,
        task_options=recipe.task_options,
        init=recipe.init,
    )
    request = RunRequest(
        steps=recipe.steps, batch_size=recipe.batch_size, learning_rate=recipe.learning_rate, seed=recipe.seed
    )
    runs = [RunDescription(recipe.name, request, create=spec)]
    if recipe.warmup_options is not None:
        # The easier task takes a bolder step size.
        warmup = RunRequest(
            steps=recipe.warmup_steps,
            batch_size=recipe.batch_size,
            learning_rate=2 * recipe.learning_rate,
            seed=recipe.seed,
        )
        runs.insert(0, RunDescription(recipe.name, warmup, create=spec, warmup_options=recipe.warmup_options))
    return runs


def train_recipe(store: ModelStore, recipe: Recipe, device: torch.device | str = "cpu") -> dict:
    """Train the recipe's model from scratch (a stored one of that name is replaced)."""
    if store.exists(recipe.name):
        store.delete(recipe.name)
    start = time.perf_counter()
    for description in recipe_runs(recipe):
        outcome = run_training(store, description, device)
        if outcome.status != "done":
            raise RuntimeError(f"{recipe.name}: training ended {outcome.status}: {outcome.reason}")
    seconds = time.perf_counter() - start
    held_out = measure_held_out(load_model(store, recipe.name))
    store.update_metadata(
        recipe.name, {"note": recipe.note, "held_out_metric": held_out.metric, "saturation": held_out.saturation}
    )
    return {
        "name": recipe.name,
        "metric": held_out.metric,
        "saturation": held_out.saturation,
        "split": held_out.split,
        "seconds": round(seconds, 1),
    }


def measure_speeds(store: ModelStore, names: list[str], steps: int = 30, rounds: int = 3) -> dict[str, float]:
    """Training steps/s of each model on identical batches, measured in turn in
    one run so the figures compare (docs/design.md, subject item 6: cost, measured). Each model
    trains a throwaway copy; the stored weights do not change. Stored as the
    metadata's speed, which the page shows beside parameter counts."""
    configure_threads(1)  # as the server trains
    loaded = {name: load_model(store, name) for name in names}
    timings: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name, model in loaded.items():
            throwaway = copy.deepcopy(model.model)
            batches = iter([model.task.batch(32, random.Random(i)) for i in range(steps)])
            start = time.perf_counter()
            Trainer(throwaway, model.task, TrainConfig(steps=steps, report_every=steps), batches=batches).run()
            timings[name].append(steps / (time.perf_counter() - start))
    speeds = {name: sorted(values)[len(values) // 2] for name, values in timings.items()}
    for name, steps_per_s in speeds.items():
        speed = Speed(steps_per_s=round(steps_per_s, 1), batch_size=32, torch_threads=1)
        store.update_metadata(name, {"speed": asdict(speed)})
    return speeds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.demo_models", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    parser.add_argument("--only", nargs="*", help="train only these recipes")
    parser.add_argument(
        "--measure-only", action="store_true", help="only re-measure the training speed of stored demo models"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # one thread, as the server trains and as the shipped models were trained: the same recipe then
    # gives the same weights on the CPU (more threads may sum in another order)
    configure_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    store = ModelStore(args.out, expected_shapes=expected_shapes)
    for recipe in RECIPES:
        if args.measure_only or (args.only and recipe.name not in args.only):
            continue
        summary = train_recipe(store, recipe)
        log.info(
            "%s: held-out metric %.3f (%s), saturation %.3f, in %ss",
            summary["name"],
            summary["metric"],
            summary["split"],
            summary["saturation"],
            summary["seconds"],
        )
    present = [recipe.name for recipe in RECIPES if store.exists(recipe.name)]
    for name, steps_per_s in measure_speeds(store, present).items():
        log.info("%s: %.1f training steps/s (batch 32, one thread)", name, steps_per_s)


if __name__ == "__main__":
    main()
