"""POST /api/models/{name}/trace: the exact forward pass and BPTT of one sequence.

The sequence is a person's text, encoded by the model's task (which supplies
the targets), or raw input vectors x with optional targets. The response is
the Trace document of DESIGN.md written straight from numpy arrays by orjson:
a trace carries ~10^5 numbers, and validating them through pydantic would
cost more than computing them. NaN and infinities become null.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch
from fastapi import APIRouter, Depends, HTTPException, Response

from app.api.deps import get_model_cache, get_settings, get_store, valid_model_name
from app.api.errors import printable
from app.api.model_cache import ModelCache
from app.api.responses import numpy_json_response
from app.api.schemas.common import error_responses
from app.api.schemas.traces import TraceIn, TraceOut
from app.core.store import ModelStore
from app.core.tasks import Sequence, Task, TaskInputError
from app.core.trace import trace, trace_document
from app.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["traces"])

# Beyond this a value is a typo or an attack, not an input: float32 overflows at
# ~3e38, and anything this large saturates every cell anyway.
MAX_ABS_VALUE = 1e6


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
def trace_model(
    body: TraceIn,
    name: str = Depends(valid_model_name),
    store: ModelStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
    cache: ModelCache = Depends(get_model_cache),
) -> Response:
    if body.input is not None and body.x is not None:
        raise HTTPException(422, "give either input or x, not both")
    if body.input is None and body.x is None:
        raise HTTPException(422, "give input (text for the model's task) or x (a list of input vectors)")
    loaded = cache.get(store, name)
    max_steps = settings.max_trace_steps
    if body.input is not None:
        if body.target is not None:
            raise HTTPException(422, "target goes with x; for an input text the task supplies the targets")
        try:
            sequence = loaded.task.encode(body.input)
        except TaskInputError as exc:  # the message names the bad symbol and its position
            raise HTTPException(422, printable(str(exc))) from None
        if len(sequence) > max_steps:
            raise HTTPException(422, f"the input is {len(sequence)} steps long; at most {max_steps} can be traced")
    else:
        config = loaded.model.config
        sequence = sequence_from_x(loaded.task, body.x, body.target, config.input_size, config.output_size, max_steps)
    result = trace(loaded.model, loaded.task, sequence, grad_flow=body.grad_flow)
    document = trace_document(result)
    document.update(model=name, input=body.input, total_steps=loaded.total_steps)
    if document["nonfinite"]:
        log.info("trace of %s has non-finite values in %s", name, ", ".join(document["nonfinite"]))
    return numpy_json_response(document)


# ----- raw x ----------------------------------------------------------------------


def sequence_from_x(task: Task, x: list[list[float]], target: list | None, input_size: int, output_size: int,
                    max_steps: int) -> Sequence:
    """A Sequence from raw vectors; every problem is a 422 that says where it is."""
    steps = len(x)
    if not 1 <= steps <= max_steps:
        raise HTTPException(422, f"x has {steps} steps; give between 1 and {max_steps}")
    for t, row in enumerate(x):
        if len(row) != input_size:
            raise HTTPException(422, f"x[{t}] has {len(row)} values; this model reads {input_size} per step")
    values = np.asarray(x, dtype=np.float64)  # (T, I)
    _check_values(values, "x")
    mask = torch.zeros(steps, dtype=torch.float32)  # (T,)
    if target is None:
        # Nothing to compare with: every L_t is 0, but the forward values are still traced.
        target_tensor = torch.zeros(steps, dtype=torch.int64) if task.loss_kind == "cross_entropy" \
            else torch.zeros(steps, output_size, dtype=torch.float32)
        target_labels = [""] * steps
    else:
        if len(target) != steps:
            raise HTTPException(422, f"target has {len(target)} entries; x has {steps} steps")
        # A many-to-one task scores only the last step, as its own sequences do.
        counted = range(steps - 1, steps) if task.mode == "many_to_one" else range(steps)
        mask[list(counted)] = 1.0
        target_tensor, target_labels = _parse_target(task, target, output_size)
        target_labels = [label if t in counted else "" for t, label in enumerate(target_labels)]
    return Sequence(
        x=torch.from_numpy(values.astype(np.float32)),
        target=target_tensor,
        loss_mask=mask,
        labels=[f"t={t}" for t in range(steps)],
        target_labels=target_labels,
    )


def _check_values(values: np.ndarray, field: str) -> None:
    bad = ~np.isfinite(values) | (np.abs(values) > MAX_ABS_VALUE)
    if bad.any():
        where = "".join(f"[{int(i)}]" for i in np.argwhere(bad)[0])
        value = values[tuple(np.argwhere(bad)[0])]
        raise HTTPException(
            422, f"{field}{where} is {_show(value)}; every value must be a finite number within ±{MAX_ABS_VALUE:g}"
        )


def _parse_target(task: Task, target: list, output_size: int) -> tuple[torch.Tensor, list[str]]:
    """(target tensor, readable labels) for the task's loss kind."""
    symbols = task.symbols
    if task.loss_kind == "cross_entropy":
        indices = []
        for t, item in enumerate(target):
            if isinstance(item, float) and math.isfinite(item) and item.is_integer():
                item = int(item)  # JSON clients may write 3.0 for 3
            if type(item) is not int or not 0 <= item < output_size:
                raise HTTPException(
                    422, f"target[{t}] is {_show(item)}; give a class index between 0 and {output_size - 1}"
                )
            indices.append(item)
        labels = [symbols[k] if symbols and k < len(symbols) else str(k) for k in indices]
        return torch.tensor(indices, dtype=torch.int64), labels

    rows = []
    for t, item in enumerate(target):
        if task.loss_kind == "mse" and output_size == 1 and _is_number(item):
            item = [item]  # a bare value for a one-output regression
        if not isinstance(item, list) or len(item) != output_size or not all(_is_number(v) for v in item):
            raise HTTPException(422, f"target[{t}] must be a list of {output_size} numbers, got {_show(item)}")
        rows.append(item)
    try:
        values = np.asarray(rows, dtype=np.float64)  # (T, O)
    except OverflowError:  # a JSON integer beyond any float
        raise HTTPException(422, "target holds a number too large to be a float") from None
    _check_values(values, "target")
    if task.loss_kind == "bce":
        if ((values < 0) | (values > 1)).any():
            t = int(np.argwhere((values < 0) | (values > 1))[0][0])
            raise HTTPException(422, f"target[{t}] has values outside [0, 1]; bce targets are 0/1 vectors")
        names = symbols if symbols and len(symbols) == output_size else [str(k) for k in range(output_size)]
        labels = ["|".join(names[k] for k in np.flatnonzero(row >= 0.5)) for row in values]
    else:
        labels = [", ".join(f"{v:.3g}" for v in row) for row in values]
    return torch.from_numpy(values.astype(np.float32)), labels


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _show(value: object) -> str:
    """A client's value in a message, cut short so a huge one cannot bloat the answer."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 40 else text[:37] + "..."
