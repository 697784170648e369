"""The CUDA path, run where a GPU is present (skipped elsewhere, so CI on a CPU runner skips it).

What must hold on a GPU: "auto" picks it; every family's trace on the GPU is the
CPU's trace of the same weights (float32, to a relative 1e-4: the two devices sum
in different orders); a run trains there and stores weights a CPU can load; and
the server trains a job on it in a worker process and traces the result.
"""

from __future__ import annotations

import time

import pytest
import torch

from app.core.architectures import expected_shapes
from app.core.device import pick_device
from app.core.models import build_model, load_model
from app.core.runs import ModelSpec, RunDescription, RunRequest, run_training
from app.core.store import ModelStore
from app.core.trace import trace

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")

FAMILIES = [
    ("elman", "tanh"),
    ("elman", "relu"),
    ("shortcut", "tanh"),
    ("lstm", None),
    ("gru", None),
    ("second_order", None),
]
CLOSE = {"rtol": 1e-4, "atol": 1e-5}


@pytest.fixture(autouse=True)
def full_float32_matmuls():
    """TF32 would round products to 10 bits of mantissa: a different number, not an error."""
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def test_auto_picks_the_gpu():
    assert pick_device("auto").type == "cuda"
    assert pick_device("cuda").type == "cuda"
    assert pick_device("cpu").type == "cpu"


@pytest.mark.parametrize("architecture, activation", FAMILIES)
def test_a_trace_on_the_gpu_is_the_cpu_trace(architecture, activation):
    loaded = build_model("m", architecture, "embedded_reber", 24, seed=3, activation=activation)
    on_cpu = trace(loaded.model, loaded.task, grad_flow=True)
    on_gpu = trace(loaded.model.to("cuda"), loaded.task, grad_flow=True)
    for field in ("h", "logits", "losses", "grad_h", "grad_x", "grad_flow"):
        torch.testing.assert_close(getattr(on_gpu, field).cpu(), getattr(on_cpu, field), **CLOSE, msg=field)
    for kind in ("c", "grad_c", "grad_flow_c"):
        assert (getattr(on_gpu, kind) is None) == (getattr(on_cpu, kind) is None), kind
        if getattr(on_cpu, kind) is not None:
            torch.testing.assert_close(getattr(on_gpu, kind).cpu(), getattr(on_cpu, kind), **CLOSE, msg=kind)
    assert on_gpu.gates.keys() == on_cpu.gates.keys()
    for name, values in on_cpu.gates.items():
        torch.testing.assert_close(on_gpu.gates[name].cpu(), values, **CLOSE, msg=name)
    for name, grad in on_cpu.parameter_grads.items():
        torch.testing.assert_close(on_gpu.parameter_grads[name].cpu(), grad, **CLOSE, msg=name)
    assert on_gpu.loss == pytest.approx(on_cpu.loss, rel=1e-4)


@pytest.mark.parametrize("architecture", ["elman", "lstm", "gru"])
def test_a_run_trains_on_the_gpu_and_stores_weights_a_cpu_loads(tmp_path, architecture):
    store = ModelStore(tmp_path / "models", expected_shapes=expected_shapes)
    starts = []
    description = RunDescription("m", RunRequest(steps=40, batch_size=16), ModelSpec(architecture, "reber", 16))
    outcome = run_training(store, description, "cuda", on_start=starts.append)
    assert starts[0].device.startswith("cuda")
    assert outcome.status == "done" and outcome.saved
    loaded = load_model(store, "m", "cpu")
    assert loaded.total_steps == 40
    assert all(torch.isfinite(p).all() and p.device.type == "cpu" for p in loaded.model.parameters())
    first, last = loaded.metadata.history[0].loss, loaded.metadata.history[-1].loss
    assert last < first  # 40 steps of Adam on Reber: the loss falls on any device


def test_the_server_trains_a_job_on_the_gpu_and_traces_it(tmp_path):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    settings = Settings.from_env(models_dir=tmp_path / "models", allowed_hosts=("testserver",), device="auto")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").json()["device"] == "cuda"
        body = {"name": "m", "architecture": "lstm", "task": "reber", "hidden_size": 16}
        assert client.post("/api/models", json=body).status_code == 201
        job = client.post("/api/models/m/train", json={"steps": 30, "batch_size": 8}).json()
        deadline = time.monotonic() + 120
        while (job := client.get(f"/api/jobs/{job['id']}").json())["status"] not in ("done", "failed", "cancelled"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["status"] == "done", job
        traced = client.post("/api/models/m/trace", json={"input": "BTSSXXTVVE"})
        assert traced.status_code == 200, traced.text
        assert traced.json()["steps"] > 0
