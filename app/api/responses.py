"""The one numpy-aware encoder of each wire format, for HTTP responses and job events alike.

JSON (the default): traces and weights carry 10^4 to 10^6 numbers; orjson writes
float32 arrays natively, and NaN and infinities as null (which the standard json
module would write as invalid JSON). Every JSON body or event built from numpy
goes through to_json_bytes, so an array is written the same way wherever it is sent.

msgpack (opt-in, `Accept: application/msgpack`): the same document, each numpy
array written as the map {"dtype": "<f4", "shape": [T, H], "data": <bytes>}, the
little-endian values row-major (docs/api.md, "Binary traces"). Floats stay float32
(about a quarter of JSON's bytes, nothing to parse), NaN and infinities stay what
they are, and the document's `nonfinite` still names the fields that hold any.
"""

from __future__ import annotations

import msgpack
import numpy as np
import orjson
from fastapi import Response

MSGPACK = "application/msgpack"
JSON = "application/json"
# A binary array's dtype: floats as little-endian float32, whole numbers (class indices)
# as little-endian int32, the two typed arrays every browser has.
FLOAT32, INT32 = "<f4", "<i4"
INT32_RANGE = (-(2**31), 2**31 - 1)


def to_json_bytes(document: object) -> bytes:
    """document as JSON, numpy arrays and scalars included; NaN and infinities come out as null."""
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY, default=_numpy_fallback)


def numpy_json_response(document: dict) -> Response:
    return Response(to_json_bytes(document), media_type=JSON)


def to_msgpack_bytes(document: object) -> bytes:
    """document as msgpack, every numpy array as {"dtype", "shape", "data"} (see the module docstring)."""
    return msgpack.packb(document, default=_msgpack_fallback, use_bin_type=True)


def binary_array(value: np.ndarray) -> dict:
    """One array in the msgpack layout: float32 or int32 (when every value fits), little-endian, row-major."""
    kind = value.dtype.kind
    if kind in "iub" and (value.size == 0 or INT32_RANGE[0] <= value.min() and value.max() <= INT32_RANGE[1]):
        dtype = INT32
    else:
        dtype = FLOAT32
    data = np.ascontiguousarray(value, dtype=dtype).tobytes()
    return {"dtype": dtype, "shape": list(value.shape), "data": data}


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


def numpy_response(document: dict, accept: str | None) -> Response:
    """The document as msgpack when `accept` asks for it, else as JSON; Vary: Accept either way."""
    if wants_msgpack(accept):
        return Response(to_msgpack_bytes(document), media_type=MSGPACK, headers={"Vary": "Accept"})
    return Response(to_json_bytes(document), media_type=JSON, headers={"Vary": "Accept"})


def _msgpack_fallback(value: object) -> object:
    if isinstance(value, np.ndarray):
        return binary_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be written as msgpack")


def _numpy_fallback(value: object) -> object:
    # orjson writes C-contiguous arrays of its dtypes itself. A transposed view or a gate
    # slice is copied into one (and comes back here only if orjson still refuses it);
    # an array of any other dtype is written as lists.
    if isinstance(value, np.ndarray):
        return value.tolist() if value.flags.c_contiguous else np.ascontiguousarray(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
