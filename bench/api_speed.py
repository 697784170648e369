"""The server against the engine in-process, measured in the same run.

- trace over HTTP vs the in-process trace of the same sequence, both producing
  the same JSON bytes (trace + trace_document + orjson): target <= 1.5x;
- a training job's steps/s with 1 and 20 watching WebSocket clients vs the same
  job with none: targets >= 0.9x and >= 0.8x;
- /api/health latency (p50, p99) while two jobs train.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import websockets

from app.core.architectures import expected_shapes
from app.core.device import configure_threads
from app.core.models import create_model, load_model
from app.core.store import ModelStore
from app.core.trace import trace, trace_document
from bench.server import live_server
from bench.timing import interleaved

# An embedded Reber string of 200 symbols: the inner string loops on S.
LONG_EMBEDDED_REBER = "BT" + "BT" + "S" * 191 + "XSE" + "TE"


def _make_models(root: Path) -> None:
    store = ModelStore(root, expected_shapes=expected_shapes)
    create_model(store, name="trace-lstm", architecture="lstm", task_id="embedded_reber", hidden_size=128)
    for name in ("train-a", "train-b", "train-c"):
        create_model(store, name=name, architecture="lstm", task_id="embedded_reber", hidden_size=64)


def _job_seconds(job: dict) -> float:
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(job["finished_at"]) - parse(job["started_at"])).total_seconds()


def _run_job(client: httpx.Client, url: str, model: str, steps: int, watchers: int) -> float:
    """Train `steps` steps with `watchers` clients reading the event stream; steps/s."""
    job = client.post(f"/api/models/{model}/train", json={"steps": steps, "batch_size": 32}).json()
    stop = threading.Event()
    threads = [threading.Thread(target=_watch, args=(url, job["id"], stop), daemon=True) for _ in range(watchers)]
    for t in threads:
        t.start()
    while job["status"] in ("queued", "running"):
        time.sleep(0.05)
        job = client.get(f"/api/jobs/{job['id']}").json()
    stop.set()
    for t in threads:
        t.join(5)
    return (job["step"] - job["first_step"]) / _job_seconds(job)


def _watch(url: str, job_id: str, stop: threading.Event) -> None:
    async def read():
        async with websockets.connect(f"ws{url[4:]}/api/jobs/{job_id}/events", max_size=None) as socket:
            async for _ in socket:
                if stop.is_set():
                    return

    try:
        asyncio.run(read())
    except websockets.ConnectionClosed:
        pass


def run(device: str = "cpu", rounds: int = 3) -> dict:
    configure_threads(1)  # as the server does
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "models"
        _make_models(root)
        loaded = load_model(ModelStore(root, expected_shapes=expected_shapes), "trace-lstm")
        sequence = loaded.task.encode(LONG_EMBEDDED_REBER)
        with live_server(root, device=device, max_jobs=2) as url, httpx.Client(base_url=url, timeout=120) as client:
            body = {"input": LONG_EMBEDDED_REBER, "grad_flow": False}

            def in_process():
                orjson.dumps(
                    trace_document(trace(loaded.model, loaded.task, sequence, grad_flow=False)),
                    option=orjson.OPT_SERIALIZE_NUMPY,
                )

            def over_http():
                response = client.post("/api/models/trace-lstm/trace", json=body)
                response.raise_for_status()

            traces = interleaved({"in_process": in_process, "http": over_http}, rounds=40)

            speeds: dict[int, list[float]] = {0: [], 1: [], 20: []}
            for _ in range(rounds):
                for watchers in speeds:
                    speeds[watchers].append(_run_job(client, url, "train-a", 1500, watchers))
            alone = statistics.median(speeds[0])

            jobs = [
                client.post(f"/api/models/{m}/train", json={"steps": 100000}).json() for m in ("train-b", "train-c")
            ]
            time.sleep(1.0)
            latencies = []
            for _ in range(400):
                start = time.perf_counter()
                client.get("/api/health").raise_for_status()
                latencies.append(time.perf_counter() - start)
            for job in jobs:
                client.post(f"/api/jobs/{job['id']}/cancel")
    latencies.sort()
    return {
        "trace_in_process_ms": traces["in_process"] * 1e3,
        "trace_http_ms": traces["http"] * 1e3,
        "trace_http_ratio": traces["http"] / traces["in_process"],
        "train_steps_per_s_no_client": alone,
        "train_ratio_1_client": statistics.median(speeds[1]) / alone,
        "train_ratio_20_clients": statistics.median(speeds[20]) / alone,
        "health_p50_ms_two_jobs": latencies[len(latencies) // 2] * 1e3,
        "health_p99_ms_two_jobs": latencies[int(len(latencies) * 0.99)] * 1e3,
    }
