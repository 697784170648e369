"""The one numpy-aware JSON encoder, for HTTP responses and job events alike.

Traces and weights carry 10^4 to 10^6 numbers; orjson writes float32 arrays
natively, and NaN and infinities as null (which the standard json module would
write as invalid JSON). Every JSON body or event built from numpy goes through
to_json_bytes, so an array is written the same way wherever it is sent.
"""

from __future__ import annotations

import numpy as np
import orjson
from fastapi import Response


def to_json_bytes(document: object) -> bytes:
    """document as JSON, numpy arrays and scalars included; NaN and infinities come out as null."""
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY, default=_numpy_fallback)


def numpy_json_response(document: dict) -> Response:
    return Response(to_json_bytes(document), media_type="application/json")


def _numpy_fallback(value: object) -> object:
    # orjson writes C-contiguous arrays of its dtypes itself. A transposed view or a gate
    # slice is copied into one (and comes back here only if orjson still refuses it);
    # an array of any other dtype is written as lists.
    if isinstance(value, np.ndarray):
        return value.tolist() if value.flags.c_contiguous else np.ascontiguousarray(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
