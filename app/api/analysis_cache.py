"""AnalysisCache: the analysis routes' recent results, so a second look does not compute again.

A state cloud of 2,000 sequences takes seconds to collect, and a k search over a model whose
machine never holds tries every k to 64 (7 s for an untrained LSTM on the loaded 2-core VM).
The page asks again with only the `text` changed (the current trace), or for another unit of
the same cloud: both are answered from here. Entries are keyed by everything that decides
them, the model's folder, name and weights_sha256 included, so a retrained or replaced model
is computed afresh (its old entries age out) and two workspaces' models of one name never mix.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from starlette.requests import HTTPConnection

from app.api.deps import per_app
from app.core.analysis import StateCloud

Value = TypeVar("Value")

# An LSTM with H = 512 over 2,000 Reber sequences holds ~300 MB of states: such a cloud is not kept.
DEFAULT_MAX_BYTES = 256 * 2**20


class AnalysisCache:
    """A thread-safe LRU of computed results, within a byte budget."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: tuple, compute: Callable[[], Value], size_of: Callable[[Value], int]) -> Value:
        """The value kept for `key`, else compute() (outside the lock: it may take seconds), kept
        when size_of(value) fits the budget, the least recently used entries leaving for it."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][1]  # type: ignore[return-value]
        value = compute()
        size = size_of(value)
        with self._lock:
            if size <= self.max_bytes:
                self._entries[key] = (size, value)
                while sum(entry[0] for entry in self._entries.values()) > self.max_bytes:
                    self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


def cloud_bytes(cloud: StateCloud) -> int:
    tensors = [cloud.hidden, cloud.cell, cloud.output, cloud.step, cloud.sequence, *cloud.gates.values()]
    return sum(t.numel() * t.element_size() for t in tensors if t is not None)


def analysis_cache(connection: HTTPConnection) -> AnalysisCache:
    """One AnalysisCache per application, made on first use."""
    return per_app(connection, "analysis_cache", AnalysisCache)
