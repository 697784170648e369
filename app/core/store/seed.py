"""Filling an empty model store with the shipped demo models, once, at start-up.

    seed_dir/<name>.safetensors + <name>.json   (the demo models shipped with the code or the image)
    seed_dir/experiments/<name>/...             (shipped experiment results, whose representative
                                                 models are among the models above)
        --copied only when store_dir is missing or empty-->   store_dir/

A container keeps its store on a volume; a freshly mounted folder is empty and
would hide the image's demo models, so the server copies them in when it
starts (the way Docker fills a new named volume from the image). The rules:

- Only a store that is missing or holds nothing visible is seeded (hidden
  names, such as the store's temp files, a file system's lost+found, and the
  folders the caller names in `ignore`, such as classroom workspaces kept inside
  the store, do not count). A store with anything of its own is never touched, and a file that
  exists is never overwritten (each copy claims its name exclusively).
- Atomic as far as a folder allows: every file is written whole and fsync'ed
  under a temporary name first (atomic.write_temp), and only then are the
  names published, weights before metadata, so a model appears complete or
  not at all; a kill before publishing leaves only temp files, which the
  store's start-up repair removes, and the folder is seeded at the next start.
- Only complete pairs with legal names are copied, and the experiments' folders
  (experiment.json and runs/*.json, app/core/experiments/storage.py) after the
  models their runs name; nothing else in seed_dir is. An experiment is staged
  under a hidden name, which no listing shows, and renamed into place whole.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Collection
from pathlib import Path

from app.core.store import atomic
from app.core.store.limits import NAME_PATTERN

logger = logging.getLogger(__name__)

WEIGHTS_SUFFIX = ".safetensors"
METADATA_SUFFIX = ".json"
NOT_CONTENT = frozenset({"lost+found"})  # what a fresh file system's root holds
# app/core/experiments/storage.py's layout (the store does not import the experiments;
# tests/core/test_seed_experiments.py holds the two to the same names).
EXPERIMENTS_FOLDER = "experiments"
EXPERIMENT_FILE = "experiment.json"
RUNS_FOLDER = "runs"


def seed_models(store_dir: Path, seed_dir: Path | None, ignore: Collection[str] = ()) -> list[str]:
    """Copy seed_dir's models into store_dir if it is missing or empty; the names copied.

    Raises OSError when store_dir cannot be created or written (the caller says so).
    """
    if seed_dir is None or not seed_dir.is_dir():
        return []
    if store_dir.exists() and _same_folder(store_dir, seed_dir):
        return []  # a developer's checkout: the store is the demo folder itself
    if store_dir.exists() and not _is_empty(store_dir, ignore):
        return []
    models = _seed_models(seed_dir)
    if not models:
        return []
    store_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path, Path]] = []  # (name, weights temp, metadata temp)
    temps: list[Path] = []  # every temp file written, for the clean-up after a failure
    try:
        for name in models:
            weights, metadata = _targets(store_dir, name)
            temps.append(atomic.write_temp(weights, (seed_dir / weights.name).read_bytes()))
            temps.append(atomic.write_temp(metadata, (seed_dir / metadata.name).read_bytes()))
            staged.append((name, temps[-2], temps[-1]))
        # Every byte is on disk before the first name appears.
        seeded = [
            name
            for name, weights_temp, metadata_temp in staged
            if _publish(store_dir, name, weights_temp, metadata_temp)
        ]
    finally:
        for temp in temps:
            if temp.exists():  # consumed when published; a leftover after a failure
                atomic.remove_quietly(temp)
    atomic.fsync_dir(store_dir)
    if seeded:
        _seed_experiments(store_dir, seed_dir)
    return seeded


def _seed_experiments(store_dir: Path, seed_dir: Path) -> list[str]:
    """Copy each shipped experiment folder that the store lacks; the names copied."""
    source_root, target_root = seed_dir / EXPERIMENTS_FOLDER, store_dir / EXPERIMENTS_FOLDER
    if not source_root.is_dir():
        return []
    copied = []
    for source in sorted(source_root.iterdir()):
        target = target_root / source.name
        if source.name.startswith(".") or not (source / EXPERIMENT_FILE).is_file() or target.exists():
            continue
        staged = target_root / f".seeding-{source.name}-{secrets.token_hex(4)}"
        try:
            (staged / RUNS_FOLDER).mkdir(parents=True)
            for run in sorted((source / RUNS_FOLDER).glob("*.json")):
                if not atomic.is_temp_file(run):
                    _copy_durably(run, staged / RUNS_FOLDER / run.name)
            atomic.fsync_dir(staged / RUNS_FOLDER)
            _copy_durably(source / EXPERIMENT_FILE, staged / EXPERIMENT_FILE)  # last: it makes the folder an experiment
            atomic.fsync_dir(staged)
            os.rename(staged, target)  # fails if the name appeared meanwhile: theirs stays
        except OSError as error:
            logger.warning("not seeding experiment %s: %s", source.name, error.strerror or error)
            shutil.rmtree(staged, ignore_errors=True)
            continue
        copied.append(source.name)
    atomic.fsync_dir(target_root)
    return copied


def seed_at_start(store_dir: Path, seed_dir: Path | None, ignore: Collection[str] = ()) -> list[str]:
    """seed_models() for the server's start-up: logs what was copied, and logs (never raises)
    a folder it cannot write: the store's own start-up check reports that to the user."""
    try:
        seeded = seed_models(store_dir, seed_dir, ignore)
    except OSError as error:
        logger.error("could not copy the demo models from %s into %s: %s", seed_dir, store_dir, error.strerror or error)
        return []
    if seeded:
        logger.info("seeded the empty model store %s with %d demo models from %s", store_dir, len(seeded), seed_dir)
    return seeded


def _copy_durably(source: Path, target: Path) -> None:
    os.replace(atomic.write_temp(target, source.read_bytes()), target)


def _seed_models(seed_dir: Path) -> list[str]:
    """Names in seed_dir with both files present, sorted."""
    names = []
    for weights in seed_dir.glob(f"*{WEIGHTS_SUFFIX}"):
        name = weights.name.removesuffix(WEIGHTS_SUFFIX)
        if NAME_PATTERN.fullmatch(name) and (seed_dir / f"{name}{METADATA_SUFFIX}").is_file():
            names.append(name)
    return sorted(names)


def _targets(store_dir: Path, name: str) -> tuple[Path, Path]:
    return store_dir / f"{name}{WEIGHTS_SUFFIX}", store_dir / f"{name}{METADATA_SUFFIX}"


def _publish(store_dir: Path, name: str, weights_temp: Path, metadata_temp: Path) -> bool:
    """Give a staged model its two names, weights first, never replacing a file that exists.
    False (and nothing of ours left under those names) when either name is taken."""
    weights, metadata = _targets(store_dir, name)
    try:
        atomic.publish_exclusive(weights_temp, weights)
    except FileExistsError:
        # Something appeared since the emptiness check (another process seeding, a
        # user's copy): it is theirs, and this model is not seeded.
        logger.warning("not seeding %s: %s already exists", name, weights)
        return False
    try:
        atomic.publish_exclusive(metadata_temp, metadata)
    except FileExistsError:
        logger.warning("not seeding %s: %s already exists", name, metadata)
        atomic.remove_quietly(weights)  # ours: claimed a moment ago
        return False
    return True


def _is_empty(folder: Path, ignore: Collection[str] = ()) -> bool:
    skipped = NOT_CONTENT.union(ignore)
    return not any(not entry.name.startswith(".") and entry.name not in skipped for entry in folder.iterdir())


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
