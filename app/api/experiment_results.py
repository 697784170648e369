"""Where a caller's experiment results are, and how the API reads, exports and deletes them.

    places(store)          the folders holding the caller's results, own first: on a local server
                           the store itself; in classroom mode the workspace's folder, then the
                           shared store's (the shipped results), which a student reads only
    find(store, name)      (folder, read_only) of the first place that has experiment `name`
    runs_csv(records)      one CSV row per run, for a spreadsheet or a plot of one's own
    discard(folder)        the experiment's folder gone, never half: renamed aside, then removed

The results themselves are app.core.experiments' files (storage.py): an
experiment.json and one record per run, written atomically by the runner.
"""

from __future__ import annotations

import csv
import io
import secrets
import shutil
from pathlib import Path

from app.api.workspaces import WorkspaceView
from app.core.experiments import ExperimentFolder, ExperimentNotFound, stored_experiments
from app.core.experiments.aggregate import decay_per_step
from app.core.store import atomic

TRASH_PREFIX = ".deleting-"  # a folder being removed: never an experiment's name, never listed


def places(store) -> list[tuple[Path, bool]]:
    """(models folder, read_only) for each place the caller's experiments may be, own first."""
    if isinstance(store, WorkspaceView):
        own = store.own()
        mine = [(own.root, False)] if own is not None else []
        return [*mine, (store.demos.root, True)]
    return [(store.root, False)]


def listing(store) -> list[tuple[str, ExperimentFolder, bool]]:
    """(name, folder, read_only) of every stored experiment the caller sees; an own one hides a shared one."""
    found, seen = [], set()
    for root, read_only in places(store):
        for name in stored_experiments(root):
            if name in seen or name.startswith("."):
                continue
            seen.add(name)
            found.append((name, ExperimentFolder(root, name), read_only))
    return found


def find(store, name: str) -> tuple[ExperimentFolder, bool]:
    for root, read_only in places(store):
        folder = ExperimentFolder(root, name)
        if folder.exists:
            return folder, read_only
    raise ExperimentNotFound(f"no stored results for experiment {name!r}; POST /api/experiments runs it")


def stored_run_count(folder: ExperimentFolder) -> int:
    """Runs stored, counted by their files (a listing reads no record)."""
    if not folder.runs.is_dir():
        return 0
    return sum(1 for path in folder.runs.glob("*.json") if not atomic.is_temp_file(path))


def in_grid_order(records: list[dict], document: dict) -> list[dict]:
    """The records in the recipe's order: variant as listed, then task options, hidden size, seed."""
    labels = [variant["label"] for variant in document.get("recipe", {}).get("grid", {}).get("variants", [])]

    def order(record: dict):
        point = record["point"]
        variant = labels.index(point["variant"]) if point["variant"] in labels else len(labels)
        options = tuple(str(value).zfill(12) for _, value in sorted(point["task_options"].items()))
        return variant, options, point["hidden_size"], record["seed"]

    return sorted(records, key=order)


CSV_FIELDS = (
    "key",
    "variant",
    "architecture",
    "activation",
    "init",
    "task",
    "hidden_size",
    "seed",
    "success",
    "steps_to_success",
    "final_metric",
    "metric_name",
    "steps_done",
    "status",
    "parameters",
    "steps_per_s",
    "wall_time_s",
    "decay_init",
    "decay_end",
    "model",
)


def runs_csv(records: list[dict]) -> str:
    """One row per run: the grid point (each task option its own column), the outcome, the costs,
    and the fitted gradient decay per step at initialisation and at the end."""
    options = sorted({name for record in records for name in record["point"]["task_options"]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = list(CSV_FIELDS)
    header[6:6] = options  # the task's options beside the task
    writer.writerow(header)
    for record in records:
        point = record["point"]
        row = {
            **{key: point.get(key) for key in ("variant", "architecture", "activation", "init", "task")},
            **{key: record.get(key) for key in CSV_FIELDS if key in record},
            "hidden_size": point["hidden_size"],
            "decay_init": decay_per_step(record.get("gradient_init")),
            "decay_end": decay_per_step(record.get("gradient_end")),
            **{name: point["task_options"].get(name) for name in options},
        }
        writer.writerow(["" if row.get(name) is None else row[name] for name in header])
    return out.getvalue()


def discard(folder: ExperimentFolder) -> None:
    """Remove the experiment's folder. Renamed aside first (one atomic step), so a crash leaves
    either the whole experiment or a hidden folder no listing shows, never a part that a later
    run of the same name would resume from."""
    aside = folder.root.with_name(f"{TRASH_PREFIX}{folder.name}-{secrets.token_hex(4)}")
    folder.root.rename(aside)
    shutil.rmtree(aside, ignore_errors=True)
