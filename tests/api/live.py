"""A real uvicorn server for the tests that need a socket TestClient cannot give
(a Host header of the test's choosing, a client that never reads)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

START_S = 30  # a busy 2-core machine can take seconds to start the server


@contextlib.contextmanager
def uvicorn_server(app) -> Iterator[int]:
    """Serve `app` on a free loopback port in a thread of this process; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)
