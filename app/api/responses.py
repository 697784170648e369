"""JSON responses written by orjson straight from numpy arrays.

Traces and weights carry 10^4 to 10^6 numbers; orjson writes float32 arrays
natively (and NaN and infinities as null, which the standard json module
would write as invalid JSON).
"""

from __future__ import annotations

import numpy as np
import orjson
from fastapi import Response


def numpy_json_response(document: dict) -> Response:
    """orjson with numpy arrays written natively; NaN and infinities come out as null."""
    return Response(orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain), media_type="application/json")


def _plain(value):
    # orjson writes only C-contiguous arrays itself; gate views and transposes are not.
    if isinstance(value, np.ndarray):
        return value.tolist() if value.flags.c_contiguous else np.ascontiguousarray(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
