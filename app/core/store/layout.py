"""Where a model's files are in the models folder, which names are models, and reading a .json.

The folder holds, per model:

    <root>/<name>.safetensors   the weights
    <root>/<name>.json          the metadata document (document.py)
    <root>/.<file>.<hex>[.bak|.deleted].tmp   a write in progress or its leftover (atomic.py)
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.store import atomic
from app.core.store import document as meta
from app.core.store.errors import CorruptModel, LimitExceeded, ModelNotFound
from app.core.store.limits import NAME_PATTERN, StoreLimits

WEIGHTS_SUFFIX = ".safetensors"
METADATA_SUFFIX = ".json"


def metadata_path(root: Path, name: str) -> Path:
    return root / f"{name}{METADATA_SUFFIX}"


def weights_path(root: Path, name: str) -> Path:
    return root / f"{name}{WEIGHTS_SUFFIX}"


def model_names(root: Path) -> set[str]:
    """Model names on disk: stems of .json or .safetensors files that are legal names."""
    try:
        paths = list(root.iterdir())
    except FileNotFoundError:
        return set()
    return {
        path.stem
        for path in paths
        if path.suffix in (METADATA_SUFFIX, WEIGHTS_SUFFIX)
        and not atomic.is_temp_file(path)
        and NAME_PATTERN.fullmatch(path.stem)
    }


def read_document(root: Path, name: str, limits: StoreLimits) -> dict:
    """Model `name`'s metadata, size-bounded and checked; ModelNotFound when neither file exists,
    CorruptModel naming the file when the .json is missing beside weights or unreadable."""
    path = metadata_path(root, name)
    source = path.name
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_metadata_bytes:
                raise LimitExceeded(f"{source}: {size} bytes exceeds {limits.max_metadata_bytes}")
            raw = handle.read(limits.max_metadata_bytes + 1)
    except FileNotFoundError:
        if weights_path(root, name).exists():
            raise CorruptModel(f"{source}: metadata file is missing") from None
        raise ModelNotFound(f"no model named {name!r}") from None
    except OSError as exc:
        raise CorruptModel(f"{source}: unreadable ({exc.strerror or exc})") from None
    return meta.decode_document(raw, name, limits, source)
