"""Tensors in and out of .safetensors bytes, for the model store.

Owns turning a caller's tensors into the stored form (float32, CPU, own
memory), serialising them with the self-describing header, and reading a
weights file header-first so that nothing declared by a file is allocated
before it has been checked. Loading never unpickles: safetensors is a plain
header plus raw numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors import torch as safetensors_torch

from app.core.store.errors import CorruptModel, InvalidModel, LimitExceeded
from app.core.store.header import (
    HEADER_LENGTH_BYTES,
    TENSOR_NAME,
    Header,
    check_expected,
    check_shape,
    header_length,
    parse_header,
)
from app.core.store.limits import StoreLimits

ACCEPTED_DTYPES = (torch.float32, torch.float64)


def prepare_tensors(tensors: object, limits: StoreLimits) -> dict[str, torch.Tensor]:
    """Check a caller's tensors and return float32 CPU copies that own their memory."""
    if not isinstance(tensors, dict) or not tensors:
        raise InvalidModel("tensors must be a non-empty dict of name -> torch.Tensor")
    if len(tensors) > limits.max_tensors:
        raise LimitExceeded(f"{len(tensors)} tensors, at most {limits.max_tensors} allowed")
    prepared = {}
    for name, tensor in tensors.items():
        if not isinstance(name, str) or not TENSOR_NAME.fullmatch(name):
            raise InvalidModel(f"tensor name {str(name)[:60]!r} is not a torch.nn parameter name")
        if not isinstance(tensor, torch.Tensor) or tensor.dtype not in ACCEPTED_DTYPES:
            kind = tensor.dtype if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise InvalidModel(f"tensor {name} is {kind}; only float32/float64 tensors are stored")
        check_shape(name, list(tensor.shape), 4, limits, "tensors", InvalidModel)
        # clone(): safetensors refuses tensors sharing storage (views of one buffer).
        prepared[name] = tensor.detach().to(device="cpu", dtype=torch.float32).contiguous().clone()
    check_finite(prepared, "", InvalidModel)
    return prepared


def check_finite(tensors: dict[str, torch.Tensor], source: str, error: type[Exception]) -> None:
    """Refuse NaN and infinities, naming the tensor: such weights make every trace meaningless."""
    for name, tensor in tensors.items():
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            where = f"{source}: " if source else ""
            raise error(
                f"{where}tensor {name} holds {bad} non-finite value{'s' if bad > 1 else ''} (NaN or infinity); "
                "only finite weights can be stored"
            )


def shapes_of(tensors: dict[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(tensor.shape) for name, tensor in tensors.items()}


def parameter_count(tensors: dict[str, torch.Tensor]) -> int:
    return sum(tensor.numel() for tensor in tensors.values())


def serialize(tensors: dict[str, torch.Tensor], header_strings: dict[str, str]) -> bytes:
    # Looked up on the module at call time (tests replace it to simulate a failure).
    return _canonical_header(safetensors_torch.save(tensors, metadata=header_strings))


def _canonical_header(data: bytes) -> bytes:
    """The same file with its JSON header's keys sorted.

    safetensors writes __metadata__ in hash-map order, which differs from one save
    to the next; sorted, the same tensors always give the same bytes, and so the
    same weights_sha256 (a test holds the CLI, the API and the demo script to it).
    """
    length = int.from_bytes(data[:HEADER_LENGTH_BYTES], "little")
    header = json.loads(data[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + length])
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data stays 8-byte aligned, as safetensors pads it
    return len(encoded).to_bytes(HEADER_LENGTH_BYTES, "little") + encoded + data[HEADER_LENGTH_BYTES + length :]


def parse_bytes_header(data: bytes, limits: StoreLimits, source: str) -> Header:
    """Header of an in-memory checkpoint (an upload), size-bounded before JSON parsing."""
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(f"{source}: {len(data)} bytes exceeds the limit of {limits.max_file_bytes}")
    length = header_length(data[:HEADER_LENGTH_BYTES], len(data), limits, source)
    raw = data[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + length]
    return parse_header(raw, len(data), limits, source)


def read_weights_file(
    path: Path, limits: StoreLimits, expected: dict[str, tuple[int, ...]] | None, source: str
) -> tuple[bytes, Header]:
    """Read a weights file: size limit, then header checks, and only then the tensor data."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_file_bytes:
                raise LimitExceeded(f"{source}: {size} bytes exceeds the limit of {limits.max_file_bytes}")
            prefix = handle.read(HEADER_LENGTH_BYTES)
            raw = handle.read(header_length(prefix, size, limits, source))
            header = parse_header(raw, size, limits, source)
            if expected is not None:
                check_expected(shapes_of_header(header), expected, source)
            # +1: a file that grew since fstat is noticed below rather than cut short.
            body = handle.read(size - header.data_start + 1)
    except FileNotFoundError:
        raise CorruptModel(f"{source}: weights file is missing") from None
    except OSError as exc:
        raise CorruptModel(f"{source}: unreadable ({exc.strerror or exc})") from None
    data = prefix + raw + body
    if len(data) != size:
        raise CorruptModel(f"{source}: changed size while being read")
    return data, header


def shapes_of_header(header: Header) -> dict[str, tuple[int, ...]]:
    return {name: spec.shape for name, spec in header.tensors.items()}


def deserialize(data: bytes, source: str) -> dict[str, torch.Tensor]:
    """Tensors from bytes whose header was already checked; float64 becomes float32."""
    try:
        tensors = safetensors_torch.load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CorruptModel(f"{source}: safetensors could not decode it ({exc})") from None
    return {name: tensor.to(torch.float32) for name, tensor in tensors.items()}
