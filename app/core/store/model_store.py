"""ModelStore: the models folder as safetensors weights plus JSON metadata.

    <root>/<name>.safetensors   the tensors, torch.nn names, float32
    <root>/<name>.json          metadata; carries weights_sha256 of the file above

Owns every read and write of those files: names checked before they touch a
path, limits checked before anything large is read or allocated, writes made
atomic (see atomic.py) and ordered weights-then-json so that a crash between
the two leaves a sha mismatch that load() and list() report instead of using the
wrong weights, and that repair() (run at start-up) rolls forward or back. A
per-name lock keeps a training job's save() and a delete() of the same model
from interleaving inside one process; the folder's lock (folder.py) keeps
repair() away from another process's writes. A folder that refuses writes
gives StoreNotWritable naming it; reads still work.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from app.core.store import atomic, folder, layout, weights
from app.core.store import document as meta
from app.core.store.checks import WeightsChecks, read_trusted
from app.core.store.encoding import Metadata, document_of, encode_model
from app.core.store.errors import (
    CorruptModel,
    InvalidModel,
    ModelExists,
    ModelNotFound,
    StoreError,
    StoreFull,
    StoreNotWritable,
)
from app.core.store.header import check_expected
from app.core.store.limits import StoreLimits, validate_name
from app.core.store.metadata import ModelMetadata
from app.core.store.repair import RepairReport, repair_folder

logger = logging.getLogger(__name__)

ExpectedShapes = Callable[[dict], dict[str, tuple[int, ...]]]
WEIGHTS_SUFFIX, METADATA_SUFFIX = layout.WEIGHTS_SUFFIX, layout.METADATA_SUFFIX
DEFAULT_LIMITS = StoreLimits()


@dataclass
class StoredModel:
    name: str
    metadata: ModelMetadata
    tensors: dict[str, torch.Tensor]  # float32, CPU


@dataclass
class ListingEntry:
    name: str
    metadata: ModelMetadata | None  # None when the .json cannot be read
    error: str | None  # why the model cannot be used; None for a healthy entry


class ModelStore:
    """All models under one folder; safe to share between threads."""

    validate_name = staticmethod(validate_name)

    def __init__(
        self, root: str | Path, limits: StoreLimits = DEFAULT_LIMITS, expected_shapes: ExpectedShapes | None = None
    ) -> None:
        self.root = Path(root)
        # Why the last write failed, or None: what /api/health reports (repair() and check_writable() set it).
        self.write_problem: str | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise  # a file in the folder's place is a setting to fix, not a store to serve
        except OSError as exc:  # a folder that cannot be made: an empty store that refuses writes
            self.write_problem = str(folder.not_writable(self.root, exc))
            logger.error("%s", self.write_problem)
        self.limits = limits
        self._checks = WeightsChecks()
        self._expected_shapes = expected_shapes
        # Weak values: a name's lock lives only while someone holds or waits on it.
        self._locks: weakref.WeakValueDictionary[str, threading.RLock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()
        # Serialises count-then-create so two creates cannot both take the last slot.
        self._create_lock = threading.Lock()

    # ----- reading -------------------------------------------------------------

    def list(self) -> list[ListingEntry]:
        """Every model, sorted by name; a broken one (damaged, weights failing their checksum or
        not finite) is an entry with its error. A model deleted meanwhile is left out."""
        entries = []
        names = self._names()
        for name in sorted(names):
            with self._lock(name):  # never half of a save or delete of this process
                entry = self._listing_entry(name)
            if entry is not None:
                entries.append(entry)
        self._checks.keep_only(names)
        return entries

    def _listing_entry(self, name: str) -> ListingEntry | None:
        try:
            document = self._read_document(name)
        except ModelNotFound:
            return None
        except StoreError as exc:
            logger.warning("model %s is unusable: %s", name, exc)
            return ListingEntry(name, None, str(exc))
        try:
            expected = self._expected_for(document["config"], f"{name}{METADATA_SUFFIX}", CorruptModel)
        except CorruptModel as exc:
            return ListingEntry(name, ModelMetadata.from_document(document), str(exc))
        problem = self._checks.problem(self._weights(name), name, document, self.limits, expected)
        if problem is not None and not self._metadata(name).exists():
            return None  # deleted by another process while we looked
        return ListingEntry(name, ModelMetadata.from_document(document), problem)

    def exists(self, name: str) -> bool:
        validate_name(name)
        return self._metadata(name).exists() or self._weights(name).exists()

    def load_metadata(self, name: str) -> ModelMetadata:
        validate_name(name)
        with self._lock(name):
            return ModelMetadata.from_document(self._read_document(name))

    def load(self, name: str) -> StoredModel:
        """Metadata and float32 tensors, after sha256, header, shape, dtype and finiteness checks."""
        validate_name(name)
        with self._lock(name):
            document = self._read_document(name)
            expected = self._expected_for(document["config"], f"{name}{METADATA_SUFFIX}", CorruptModel)
            tensors = read_trusted(self._weights(name), name, document, self.limits, expected)
        return StoredModel(name, ModelMetadata.from_document(document), tensors)

    def weights_path(self, name: str) -> Path:
        """The .safetensors file, for a download."""
        validate_name(name)
        path = self._weights(name)
        if not path.exists():
            raise ModelNotFound(f"no model named {name!r}")
        return path

    # ----- writing -------------------------------------------------------------
    # Each write returns the metadata it stored, so a caller never reads it back
    # (a delete landing between the write and the read would turn a success into a 404).

    def create(self, name: str, metadata: Metadata, tensors: dict[str, torch.Tensor]) -> ModelMetadata:
        """Store a new model; ModelExists if the name is taken, even by a concurrent create."""
        return self.put(name, metadata, tensors, overwrite=False)

    def save(self, name: str, metadata: Metadata, tensors: dict[str, torch.Tensor]) -> ModelMetadata:
        """Overwrite an existing model (after training); ModelNotFound if it was deleted meanwhile."""
        validate_name(name)
        with self._lock(name), self._writing():
            if not self.exists(name):
                raise ModelNotFound(f"no model named {name!r}")
            weights_bytes, document_bytes = self._encode(name, metadata, tensors, self._created_at(name))
            atomic.replace_pair(self._weights(name), weights_bytes, self._metadata(name), document_bytes)
        logger.info("saved model %s", name)
        return self._stored(name, document_bytes)

    def put(self, name: str, metadata: Metadata, tensors: dict[str, torch.Tensor], overwrite: bool) -> ModelMetadata:
        """Create model `name`, or with overwrite=True replace it if it exists: decided under the
        name's lock, so a create, save or delete racing this one cannot make the answer untrue
        (and with overwrite=True, not even one of another process: the exclusive claim decides)."""
        validate_name(name)
        weights_bytes, document_bytes = self._encode(name, metadata, tensors, created_at=None)
        with self._create_lock, self._lock(name), self._writing():
            if self.exists(name):
                if not overwrite:
                    raise ModelExists(f"a model named {name!r} already exists")
                try:
                    return self.save(name, metadata, tensors)
                except ModelNotFound:
                    pass  # deleted by another process a moment ago: create it instead
            # Another process may still race past this count; the limit is a guard, not an invariant.
            if len(self._names()) >= self.limits.max_models:
                raise StoreFull(f"the model store is full ({self.limits.max_models} models); delete a model first")
            try:
                atomic.publish_new_pair(self._weights(name), weights_bytes, self._metadata(name), document_bytes)
            except FileExistsError:
                if not overwrite:
                    raise ModelExists(f"a model named {name!r} already exists") from None
                return self.save(name, metadata, tensors)  # created by another process meanwhile: replace it
        logger.info("created model %s", name)
        return self._stored(name, document_bytes)

    def update_metadata(self, name: str, metadata: dict) -> None:
        """Rewrite the .json only: top-level keys given replace the stored ones.

        The config cannot change here because the weights would no longer fit it.
        """
        validate_name(name)
        if not isinstance(metadata, dict):
            raise InvalidModel("metadata must be a dict")
        with self._lock(name), self._writing():
            stored = self._read_document(name)
            if "config" in metadata and metadata["config"] != stored["config"]:
                raise InvalidModel("update_metadata cannot change the config; save new weights instead")
            document = meta.build_document(
                name,
                {**stored, **metadata},
                created_at=stored.get("created_at"),
                parameter_count=stored.get("parameter_count"),
                weights_sha256=stored["weights_sha256"],
                limits=self.limits,
            )
            atomic.atomic_write(self._metadata(name), meta.encode_document(document, self.limits))

    def delete(self, name: str) -> None:
        """Remove both files; works on a corrupt model too, so it can be cleaned up."""
        validate_name(name)
        with self._lock(name), self._writing():
            if not self.exists(name):
                raise ModelNotFound(f"no model named {name!r}")
            atomic.remove_pair(self._weights(name), self._metadata(name))
        logger.info("deleted model %s", name)

    def import_checkpoint(
        self, name: str, data: bytes, metadata: Metadata | None = None, overwrite: bool = False
    ) -> ModelMetadata:
        """Create a model from an uploaded .safetensors, checked header-first; never unpickles.

        With overwrite=True a model of that name is replaced rather than refused."""
        validate_name(name)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidModel("a checkpoint must be bytes")
        data = bytes(data)
        source = "uploaded checkpoint"
        header = weights.parse_bytes_header(data, self.limits, source)
        given = document_of(metadata) if metadata is not None else meta.metadata_from_header(header.metadata, source)
        given = meta.to_strict_json(given, "metadata")
        if not isinstance(given, dict):
            raise InvalidModel("metadata must be a dict")
        meta.check_document(given, self.limits, "metadata", InvalidModel)
        expected = self._expected_for(given["config"], "metadata", InvalidModel)
        if expected is not None:
            check_expected(weights.shapes_of_header(header), expected, source)
        if not overwrite and self.exists(name):  # cheap early answer; put() decides for real
            raise ModelExists(f"a model named {name!r} already exists")
        return self.put(name, given, weights.deserialize(data, source), overwrite=overwrite)

    # ----- the folder ------------------------------------------------------------

    def repair(self) -> RepairReport:
        """Finish or undo what a crash interrupted, remove leftover temp files (repair.py), and
        report every model that is still unusable; run at start-up by the server and the CLI."""
        with folder.exclusive(self.root):
            report = repair_folder(self.root, self.limits)
        for entry in self.list():  # also fills the listing's cache of verified weights
            if entry.error is not None:
                report.unrepaired.setdefault(entry.name, entry.error)
                logger.error("model %s cannot be used: %s", entry.name, entry.error)
        try:
            self.check_writable()
        except StoreNotWritable as exc:
            report.not_writable = str(exc)
            logger.error("%s", exc)
        return report

    def check_writable(self) -> None:
        """StoreNotWritable, naming the folder, if it refuses a new file now; clears write_problem if not."""
        try:
            folder.check_writable(self.root)
        except StoreNotWritable as exc:
            self.write_problem = str(exc)
            raise
        self.write_problem = None

    # ----- internals -----------------------------------------------------------

    def _metadata(self, name: str) -> Path:
        return layout.metadata_path(self.root, name)

    def _weights(self, name: str) -> Path:
        return layout.weights_path(self.root, name)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The folder's shared lock; a refused write becomes StoreNotWritable and is remembered."""
        try:
            with folder.writing(self.root):
                yield
        except StoreNotWritable as exc:
            self.write_problem = str(exc)
            raise

    def _stored(self, name: str, document_bytes: bytes) -> ModelMetadata:
        """The metadata just written, parsed as a later read would parse it."""
        return ModelMetadata.from_document(
            meta.decode_document(document_bytes, name, self.limits, f"{name}{METADATA_SUFFIX}")
        )

    def _lock(self, name: str) -> threading.RLock:
        with self._locks_guard:
            lock = self._locks.get(name)
            if lock is None:
                lock = threading.RLock()
                self._locks[name] = lock
            return lock

    def _names(self) -> set[str]:
        return layout.model_names(self.root)

    def _read_document(self, name: str) -> dict:
        return layout.read_document(self.root, name, self.limits)

    def _created_at(self, name: str) -> str | None:
        """The stored creation time, kept across saves; None if the .json is damaged."""
        try:
            return self._read_document(name).get("created_at")
        except StoreError:
            return None

    def _expected_for(self, config: dict, source: str, error: type[StoreError]) -> dict | None:
        if self._expected_shapes is None:
            return None
        try:
            expected = self._expected_shapes(config)
            return {tensor: tuple(int(size) for size in shape) for tensor, shape in expected.items()}
        except Exception as exc:  # an unknown architecture or option: the config is at fault
            raise error(f"{source}: config not understood ({type(exc).__name__}: {exc})") from None

    def _encode(self, name: str, metadata: Metadata, tensors: dict, created_at: str | None) -> tuple[bytes, bytes]:
        return encode_model(name, document_of(metadata), tensors, created_at, self.limits, self._expected_for)
