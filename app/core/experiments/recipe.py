"""An experiment recipe as plain, frozen data: the grid, the training, the criterion.

    recipe = Recipe(
        name="short-term-memory",
        claim="Plain RNNs forget across long lags; LSTM and GRU remember.",
        grid=Grid(variants=variants(("elman", "lstm")), task="copy",
                  task_options={"lag": (5, 10, 20), "n_symbols": (8,), "length": (1,)},
                  hidden_sizes=(32,), seeds=(0, 1, 2, 3, 4)),
        training=Training(steps=3000, learning_rate=3e-3),
        criterion=Criterion(threshold=0.95, sequences=512, every=50),
    )
    recipe.with_overrides(Overrides(seeds=(0, 1), task_options={"lag": (40, 80)})).points()

A grid point is one model to train (a Variant of architecture, activation and
gate initialisation; the task's options; a hidden size) and every seed trains
it once: a RunPoint. Everything here pickles and turns into JSON (to_dict), so
a worker process, a Ray task or a results file can carry it. Bad overrides and
grids too large to run raise RecipeError with a message for a person.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import asdict, dataclass, field, replace

from app.core.architectures import MAX_HIDDEN_SIZE, get_architecture
from app.core.models import build_model
from app.core.run_description import RunRequest
from app.core.tasks import make_task

MAX_RUNS = 5000  # a larger grid is refused: days of training on a few machines
MAX_SEEDS = 1000
_UNSAFE = re.compile(r"[^a-z0-9_.=-]+")


class RecipeError(ValueError):
    """A recipe or override that cannot be run; the message is written for a person."""


@dataclass(frozen=True)
class Variant:
    """One kind of model: a cell family, its nonlinearity (None: the family's first) and
    its gate initialisation (None: PyTorch's default)."""

    architecture: str
    activation: str | None = None
    init: str | None = None

    @property
    def label(self) -> str:
        parts = [self.architecture]
        if self.activation is not None:
            parts.append(self.activation)
        if self.init is not None:
            parts.append(self.init)
        return "/".join(parts)


def variants(architectures, activations=(None,), inits=(None,)) -> tuple[Variant, ...]:
    """The product of the three lists, less the pairs a family cannot take (an activation it lacks)."""
    found = []
    for architecture, activation, init in itertools.product(architectures, activations, inits):
        offered = get_architecture(architecture).activations
        if activation is None or activation in offered:
            found.append(Variant(architecture, activation, init))
    return tuple(found)


@dataclass(frozen=True)
class Grid:
    variants: tuple[Variant, ...]
    task: str
    task_options: dict = field(default_factory=dict)  # option -> tuple of values; one value: fixed
    hidden_sizes: tuple[int, ...] = (32,)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)

    @property
    def runs(self) -> int:
        options = math.prod(len(values) for values in self.task_options.values())
        return len(self.variants) * options * len(self.hidden_sizes) * len(self.seeds)


@dataclass(frozen=True)
class Training:
    """One training configuration for every run (RunRequest's fields but the seed)."""

    steps: int = 3000  # the budget: a run that has not met the criterion by then failed
    batch_size: int = 32
    learning_rate: float = 3e-3
    optimizer: str = "adam"
    clip_norm: float | None = 1.0

    def request(self, seed: int) -> RunRequest:
        return RunRequest(
            steps=self.steps,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            optimizer=self.optimizer,
            clip_norm=self.clip_norm,
            seed=seed,
        )


@dataclass(frozen=True)
class Criterion:
    """Success: the task's metric on `sequences` fresh held-out sequences reaches `threshold`,
    checked every `every` steps (and at the end); the run stops early when it does."""

    threshold: float = 0.95
    sequences: int = 512
    every: int = 50
    stop_early: bool = True  # False: train the whole budget anyway (the cost recipe)


@dataclass(frozen=True)
class GridPoint:
    """One model of the grid, trained once per seed."""

    variant: Variant
    task: str
    task_options: dict
    hidden_size: int

    @property
    def key(self) -> str:
        """A readable, file-safe name for the point, stable across runs of the recipe."""
        v = self.variant
        # activations (tanh, relu, ...) and inits (default, chrono:80, ...) never share a word
        parts = [part for part in (v.architecture, v.activation, v.init) if part is not None]
        parts += [f"{name}={value}" for name, value in sorted(self.task_options.items())]
        parts.append(f"h{self.hidden_size}")
        return _UNSAFE.sub("_", ".".join(str(part) for part in parts).lower())

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "architecture": self.variant.architecture,
            "activation": self.variant.activation,
            "init": self.variant.init,
            "variant": self.variant.label,
            "task": self.task,
            "task_options": dict(self.task_options),
            "hidden_size": self.hidden_size,
        }


@dataclass(frozen=True)
class RunPoint:
    point: GridPoint
    seed: int

    @property
    def key(self) -> str:
        return f"{self.point.key}.seed={self.seed}"


@dataclass(frozen=True)
class Overrides:
    """What a person may change at run time; None keeps the recipe's."""

    seeds: tuple[int, ...] | None = None
    task_options: dict = field(default_factory=dict)  # option -> values, e.g. {"lag": (40, 80)}
    steps: int | None = None
    architectures: tuple[str, ...] | None = None  # keep only these variants' families
    hidden_sizes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Recipe:
    name: str
    claim: str  # the claim the experiment tests, in a sentence
    grid: Grid
    training: Training = Training()
    criterion: Criterion = Criterion()
    full_grid: str = ""  # how to run the full grid (the default one fits about an hour on 2 cores)

    def with_overrides(self, overrides: Overrides) -> Recipe:
        grid, training = self.grid, self.training
        if overrides.seeds is not None:
            grid = replace(grid, seeds=_check_seeds(overrides.seeds))
        if overrides.task_options:
            options = dict(grid.task_options)
            for name, values in overrides.task_options.items():
                options[name] = _check_values(name, values)
            grid = replace(grid, task_options=options)
        if overrides.architectures is not None:
            kept = tuple(v for v in grid.variants if v.architecture in overrides.architectures)
            unknown = sorted(set(overrides.architectures) - {v.architecture for v in grid.variants})
            if unknown:
                known = ", ".join(sorted({v.architecture for v in grid.variants}))
                raise RecipeError(f"recipe {self.name!r} has no architecture {unknown[0]!r}; it has {known}")
            grid = replace(grid, variants=kept)
        if overrides.hidden_sizes is not None:
            grid = replace(grid, hidden_sizes=_check_values("hidden size", overrides.hidden_sizes))
        if overrides.steps is not None:
            if isinstance(overrides.steps, bool) or not isinstance(overrides.steps, int) or overrides.steps < 1:
                raise RecipeError(f"steps must be a whole number of at least 1, not {overrides.steps!r}")
            training = replace(training, steps=overrides.steps)
        changed = replace(self, grid=grid, training=training)
        changed.check()
        return changed

    def check(self) -> None:
        """RecipeError naming the first problem: a grid too large, an option the task refuses, ..."""
        grid = self.grid
        if not grid.variants:
            raise RecipeError(f"recipe {self.name!r} has no architecture left to train")
        if not grid.seeds:
            raise RecipeError("an experiment needs at least one seed")
        if grid.runs > MAX_RUNS:
            raise RecipeError(
                f"the grid has {grid.runs} runs; at most {MAX_RUNS} are allowed (fewer seeds or option values)"
            )
        try:
            self.training.request(seed=0)
        except ValueError as error:
            raise RecipeError(f"recipe {self.name!r}: {error}") from None
        criterion = self.criterion
        if not 0 < criterion.threshold <= 1 or criterion.sequences < 1 or criterion.every < 1:
            raise RecipeError("the criterion needs a threshold in (0, 1], at least 1 sequence and every >= 1")
        for options in self._option_combinations():
            try:
                make_task(grid.task, options)
            except ValueError as error:
                raise RecipeError(f"recipe {self.name!r}: {error}") from None
        for hidden in grid.hidden_sizes:
            if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= MAX_HIDDEN_SIZE:
                raise RecipeError(f"a hidden size is a whole number from 1 to {MAX_HIDDEN_SIZE}, not {hidden!r}")
        first_options = self._option_combinations()[0]
        for variant in grid.variants:  # a tiny model of each: the family, activation and init checked as built
            try:
                build_model(
                    name="check",
                    architecture=variant.architecture,
                    task_id=grid.task,
                    hidden_size=1,
                    activation=variant.activation,
                    task_options=first_options,
                    **({"init": variant.init} if variant.init is not None else {}),
                )
            except ValueError as error:
                raise RecipeError(f"recipe {self.name!r}, {variant.label}: {error}") from None

    def _option_combinations(self) -> list[dict]:
        names = sorted(self.grid.task_options)
        values = [self.grid.task_options[name] for name in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]

    def grid_points(self) -> list[GridPoint]:
        """Every model of the grid in a fixed order: variant, then task options, then hidden size."""
        grid = self.grid
        return [
            GridPoint(variant, grid.task, options, hidden)
            for variant in grid.variants
            for options in self._option_combinations()
            for hidden in grid.hidden_sizes
        ]

    def points(self) -> list[RunPoint]:
        return [RunPoint(point, seed) for point in self.grid_points() for seed in self.grid.seeds]

    def configuration(self) -> dict:
        """What makes a stored run's record valid for this recipe: the training and the criterion."""
        return {"training": asdict(self.training), "criterion": asdict(self.criterion)}

    def to_dict(self) -> dict:
        grid = self.grid
        return {
            "name": self.name,
            "claim": self.claim,
            "full_grid": self.full_grid,
            "grid": {
                "variants": [asdict(v) | {"label": v.label} for v in grid.variants],
                "task": grid.task,
                "task_options": {name: list(values) for name, values in grid.task_options.items()},
                "hidden_sizes": list(grid.hidden_sizes),
                "seeds": list(grid.seeds),
                "runs": grid.runs,
            },
            **self.configuration(),
        }


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(seeds)
    if not seeds:
        raise RecipeError("an experiment needs at least one seed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise RecipeError(f"a seed is a whole number of at least 0, not {seed!r}")
    if len(set(seeds)) != len(seeds):
        raise RecipeError("the seeds repeat; give each seed once")
    if len(seeds) > MAX_SEEDS:
        raise RecipeError(f"at most {MAX_SEEDS} seeds, not {len(seeds)}")
    return tuple(sorted(seeds))


def _check_values(name: str, values) -> tuple:
    values = tuple(values)
    if not values:
        raise RecipeError(f"give at least one value for {name}")
    if len(set(values)) != len(values):
        raise RecipeError(f"the values for {name} repeat; give each once")
    return values


def seeds_from_count(count: int) -> tuple[int, ...]:
    """--seeds N: the seeds 0 .. N-1."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise RecipeError(f"the number of seeds must be at least 1, not {count!r}")
    if count > MAX_SEEDS:
        raise RecipeError(f"at most {MAX_SEEDS} seeds, not {count}")
    return tuple(range(count))
