"""A model store for the browser tests: the shipped demo models, or quick stand-ins.

    python -m tests.browser.demo_store DIR     fill DIR the way the browser tests do

The tests need every demo model's name (the page opens elman-reber; the tour
names the others) and one LSTM with H = 128 for the frame-time test. Copies
of models/ are used when present; a missing demo is made with the same
recipe (app.demo_models) but only QUICK_STEPS training steps, enough to draw.
The shipped experiment results (models/experiments/) are copied with their
representative models, so the page is tested on the store a user gets: the
picker groups those models by experiment.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

from app.core.architectures import expected_shapes
from app.core.models import create_model
from app.core.store import ModelStore
from app.demo_models import RECIPES, train_recipe

PROJECT_MODELS = Path(__file__).resolve().parents[2] / "models"
QUICK_STEPS = 40  # training steps of a stand-in demo model: seconds, not minutes
FRAME_MODEL = "lstm-frametime"  # an LSTM with H = 128 for the 200-step frame-time test
FRAME_HIDDEN = 128
FRAME_STEPS = 200  # sine inputs of this many values


def frame_input(steps: int = FRAME_STEPS) -> str:
    """A sine wave of `steps` values in the sine task's typed form."""
    import math

    return " ".join(f"{math.sin(2 * math.pi * t / 25):.2f}" for t in range(steps))


def fill_store(folder: Path) -> list[str]:
    """Copy the project's models into folder and make whatever the tests need that is missing."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in PROJECT_MODELS.glob("*"):
        if path.suffix in (".json", ".safetensors") and not path.name.startswith("."):
            shutil.copy2(path, folder / path.name)
    if (PROJECT_MODELS / "experiments").is_dir():
        ignore = shutil.ignore_patterns(".*")  # temp files of an interrupted write
        shutil.copytree(PROJECT_MODELS / "experiments", folder / "experiments", ignore=ignore, dirs_exist_ok=True)
    store = ModelStore(folder, expected_shapes=expected_shapes)
    have = {entry.name for entry in store.list() if not entry.error}
    for recipe in RECIPES:
        if recipe.name not in have:
            train_recipe(store, dataclasses.replace(recipe, steps=min(recipe.steps, QUICK_STEPS)))
    if FRAME_MODEL not in have:
        create_model(
            store,
            name=FRAME_MODEL,
            architecture="lstm",
            task_id="sine",
            hidden_size=FRAME_HIDDEN,
            task_options={"length": FRAME_STEPS},
        )
    return sorted(entry.name for entry in store.list())


if __name__ == "__main__":
    print("\n".join(fill_store(Path(sys.argv[1]))))
