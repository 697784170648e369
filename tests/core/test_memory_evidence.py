"""The short-term-memory chapter's figures (app/core/lessons/memory.py) against the shipped run files,
counted here independently, and the chapter's wording against those figures: each qualitative word the
chapter uses ("no run from", "a shorter lag", "every lag") is a condition checked on the stored results."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import torch

from app.core.lessons.memory import memory_evidence, variant_key
from app.core.models import load_model
from app.core.store import ModelStore

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "models" / "experiments" / "short-term-memory"
Z = 1.959963984540054


def _records():
    document = json.loads((FOLDER / "experiment.json").read_text())
    return document, [json.loads(path.read_text()) for path in sorted((FOLDER / "runs").glob("*.json"))]


@pytest.fixture(scope="module")
def shipped():
    document, records = _records()
    return memory_evidence(document, records), records


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre, half = p + Z * Z / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


def test_variant_keys_are_template_paths():
    assert variant_key("lstm/chrono:100") == "lstm_chrono_100"
    assert variant_key("elman/relu/identity") == "elman_relu_identity"
    assert variant_key("second_order") == "second_order"


def test_counts_match_the_run_files(shipped):
    figure, records = shipped
    counts: dict[tuple[str, int], list[bool]] = {}
    for record in records:
        lag = record["point"]["task_options"]["lag"]
        counts.setdefault((record["point"]["variant"], lag), []).append(bool(record["success"]))
    assert figure["runs"] == len(records)
    assert figure["lags"] == sorted({lag for _, lag in counts})
    for (label, lag), outcomes in counts.items():
        point = figure["variants"][variant_key(label)]["by_lag"][f"lag{lag}"]
        assert (point["successes"], point["runs"]) == (sum(outcomes), len(outcomes))
        low, high = wilson(sum(outcomes), len(outcomes))
        assert math.isclose(point["interval_low"], max(0.0, low), abs_tol=1e-9)
        assert math.isclose(point["interval_high"], min(1.0, high), abs_tol=1e-9)


def test_the_lags_that_bound_each_memory(shipped):
    figure, records = shipped
    for label in {r["point"]["variant"] for r in records}:
        variant = figure["variants"][variant_key(label)]
        solved = {}
        for record in records:
            if record["point"]["variant"] == label:
                lag = record["point"]["task_options"]["lag"]
                solved.setdefault(lag, []).append(bool(record["success"]))
        lags = sorted(solved)
        all_to = [lag for lag in lags if all(all(solved[m]) for m in lags if m <= lag)]
        none_from = [lag for lag in lags if not any(any(solved[m]) for m in lags if m >= lag)]
        assert variant["solved_to"] == (max(all_to) if all_to else None)
        assert variant["fails_from"] == (min(none_from) if none_from else None)


def test_the_chapter_wording_holds_on_the_shipped_results(shipped):
    v = shipped[0]["variants"]
    elman, lstm = v["elman"], v["lstm"]
    # "from a lag of X no run succeeded, where at the shortest lag k of n did"
    assert elman["fails_from"] is not None and elman["shortest"]["successes"] > 0
    # "no run succeeded from a lag of Y, a shorter lag than the Elman net's"
    assert lstm["fails_from"] is not None and lstm["fails_from"] < elman["fails_from"]
    assert v["lstm_forget_bias_1"]["fails_from"] is not None
    # "started with chrono initialisation ... it succeeded at every lag"
    assert v["lstm_chrono_100"]["solved_every_lag"]
    # "the Elman net [ReLU, identity] solved every lag"
    assert v["elman_relu_identity"]["solved_every_lag"]
    # "the second-order net failed even at the shortest lag" (not every run of it)
    assert v["second_order"]["shortest"]["successes"] < v["second_order"]["shortest"]["runs"]


def test_unfinished_runs_are_left_out():
    document, records = _records()
    broken = [dict(records[0], status="failed", success=False), *records[1:]]
    figure = memory_evidence(document, broken)
    assert figure["runs"] == len(records) - 1


def test_no_finished_run_is_an_error():
    document, _ = _records()
    with pytest.raises(ValueError, match="no finished run"):
        memory_evidence(document, [])


def test_a_second_order_net_started_at_zero_cannot_see_its_first_symbol():
    """The chapter's reason for the second-order net's failure: with h_0 = 0 the product W h_0 x_1 is
    zero, so h_1 is the same whatever the first symbol (the one delayed recall asks for)."""
    store = ModelStore(ROOT / "models")
    loaded = load_model(store, "x-short-term-memory-second_order-lag5-length1-n_symbols8-h32")
    rng = random.Random(0)
    firsts = set()
    for _ in range(8):
        sequence = loaded.task.sample(rng)
        with torch.no_grad():
            h = loaded.model.architecture.step_forward(loaded.model.rnn, sequence.x).h
        firsts.add(tuple(round(v, 6) for v in h[0].tolist()))
        assert not torch.allclose(h[1], h[0]) or sequence.x.shape[0] == 1  # later steps do move
    assert len(firsts) == 1
