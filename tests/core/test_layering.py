"""app.core is pure PyTorch + stdlib: it must not import a web package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "app" / "core"
WEB_PACKAGES = {"fastapi", "pydantic", "starlette", "uvicorn", "jinja2", "httpx"}


def test_core_sources_import_no_web_package():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] in WEB_PACKAGES]
    assert offenders == []


def test_importing_the_engine_loads_no_web_package():
    code = (
        "import sys, app.core.trace, app.core.train, app.core.store, app.core.models, app.core.tasks;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(WEB_PACKAGES)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE.parents[1])
    assert out.stdout.strip() == "[]"
