"""A real uvicorn server in a subprocess, on a temporary model store, for the API benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(models_dir: Path, **settings):
    """Yield the base URL of `uvicorn app.main:app` serving models_dir; settings become UNROLLED_* variables."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "UNROLLED_MODELS_DIR": str(models_dir)}
    env.update({f"UNROLLED_{k.upper()}": str(v) for k, v in settings.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
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
        process.terminate()
        process.wait(timeout=30)
