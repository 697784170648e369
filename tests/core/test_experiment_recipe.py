"""Experiment recipes: the grid's points, overrides checked with clear errors, the run limit."""

from __future__ import annotations

import pytest

from app.core.experiments import MAX_RUNS, Criterion, Grid, Overrides, Recipe, RecipeError, Training, model_name
from app.core.experiments.recipe import Variant, seeds_from_count, variants
from app.core.experiments.recipes import RECIPES, get_recipe
from app.core.store import NAME_PATTERN

TINY = Recipe(
    name="tiny",
    claim="a test",
    grid=Grid(variants(("elman", "lstm")), "copy", {"lag": (2, 4), "n_symbols": (4,)}, (8,), (0, 1)),
    training=Training(steps=40, learning_rate=0.01),
    criterion=Criterion(0.9, 64, 10),
)


def test_points_cover_the_grid_once_each_in_a_fixed_order():
    points = TINY.points()
    assert len(points) == TINY.grid.runs == 2 * 2 * 1 * 2
    assert len({run.key for run in points}) == len(points)
    assert [run.key for run in points][:2] == ["elman.lag=2.n_symbols=4.h8.seed=0", "elman.lag=2.n_symbols=4.h8.seed=1"]
    assert points == TINY.points()


def test_variants_leave_out_what_a_family_cannot_take():
    found = variants(("elman", "lstm"), activations=("tanh", "relu"))
    assert Variant("elman", "relu") in found
    assert Variant("lstm", "relu") not in found and Variant("lstm", "tanh") in found


def test_overrides_change_seeds_lags_and_steps():
    changed = TINY.with_overrides(Overrides(seeds=(3, 1), task_options={"lag": (8,)}, steps=7))
    assert changed.grid.seeds == (1, 3)
    assert changed.grid.task_options["lag"] == (8,)
    assert changed.training.steps == 7
    assert TINY.grid.seeds == (0, 1)  # the recipe itself is unchanged


@pytest.mark.parametrize(
    "overrides, message",
    [
        (Overrides(seeds=()), "at least one seed"),
        (Overrides(seeds=(1, 1)), "the seeds repeat"),
        (Overrides(seeds=(-1,)), "a seed is a whole number of at least 0, not -1"),
        (Overrides(task_options={"lag": (500,)}), "option 'lag' must be between 0 and 200, got 500"),
        (Overrides(task_options={"lag": ()}), "give at least one value for lag"),
        (Overrides(task_options={"colour": (1,)}), "unknown option 'colour' for task 'copy'"),
        (Overrides(steps=0), "steps must be a whole number of at least 1, not 0"),
        (Overrides(architectures=("gru",)), "recipe 'tiny' has no architecture 'gru'; it has elman, lstm"),
        (Overrides(hidden_sizes=(0,)), "a hidden size is a whole number from 1 to 512, not 0"),
    ],
)
def test_bad_overrides_are_refused_by_name(overrides, message):
    with pytest.raises(RecipeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TINY.with_overrides(overrides)


def test_a_grid_over_the_limit_is_refused():
    every_lag = Overrides(seeds=seeds_from_count(20), task_options={"lag": tuple(range(201))})  # 2 * 201 * 20 runs
    with pytest.raises(RecipeError, match=f"the grid has 8040 runs; at most {MAX_RUNS} are allowed"):
        TINY.with_overrides(every_lag)


def test_seed_counts():
    assert seeds_from_count(3) == (0, 1, 2)
    with pytest.raises(RecipeError, match="at least 1, not 0"):
        seeds_from_count(0)


def test_a_variant_the_family_refuses_is_named():
    bad = Recipe("bad", "c", Grid((Variant("lstm", "relu"),), "copy"), Training(steps=10))
    with pytest.raises(RecipeError, match="lstm/relu"):
        bad.check()


def test_shipped_recipes_are_valid_and_sized():
    assert set(RECIPES) == {"short-term-memory", "vanishing-gradient", "cost", "shortcuts", "fluent-distance"}
    for recipe in RECIPES.values():
        recipe.check()
        assert recipe.claim and recipe.full_grid
        assert recipe.grid.runs <= 200  # the default grids fit about an hour on 2 cores
        for point in recipe.grid_points():
            name = model_name(recipe.name, point)
            assert NAME_PATTERN.fullmatch(name), name
    with pytest.raises(RecipeError, match="unknown experiment 'nope'"):
        get_recipe("nope")


def test_model_names_are_unique_per_point_even_when_shortened():
    recipe = get_recipe("short-term-memory")
    names = [model_name(recipe.name, point) for point in recipe.grid_points()]
    assert len(set(names)) == len(names)
    assert all(len(name) <= 64 for name in names)
