"""Reading and checking a .safetensors header without touching tensor data.

A .safetensors file is

    +----------------+------------------------+---------------------------+
    | 8 bytes: N     | N bytes: JSON header   | tensor data (raw bytes)   |
    | little-endian  | {"__metadata__": {..}, | tensors back to back, at  |
    | unsigned int   |  name: {dtype, shape,  | data_offsets relative to  |
    |                |  data_offsets}, ...}   | the start of this block   |
    +----------------+------------------------+---------------------------+

Everything here works on the header alone: the declared length is checked
against the real size and a maximum before the JSON is read, and dtypes,
shapes, offsets and names are checked before a single tensor is allocated.
Uploads are hostile until proven otherwise, so nothing here trusts a number
it has not bounded.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from app.core.store.errors import CorruptModel, LimitExceeded
from app.core.store.limits import StoreLimits

HEADER_LENGTH_BYTES = 8

# The only dtypes stored: everything is converted to float32 on load.
DTYPE_BYTES = {"F32": 4, "F64": 8}

# torch.nn style names ("rnn.weight_ih_l0"); anything else is not one of ours.
TENSOR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.]{0,127}$")

# Elman/LSTM/GRU weights are 2-D, biases 1-D, the second-order W is (H, H, I).
MAX_NDIM = 3


@dataclass(frozen=True)
class TensorSpec:
    """One tensor as the header declares it."""

    dtype: str
    shape: tuple[int, ...]
    begin: int  # byte offset into the data block
    end: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True)
class Header:
    """A parsed header: its metadata strings and its tensors by name."""

    length: int  # N, the JSON header's byte length
    metadata: dict[str, str]
    tensors: dict[str, TensorSpec]

    @property
    def data_start(self) -> int:
        return HEADER_LENGTH_BYTES + self.length


def header_length(prefix: bytes, file_size: int, limits: StoreLimits, source: str) -> int:
    """Decode N from the first 8 bytes and check it fits both the file and the limit."""
    if len(prefix) < HEADER_LENGTH_BYTES:
        raise CorruptModel(f"{source}: {file_size} bytes is too short for a safetensors file")
    length = int.from_bytes(prefix[:HEADER_LENGTH_BYTES], "little")
    if length < 2 or length > limits.max_header_bytes:
        # A pickle or a zip (torch.save) read as a length lands here: it decodes
        # to an absurd number, so nothing after it is ever interpreted.
        raise CorruptModel(
            f"{source}: declared header length {length} is not sane "
            f"(at most {limits.max_header_bytes} bytes); not a safetensors file"
        )
    if HEADER_LENGTH_BYTES + length > file_size:
        raise CorruptModel(f"{source}: truncated: header of {length} bytes but the file has {file_size}")
    return length


def parse_header(raw: bytes, file_size: int, limits: StoreLimits, source: str) -> Header:
    """Parse and check the JSON header; `file_size` is the whole file's length."""
    document = _decode_json(raw, source)
    metadata = _parse_metadata(document.pop("__metadata__", {}), source)
    if len(document) > limits.max_tensors:
        raise LimitExceeded(f"{source}: {len(document)} tensors, at most {limits.max_tensors} allowed")
    tensors = {name: _parse_entry(name, entry, limits, source) for name, entry in document.items()}
    header = Header(length=len(raw), metadata=metadata, tensors=tensors)
    _check_layout(header, file_size - header.data_start, source)
    return header


def check_expected(
    header_shapes: dict[str, tuple[int, ...]],
    expected: dict[str, tuple[int, ...]],
    source: str,
    error: type[Exception] = CorruptModel,
) -> None:
    """Require exactly the expected tensor names with exactly the expected shapes."""
    expected = {name: tuple(shape) for name, shape in expected.items()}
    problems = []
    missing = sorted(set(expected) - set(header_shapes))
    unexpected = sorted(set(header_shapes) - set(expected))
    if missing:
        problems.append(f"missing {missing[:8]}")
    if unexpected:
        problems.append(f"unexpected {unexpected[:8]}")
    for name in sorted(set(expected) & set(header_shapes)):
        if tuple(header_shapes[name]) != expected[name]:
            problems.append(f"{name} has shape {list(header_shapes[name])}, expected {list(expected[name])}")
    if problems:
        raise error(f"{source}: tensors do not match the architecture: " + "; ".join(problems[:8]))


def check_shape(
    name: str, shape: object, itemsize: int, limits: StoreLimits, source: str, error: type[Exception]
) -> None:
    """A shape is 1 to 3 positive ints, no axis longer than any config allows,
    and the tensor no bigger than a whole file may be."""
    if not _is_int_list(shape) or not 1 <= len(shape) <= MAX_NDIM or min(shape) < 1:
        raise error(f"{source}: tensor {name} has an invalid shape {str(shape)[:60]}")
    if max(shape) > limits.max_dimension:
        raise LimitExceeded(
            f"{source}: tensor {name} has shape {shape}; no dimension may exceed {limits.max_dimension}"
        )
    nbytes = math.prod(shape) * itemsize
    if nbytes > limits.max_file_bytes:
        raise LimitExceeded(f"{source}: tensor {name} would take {nbytes} bytes, over {limits.max_file_bytes}")


def _decode_json(raw: bytes, source: str) -> dict:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptModel(f"{source}: header is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise CorruptModel(f"{source}: header is not a JSON object")
    return document


def _parse_metadata(metadata: object, source: str) -> dict[str, str]:
    # The format says str -> str; anything else is not a file safetensors wrote.
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise CorruptModel(f"{source}: header __metadata__ must map strings to strings")
    return metadata


def _parse_entry(name: str, entry: object, limits: StoreLimits, source: str) -> TensorSpec:
    if not TENSOR_NAME.fullmatch(name):
        raise CorruptModel(f"{source}: tensor name {name[:60]!r} is not a torch.nn parameter name")
    if not isinstance(entry, dict):
        raise CorruptModel(f"{source}: tensor {name} is not described by an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:  # a list is unhashable
        raise CorruptModel(f"{source}: tensor {name} has dtype {str(dtype)[:16]!r}; only F32 and F64 are accepted")
    check_shape(name, shape, DTYPE_BYTES[dtype], limits, source, CorruptModel)
    if not _is_int_list(offsets) or len(offsets) != 2:
        raise CorruptModel(f"{source}: tensor {name} has invalid data_offsets {str(offsets)[:60]}")
    return TensorSpec(dtype=dtype, shape=tuple(shape), begin=offsets[0], end=offsets[1])


def _check_layout(header: Header, data_bytes: int, source: str) -> None:
    """Tensors must tile the data block exactly: no gaps, overlaps or overrun."""
    position = 0
    for name, spec in sorted(header.tensors.items(), key=lambda item: item[1].begin):
        if spec.begin != position or spec.end - spec.begin != spec.nbytes:
            raise CorruptModel(f"{source}: tensor {name} has data_offsets inconsistent with its dtype and shape")
        position = spec.end
    if position != data_bytes:
        raise CorruptModel(
            f"{source}: truncated or padded: tensors need {position} data bytes, the file has {data_bytes}"
        )


def _is_int_list(value: object) -> bool:
    # bool is an int subclass; true/false are not sizes.
    return isinstance(value, list) and all(type(item) is int for item in value)
