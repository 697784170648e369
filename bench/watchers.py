"""A classroom's load on one server (python -m bench watchers): 100 clients watching the
event streams while every running slot trains and 10 more jobs wait in the queue.

Measured in one run, the load generator on the same machine as the server:
- /api/health latency (p50, p99) alone, then under that load: target p99 < 50 ms;
- a small trace (an LSTM H = 64 on its task's probe string) under the load: target p99 < 100 ms;
- errors: non-2xx answers and streams that ended before the bench stopped them: target 0.
Half of the watchers ask for binary traces (?encoding=msgpack), as the page does.
Where the time goes, over the loaded part of the run: the CPU the server process, its
training workers (with their niceness) and this load generator used, in cores, and
the frames and bytes the watchers received by kind. (A profile of the server under
this load: py-spy record --pid <the server's pid>, see docs/benchmarks.md.)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import websockets

from app.core.architectures import expected_shapes
from app.core.models import create_model
from app.core.store import ModelStore
from bench.server import live_server, server_pid

WATCHERS = 100
RUNNING, QUEUED = 2, 10
PROBES = 150
PROBE_GAP_S = 0.02
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": ordered[len(ordered) // 2] * 1e3, "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1e3}


def _probe(client: httpx.Client, method: str, path: str, errors: list, **kwargs) -> list[float]:
    latencies = []
    for _ in range(PROBES):
        start = time.perf_counter()
        try:
            status = client.request(method, path, **kwargs).status_code
        except httpx.TransportError as error:  # a timeout: an error, and its wait counts as its latency
            status = repr(error)
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append(f"{method} {path}: {status}")
        time.sleep(PROBE_GAP_S)
    return latencies


# ----- CPU by process, from /proc (Linux; elsewhere the figures are left out) ---------------


def _processes() -> dict[int, tuple[int, float, int]]:
    """pid -> (parent pid, CPU seconds used so far, niceness) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        # After the name: state ppid ... utime(12) stime(13) ... nice(17), counted from state = 0.
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[16]))
    return found


def _cpu_split(server: int, generator: list[int]) -> dict[str, tuple[float, list[int]]]:
    """CPU seconds so far of the server process, of every process below it (the forkserver and
    the training workers, with their niceness), and of the load generator's processes."""
    table = _processes()
    below, frontier = set(), {server}
    while frontier:
        frontier = {pid for pid, (parent, _, _) in table.items() if parent in frontier} - below
        below |= frontier
    return {
        "server": (table.get(server, (0, 0.0, 0))[1], []),
        "training": (sum(table[pid][1] for pid in below), sorted({table[pid][2] for pid in below})),
        "load_generator": (sum(table[pid][1] for pid in generator if pid in table), []),
    }


def _cores_used(before: dict, after: dict, seconds: float) -> dict[str, float | list[int]]:
    used: dict[str, float | list[int]] = {name: (after[name][0] - before[name][0]) / seconds for name in after}
    used["training_niceness"] = after["training"][1]
    return used


# ----- the watchers ------------------------------------------------------------------------


def _kind(frame: str | bytes) -> str:
    if not isinstance(frame, str):
        return "trace (msgpack)"
    return frame[:40].split('"type":"', 1)[-1].split('"', 1)[0]


def _watch_all(url: str, job_ids: list[str], ready, counting, stop, results) -> None:
    """The watchers, in a process of their own (as a class's browsers are), so that the
    latency probes of the parent never wait for this process's interpreter lock. `ready`
    is set once every watcher has its first frame; frames are counted while `counting`
    is set; the totals and the errors go back on `results`."""
    frames, sizes, errors, opened = Counter(), Counter(), [], set()

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
                    opened.add(k)
                    if len(opened) == WATCHERS:
                        ready.set()
                    if counting.is_set():
                        kind = _kind(frame)
                        frames[kind] += 1
                        sizes[kind] += len(frame)
        except websockets.ConnectionClosed as closed:
            errors.append(f"watcher {k}: closed {closed.rcvd.code if closed.rcvd else '?'}")
        except OSError as error:
            errors.append(f"watcher {k}: {error!r}")

    async def main() -> None:
        await asyncio.gather(*(watch(k) for k in range(WATCHERS)))

    asyncio.run(main())
    results.put((dict(frames), dict(sizes), errors))


def run(device: str = "cpu") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "models"
        store = ModelStore(root, expected_shapes=expected_shapes)
        names = [f"load-{k}" for k in range(RUNNING + QUEUED)]
        for name in [*names, "small"]:
            create_model(store, name=name, architecture="lstm", task_id="embedded_reber", hidden_size=64)
        settings = {"device": device, "max_jobs": RUNNING, "max_queued_jobs": QUEUED, "max_streams_per_client": 200}
        with (
            open(Path(tmp) / "server.log", "w") as log,
            live_server(root, log_file=log, **settings) as url,
            httpx.Client(base_url=url, timeout=60) as client,
        ):
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
            context = multiprocessing.get_context("spawn")
            ready, counting, stop, results = context.Event(), context.Event(), context.Event(), context.Queue()
            watchers = context.Process(target=_watch_all, args=(url, running, ready, counting, stop, results))
            watchers.start()
            if not ready.wait(120):
                errors.append("the watchers did not all connect within 120 s")
            time.sleep(2.0)  # past the openings (each status holds the whole history so far)
            generator = [os.getpid(), watchers.pid]
            cpu_before, started = _cpu_split(server_pid(url), generator), time.monotonic()
            counting.set()
            loaded_health = _probe(client, "GET", "/api/health", errors)
            loaded_trace = _probe(client, "POST", "/api/models/small/trace", errors, json=small_trace)
            counting.clear()
            loaded_s = time.monotonic() - started
            cores = _cores_used(cpu_before, _cpu_split(server_pid(url), generator), loaded_s)
            statuses = [client.get(f"/api/jobs/{job['id']}").json()["status"] for job in jobs]
            stop.set()
            frames, sizes, watch_errors = results.get(timeout=60)
            watchers.join(30)
            errors += watch_errors
            for job in jobs:
                client.post(f"/api/jobs/{job['id']}/cancel")
    return {
        "watchers": WATCHERS,
        "jobs_running": statuses.count("running"),
        "jobs_queued": statuses.count("queued"),
        "loaded_s": loaded_s,
        # Over the loaded part: what the watchers received, and the CPU each party used.
        "frames_per_s": {kind: count / loaded_s for kind, count in frames.items()},
        "mb_per_s": {kind: size / loaded_s / 1e6 for kind, size in sizes.items()},
        "cores_used": cores,
        "health_quiet": _percentiles(quiet_health),
        "health_loaded": _percentiles(loaded_health),
        "small_trace_quiet": _percentiles(quiet_trace),
        "small_trace_loaded": _percentiles(loaded_trace),
        "errors": len(errors),
        "first_errors": errors[:5],
    }
