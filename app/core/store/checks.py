"""Whether a stored model's weights can be trusted: the one check load() and list() share.

A weights file is trusted when its size and header pass the limits, its
sha256 is the one its .json records, its header agrees on the architecture
and every number in it is finite. load() runs the check on every read;
the listing runs it once per change of the files (WeightsChecks caches the
verdict by inode, size, modification time and recorded sha256), so listing a
folder of unchanged models reads no weights, yet a model whose weights fail
their checksum is never listed as healthy.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

from app.core.store import atomic, weights
from app.core.store.errors import CorruptModel, StoreError
from app.core.store.layout import METADATA_SUFFIX, WEIGHTS_SUFFIX
from app.core.store.limits import StoreLimits


def read_trusted(
    path: Path, name: str, document: dict, limits: StoreLimits, expected: dict | None
) -> dict[str, torch.Tensor]:
    """The tensors of model `name`, after every check; CorruptModel naming the file otherwise."""
    source = f"{name}{WEIGHTS_SUFFIX}"
    data, header = weights.read_weights_file(path, limits, expected, source)
    if atomic.sha256_hex(data) != document["weights_sha256"]:
        raise CorruptModel(
            f"{source}: sha256 does not match weights_sha256 in {name}{METADATA_SUFFIX} "
            "(the files are from different saves)"
        )
    architecture = header.metadata.get("architecture")
    if architecture is not None and architecture != document["config"]["architecture"]:
        raise CorruptModel(f"{source}: header says architecture {architecture!r}, metadata disagrees")
    tensors = weights.deserialize(data, source)
    weights.check_finite(tensors, source, CorruptModel)
    return tensors


class WeightsChecks:
    """The listing's verdicts on weights files, recomputed only when a file changes."""

    def __init__(self) -> None:
        self._verdicts: dict[str, tuple[tuple, str | None]] = {}
        self._guard = threading.Lock()

    def problem(self, path: Path, name: str, document: dict, limits: StoreLimits, expected: dict | None) -> str | None:
        """Why model `name`'s weights cannot be used, or None when they can."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return f"{name}{WEIGHTS_SUFFIX}: weights file is missing"
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns, document.get("weights_sha256"))
        with self._guard:
            known = self._verdicts.get(name)
        if known is not None and known[0] == key:
            return known[1]
        try:
            read_trusted(path, name, document, limits, expected)
            verdict = None
        except StoreError as exc:
            verdict = str(exc)
        with self._guard:
            self._verdicts[name] = (key, verdict)
        return verdict

    def keep_only(self, names: set[str]) -> None:
        """Forget models no longer stored, so the cache stays as small as the folder."""
        with self._guard:
            for name in set(self._verdicts) - names:
                del self._verdicts[name]
