"""An experiment's results on disk, beside the models, written so a crash never leaves half.

    <models_dir>/experiments/<name>/experiment.json    the recipe as run, its status, the machine
    <models_dir>/experiments/<name>/runs/<run key>.json one record per finished run

Every file is written whole to a temporary file, fsynced and renamed over the
old one (app/core/store/atomic.py, the model store's own helpers), so a reader
or a kill sees the old file or the new one. A run's record is written the
moment its result arrives; a resumed experiment reads them back and runs only
the rest. The model store lists only the files at its top level, so this
folder is invisible to it and to its repair. The representative models are
ordinary stored models (named by recipe.model_name), so the page opens them
like any other; representative_models() says which models an experiment kept
(from its run records, so deleting an experiment's results makes its models
ordinary ones, and no model file carries anything new).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import time
from pathlib import Path

from app.core.experiments.recipe import GridPoint, Recipe
from app.core.store import atomic

log = logging.getLogger(__name__)

FOLDER = "experiments"
EXPERIMENT_FILE = "experiment.json"
RUNS_FOLDER = "runs"


def model_name(recipe: str, point: GridPoint) -> str:
    """The stored name of a grid point's representative model: a legal model name (64 characters
    at most), readable, and unique per recipe and point (a hash when it must be shortened)."""
    v = point.variant
    parts = ["x", recipe, v.architecture, v.activation or "", v.init or ""]
    parts += [f"{name}{value}" for name, value in sorted(point.task_options.items())]
    parts.append(f"h{point.hidden_size}")
    name = re.sub(r"[^a-z0-9_-]+", "_", "-".join(p for p in parts if p).lower()).strip("_-")
    if len(name) > 64:
        digest = hashlib.sha256(point.key.encode()).hexdigest()[:8]
        name = f"{name[:55].rstrip('_-')}-{digest}"
    return name


def representative_models(models_dir: Path | str) -> dict[str, str]:
    """{model name: experiment name} of every representative model that the experiments stored
    under models_dir name in their run records (whether or not the model still exists)."""
    found: dict[str, str] = {}
    for name in stored_experiments(models_dir):
        if name.startswith("."):  # an experiment being deleted (renamed aside)
            continue
        for model in ExperimentFolder(models_dir, name).model_names():
            found.setdefault(model, name)
    return found


# Which runs keep a model follows from which runs are stored (the first seed's run of each grid
# point), so the records are read again only when the set of run files changes: a listing of the
# models costs one directory listing per experiment.
_model_names_cache: dict[Path, tuple[frozenset[str], tuple[str, ...]]] = {}


class ExperimentConflict(ValueError):
    """Stored results made with another training or criterion than the one asked for."""


class ExperimentNotFound(LookupError):
    pass


def experiments_root(models_dir: Path | str) -> Path:
    return Path(models_dir) / FOLDER


def stored_experiments(models_dir: Path | str) -> list[str]:
    """Names of the experiments with results stored under models_dir."""
    root = experiments_root(models_dir)
    if not root.is_dir():
        return []
    return sorted(path.name for path in root.iterdir() if (path / EXPERIMENT_FILE).is_file())


class ExperimentFolder:
    def __init__(self, models_dir: Path | str, name: str):
        self.name = name
        self.root = experiments_root(models_dir) / name
        self.runs = self.root / RUNS_FOLDER

    @property
    def exists(self) -> bool:
        return (self.root / EXPERIMENT_FILE).is_file()

    def begin(self, recipe: Recipe, restart: bool = False) -> None:
        """Record the recipe about to run. Stored runs of the same training and criterion stay (a
        resume, or a grid grown by seeds or lags); others raise ExperimentConflict unless restart."""
        if self.exists:
            stored = self.document()
            if stored.get("configuration") != recipe.configuration() and not restart:
                raise ExperimentConflict(
                    f"experiment {self.name!r} has results made with another training or criterion "
                    f"({_difference(stored.get('configuration', {}), recipe.configuration())}); "
                    "run it with --restart to discard them, or keep the stored settings"
                )
            if restart:
                shutil.rmtree(self.runs, ignore_errors=True)
        self.runs.mkdir(parents=True, exist_ok=True)
        document = self.document() if self.exists and not restart else {}
        document.update(
            name=self.name,
            recipe=recipe.to_dict(),
            configuration=recipe.configuration(),
            status="running",
            started_at=_now(),
        )
        self.write_document(document)

    def finish(self, status: str, **facts) -> None:
        """Mark the experiment done or cancelled, with facts such as the machine and wall time."""
        document = self.document()
        document.update(status=status, finished_at=_now(), **facts)
        self.write_document(document)

    def document(self) -> dict:
        try:
            return json.loads((self.root / EXPERIMENT_FILE).read_bytes())
        except FileNotFoundError:
            raise ExperimentNotFound(f"no stored results for experiment {self.name!r}") from None

    def write_document(self, document: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic.atomic_write(self.root / EXPERIMENT_FILE, _dumps(document))

    def write_record(self, record: dict) -> None:
        atomic.atomic_write(self.runs / f"{record['key']}.json", _dumps(record))

    def model_names(self) -> tuple[str, ...]:
        """The representative models named by the stored run records, sorted."""
        try:
            files = frozenset(path.name for path in self.runs.glob("*.json") if not atomic.is_temp_file(path))
        except OSError:
            return ()
        cached = _model_names_cache.get(self.runs)
        if cached is not None and cached[0] == files:
            return cached[1]
        names = tuple(sorted({r["model"] for r in self.records().values() if isinstance(r.get("model"), str)}))
        _model_names_cache[self.runs] = (files, names)
        return names

    def records(self) -> dict[str, dict]:
        """Every stored run by key. A file that cannot be read is skipped (its run is done again)."""
        found = {}
        if not self.runs.is_dir():
            return found
        for path in sorted(self.runs.glob("*.json")):
            if atomic.is_temp_file(path):
                continue
            try:
                record = json.loads(path.read_bytes())
                found[record["key"]] = record
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("experiment %s: run file %s unreadable (%s); it will run again", self.name, path, error)
        return found


def _dumps(document: dict) -> bytes:
    return json.dumps(document, indent=1, allow_nan=False).encode()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _difference(stored: dict, asked: dict) -> str:
    for part in ("training", "criterion"):
        for key, value in asked.get(part, {}).items():
            before = stored.get(part, {}).get(key)
            if before != value:
                return f"{key} {before!r} stored, {value!r} asked"
    return "a changed setting"
