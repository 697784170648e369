"""The model store: safetensors weights + JSON metadata per model, atomic writes.

    from app.core.store import ModelStore, StoreLimits
    store = ModelStore("models", expected_shapes=registry_shapes)
    store.create("reber-lstm", metadata, tensors)

Modules: model_store (the ModelStore API), limits (names, StoreLimits),
errors, metadata (the JSON document, history thinning), header (safetensors
header checks), weights (tensors <-> bytes), atomic (crash-safe file ops).
Pure stdlib + torch + safetensors: no web framework is imported here.
"""

from app.core.store.errors import (
    CorruptModel,
    InvalidModel,
    InvalidName,
    LimitExceeded,
    ModelExists,
    ModelNotFound,
    StoreError,
)
from app.core.store.limits import NAME_PATTERN, StoreLimits, validate_name
from app.core.store.metadata import FORMAT_VERSION, thin_history
from app.core.store.model_store import ListingEntry, ModelStore, StoredModel

__all__ = [
    "FORMAT_VERSION",
    "NAME_PATTERN",
    "CorruptModel",
    "InvalidModel",
    "InvalidName",
    "LimitExceeded",
    "ListingEntry",
    "ModelExists",
    "ModelNotFound",
    "ModelStore",
    "StoreError",
    "StoreLimits",
    "StoredModel",
    "thin_history",
    "validate_name",
]
