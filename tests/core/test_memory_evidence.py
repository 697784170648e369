"""The short-term-memory chapter's figures (app/core/lessons/memory.py) against the shipped run files,
counted here independently, and the chapter's wording against those figures: each qualitative word the
chapter uses ("no run from", "still succeeded in some runs", "every lag") is a condition checked on the
stored results."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import pytest
import torch

from app.core.lessons.memory import at_trained_lags, memory_evidence, variant_key
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
        # exact at the ends, so the page does not print the formula's rounding dust (5.6e-17 as a percentage)
        assert point["interval_low"] == 0.0 or sum(outcomes) > 0
        assert point["interval_high"] == 1.0 or sum(outcomes) < len(outcomes)


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
    # "leans the textbook's way: at the shortest lag k of n runs succeeded, and from a lag of X none did"
    assert elman["fails_from"] is not None and elman["shortest"]["successes"] > elman["longest"]["successes"] == 0
    # "[n] seeds per lag cannot show that its memory gives out: the Wilson intervals at the shortest lag and at
    # the longest overlap, so one rate could underlie both"
    assert elman["shortest"]["interval_low"] < elman["longest"]["interval_high"]
    assert elman["shortest"]["runs"] == elman["longest"]["runs"] == shipped[0]["seeds"]
    # "no run succeeded from a lag of Y (where the Elman net still succeeded in some runs ...)"
    assert v["elman"]["by_lag"][f"lag{lstm['fails_from']}"]["successes"] > 0
    assert lstm["fails_from"] is not None and lstm["fails_from"] < elman["fails_from"]
    assert v["lstm_forget_bias_1"]["fails_from"] is not None
    # "started with chrono initialisation ... it succeeded at every lag ..., and so did the GRU started the same way"
    assert v["lstm_chrono_100"]["solved_every_lag"] and v["gru_chrono_100"]["solved_every_lag"]
    # "the GRU as PyTorch starts it solved every run up to a lag of X and none at Y"
    assert v["gru"]["solved_to"] is not None and v["gru"]["fails_from"] == shipped[0]["longest_lag"]
    # "the Elman net [ReLU, identity] solved every run up to a lag of X, and k of n at the longest, where its
    # memory too gives out"
    relu = v["elman_relu_identity"]
    assert relu["solved_to"] is not None and relu["solved_to"] < shipped[0]["longest_lag"]
    assert relu["longest"]["successes"] < relu["longest"]["runs"]
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


def test_the_chapter_states_the_intervals_and_a_command_that_runs():
    """The chapter reads the Elman net's intervals from the figure, and the command it gives for more seeds is
    one the CLI accepts (N stands for a number)."""
    from app.__main__ import build_parser
    from tests.core.test_claims import chapter_texts

    (chapter,) = [text for text in chapter_texts() if "short-term-memory --seeds" in text]
    for side in ("shortest", "longest"):
        for end in ("interval_low", "interval_high"):
            assert f"{{memory.variants.elman.{side}.{end}|pct}}" in chapter
    command = re.search(r"\u201cpython -m app (experiment run [^\u201d]*)\u201d", chapter).group(1)
    args = build_parser().parse_args(command.replace(" N", " 5").split())
    assert args.name == "short-term-memory" and args.seeds == "5"
    # the whole grid grows: a run narrowed to some architectures would store a recipe whose grid names only
    # those, and the chapter's "each net N times" would no longer hold for the others
    assert args.architectures is None


@pytest.mark.parametrize("experiment", ["short-term-memory", "vanishing-gradient"])
def test_the_recall_chapters_counts_are_the_plain_nets_runs_at_its_lags(experiment):
    """at_trained_lags for elman-copy (a tanh Elman net as PyTorch starts it, trained from lag 40) against the
    run files counted here: the runs of elman, tanh (or unnamed, the default) and no init, by lag."""
    folder = ROOT / "models" / "experiments" / experiment
    document = json.loads((folder / "experiment.json").read_text())
    records = [json.loads(path.read_text()) for path in sorted((folder / "runs").glob("*.json"))]
    elman_copy = load_model(ModelStore(ROOT / "models"), "elman-copy")
    figure = at_trained_lags({"document": document, "records": records}, elman_copy)
    outcomes: dict[int, list[bool]] = {}
    for record in records:
        point = record["point"]
        if point["architecture"] == "elman" and point["activation"] in (None, "tanh") and point["init"] is None:
            outcomes.setdefault(point["task_options"]["lag"], []).append(bool(record["success"]))
    lags = sorted(lag for lag in outcomes if lag >= elman_copy.task.options["lag"])
    assert (figure["first"]["lag"], figure["first"]["successes"], figure["first"]["runs"]) == (
        lags[0],
        sum(outcomes[lags[0]]),
        len(outcomes[lags[0]]),
    )
    if len(lags) > 1:
        assert (figure["next"]["lag"], figure["next"]["successes"]) == (lags[1], sum(outcomes[lags[1]]))
    else:
        assert figure["next"] is None
    assert figure["length"] == 1 and figure["max_steps"] == document["configuration"]["training"]["steps"]


def test_a_model_with_no_variant_built_like_it_is_an_error():
    """lstm-copy started with chrono:60; the short-term-memory experiment's LSTMs start with chrono:100 or
    PyTorch's default, so none is its cell started its way."""
    document, records = _records()
    with pytest.raises(ValueError, match="0 variants built like lstm-copy"):
        at_trained_lags(
            {"document": document, "records": records}, load_model(ModelStore(ROOT / "models"), "lstm-copy")
        )
