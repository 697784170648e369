"""The one numpy-aware encoder of each wire format, for HTTP responses and job events alike.

JSON (the default): traces and weights carry 10^4 to 10^6 numbers; orjson writes
float32 arrays natively, and NaN and infinities as null (which the standard json
module would write as invalid JSON). Every JSON body or event built from numpy
goes through to_json_bytes, so an array is written the same way wherever it is sent.

msgpack (opt-in, `Accept: application/msgpack`): the same document, each numpy
array written as the map {"dtype": "<f4", "shape": [T, H], "data": <bytes>}, the
little-endian values row-major (docs/api.md, "Binary traces"). Floats stay float32
(about a third of JSON's bytes, nothing to parse), NaN and infinities stay what
they are, and the document's `nonfinite` still names the fields that hold any.
With shuffle (`?shuffle=true`) each array's data is byte-shuffled, as HDF5's and blosc's
shuffle filter does: the first byte of every value, then the second byte of every value,
and so on, and the map says so with a fourth key, "shuffle": true. The values are the same
float32 bits; only their order in `data` changes. It is for compression: the high bytes
(sign and exponent) of neighbouring values are alike and compress to almost nothing, where
whole values interleaved compress poorly (zstd makes a 500-step trace 0.30 of its JSON
bytes, 0.24 shuffled; docs/benchmarks.md).

numpy_response also compresses the body as the request's Accept-Encoding allows
(app/api/compression.py), so every encoding goes out as small as the client can take.
"""

from __future__ import annotations

import msgpack
import numpy as np
import orjson
from fastapi import Response

from app.api.compression import encode_body

MSGPACK = "application/msgpack"
JSON = "application/json"
# A binary array's dtype: floats as little-endian float32, whole numbers (class indices)
# as little-endian int32, the two typed arrays every browser has.
FLOAT32, INT32 = "<f4", "<i4"
INT32_RANGE = (-(2**31), 2**31 - 1)
# Caches and the browser keep one response per representation: the body depends on both.
VARY = "Accept, Accept-Encoding"


def to_json_bytes(document: object) -> bytes:
    """document as JSON, numpy arrays and scalars included; NaN and infinities come out as null."""
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY, default=_numpy_fallback)


def numpy_json_response(document: dict) -> Response:
    return Response(to_json_bytes(document), media_type=JSON)


def to_msgpack_bytes(document: object, shuffle: bool = False) -> bytes:
    """document as msgpack, every numpy array as {"dtype", "shape", "data"}, plus "shuffle": true
    and its bytes shuffled when asked (see the module docstring)."""
    fallback = _shuffled_msgpack_fallback if shuffle else _msgpack_fallback
    return msgpack.packb(document, default=fallback, use_bin_type=True)


def binary_array(value: np.ndarray, shuffle: bool = False) -> dict:
    """One array in the msgpack layout: float32 or int32 (when every value fits), little-endian, row-major;
    with shuffle, byte k of every value together, k = 0..3 (the least significant first)."""
    kind = value.dtype.kind
    if kind in "iub" and (value.size == 0 or INT32_RANGE[0] <= value.min() and value.max() <= INT32_RANGE[1]):
        dtype = INT32
    else:
        dtype = FLOAT32
    values = np.ascontiguousarray(value, dtype=dtype)
    if not shuffle:
        return {"dtype": dtype, "shape": list(value.shape), "data": values.tobytes()}
    planes = values.reshape(-1).view(np.uint8).reshape(-1, values.itemsize).T
    return {"dtype": dtype, "shape": list(value.shape), "data": planes.tobytes(), "shuffle": True}


def unshuffle(data: bytes, itemsize: int = 4) -> bytes:
    """The plain row-major bytes of a shuffled array's data (what a client does to read it)."""
    return np.frombuffer(data, dtype=np.uint8).reshape(itemsize, -1).T.tobytes()


def wants_msgpack(accept: str | None) -> bool:
    """Whether an Accept header prefers msgpack to JSON; JSON is the default, and wins a tie
    when the client names it too ("application/json, application/msgpack")."""
    if not accept:
        return False
    quality = {}
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media.lower()] = max(q, quality.get(media.lower(), 0.0))
    binary = max(quality.get(MSGPACK, 0.0), quality.get("application/x-msgpack", 0.0))
    if binary <= 0:
        return False
    if JSON in quality:
        return binary > quality[JSON]
    return True


def numpy_response(
    document: dict,
    accept: str | None,
    accept_encoding: str | None = None,
    encoding: str | None = None,
    shuffle: bool = False,
) -> Response:
    """The document as msgpack when `encoding` says so or, without it, when `accept` asks for it;
    else as JSON. Compressed as `accept_encoding` allows. Vary: Accept, Accept-Encoding either way.
    Call it from a worker thread: encoding and compressing a big trace take tens of milliseconds."""
    binary = encoding == "msgpack" if encoding is not None else wants_msgpack(accept)
    if binary:
        body, media_type = to_msgpack_bytes(document, shuffle=shuffle), MSGPACK
    else:
        body, media_type = to_json_bytes(document), JSON
    body, headers = encode_body(body, accept_encoding)
    return Response(body, media_type=media_type, headers={"Vary": VARY, **headers})


def _msgpack_fallback(value: object) -> object:
    if isinstance(value, np.ndarray):
        return binary_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be written as msgpack")


def _shuffled_msgpack_fallback(value: object) -> object:
    if isinstance(value, np.ndarray):
        return binary_array(value, shuffle=True)
    return _msgpack_fallback(value)


def _numpy_fallback(value: object) -> object:
    # orjson writes C-contiguous arrays of its dtypes itself. A transposed view or a gate
    # slice is copied into one (and comes back here only if orjson still refuses it);
    # an array of any other dtype is written as lists.
    if isinstance(value, np.ndarray):
        return value.tolist() if value.flags.c_contiguous else np.ascontiguousarray(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
