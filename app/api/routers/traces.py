"""POST /api/models/{name}/trace: the exact forward pass and BPTT of one sequence.

The sequence is a person's text, encoded by the model's task (which supplies
the targets), or raw input vectors x with optional targets, which the task
turns into a Sequence too (Task.sequence_from_vectors). The response is the
Trace document of docs/design.md written straight from numpy arrays by orjson:
a trace carries ~10^5 numbers, and validating them through pydantic would cost
more than computing them. NaN and infinities become null.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response

from app.api.deps import LoadedModelDep, ModelName, SettingsDep
from app.api.responses import numpy_json_response
from app.api.schemas.common import error_responses
from app.api.schemas.traces import TraceIn, TraceOut
from app.core.trace import trace, trace_document

log = logging.getLogger(__name__)

router = APIRouter(tags=["traces"])


@router.post(
    "/models/{name}/trace",
    summary="Trace one sequence: hidden states, gates, per-step losses and BPTT gradients",
    description=(
        "Give exactly one of `input` or `x`. Sequences longer than UNROLLED_MAX_TRACE_STEPS steps "
        "(default 500) are refused with 422, like every other unusable input. The model runs on the CPU."
    ),
    response_class=Response,
    responses={
        200: {"model": TraceOut, "description": "The Trace document", "content": {"application/json": {}}},
        **error_responses(404, 413, 422),
    },
)
def trace_model(body: TraceIn, name: ModelName, loaded: LoadedModelDep, settings: SettingsDep) -> Response:
    task, max_steps = loaded.task, settings.max_trace_steps
    if body.input is not None:  # TraceIn holds exactly one of input and x
        sequence = task.encode_at_most(body.input, max_steps)
    else:
        sequence = task.sequence_from_vectors(body.x, body.target, max_steps=max_steps)
    document = trace_document(trace(loaded.model, task, sequence, grad_flow=body.grad_flow))
    document.update(model=name, input=body.input, total_steps=loaded.total_steps)
    if document["nonfinite"]:
        log.info("trace of %s has non-finite values in %s", name, ", ".join(document["nonfinite"]))
    return numpy_json_response(document)
