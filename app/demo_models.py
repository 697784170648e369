"""The demo models that ship in models/, and the recipe that trains them.

    python -m app.demo_models [--out models] [--only NAME ...]

Each recipe is fixed (architecture, task, sizes, seed, optimizer settings), so
anyone can re-run it and get models that behave like the shipped ones. They
are chosen to make the subject matter visible on the first screen: an Elman
net that has learnt the Reber grammar, an LSTM and an Elman net trained alike
on the embedded Reber grammar (compare their gradient flow), a GRU that adds,
an LSTM that remembers where "I grew up", and a second-order net acting out
the Reber automaton.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from app.core.architectures import expected_shapes
from app.core.models import build_model, record_training, save_model
from app.core.store import ModelStore, ModelExists
from app.core.tasks import make_task
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


RECIPES = (
    Recipe("elman-reber", "elman", "reber", 16, 600, note="An Elman net that has learnt the Reber grammar."),
    Recipe("second-order-reber", "second_order", "reber", 8, 600,
           note="A second-order net: each symbol picks its own recurrent matrix, like the automaton's transitions."),
    Recipe("lstm-embedded-reber", "lstm", "embedded_reber", 32, 3000, learning_rate=0.005,
           note="An LSTM that carries the second symbol across the inner string."),
    Recipe("elman-embedded-reber", "elman", "embedded_reber", 32, 3000, learning_rate=0.005,
           note="An Elman net trained just as long. Compare how much gradient reaches back across the inner string."),
    Recipe("gru-adding", "gru", "adding", 32, 3000, learning_rate=0.005, task_options={"length": 30},
           note="A GRU solving the adding problem (Hochreiter & Schmidhuber 1997)."),
    Recipe("lstm-fluent", "lstm", "fluent", 64, 3000, learning_rate=0.005,
           warmup_options={"distance": 0}, warmup_steps=1500,
           note="An LSTM that remembers the country until it must say the language (trained small-distance first)."),
)


def held_out_metric(loaded, seed: int = 12345, size: int = 512) -> float:
    batch = loaded.task.batch(size, random.Random(seed))
    with torch.no_grad():
        logits, _ = loaded.model(batch.x)
    return float(loaded.task.metric(logits, batch))


def train_recipe(store: ModelStore, recipe: Recipe) -> dict:
    loaded = build_model(
        name=recipe.name,
        architecture=recipe.architecture,
        task_id=recipe.task,
        hidden_size=recipe.hidden_size,
        seed=recipe.seed,
        task_options=recipe.task_options,
    )
    loaded.metadata["note"] = recipe.note
    config = TrainConfig(
        steps=recipe.steps,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        seed=recipe.seed,
        report_every=max(1, recipe.steps // 200),
    )
    start = time.perf_counter()
    if recipe.warmup_options is not None:
        warmup_task = make_task(recipe.task, {**recipe.task_options, **recipe.warmup_options})
        warmup = TrainConfig(steps=recipe.warmup_steps, batch_size=recipe.batch_size, learning_rate=2 * recipe.learning_rate)
        result = Trainer(loaded.model, warmup_task, warmup).run()
        record_training(loaded, result.history, warmup, time.perf_counter() - start, result.status)
        loaded.metadata["warmup"] = {"task_options": warmup_task.options, "steps": recipe.warmup_steps}
        config.seed = recipe.seed + 1  # fresh batches after the warm-up's
    main_start = time.perf_counter()
    result = Trainer(loaded.model, loaded.task, config, first_step=loaded.total_steps).run()
    record_training(loaded, result.history, config, time.perf_counter() - main_start, result.status)
    seconds = time.perf_counter() - start
    loaded.metadata["held_out_metric"] = held_out_metric(loaded)
    try:
        store.create(recipe.name, loaded.metadata, {k: v.detach() for k, v in loaded.model.state_dict().items()})
    except ModelExists:
        save_model(store, loaded)
    return {"name": recipe.name, "metric": loaded.metadata["held_out_metric"], "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.demo_models", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    parser.add_argument("--only", nargs="*", help="train only these recipes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    store = ModelStore(args.out, expected_shapes=expected_shapes)
    for recipe in RECIPES:
        if args.only and recipe.name not in args.only:
            continue
        summary = train_recipe(store, recipe)
        log.info("%s: %s %.3f in %ss", summary["name"], "held-out metric", summary["metric"], summary["seconds"])


if __name__ == "__main__":
    main()
