"""What keeps a class of stream watchers light for the server: each event encoded once for
every watcher, a watcher that falls behind given the latest progress (never a backlog),
traces capped per watcher (UNROLLED_WS_TRACES_PER_S) without losing the newest or the
last, and no per-client compression of the frames (serve turns permessage-deflate off).
How much each saves is measured by bench/watchers.py, not here."""

from __future__ import annotations

import json

import anyio
import numpy as np
import uvicorn

from app.api.jobs import events as events_module
from app.api.jobs.events import TraceFrames, trace_event
from app.api.jobs.job import Job, Subscription
from app.core.run_description import RunRequest
from app.core.train import Progress
from tests.api.test_stalled import FakeJob, serve_fake_job


def progress_text(step: int) -> str:
    return json.dumps({"type": "progress", "step": step})


def frames(name: str) -> TraceFrames:
    return TraceFrames(text=json.dumps({"type": "trace", "name": name}), binary=name.encode())


END = json.dumps({"type": "done"})


# ----- the Subscription: what one watcher has not been sent yet ------------------------------


def test_a_watcher_behind_gets_the_latest_progress_the_latest_trace_and_the_end():
    wake_ups = []
    subscription = Subscription(lambda: wake_ups.append(1))
    for step in range(1, 6):
        subscription.offer("progress", progress_text(step))
    subscription.offer("trace", frames("older"))
    subscription.offer("trace", frames("newer"))
    subscription.offer("final", END)
    assert subscription.pending() == 3
    assert subscription.take() == ([progress_text(5), frames("newer"), END], True)
    assert subscription.take() == ([], False)
    assert len(wake_ups) == 1  # one wake-up for the whole batch


def test_a_trace_left_for_later_is_replaced_by_a_newer_one_and_sent_before_the_end():
    subscription = Subscription(lambda: None)
    subscription.offer("trace", frames("first"))
    subscription.offer("progress", progress_text(1))
    assert subscription.take(with_trace=False) == ([progress_text(1)], False)
    assert subscription.holds_trace()
    subscription.offer("trace", frames("second"))
    subscription.offer("progress", progress_text(2))
    subscription.offer("final", END)
    # The end takes the held trace with it, even while traces are held back: the job's last
    # trace always arrives, and before the final event.
    assert subscription.take(with_trace=False) == ([progress_text(2), frames("second"), END], True)
    assert not subscription.holds_trace()


# ----- the Job: one encoding per event, the same bytes for every watcher --------------------


def test_each_event_is_encoded_once_however_many_watch(monkeypatch):
    encoded = {"json": 0, "msgpack": 0}

    def counting(kind, encode):
        def wrapper(document, *args, **kwargs):
            encoded[kind] += 1
            return encode(document, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(events_module, "to_json_bytes", counting("json", events_module.to_json_bytes))
    monkeypatch.setattr(events_module, "to_msgpack_bytes", counting("msgpack", events_module.to_msgpack_bytes))
    job = Job("m", {"steps": 10}, RunRequest(steps=10), first_step=0)
    job.start(0)
    watchers = [job.subscribe(lambda: None)[0] for _ in range(50)]
    encoded.update(json=0, msgpack=0)  # the openings (each its own status) are not live events

    job.report_progress(Progress(5, 10, 0.5, 0.25, 1.0, 100.0, 0.05))
    job.report_trace(5, {"h": np.zeros((3, 4), dtype=np.float32)})
    job.finish("done", step=10)

    assert encoded == {"json": 3, "msgpack": 1}  # progress, trace (both encodings), end
    sent = [watcher.take()[0] for watcher in watchers]
    assert all(len(each) == 3 for each in sent)
    for position in range(3):  # the very same objects in every watcher's hands
        assert all(each[position] is sent[0][position] for each in sent)


# ----- the stream: traces capped per watcher ---------------------------------------------


def receive_frame(ws, timeout: float = 30.0) -> dict:
    """The next frame (text or bytes); a server that goes quiet fails the test instead of hanging it."""

    async def next_message():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return message


def test_traces_beyond_the_cap_wait_and_only_the_newest_is_sent(make_client, monkeypatch):
    client = make_client(ws_traces_per_s=0.01)  # one trace per 100 s: nothing but the cap decides here
    job = FakeJob()
    serve_fake_job(client.app, monkeypatch, job)
    trace = {name: trace_event(step, {"h": np.full((2, 2), step, dtype=np.float32)}) for step, name in enumerate("abc")}
    with client.websocket_connect(f"/api/jobs/{job.id}/events") as ws:
        assert json.loads(receive_frame(ws)["text"])["type"] == "status"
        job.offer("trace", trace["a"])  # the first goes at once
        assert receive_frame(ws)["text"] == trace["a"].text
        job.offer("trace", trace["b"])
        job.offer("trace", trace["c"])  # replaces b, which is never sent
        job.offer("progress", progress_text(7))
        assert receive_frame(ws)["text"] == progress_text(7)  # progress is not held back with the trace
        job.offer("final", END)
        assert [receive_frame(ws)["text"] for _ in range(2)] == [trace["c"].text, END]


# ----- serve: no per-client compression --------------------------------------------------


def test_serve_turns_per_message_compression_off(monkeypatch):
    from app.__main__ import main

    served: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: served.append(options))
    monkeypatch.setenv("UNROLLED_HOST", "127.0.0.1")  # restored after the test; serve sets it
    assert main(["serve", "--port", "8123"]) == 0
    # permessage-deflate compresses every frame once per client: the server's main cost
    # under a class of watchers (docs/benchmarks.md, "A class watching").
    assert served[-1]["ws_per_message_deflate"] is False
