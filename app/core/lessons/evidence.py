"""Figures from stored experiment results, and from the shortcut demo pair: why shortcuts (should) help.

The shortcuts experiment (app/core/experiments/recipes.py) trains the Elman net
and the same net with input-to-output connections on the Reber grammar, ten
seeds per hidden size, and records each run's steps to the criterion. The same
seed gives both nets the same shared weights, so the runs pair up by seed: a
pair says which net got there first. shortcut_comparison() reads those records
(plain dicts, as storage.py writes them) and returns per size the success rates
with their Wilson intervals, the steps' quartiles and the paired counts with an
exact two-sided sign test. shortcut_share() measures, on the shipped demo pair,
how much of the readout the W_xy x_t path carries.
"""

from __future__ import annotations

import math
import random

import torch

from app.core.experiments.aggregate import summarise
from app.core.lessons.stats import learned_at, spread
from app.core.models import LoadedModel
from app.core.tasks.base import collate

PLAIN, SHORTCUT = "elman", "shortcut"  # the experiment's variant labels


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided sign-test p-value of wins against losses (ties left out); 1.0 for no pairs."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def _variant(records: list[dict], label: str) -> dict:
    summary = summarise(records)
    low, high = summary["success_interval"]
    return {
        "runs": summary["runs"],
        "successes": summary["successes"],
        "success_rate": summary["success_rate"],
        "interval_low": low,
        "interval_high": high,
        "steps": summary["steps_to_success"],
        "parameters": summary["parameters"],
    }


def _size(plain: list[dict], shortcut: list[dict], hidden: int, max_steps: int) -> dict:
    """One hidden size: each variant's summary and the seed-paired comparison (a failed run counts as
    reaching the criterion never, so after any success)."""

    def steps(record):
        return record["steps_to_success"] if record.get("success") else max_steps + 1

    by_seed = {r["seed"]: r for r in plain}
    pairs = [(steps(by_seed[r["seed"]]), steps(r)) for r in shortcut if r["seed"] in by_seed]
    faster = sum(1 for p, s in pairs if s < p)
    slower = sum(1 for p, s in pairs if s > p)
    a, b = _variant(plain, PLAIN), _variant(shortcut, SHORTCUT)
    change = None
    if a["steps"]["median"] and b["steps"]["median"] is not None:
        change = b["steps"]["median"] / a["steps"]["median"] - 1  # < 0: the shortcut net needed fewer steps
    return {
        "hidden": hidden,
        "elman": a,
        "shortcut": b,
        "pairs": len(pairs),
        "faster": faster,
        "slower": slower,
        "tied": len(pairs) - faster - slower,
        "sign_p": sign_test(faster, slower),
        "median_change": change,
        "median_saving": -change if change is not None else None,
    }


def shortcut_comparison(document: dict, records: list[dict]) -> dict:
    """The shortcuts experiment's evidence per hidden size, the smallest and largest size singled out
    (the chapter names them), and the paired counts over every size."""
    training, criterion = document["configuration"]["training"], document["configuration"]["criterion"]
    groups: dict[int, dict[str, list[dict]]] = {}
    for record in records:
        point = record["point"]
        groups.setdefault(point["hidden_size"], {}).setdefault(point["variant"], []).append(record)
    sizes = sorted(h for h, g in groups.items() if PLAIN in g and SHORTCUT in g)
    if not sizes:
        raise ValueError("the shortcuts results hold no size with both variants")
    by_size = [_size(groups[h][PLAIN], groups[h][SHORTCUT], h, training["steps"]) for h in sizes]
    faster, slower = sum(s["faster"] for s in by_size), sum(s["slower"] for s in by_size)
    biggest_saving = max(by_size, key=lambda s: s["median_saving"] if s["median_saving"] is not None else -1)
    successes = sum(s[v]["successes"] for s in by_size for v in (PLAIN, SHORTCUT))
    return {
        "runs": len(records),
        "seeds": max(s["pairs"] for s in by_size),
        "sizes": sizes,
        "size_count": len(sizes),
        "confidence": 0.95,  # the Wilson intervals' level (aggregate.Z_95)
        "max_steps": training["steps"],
        "level": criterion["threshold"],
        "check_every": criterion["every"],
        "by_size": by_size,
        "smallest": by_size[0],
        "largest": by_size[-1],
        "biggest_saving": biggest_saving,
        "successes": successes,
        "all_succeeded": successes == len(records),
        "faster": faster,
        "slower": slower,
        "tied": sum(s["tied"] for s in by_size),
        "sign_p": sign_test(faster, slower),
    }


def shortcut_share(shortcut: LoadedModel, plain: LoadedModel, count: int, seed: int, level: float = 0.95) -> dict:
    """The shipped pair on `count` random strings of their task: each net's accuracy, when its training
    log first held `level`, and per scored step the W_xy path's share of the readout's two paths,
    ||W_xy x_t|| / (||W_hy h_t|| + ||W_xy x_t||)."""
    rng = random.Random(seed)
    sequences = [shortcut.task.sample(rng) for _ in range(count)]
    model = shortcut.model
    shares = []
    with torch.no_grad():
        for sequence in sequences:
            h = model.architecture.step_forward(model.rnn, sequence.x).h
            hidden_path = (h @ model.readout.weight.T).norm(dim=1)
            direct_path = (sequence.x @ model.shortcut.weight.T).norm(dim=1)
            scored = sequence.loss_mask > 0
            shares += (direct_path / (hidden_path + direct_path))[scored].tolist()
        batch = collate(sequences)

        def accuracy(loaded: LoadedModel) -> float:
            logits, _ = loaded.model(batch.x)
            return loaded.task.metric(logits, batch)

        return {
            "sequences": count,
            "hidden": model.config.hidden_size,
            "steps_trained": shortcut.metadata.total_steps,
            "level": level,
            "shortcut_learned_at": learned_at(shortcut.metadata.history, level),
            "elman_learned_at": learned_at(plain.metadata.history, level),
            "shortcut_accuracy": accuracy(shortcut),
            "elman_accuracy": accuracy(plain),
            "direct_share": spread(shares),
        }
