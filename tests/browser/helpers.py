"""Helpers the browser tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_S = 60  # a cold start imports torch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A uvicorn server of the app in its own process, with `env` (UNROLLED_ settings) over this
    process's environment; yields its URL once /api/health answers, stops it after."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "UNROLLED_DEVICE": "cpu", **env}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not start; its log:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def open_page(page, server_url: str, query: str = "") -> None:
    """Go to the explorer and wait until it has traced and drawn its model."""
    page.goto(f"{server_url}/{query}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(".network-body .net[data-status='ready']")


def build_in_drawer(page, server_url: str, name: str, hidden_size: int):
    """Open the explorer, build a new Elman net on Reber from the training drawer and wait until
    the page shows it; returns the drawer's locator."""
    open_page(page, server_url, "?model=elman-reber")
    page.click("[data-action=train]")
    drawer = page.locator("[data-role=training]")
    drawer.wait_for(state="visible")
    drawer.locator("details.build summary").click()
    drawer.locator("[data-field=architecture]").select_option("elman")
    drawer.locator("[data-field=task]").select_option("reber")
    drawer.locator("[data-field=hidden_size]").fill(str(hidden_size))
    drawer.locator("[data-field=name]").fill(name)
    drawer.locator("button[type=submit]").click()
    page.wait_for_function(f"document.querySelector('[data-role=model-select]').value === '{name}'")
    return drawer


def probe_trace(server_url: str, name: str) -> dict:
    """The trace the server computes for a model on its task's probe input (what the page opens with)."""
    detail = httpx.get(f"{server_url}/api/models/{name}").json()
    return httpx.post(f"{server_url}/api/models/{name}/trace", json={"input": detail["task"]["probe_text"]}).json()


def update_docs() -> bool:
    """UNROLLED_UPDATE_DOCS=1 (make screenshot) lets tests refresh docs/screenshot.png and the page figures."""
    return os.environ.get("UNROLLED_UPDATE_DOCS") == "1"


def copy_to_docs(path: Path, name: str) -> None:
    shutil.copy2(path, ROOT / "docs" / name)


def record_page_figure(prefix: str, line: str) -> Path:
    """Write a measured figure into the "Page" section of docs/benchmarks.md, replacing the
    line that starts with `prefix`."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    lines = text.split("\n")
    for i, old in enumerate(lines):
        if old.startswith(prefix):
            lines[i] = line
            break
    else:
        if "## Page" in lines:
            at = lines.index("## Page") + 1
            lines[at:at] = ["", line]
        else:
            lines += ["", "## Page", "", line]
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path


def post_analysis(server_url: str, route: str, body: dict, model: str = "elman-reber") -> dict:
    """The API's own answer to an analysis request (the page is checked against it)."""
    response = httpx.post(
        f"{server_url}/api/models/{model}/analysis/{route}", json=body, headers={"Origin": server_url}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()
