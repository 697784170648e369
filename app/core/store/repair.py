"""Putting the models folder right after a crash: finish or undo what was interrupted.

A model is a verified pair: <name>.json whose weights_sha256 is the sha256 of
<name>.safetensors. A save, create or delete killed part-way leaves temp files
named after their target (atomic.temp_target); for each model with such
leftovers, repair_folder():

- a ".deleted" tombstone with no <name>.json: a delete was under way; it
  removes the weights and so finishes it;
- a pair that verifies: whatever was interrupted had not yet published
  anything, or had published everything; the temp files go;
- otherwise the first complete, verified pair among the leftovers wins:
  a .json temp matching the current weights rolls a save or create forward,
  else the current .json matching a weights temp (the backup a save keeps)
  rolls it back;
- what still does not verify is left in place and reported; the listing
  shows it with its error.

Every other temp file (a write cut short, a stray probe) is removed. The
caller holds the folder's exclusive lock (folder.exclusive), so no write of a
live process is mistaken for a leftover.
"""

from __future__ import annotations

import logging
import os
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from app.core.store import atomic
from app.core.store import document as meta
from app.core.store.errors import StoreError
from app.core.store.layout import METADATA_SUFFIX, WEIGHTS_SUFFIX
from app.core.store.limits import NAME_PATTERN, StoreLimits

logger = logging.getLogger(__name__)


@dataclass
class RepairReport:
    """What repair did, by model name; `not_writable` when the folder refused a change."""

    rolled_forward: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    deletes_finished: list[str] = field(default_factory=list)
    temp_files_removed: int = 0
    unrepaired: dict[str, str] = field(default_factory=dict)  # name -> why it cannot be used
    not_writable: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.rolled_forward or self.rolled_back or self.deletes_finished or self.temp_files_removed)


@dataclass
class _Leftover:
    path: Path
    suffix: str  # ".json" or ".safetensors"
    role: str  # "", "bak" or "deleted"


def repair_folder(root: Path, limits: StoreLimits) -> RepairReport:
    report = RepairReport()
    by_model: dict[str, list[_Leftover]] = defaultdict(list)
    try:
        paths = list(root.iterdir())
    except OSError:  # no folder yet, or one that cannot be read: nothing to repair
        return report
    for path in paths:
        if not atomic.is_temp_file(path) or not _is_file_or_link(path):
            continue
        parsed = atomic.temp_target(path.name)
        stem, suffix = os.path.splitext(parsed[0]) if parsed else ("", "")
        if parsed and NAME_PATTERN.fullmatch(stem) and suffix in (METADATA_SUFFIX, WEIGHTS_SUFFIX):
            by_model[stem].append(_Leftover(path, suffix, parsed[1]))
        else:
            _remove(path, report)
    for name in sorted(by_model):
        try:
            _repair_model(root, name, by_model[name], limits, report)
        except OSError as exc:
            report.not_writable = f"{root}: {exc.strerror or exc}"
            logger.error("could not repair model %s in %s: %s", name, root, exc)
    if report.changed:
        atomic.fsync_dir(root)
    return report


def _repair_model(root: Path, name: str, leftovers: list[_Leftover], limits: StoreLimits, report: RepairReport) -> None:
    metadata, weights = root / f"{name}{METADATA_SUFFIX}", root / f"{name}{WEIGHTS_SUFFIX}"
    if any(item.role == atomic.TOMBSTONE_ROLE for item in leftovers) and not metadata.exists():
        weights.unlink(missing_ok=True)
        report.deletes_finished.append(name)
        logger.warning("finished the interrupted delete of model %s", name)
    elif not pair_verifies(metadata, weights, name, limits):
        json_temps = [item.path for item in leftovers if item.suffix == METADATA_SUFFIX and not item.role]
        weights_temps = [item.path for item in leftovers if item.suffix == WEIGHTS_SUFFIX]
        forward = next((temp for temp in json_temps if pair_verifies(temp, weights, name, limits)), None)
        back = None if forward else next((t for t in weights_temps if pair_verifies(metadata, t, name, limits)), None)
        if forward is not None:
            os.replace(forward, metadata)
            report.rolled_forward.append(name)
            logger.warning("model %s: completed an interrupted write (its new .json was complete)", name)
        elif back is not None:
            os.replace(back, weights)
            report.rolled_back.append(name)
            logger.warning("model %s: restored the weights an interrupted save had replaced", name)
        elif not metadata.exists() and weights.exists() and weights.stat().st_size == 0:
            weights.unlink()  # an empty claim of a create that never wrote into it
            report.deletes_finished.append(name)
    for item in leftovers:
        if item.path.exists() or item.path.is_symlink():
            _remove(item.path, report)
    if (metadata.exists() or weights.exists()) and not pair_verifies(metadata, weights, name, limits):
        report.unrepaired[name] = f"{name}: no complete copy of its weights and metadata was found"


def pair_verifies(metadata: Path, weights: Path, name: str, limits: StoreLimits) -> bool:
    """Whether `metadata` is a valid document whose weights_sha256 is the sha256 of `weights`."""
    try:
        raw = _read_at_most(metadata, limits.max_metadata_bytes)
        if raw is None:
            return False
        expected = meta.decode_document(raw, name, limits, metadata.name)["weights_sha256"]
        data = _read_at_most(weights, limits.max_file_bytes)
    except (OSError, StoreError):
        return False
    return data is not None and atomic.sha256_hex(data) == expected


def _read_at_most(path: Path, limit: int) -> bytes | None:
    if not path.is_file():
        raise FileNotFoundError(path)
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def _is_file_or_link(path: Path) -> bool:
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def _remove(path: Path, report: RepairReport) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        report.not_writable = f"{path.parent}: {exc.strerror or exc}"
        logger.error("could not remove the leftover %s: %s", path, exc)
        return
    report.temp_files_removed += 1
