"""Helpers the browser tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def open_page(page, server_url: str, query: str = "") -> None:
    """Go to the explorer and wait until it has traced and drawn its model."""
    page.goto(f"{server_url}/{query}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(".network-body .net[data-status='ready']")


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
