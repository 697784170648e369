"""/api/models says which models an experiment keeps: `experiment` on the row and the detail,
from the experiment's stored runs (no model file changes), gone when its results are deleted;
in classroom mode the shared (shipped) results name the demos they keep.

The experiment is the tiny override of short-term-memory that test_experiments.py runs: the
shortcut net at lag 5, one seed, a few steps, one grid point, so one representative model.
"""

from __future__ import annotations

from app.core.experiments import ExperimentRunner, LocalPool
from app.core.experiments.recipe import Overrides
from app.core.experiments.recipes import get_recipe
from tests.api.classroom import open_classroom
from tests.api.conftest import create_model

RECIPE = "short-term-memory"
TINY = Overrides(seeds=(0,), task_options={"lag": (5,)}, steps=10, architectures=("shortcut",))
MODEL = "x-short-term-memory-shortcut-lag5-length1-n_symbols8-h32"


def run_tiny(store) -> None:
    with LocalPool(1) as pool:
        ExperimentRunner(get_recipe(RECIPE).with_overrides(TINY), store, pool).run()


def rows_by_name(client) -> dict[str, dict]:
    response = client.get("/api/models")
    assert response.status_code == 200, response.text
    return {row["name"]: row for row in response.json()}


def test_the_listing_and_the_detail_name_the_experiment_that_keeps_a_model(client, store):
    create_model(client, "mine")
    run_tiny(store)
    files = {path.name: path.read_bytes() for path in store.root.glob(f"{MODEL}.*")}
    rows = rows_by_name(client)
    assert rows[MODEL]["experiment"] == RECIPE and rows["mine"]["experiment"] is None
    assert client.get(f"/api/models/{MODEL}").json()["experiment"] == RECIPE
    assert client.get("/api/models/mine").json()["experiment"] is None
    assert {path.name: path.read_bytes() for path in store.root.glob(f"{MODEL}.*")} == files  # nothing written

    assert client.delete(f"/api/experiments/{RECIPE}").json()["models_kept"] == [MODEL]
    assert rows_by_name(client)[MODEL]["experiment"] is None  # an ordinary model now
    assert client.get(f"/api/models/{MODEL}").json()["experiment"] is None


def test_classroom_the_shared_results_name_the_demos_they_keep(tmp_path):
    with open_classroom(tmp_path) as classroom:
        run_tiny(classroom.app.state.store)  # the class's shipped results
        student = classroom.browser()
        rows = rows_by_name(student)
        assert rows[MODEL]["experiment"] == RECIPE and rows[MODEL]["read_only"] is True
        assert [row["experiment"] for name, row in rows.items() if name != MODEL] == [None]  # the demo model
        assert student.get(f"/api/models/{MODEL}").json()["experiment"] == RECIPE
