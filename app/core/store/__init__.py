"""The model store: safetensors weights + JSON metadata per model, atomic writes.

    from app.core.store import ModelStore, StoreLimits
    store = ModelStore("models", expected_shapes=registry_shapes)
    store.create("reber-lstm", metadata, tensors)

Modules: model_store (the ModelStore API), limits (names, StoreLimits),
errors, metadata (ModelMetadata, the typed document), document (the JSON
layout, its checks, history thinning), header (safetensors header checks),
weights (tensors <-> bytes), encoding (a model as the bytes of its two files),
atomic (crash-safe file ops), layout (where the
files are), checks (when weights are trusted), repair (after a crash), folder
(the cross-process lock, a folder that refuses writes).
Pure stdlib + torch + safetensors: no web framework is imported here.
"""

from app.core.store.document import FORMAT_VERSION, thin_history
from app.core.store.errors import (
    CorruptModel,
    InvalidModel,
    InvalidName,
    LimitExceeded,
    ModelExists,
    ModelNotFound,
    StoreError,
    StoreNotWritable,
)
from app.core.store.limits import NAME_PATTERN, StoreLimits, validate_name
from app.core.store.metadata import HistoryPoint, LastTraining, ModelMetadata, Speed, TaskSpec, Warmup
from app.core.store.model_store import ListingEntry, ModelStore, StoredModel
from app.core.store.repair import RepairReport

__all__ = [
    "FORMAT_VERSION",
    "NAME_PATTERN",
    "CorruptModel",
    "HistoryPoint",
    "InvalidModel",
    "InvalidName",
    "LastTraining",
    "LimitExceeded",
    "ListingEntry",
    "ModelExists",
    "ModelMetadata",
    "ModelNotFound",
    "ModelStore",
    "RepairReport",
    "StoreError",
    "StoreNotWritable",
    "StoreLimits",
    "Speed",
    "StoredModel",
    "TaskSpec",
    "Warmup",
    "thin_history",
    "validate_name",
]
