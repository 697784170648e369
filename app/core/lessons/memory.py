"""Figures from the short-term-memory experiment's stored results: where each net's memory gives out.

The experiment (app/core/experiments/recipes.py) trains every variant on delayed
recall at several lags, a few seeds each, and records whether each run reached
the criterion within the step budget. memory_evidence() reads those records
(plain dicts, as storage.py writes them) and says, per variant, how many runs
succeeded at each lag with the Wilson interval, and the two lags a sentence
needs: the longest lag every run of it solved, and the lag from which no run
solved it (at that lag and every longer one). Both are read off the records,
so a chapter built on them stays true when the experiment is rerun with more
seeds or lags; tests/core/test_claims.py checks the chapter's wording against them.
"""

from __future__ import annotations

import re

from app.core.experiments.aggregate import summarise


def variant_key(label: str) -> str:
    """A variant's label as a template path segment: 'lstm/chrono:100' -> 'lstm_chrono_100'."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _at_lag(records: list[dict]) -> dict:
    summary = summarise(records)
    low, high = summary["success_interval"]
    return {
        "runs": summary["runs"],
        "successes": summary["successes"],
        "rate": summary["success_rate"],
        "interval_low": low,
        "interval_high": high,
        "median_steps": summary["steps_to_success"]["median"],
    }


def _variant(label: str, by_lag: dict[int, list[dict]]) -> dict:
    lags = sorted(by_lag)
    points = {lag: _at_lag(by_lag[lag]) for lag in lags}
    every_run = [lag for lag in lags if points[lag]["successes"] == points[lag]["runs"]]
    # the longest lag L such that every run at every lag up to L succeeded
    solved_to = None
    for lag in lags:
        if lag not in every_run:
            break
        solved_to = lag
    # the shortest lag from which no run succeeded, at it or any longer lag
    fails_from = None
    for lag in reversed(lags):
        if points[lag]["successes"]:
            break
        fails_from = lag
    return {
        "label": label,
        "runs": sum(p["runs"] for p in points.values()),
        "successes": sum(p["successes"] for p in points.values()),
        "by_lag": {f"lag{lag}": point for lag, point in points.items()},
        "shortest": points[lags[0]],
        "longest": points[lags[-1]],
        "solved_to": solved_to,
        "fails_from": fails_from,
        "solved_every_lag": solved_to == lags[-1],
        "never_solved": fails_from == lags[0],
    }


def memory_evidence(document: dict, records: list[dict]) -> dict:
    """The short-term-memory experiment's evidence per variant and lag (done runs only)."""
    configuration = document["configuration"]
    training, criterion = configuration["training"], configuration["criterion"]
    groups: dict[str, dict[int, list[dict]]] = {}
    symbols = set()
    for record in records:
        if record.get("status") not in (None, "done"):
            continue
        point = record["point"]
        symbols.add(point["task_options"].get("n_symbols"))
        groups.setdefault(point["variant"], {}).setdefault(point["task_options"]["lag"], []).append(record)
    if not groups:
        raise ValueError("the short-term-memory results hold no finished run")
    variants = {variant_key(label): _variant(label, by_lag) for label, by_lag in groups.items()}
    lags = sorted({lag for by_lag in groups.values() for lag in by_lag})
    n_symbols = symbols.pop() if len(symbols) == 1 else None
    return {
        "runs": sum(v["runs"] for v in variants.values()),
        "seeds": max(len(rs) for by_lag in groups.values() for rs in by_lag.values()),
        "lags": lags,
        "shortest_lag": lags[0],
        "longest_lag": lags[-1],
        "n_symbols": n_symbols,
        "chance": 1 / n_symbols if n_symbols else None,
        "max_steps": training["steps"],
        "level": criterion["threshold"],
        "held_out": criterion["sequences"],
        "confidence": 0.95,  # the Wilson intervals' level (aggregate.Z_95)
        "variants": variants,
    }
