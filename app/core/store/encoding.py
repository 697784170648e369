"""A model's two files as bytes, from a caller's metadata and tensors: everything checked,
nothing written (the store then publishes them with atomic.py).

The weights are float32 and finite, within the limits and of the shapes the
config's architecture expects; the .json is the full document (document.py)
carrying the weights' sha256.
"""

from __future__ import annotations

from collections.abc import Callable

from app.core.store import atomic, weights
from app.core.store import document as meta
from app.core.store.errors import InvalidModel, LimitExceeded
from app.core.store.header import check_expected
from app.core.store.limits import StoreLimits
from app.core.store.metadata import ModelMetadata

# What create/save/import take: the typed metadata, or a document dict from outside
# (an upload, a test), which is checked field by field like anything untrusted.
Metadata = ModelMetadata | dict

# (config, source, error class) -> the tensor shapes the config needs, or None when unknown.
ExpectedFor = Callable[[dict, str, type], dict | None]


def document_of(metadata: Metadata) -> object:
    return metadata.to_document() if isinstance(metadata, ModelMetadata) else metadata


def encode_model(
    name: str, given: object, tensors: dict, created_at: str | None, limits: StoreLimits, expected_for: ExpectedFor
) -> tuple[bytes, bytes]:
    """(weights bytes, json bytes) for model `name`; InvalidModel or LimitExceeded saying what is wrong."""
    prepared = weights.prepare_tensors(tensors, limits)
    document = meta.build_document(
        name,
        given,
        created_at=created_at,
        parameter_count=weights.parameter_count(prepared),
        weights_sha256="",
        limits=limits,
    )
    expected = expected_for(document["config"], "metadata", InvalidModel)
    if expected is not None:
        check_expected(weights.shapes_of(prepared), expected, "tensors", InvalidModel)
    weights_bytes = weights.serialize(prepared, meta.header_metadata(document))
    if len(weights_bytes) > limits.max_file_bytes:
        raise LimitExceeded(f"weights of {len(weights_bytes)} bytes exceed {limits.max_file_bytes}")
    document["weights_sha256"] = atomic.sha256_hex(weights_bytes)
    return weights_bytes, meta.encode_document(document, limits)
