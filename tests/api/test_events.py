"""The job events and the one numpy encoder: every event on the wire matches its schema,
every schema is in the OpenAPI document, and arrays are written alike in responses and events."""

from __future__ import annotations

import json
from typing import Annotated, Union

import numpy as np
import pytest
from pydantic import Field, TypeAdapter

from app.api.jobs.events import EVENTS, end_event, progress_event, status_event, trace_event
from app.api.jobs.job import Job
from app.api.responses import numpy_json_response, to_json_bytes
from app.core.models import build_model
from app.core.tasks import make_task
from app.core.trace import trace, trace_document
from app.core.train import Progress, TrainConfig
from tests.api.test_jobs import train
from tests.api.test_streams import read_to_end

# Any event, told apart by its "type".
AnyEvent = TypeAdapter(Annotated[Union[EVENTS], Field(discriminator="type")])  # noqa: UP007 (a tuple of classes)


def test_every_event_a_job_streams_matches_its_schema(client, make_model):
    make_model("m", architecture="lstm", task="reber", hidden_size=4)
    job = train(client, steps=6, batch_size=2, trace_every_s=0.1)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        messages = read_to_end(ws)
    kinds = {message["type"] for message in messages}
    assert {"status", "progress", "trace", "done"} <= kinds
    for message in messages:
        assert type(AnyEvent.validate_python(message)).__name__.lower().startswith(message["type"])


def test_each_builder_makes_its_schemas_event():
    job = Job("m", {"steps": 3}, TrainConfig(steps=3), first_step=0)
    point = Progress(
        step=1, steps=3, loss=float("nan"), metric=0.5, grad_norm=1.0, steps_per_s=9.0, elapsed_s=0.1
    ).to_dict()
    loaded = build_model("m", "gru", "reber", 3)
    document = trace_document(trace(loaded.model, loaded.task, make_task("reber").encode("BTXSE")))
    built = {
        "status": status_event(job.snapshot(), [point]),
        "progress": progress_event(point, None),
        "trace": trace_event(1, document).text,
        **{status: end_event(status, job.snapshot(), "why") for status in ("done", "cancelled", "failed")},
    }
    for kind, text in built.items():
        event = AnyEvent.validate_json(text)
        assert event.type == kind
    assert json.loads(built["progress"])["loss"] is None  # NaN is written as null


def test_the_openapi_components_hold_every_event_schema(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for event in EVENTS:
        assert event.__name__ in schemas, event.__name__
        assert "type" in schemas[event.__name__]["properties"]
    assert "TraceDocument" in schemas and "ProgressPoint" in schemas


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3).T,  # a transposed view: not C-contiguous
        np.arange(12, dtype=np.float64).reshape(3, 4)[:, 1::2],  # a strided slice
        np.array([[1.0, np.nan], [np.inf, -np.inf]], dtype=np.float32).T,
        np.arange(4, dtype=np.float16),  # a dtype orjson may not write itself
    ],
)
def test_one_encoder_writes_any_array_as_its_values(array):
    expected = json.dumps([[None if not np.isfinite(v) else float(v) for v in row] for row in np.atleast_2d(array)])
    written = to_json_bytes({"a": array})
    got = json.loads(written)["a"]
    assert json.dumps([got] if array.ndim == 1 else got) == expected
    assert numpy_json_response({"a": array}).body == written  # responses and events share it
    assert json.loads(trace_event(0, {"a": array}).text)["trace"]["a"] == got
