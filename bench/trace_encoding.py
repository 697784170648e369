"""Binary traces and big bodies, measured in one run (python -m bench encoding):

- bytes of a 500-step LSTM H=512 trace as msgpack vs JSON: target <= 1/4;
- that trace over HTTP as msgpack (request, compute, encode, receive) vs the same
  msgpack bytes made in-process (trace + trace_document + to_msgpack_bytes, as
  api_speed's JSON baseline includes its encoding): target <= 1.2x;
- /api/health latency (p50, p99) alone, then while two clients keep re-sending
  trace bodies of the maximum size (UNROLLED_MAX_BODY_BYTES), each refused with
  422: target p99 < 50 ms. The load generator runs on the same machine.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

from app.api.responses import to_json_bytes, to_msgpack_bytes
from app.core.architectures import expected_shapes
from app.core.device import configure_threads
from app.core.models import create_model, load_model
from app.core.store import ModelStore
from app.core.trace import trace, trace_document
from app.settings import Settings
from bench.server import live_server
from bench.timing import interleaved

# 500 symbols of the embedded Reber grammar: the inner string loops on S.
STEPS = 500
LONG_EMBEDDED_REBER = "BT" + "BT" + "S" * (STEPS - 9) + "XSE" + "TE"
HEALTH_PROBES = 400
PROBE_GAP_S = 0.01


def _max_size_body(limit: int) -> bytes:
    """A trace body of raw vectors just under `limit` bytes: too many steps, so it is refused with 422."""
    rng = random.Random(0)
    row = [round(rng.random(), 6) for _ in range(64)]
    rows, size = [], 10
    one = len(orjson.dumps(row)) + 1
    while size + one < limit:
        rows.append(row)
        size += one
    return orjson.dumps({"x": rows})


def _health_latencies(url: str) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(HEALTH_PROBES):
            start = time.perf_counter()
            client.get("/api/health").raise_for_status()
            latencies.append(time.perf_counter() - start)
            time.sleep(PROBE_GAP_S)
    return sorted(latencies)


def _resend(url: str, body: bytes, stop: threading.Event, statuses: list[int]) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        while not stop.is_set():
            response = client.post(
                "/api/models/trace-lstm/trace", content=body, headers={"Content-Type": "application/json"}
            )
            statuses.append(response.status_code)


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    return latencies[len(latencies) // 2] * 1e3, latencies[int(0.99 * (len(latencies) - 1))] * 1e3


def run(device: str = "cpu") -> dict:
    configure_threads(1)  # as the server does
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "models"
        store = ModelStore(root, expected_shapes=expected_shapes)
        create_model(store, name="trace-lstm", architecture="lstm", task_id="embedded_reber", hidden_size=512)
        loaded = load_model(store, "trace-lstm")
        sequence = loaded.task.encode(LONG_EMBEDDED_REBER)
        document = trace_document(trace(loaded.model, loaded.task, sequence, grad_flow=False))
        json_bytes, msgpack_bytes = len(to_json_bytes(document)), len(to_msgpack_bytes(document))

        limit = Settings.from_env().max_body_bytes
        body = _max_size_body(limit)
        with live_server(root, device="cpu") as url, httpx.Client(base_url=url, timeout=120) as client:
            request = {"input": LONG_EMBEDDED_REBER, "grad_flow": False}

            def in_process():
                to_msgpack_bytes(trace_document(trace(loaded.model, loaded.task, sequence, grad_flow=False)))

            def over_http():
                response = client.post(
                    "/api/models/trace-lstm/trace", json=request, headers={"Accept": "application/msgpack"}
                )
                response.raise_for_status()

            def over_http_json():
                client.post("/api/models/trace-lstm/trace", json=request).raise_for_status()

            contenders = {"in_process": in_process, "http": over_http, "http_json": over_http_json}
            traces = interleaved(contenders, rounds=10, warmup=2)

            quiet = _health_latencies(url)
            stop, statuses = threading.Event(), []
            senders = [threading.Thread(target=_resend, args=(url, body, stop, statuses)) for _ in range(2)]
            for sender in senders:
                sender.start()
            time.sleep(1.0)
            loaded_latencies = _health_latencies(url)
            stop.set()
            for sender in senders:
                sender.join(60)
    quiet_p50, quiet_p99 = _percentiles(quiet)
    load_p50, load_p99 = _percentiles(loaded_latencies)
    return {
        "trace_json_bytes": json_bytes,
        "trace_msgpack_bytes": msgpack_bytes,
        "msgpack_over_json": msgpack_bytes / json_bytes,
        "trace_in_process_ms": traces["in_process"] * 1e3,
        "trace_http_msgpack_ms": traces["http"] * 1e3,
        "trace_http_ratio": traces["http"] / traces["in_process"],
        "trace_http_json_ms": traces["http_json"] * 1e3,
        "big_body_bytes": len(body),
        "big_bodies_sent": len(statuses),
        "big_body_statuses": sorted(set(statuses)),
        "health_quiet_p50_ms": quiet_p50,
        "health_quiet_p99_ms": quiet_p99,
        "health_under_big_bodies_p50_ms": load_p50,
        "health_under_big_bodies_p99_ms": load_p99,
    }
