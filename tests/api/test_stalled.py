"""A stream client that never reads is dropped, over a real socket against uvicorn.

TestClient's in-memory socket never fills, so here the app is served by uvicorn
in a thread and the client is a raw socket with a small receive buffer that
completes the WebSocket handshake and then reads nothing. The job is a FakeJob
(what a stream needs of a Job, with the real Subscription), fed large trace
frames by the test until the server lets go of the client.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from app.api.jobs.events import TraceFrames
from app.api.jobs.job import Subscription
from app.main import create_app
from app.settings import Settings
from tests.api.live import uvicorn_server

HANDSHAKE = (
    "GET /api/jobs/{job}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
BIG_TRACE = TraceFrames(text='{"type": "trace", "pad": "' + "x" * 2**20 + '"}', binary=b"\x80" * 2**20)


class FakeJob:
    """What a stream needs of a Job (subscribe, unsubscribe, request_stop); the test offers its events."""

    id = "fakejob"

    def __init__(self, opening: list | None = None):
        self.opening = opening if opening is not None else ['{"type": "status"}']
        self.subscriptions: list[Subscription] = []
        self.stop_reasons: list[str] = []
        self._lock = threading.Lock()

    def subscribe(self, notify):
        subscription = Subscription(notify)
        with self._lock:
            self.subscriptions.append(subscription)
        return subscription, list(self.opening)

    def unsubscribe(self, subscription) -> None:
        with self._lock:
            if subscription in self.subscriptions:
                self.subscriptions.remove(subscription)

    def request_stop(self, reason: str) -> None:
        self.stop_reasons.append(reason)

    def offer(self, kind: str, frame) -> None:
        with self._lock:
            watching = list(self.subscriptions)
        for subscription in watching:
            subscription.offer(kind, frame)

    def watched(self) -> int:
        with self._lock:
            return len(self.subscriptions)


def serve_fake_job(app, monkeypatch, job: FakeJob) -> None:
    """Let the app's registry answer job.id with `job` (every other id stays unknown)."""
    registry = app.state.jobs
    real_get = registry.get
    monkeypatch.setattr(registry, "get", lambda job_id: job if job_id == job.id else real_get(job_id))


def silent_client(port: int, job_id: str) -> socket.socket:
    """A WebSocket client with a 4 KiB receive buffer that, after the handshake, reads nothing."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    client.sendall(HANDSHAKE.format(job=job_id, port=port).encode())
    client.settimeout(10)
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += client.recv(1)  # byte by byte: nothing after the handshake is read
    assert reply.startswith(b"HTTP/1.1 101"), reply
    return client


def test_a_client_that_never_reads_is_dropped_and_its_connection_freed(tmp_path, monkeypatch):
    settings = Settings.from_env(models_dir=tmp_path / "models", ws_stall_timeout_s=0.5)
    app = create_app(settings)
    job = FakeJob()
    with uvicorn_server(app) as port:
        serve_fake_job(app, monkeypatch, job)
        client = silent_client(port, job.id)
        deadline = time.monotonic() + 60
        while job.watched() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert job.watched() == 1
        offered = 0
        # Megabyte traces until the server lets go; the buffers fill after a few of them.
        while job.watched() and time.monotonic() < deadline:
            job.offer("trace", BIG_TRACE)
            offered += 1
            time.sleep(0.05)
        assert job.watched() == 0, "the stalled client was never dropped"
        assert offered > 2  # it was dropped for not reading, not at once
        # The connection was aborted, not left to flush megabytes to a client that reads
        # nothing: the kernel answers with a reset, and the buffered frames are gone.
        with pytest.raises(ConnectionResetError):
            while client.recv(2**16):
                pass
        client.close()
        assert not app.state.open_streams  # its place in the per-address count is given back
