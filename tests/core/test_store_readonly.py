"""A models folder that cannot be written: a clear error, never a 500; reads still work.

The folder is made unwritable for real. As an ordinary user that is chmod 0555.
Root ignores permissions, so as root (this sandbox, a container) a child process
drops its effective uid to nobody's (65534) after its imports: the folder,
owned by root with mode 0755, is then another user's, exactly the container's
"mounted folder owned by someone else". (A read-only mount cannot be made
without privileges and is not tested; it fails with EROFS, which the store
treats like EACCES.) The child checks the store and the HTTP API and prints
what it saw as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.core.architectures import expected_shapes
from app.core.models import create_model
from app.core.store import ModelStore

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534

CHILD = """
import json, os, sys
from pathlib import Path
from fastapi.testclient import TestClient
from app.core.architectures import expected_shapes
from app.core.models import create_model
from app.core.store import ModelStore, StoreError
from app.main import create_app
from app.settings import Settings

folder, warm = Path(sys.argv[1]), Path(sys.argv[2])
body = {"name": "new", "architecture": "elman", "task": "reber", "hidden_size": 4}

def client_for(path):
    # A loopback Host, which the server always answers (TestClient would send "testserver").
    return TestClient(create_app(Settings.from_env(models_dir=path, seed_dir=None)), base_url="http://127.0.0.1")

# Everything the server imports lazily, imported now, while files can still be read.
with client_for(warm) as client:
    client.get("/api/health"); client.get("/api/models"); client.post("/api/models", json=body)
    client.post("/api/models/new/trace", json={"input": "BTSSXXTVVE"})
if os.geteuid() == 0:
    os.setegid(65534); os.seteuid(65534)

seen = {}
store = ModelStore(folder, expected_shapes=expected_shapes)
report = store.repair()
seen["repair_not_writable"] = report.not_writable
seen["store_loads"] = store.load("m").metadata.total_steps
try:
    create_model(store, name="other", architecture="elman", task_id="reber", hidden_size=4, seed=0,
                 activation="tanh", task_options={})
except StoreError as exc:
    seen["store_create"] = [type(exc).__name__, str(exc)]
with client_for(folder) as client:
    seen["health"] = client.get("/api/health").json()
    seen["list"] = client.get("/api/models").json()
    seen["trace"] = client.post("/api/models/m/trace", json={"input": "BTSSXXTVVE"}).status_code
    checkpoint = client.get("/api/models/m/checkpoint")
    seen["download"] = checkpoint.status_code
    answers = {
        "create": client.post("/api/models", json=body),
        "upload": client.post("/api/models/up/checkpoint", content=checkpoint.content,
                              headers={"content-type": "application/octet-stream"}),
        "overwrite": client.post("/api/models/m/checkpoint?overwrite=true", content=checkpoint.content,
                                 headers={"content-type": "application/octet-stream"}),
        "train": client.post("/api/models/m/train", json={"steps": 2, "batch_size": 2}),
        "delete": client.delete("/api/models/m"),
    }
    seen["answers"] = {label: [r.status_code, r.json()["detail"]] for label, r in answers.items()}
print(json.dumps(seen))
"""


@pytest.fixture
def unwritable_folder():
    """A folder holding model "m" (and a leftover temp file) that the child cannot write."""
    base = Path(tempfile.mkdtemp(prefix="unrolled-readonly-"))  # in /tmp, which nobody may traverse
    folder = base / "models"
    store = ModelStore(folder, expected_shapes=expected_shapes)
    create_model(
        store,
        name="m",
        architecture="elman",
        task_id="reber",
        hidden_size=4,
        seed=0,
        activation="tanh",
        task_options={},
    )
    (folder / ".m.json.0123456789ab.tmp").write_bytes(b"{")
    for path in (base, folder):
        path.chmod(0o755)
    if os.geteuid() != 0:
        folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(stat.S_IRWXU)
        shutil.rmtree(base)


def test_a_folder_that_cannot_be_written_is_reported_and_refused_clearly(unwritable_folder, tmp_path):
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(unwritable_folder), str(tmp_path / "warm")],
        cwd=REPO,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    seen = json.loads(child.stdout.decode().strip().splitlines()[-1])
    folder = str(unwritable_folder)
    # At start-up: repair could not remove the leftover, and says why; the model still loads.
    assert folder in seen["repair_not_writable"]
    assert seen["store_loads"] == 0
    assert seen["store_create"][0] == "StoreNotWritable" and folder in seen["store_create"][1]
    # The health endpoint says so; reads still work.
    assert seen["health"]["store"] == "read-only" and folder in seen["health"]["store_problem"]
    assert [entry["name"] for entry in seen["list"]] == ["m"] and seen["list"][0]["error"] is None
    assert seen["trace"] == 200 and seen["download"] == 200
    # Every write is a 503 naming the folder, never a 500.
    for label, (status, detail) in seen["answers"].items():
        assert status == 503, (label, status, detail)
        assert folder in detail and "cannot be written" in detail, label
    assert (unwritable_folder / "m.json").exists() and (unwritable_folder / "m.safetensors").exists()
