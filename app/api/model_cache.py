"""ModelCache: recently used models kept loaded, so a trace does not re-read weights.

Entries are keyed by the model's folder and name (in classroom mode two
workspaces may each hold a model called "mine") and stamped with the
weights_sha256 of the file they were loaded from. Every lookup reads the model's small JSON metadata (which it
needs anyway for total_steps) and compares the digest, so a save by a training
job, an overwrite by an import or a delete-and-recreate invalidates the entry
without anyone having to remember to. Models live on the CPU: a trace is one
short sequence stepped in a Python loop, where kernel-launch latency would
make a GPU slower, not faster.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from app.core.models import LoadedModel, load_model
from app.core.store import CorruptModel, ModelStore, StoreError

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 16
TRACE_DEVICE = "cpu"


class ModelCache:
    """A thread-safe LRU of LoadedModel by (folder, name), valid while the weights' sha256 is unchanged."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[Path, str], tuple[str, LoadedModel]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: ModelStore, name: str) -> LoadedModel:
        """The model as stored now, with fresh metadata; ModelNotFound / CorruptModel from the store."""
        metadata = store.load_metadata(name)
        digest = metadata.weights_sha256
        key = (store.weights_path(name).parent, name)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == digest:
                self._entries.move_to_end(key)
                # Share the module (read-only in a trace); hand out the newest metadata,
                # which a metadata-only update may have changed without touching the weights.
                return replace(entry[1], metadata=metadata)
        # Loading happens outside the lock so one slow load never blocks other models.
        # Two requests may load the same model at once; both results are correct.
        loaded = _load(store, name)
        with self._lock:
            self._entries[key] = (loaded.metadata.weights_sha256, loaded)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                evicted, _ = self._entries.popitem(last=False)
                log.debug("model cache: evicted %s", evicted)
        return loaded

    def invalidate(self, name: str) -> None:
        """Forget `name` in every folder: a write's caller need not say which (the digest
        check would catch a stale entry anyway; this only frees its memory early)."""
        with self._lock:
            for key in [key for key in self._entries if key[1] == name]:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _load(store: ModelStore, name: str) -> LoadedModel:
    try:
        loaded = load_model(store, name, TRACE_DEVICE)
    except StoreError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        # The files passed the store's checks but do not describe a model this
        # server can build (an unknown task, a config that does not fit it):
        # that is a damaged model, not a server fault.
        raise CorruptModel(f"model {name!r} cannot be rebuilt from its files ({type(exc).__name__}: {exc})") from None
    config, task = loaded.model.config, loaded.task
    if (config.input_size, config.output_size) != (task.input_size, task.output_size):
        raise CorruptModel(
            f"model {name!r} does not fit its task {task.id!r}: the config has input/output sizes "
            f"{(config.input_size, config.output_size)}, the task needs {(task.input_size, task.output_size)}"
        )
    loaded.model.eval()
    log.debug("model cache: loaded %s", name)
    return loaded
