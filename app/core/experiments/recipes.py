"""The shipped recipes: one experiment per claim of the subject.

Each default grid is sized to finish in about an hour on a 2-core machine
(docs/experiments.md lists the measured times); `full_grid` says how to run the
grid the claim deserves, on more cores or a Ray cluster (docs/scale.md):

    python -m app experiment run short-term-memory --seeds 20 --lags 5,10,20,40,80,160 --executor ray

Training follows the issue's first measurement: Adam 3e-3, batch 32, clip 1.0,
H = 32, success = the task's metric >= 0.95 on 512 fresh sequences. Gate
initialisation is a grid dimension (app/core/architectures/init.py): PyTorch's
default, forget bias 1 (Gers et al. 2000; Jozefowicz et al. 2015), chrono
(Tallec & Ollivier 2018), and for the Elman net the identity-initialised ReLU
(Le, Jaitly & Hinton 2015), a plain RNN's best case.
"""

from __future__ import annotations

from app.core.experiments.recipe import Criterion, Grid, Recipe, RecipeError, Training, Variant

# The delayed-recall task of the issue: one of 8 symbols, recalled after the lag.
RECALL = {"n_symbols": (8,), "length": (1,)}
# T_max chosen above the longest lag of the first grid (80), as Tallec & Ollivier advise; kept when the grid
# grew by lag 160 (a new T_max would be a new variant, and the runs showed 100 enough there: 6 of 6)
CHRONO = "chrono:100"

MEMORY_VARIANTS = (
    Variant("elman"),
    Variant("elman", "relu", "identity"),
    Variant("shortcut"),
    Variant("lstm"),
    Variant("lstm", None, "forget_bias:1"),
    Variant("lstm", None, CHRONO),
    Variant("gru"),
    Variant("gru", None, CHRONO),
    Variant("second_order"),
)

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="short-term-memory",
            claim=(
                "Plain RNNs fail to recall a symbol across a long lag where LSTM and GRU succeed, "
                "and whether the gated nets do depends on how their gates start."
            ),
            grid=Grid(
                variants=MEMORY_VARIANTS,
                task="copy",
                # to 160: the plain net's best case (ReLU, identity) solved every run to 80, so the grid grew
                # until it failed (docs/experiments.md); 162 runs, about an hour on 2 workers
                task_options={**RECALL, "lag": (5, 10, 20, 40, 80, 160)},
                hidden_sizes=(32,),
                seeds=(0, 1, 2),
            ),
            training=Training(steps=2000, learning_rate=3e-3),
            criterion=Criterion(threshold=0.95, sequences=512, every=50),
            full_grid="--seeds 10 --lags 5,10,20,40,80,160 --steps 5000 (540 runs: a Ray cluster)",
        ),
        Recipe(
            name="vanishing-gradient",
            claim=(
                "The gradient of the last loss with respect to an earlier state shrinks exponentially with the "
                "distance in a plain RNN, far less in LSTM and GRU; tanh and ReLU Elman nets differ."
            ),
            grid=Grid(
                variants=(
                    Variant("elman", "tanh"),
                    Variant("elman", "relu"),
                    Variant("elman", "relu", "identity"),
                    Variant("shortcut"),
                    Variant("lstm"),
                    Variant("lstm", None, "forget_bias:1"),
                    Variant("gru"),
                    Variant("second_order"),
                ),
                task="copy",
                task_options={**RECALL, "lag": (40,)},
                hidden_sizes=(32,),
                seeds=(0, 1, 2, 3, 4),
            ),
            training=Training(steps=1000, learning_rate=3e-3),
            # the trained curve after the same budget for every run, so the curves compare
            criterion=Criterion(threshold=0.95, sequences=512, every=100, stop_early=False),
            full_grid="--seeds 20 --lags 20,40,80 (the curve at several lengths)",
        ),
        Recipe(
            name="cost",
            claim="Plain RNNs are lighter and train faster per step than LSTM and GRU, at every hidden size.",
            grid=Grid(
                variants=tuple(Variant(family) for family in ("elman", "shortcut", "lstm", "gru", "second_order")),
                task="copy",
                task_options={**RECALL, "lag": (20,)},
                hidden_sizes=(16, 32, 64, 128, 256),
                seeds=(0, 1),
            ),
            training=Training(steps=300, learning_rate=3e-3),
            criterion=Criterion(threshold=0.95, sequences=512, every=300, stop_early=False),
            full_grid="--seeds 5 --hidden-sizes 16,32,64,128,256,512",
        ),
        Recipe(
            name="shortcuts",
            claim=(
                "Shortcut (input-to-output) connections let an Elman net reach the Reber grammar's criterion "
                "in fewer steps, since the next symbol depends directly on the current one."
            ),
            grid=Grid(
                variants=(Variant("elman"), Variant("shortcut")),
                task="reber",
                task_options={},
                hidden_sizes=(4, 8, 16),
                seeds=tuple(range(10)),
            ),
            training=Training(steps=2000, learning_rate=3e-3),
            criterion=Criterion(threshold=0.95, sequences=512, every=25),
            full_grid="--seeds 20 --hidden-sizes 2,4,8,16,32",
        ),
        Recipe(
            name="fluent-distance",
            claim=(
                "Naming the language in 'I grew up in France ... I speak fluent ___' gets harder for an Elman "
                "net as the distance to the country grows, less so for LSTM and GRU."
            ),
            grid=Grid(
                variants=(Variant("elman"), Variant("lstm"), Variant("gru")),
                task="fluent",
                task_options={"distance": (0, 4, 8, 16, 32)},
                hidden_sizes=(32,),
                seeds=(0, 1, 2),
            ),
            # 1,500 steps was measured too short (45 runs: every net near chance even at distance 0, on the
            # fluent task as issue 10 widened it); a pilot at distance 0 gave after 5,000 steps Elman 0.98,
            # GRU 0.94, LSTM 0.72 (docs/experiments.md), so 8,000 lets distance 0 be learnt and a fall with
            # distance mean something. Final accuracy is the figure to read; success is >= 0.95 at the end.
            training=Training(steps=8000, learning_rate=3e-3),
            criterion=Criterion(threshold=0.95, sequences=512, every=500, stop_early=False),
            full_grid="--seeds 10 --option distance=0,4,8,16,32,48,60",
        ),
    )
}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise RecipeError(f"unknown experiment {name!r}; the recipes are: {', '.join(RECIPES)}") from None
