"""A classroom's load on one server (python -m bench watchers): 100 clients watching the
event streams while every running slot trains and 10 more jobs wait in the queue.

Measured in one run, the load generator on the same machine as the server:
- /api/health latency (p50, p99) alone, then under that load: target p99 < 50 ms;
- a small trace (an LSTM H = 64 on its task's probe string) under the load: target p99 < 100 ms;
- errors: non-2xx answers and streams that ended before the bench stopped them: target 0.
Half of the watchers ask for binary traces (?encoding=msgpack), as the page does.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

import httpx
import websockets

from app.core.architectures import expected_shapes
from app.core.models import create_model
from app.core.store import ModelStore
from bench.server import live_server

WATCHERS = 100
RUNNING, QUEUED = 2, 10
PROBES = 150
PROBE_GAP_S = 0.02


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": ordered[len(ordered) // 2] * 1e3, "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1e3}


def _probe(client: httpx.Client, method: str, path: str, errors: list, **kwargs) -> list[float]:
    latencies = []
    for _ in range(PROBES):
        start = time.perf_counter()
        response = client.request(method, path, **kwargs)
        latencies.append(time.perf_counter() - start)
        if response.status_code >= 300:
            errors.append(f"{method} {path}: {response.status_code}")
        time.sleep(PROBE_GAP_S)
    return latencies


def _watch_all(url: str, job_ids: list[str], stop: threading.Event, counts: dict, errors: list) -> None:
    async def watch(k: int) -> None:
        job_id = job_ids[k % len(job_ids)]
        encoding = "msgpack" if k % 2 else "json"
        try:
            async with websockets.connect(
                f"ws{url[4:]}/api/jobs/{job_id}/events?encoding={encoding}", max_size=None
            ) as socket:
                while not stop.is_set():
                    try:
                        frame = await asyncio.wait_for(socket.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    binary = not isinstance(frame, str)
                    kind = "trace (msgpack)" if binary else frame.split('"type":"', 1)[-1].split('"', 1)[0]
                    counts[kind] = counts.get(kind, 0) + 1
        except websockets.ConnectionClosed as closed:
            errors.append(f"watcher {k}: closed {closed.rcvd.code if closed.rcvd else '?'}")
        except OSError as error:
            errors.append(f"watcher {k}: {error!r}")

    async def main() -> None:
        await asyncio.gather(*(watch(k) for k in range(WATCHERS)))

    asyncio.run(main())


def run(device: str = "cpu") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "models"
        store = ModelStore(root, expected_shapes=expected_shapes)
        names = [f"load-{k}" for k in range(RUNNING + QUEUED)]
        for name in [*names, "small"]:
            create_model(store, name=name, architecture="lstm", task_id="embedded_reber", hidden_size=64)
        settings = {"device": device, "max_jobs": RUNNING, "max_queued_jobs": QUEUED, "max_streams_per_client": 200}
        with live_server(root, **settings) as url, httpx.Client(base_url=url, timeout=60) as client:
            errors: list[str] = []
            small_trace = {"input": client.get("/api/models/small").json()["task"]["probe_text"]}
            quiet_health = _probe(client, "GET", "/api/health", errors)
            quiet_trace = _probe(client, "POST", "/api/models/small/trace", errors, json=small_trace)
            jobs = []
            for name in names:
                response = client.post(f"/api/models/{name}/train", json={"steps": 100_000, "batch_size": 32})
                if response.status_code != 202 and response.status_code != 201:
                    errors.append(f"train {name}: {response.status_code} {response.text[:120]}")
                    continue
                jobs.append(response.json())
            running = [job["id"] for job in jobs[:RUNNING]]
            stop, counts = threading.Event(), {}
            watchers = threading.Thread(target=_watch_all, args=(url, running, stop, counts, errors))
            watchers.start()
            time.sleep(3.0)  # every watcher connected and receiving
            loaded_health = _probe(client, "GET", "/api/health", errors)
            loaded_trace = _probe(client, "POST", "/api/models/small/trace", errors, json=small_trace)
            statuses = [client.get(f"/api/jobs/{job['id']}").json()["status"] for job in jobs]
            stop.set()
            watchers.join(30)
            for job in jobs:
                client.post(f"/api/jobs/{job['id']}/cancel")
    return {
        "watchers": WATCHERS,
        "jobs_running": statuses.count("running"),
        "jobs_queued": statuses.count("queued"),
        "frames_received": counts,
        "health_quiet": _percentiles(quiet_health),
        "health_loaded": _percentiles(loaded_health),
        "small_trace_quiet": _percentiles(quiet_trace),
        "small_trace_loaded": _percentiles(loaded_trace),
        "errors": len(errors),
        "first_errors": errors[:5],
    }
