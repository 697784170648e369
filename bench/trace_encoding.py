"""Binary, compressed traces and big bodies, measured in one run (python -m bench encoding):

- bytes on the wire of a 500-step LSTM H=512 trace (grad_flow off) as JSON, msgpack, and
  msgpack byte-shuffled and compressed (zstd, gzip), each as the server sends it: target
  <= 1/4 of the JSON. For the model untrained and briefly trained, on three inputs: the
  repetitive string earlier runs used (the inner Reber loop on S, whose hidden states settle
  to a fixed point and compress to almost nothing), a varied legal string (loops through
  X, T, V, P), and 500 steps of training strings one after another, sent as raw vectors x
  (the grammar refuses them as one text): states that change at every step, the hard case;
- the page's trace over HTTP (request, compute, encode, compress, receive the raw bytes) vs
  the same bytes made in-process (trace + trace_document + to_msgpack_bytes + compress):
  target <= 1.2x. The same for plain msgpack, uncompressed, as earlier runs measured;
- the server-side cost of each compression, in-process (best of three);
- /api/health latency (p50, p99) alone, then while two clients keep re-sending trace bodies
  of the maximum size (UNROLLED_MAX_BODY_BYTES), each refused: target p99 < 50 ms.
The load generator runs on the same machine as the server.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import orjson

from app.api.compression import GZIP, ZSTD, compress
from app.api.responses import MSGPACK, to_msgpack_bytes
from app.core.architectures import expected_shapes
from app.core.device import configure_threads
from app.core.models import create_model, save_model
from app.core.store import ModelStore
from app.core.tasks import make_task
from app.core.trace import trace, trace_document
from app.core.train import TrainConfig, Trainer
from app.settings import Settings
from bench.server import live_server
from bench.timing import interleaved
from bench.trace_speed import probe_sequence

STEPS = 500
HIDDEN = 512
# The inner Reber string loops on S: after a few steps every state is the same.
REPETITIVE = "BT" + "BT" + "S" * (STEPS - 9) + "XSE" + "TE"
TRAIN_STEPS = 100  # "trained-ish": a few seconds of Adam, the loss well down from ln 7
HEALTH_PROBES = 400
PROBE_GAP_S = 0.01
# name -> (query, Accept, Accept-Encoding): each representation as a client asks for it.
REPRESENTATIONS = {
    "json": ("", "application/json", "identity"),
    "json_zstd": ("", "application/json", ZSTD),
    "msgpack": ("", MSGPACK, "identity"),
    "msgpack_zstd": ("", MSGPACK, ZSTD),
    "shuffled_zstd": ("?shuffle=true", MSGPACK, ZSTD),  # what the page gets from localhost or https
    "shuffled_gzip": ("?shuffle=true", MSGPACK, GZIP),  # ... and from plain http:// on a LAN
}


def varied_embedded_reber(steps: int, seed: int = 0) -> str:
    """A legal embedded Reber string of exactly `steps` symbols whose inner string keeps moving:
    X, then loops of X T..T V P (the grammar's cycle through its nodes 3, 5 and 4), then S E."""
    rng = random.Random(seed)
    head, tail = "BT" + "BT" + "S" * rng.randint(1, 5) + "X", "SE" + "TE"
    loops, room = [], steps - len(head) - len(tail)
    while room >= 9:  # room for a loop of up to five T's and a last loop of at least three symbols
        loop = "X" + "T" * rng.randint(0, 5) + "VP"
        loops.append(loop)
        room -= len(loop)
    if room < 3:  # too little for a last loop: the previous one takes the rest
        room += len(loops.pop())
    loops.append("X" + "T" * (room - 3) + "VP")
    return head + "".join(loops) + tail


def training_strings(task, steps: int) -> dict:
    """A trace body of `steps` steps of the task's own samples back to back, as vectors x and targets."""
    sequence = probe_sequence(task, steps)
    return {"x": sequence.x.tolist(), "target": sequence.target.tolist()}


def _sequence(task, request: dict):
    if "input" in request:
        return task.encode(request["input"])
    return task.sequence_from_vectors(request["x"], request["target"], max_steps=STEPS)


def _max_size_body(limit: int) -> bytes:
    """A trace body of raw vectors just under `limit` bytes: too many steps, so it is refused."""
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
                "/api/models/untrained/trace", content=body, headers={"Content-Type": "application/json"}
            )
            statuses.append(response.status_code)


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    return latencies[len(latencies) // 2] * 1e3, latencies[int(0.99 * (len(latencies) - 1))] * 1e3


def _wire_bytes(client: httpx.Client, model: str, request: dict, representation: str) -> bytes:
    """The response body exactly as it crossed the wire (not decompressed)."""
    query, accept, accept_encoding = REPRESENTATIONS[representation]
    headers = {"Accept": accept, "Accept-Encoding": accept_encoding}
    body = {**request, "grad_flow": False}
    with client.stream("POST", f"/api/models/{model}/trace{query}", json=body, headers=headers) as response:
        response.raise_for_status()
        assert response.headers.get("content-encoding", "identity") == accept_encoding, response.headers
        return b"".join(response.iter_raw())


def _best_ms(work, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def _sizes_and_costs(client: httpx.Client, models: dict, inputs: dict) -> dict:
    """Wire bytes of every representation, and each compression's time, per model and input."""
    figures = {}
    for model, loaded in models.items():
        for input_name, request in inputs.items():
            key = f"{model}_{input_name}"
            sizes = {name: len(_wire_bytes(client, model, request, name)) for name in REPRESENTATIONS}
            figures[f"{key}_bytes"] = sizes
            figures[f"{key}_over_json"] = {name: size / sizes["json"] for name, size in sizes.items()}
            sequence = _sequence(loaded.task, request)
            document = trace_document(trace(loaded.model, loaded.task, sequence, grad_flow=False))
            shuffled = to_msgpack_bytes(document, shuffle=True)
            figures[f"{key}_compress_ms"] = {
                "shuffled_zstd": _best_ms(lambda data=shuffled: compress(data, ZSTD)),
                "shuffled_gzip": _best_ms(lambda data=shuffled: compress(data, GZIP)),
                "msgpack_zstd": _best_ms(lambda doc=document: compress(to_msgpack_bytes(doc), ZSTD)),
            }
    return figures


def _http_against_in_process(client: httpx.Client, loaded, model: str, request: dict) -> dict:
    sequence = _sequence(loaded.task, request)

    def made(shuffle: bool, coding: str | None):
        def work():
            document = trace_document(trace(loaded.model, loaded.task, sequence, grad_flow=False))
            body = to_msgpack_bytes(document, shuffle=shuffle)
            return compress(body, coding) if coding else body

        return work

    contenders = {
        "page_in_process": made(True, ZSTD),
        "page_http": lambda: _wire_bytes(client, model, request, "shuffled_zstd"),
        "msgpack_in_process": made(False, None),
        "msgpack_http": lambda: _wire_bytes(client, model, request, "msgpack"),
        "json_http": lambda: _wire_bytes(client, model, request, "json"),
    }
    times = interleaved(contenders, rounds=10, warmup=2)
    return {
        **{f"{name}_ms": seconds * 1e3 for name, seconds in times.items()},
        "page_http_ratio": times["page_http"] / times["page_in_process"],
        "msgpack_http_ratio": times["msgpack_http"] / times["msgpack_in_process"],
    }


def run(device: str = "cpu") -> dict:
    configure_threads(1)  # as the server does
    load_before = os.getloadavg()  # the machine is shared: the figures mean little without it
    inputs = {
        "repetitive": {"input": REPETITIVE},
        "varied": {"input": varied_embedded_reber(STEPS)},
        "training_strings": training_strings(make_task("embedded_reber"), STEPS),
    }
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "models"
        store = ModelStore(root, expected_shapes=expected_shapes)
        models = {}
        for name in ("untrained", "trained"):
            models[name] = create_model(
                store, name=name, architecture="lstm", task_id="embedded_reber", hidden_size=HIDDEN
            )
        trained = models["trained"]
        start = time.perf_counter()
        result = Trainer(trained.model, trained.task, TrainConfig(steps=TRAIN_STEPS, batch_size=16)).run()
        train_s = time.perf_counter() - start
        save_model(store, trained)

        body = _max_size_body(Settings.from_env().max_body_bytes)
        log = stack.enter_context(open(os.devnull, "w"))  # an access line per request: thousands
        with live_server(root, log, device="cpu") as url, httpx.Client(base_url=url, timeout=120) as client:
            figures = _sizes_and_costs(client, models, inputs)
            timing = _http_against_in_process(client, trained, "trained", inputs["varied"])

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
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "trained_steps": result.steps_done,
        "trained_loss": result.history[-1].loss if result.history else None,
        "train_s": train_s,
        **figures,
        **timing,
        "big_body_bytes": len(body),
        "big_bodies_sent": len(statuses),
        "big_body_statuses": sorted(set(statuses)),
        "health_quiet_p50_ms": quiet_p50,
        "health_quiet_p99_ms": quiet_p99,
        "health_under_big_bodies_p50_ms": load_p50,
        "health_under_big_bodies_p99_ms": load_p99,
    }
