"""POST /api/models/{name}/trace: the exact forward pass and BPTT of one sequence.

The sequence is a person's text, encoded by the model's task (which supplies
the targets), or raw input vectors x with optional targets, which the task
turns into a Sequence too (Task.sequence_from_vectors). The response is the
Trace document of docs/design.md written straight from numpy arrays by orjson:
a trace carries ~10^5 numbers, and validating them through pydantic would cost
more than computing them. NaN and infinities become null.

`Accept: application/msgpack` (or ?encoding=msgpack) asks for the same document as
msgpack, arrays as little-endian float32 bytes with their shapes (app/api/responses.py,
docs/api.md): a third of the bytes, and nothing for the page to parse number by number.
?shuffle=true byte-shuffles those arrays so that they compress well, and the response is
compressed with zstd or gzip as the request's Accept-Encoding allows (app/api/compression.py):
the page's 500-step LSTM H=512 trace goes out as 0.05 to 0.24 of its JSON bytes with zstd.
With `interventions` the trace is of the clamped network, and the clean run's outputs and
losses and the difference come beside it (app/core/trace/interventions.py).
The body is read raw and parsed in a worker thread (app/api/json_body.py): a
multi-MiB `x` must not hold the event loop. A body larger than any trace of
the model can need (trace_body_limit: max_trace_steps rows of its inputs and
targets, or the longest `input` text) is refused with 413 before it is parsed,
since parsing holds the GIL wherever it runs. The response is encoded in the
threadpool too, where this plain `def` route runs.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from app.api.deps import LoadedModelDep, ModelName, SettingsDep
from app.api.json_body import json_body_openapi, read_json_body
from app.api.responses import MSGPACK, numpy_response
from app.api.schemas.common import error_responses
from app.api.schemas.traces import MAX_INPUT_CHARS, TraceIn, TraceOut
from app.core.trace import trace, trace_document
from app.core.trace.interventions import MAX_INTERVENTIONS, comparison

log = logging.getLogger(__name__)

router = APIRouter(tags=["traces"])

# The most bytes one JSON number of a body can take: "-1.2345678901234567e-308", its comma,
# and the indentation of a pretty-printed body.
NUMBER_BYTES = 32
# One character of `input` at most: an escaped surrogate pair, \ud83d\ude00 as twelve characters.
CHAR_BYTES = 12
BODY_SLACK = 4096  # the keys, brackets and grad_flow around the data
# One intervention at most: {"step": ..., "target": "gate:f", "unit": ..., "value": ...} pretty-printed.
INTERVENTION_BYTES = 4 * NUMBER_BYTES + 64


def trace_body_limit(input_size: int, output_size: int, max_steps: int) -> int:
    """The largest body a trace of a model with these sizes can need: max_steps rows of x and of
    target (a row's brackets counted as two numbers), or the longest `input` text."""
    vectors = max_steps * (input_size + output_size + 4) * NUMBER_BYTES
    return max(vectors, MAX_INPUT_CHARS * CHAR_BYTES) + MAX_INTERVENTIONS * INTERVENTION_BYTES + BODY_SLACK


async def trace_body(request: Request, loaded: LoadedModelDep, settings: SettingsDep) -> TraceIn:
    task, max_steps = loaded.task, settings.max_trace_steps
    limit = trace_body_limit(task.input_size, task.output_size, max_steps)
    why = f"{max_steps} steps of {task.input_size} inputs and {task.output_size} targets, or a text"
    return await read_json_body(request, TraceIn, limit, why)


@router.post(
    "/models/{name}/trace",
    summary="Trace one sequence: hidden states, gates, per-step losses and BPTT gradients",
    description=(
        "Give exactly one of `input` or `x`. Sequences longer than UNROLLED_MAX_TRACE_STEPS steps "
        "(default 500) are refused with 422, like every other unusable input. The model runs on the CPU. "
        "`Accept: application/msgpack` (or `?encoding=msgpack`) gives the same document as msgpack, each "
        'array as `{"dtype": "<f4", "shape": [T, H], "data": <little-endian bytes>}`; `?shuffle=true` '
        'byte-shuffles each `data` (and adds `"shuffle": true`) so that it compresses well. The body is '
        "compressed (Content-Encoding zstd or gzip) when Accept-Encoding allows (docs/api.md, Binary traces)."
    ),
    response_class=Response,
    responses={
        200: {
            "model": TraceOut,
            "description": "The Trace document (JSON, or msgpack when Accept or ?encoding asks for it)",
            "content": {"application/json": {}, MSGPACK: {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(404, 413, 422),
    },
    openapi_extra=json_body_openapi(TraceIn),
)
def trace_model(
    body: Annotated[TraceIn, Depends(trace_body)],
    name: ModelName,
    loaded: LoadedModelDep,
    settings: SettingsDep,
    encoding: Annotated[
        Literal["json", "msgpack"] | None,
        Query(description="The response's encoding, in place of an Accept header (which it overrides)"),
    ] = None,
    shuffle: Annotated[
        bool, Query(description="msgpack only: byte-shuffle each array's data, for compression (ignored for JSON)")
    ] = False,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    task, max_steps = loaded.task, settings.max_trace_steps
    if body.input is not None:  # TraceIn holds exactly one of input and x
        sequence = task.encode_at_most(body.input, max_steps)
    else:
        sequence = task.sequence_from_vectors(body.x, body.target, max_steps=max_steps)
    if body.interventions is None:
        document = trace_document(trace(loaded.model, task, sequence, grad_flow=body.grad_flow))
    else:
        document = intervened_document(loaded.model, task, sequence, body)
    document.update(model=name, input=body.input, total_steps=loaded.total_steps)
    if document["nonfinite"]:
        log.info("trace of %s has non-finite values in %s", name, ", ".join(document["nonfinite"]))
    return numpy_response(document, accept, accept_encoding, encoding=encoding, shuffle=shuffle)


def intervened_document(model, task, sequence, body: TraceIn) -> dict:
    """The clamped network's trace, with the clean run (the same step-by-step arithmetic, nothing
    clamped) and the difference beside it; a bad intervention is an InterventionError (422)."""
    interventions = [item.to_core() for item in body.interventions]
    clamped = trace(model, task, sequence, grad_flow=body.grad_flow, interventions=interventions)
    clean = trace(model, task, sequence, grad_flow=False, interventions=[])
    document = trace_document(clamped)
    as_arrays = {
        part: {key: value.float().numpy() if hasattr(value, "numpy") else value for key, value in fields.items()}
        for part, fields in comparison(clamped, clean).items()
    }
    document.update(as_arrays, interventions=[item.to_dict() for item in interventions])
    return document
