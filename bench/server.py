"""A real server in a subprocess, on a temporary model store, for the API benchmarks: started
the way a user starts it (`python -m app serve`), so it runs with serve's uvicorn options."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
_PIDS: dict[str, int] = {}  # live_server's URL -> its process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(models_dir: Path, log_file: IO | None = None, **settings):
    """Yield the base URL of `python -m app serve` serving models_dir; settings become UNROLLED_*
    variables. Its log (an access line per request) goes to log_file, by default to this
    terminal. server_pid(url) names its process, for a bench that looks at its CPU time."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "UNROLLED_MODELS_DIR": str(models_dir)}
    env.update({f"UNROLLED_{k.upper()}": str(v) for k, v in settings.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=log_file,
    )
    url = f"http://127.0.0.1:{port}"
    _PIDS[url] = process.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield url
    finally:
        _PIDS.pop(url, None)
        process.terminate()
        process.wait(timeout=30)


def server_pid(url: str) -> int:
    """The process id of the server live_server() started at url."""
    return _PIDS[url]
