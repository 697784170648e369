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

at_trained_lags() reads the same kind of records (the short-term-memory or the
vanishing-gradient experiment) for a stored model: how the experiment's runs of
the same cell fared at the lags that model trained on, so a chapter about the
model can give both experiments' counts instead of citing one.
"""

from __future__ import annotations

import re

from app.core.architectures import ModelConfig
from app.core.experiments.aggregate import summarise
from app.core.models import LoadedModel, as_init


def variant_key(label: str) -> str:
    """A variant's label as a template path segment: 'lstm/chrono:100' -> 'lstm_chrono_100'."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _at_lag(records: list[dict]) -> dict:
    summary = summarise(records)
    low, high = summary["success_interval"]
    # The bounds are exactly 0 with no success and 1 with no failure; the formula leaves rounding dust
    # (5.6e-17), which the page would print as 5.6x10^-15 %.
    low = 0.0 if summary["successes"] == 0 else low
    high = 1.0 if summary["successes"] == summary["runs"] else high
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


def _built_like(point: dict, model: LoadedModel) -> bool:
    """Whether a grid point's variant is the model's cell started the model's way: the same family,
    activation (a point's None is the config's default) and gate initialisation."""
    config = model.metadata.config
    activation = point.get("activation") or ModelConfig.activation  # the dataclass default, "tanh"
    return (
        point["architecture"] == config.architecture
        and activation == config.activation
        and as_init(point.get("init")) == model.metadata.init
    )


def at_trained_lags(results: dict, model: LoadedModel, count: int = 0, seed: int = 0) -> dict:
    """The experiment's runs of `model`'s cell at the first tested lag from the model's shortest
    trained lag on (`first`) and at the next tested lag (`next`, None when there is none): how often
    that cell learned gaps like the model's, within the experiment's budget and content length.
    count and seed are unused (the figure registry's signature): the records are the whole sample."""
    document, records = results["document"], results["records"]
    labels = {r["point"]["variant"] for r in records if _built_like(r["point"], model)}
    if len(labels) != 1:
        raise ValueError(f"the experiment has {len(labels)} variants built like {model.name}, not one")
    label = labels.pop()
    evidence = memory_evidence(document, records)
    variant = evidence["variants"][variant_key(label)]
    tested = [lag for lag in evidence["lags"] if lag >= model.task.options["lag"]]
    if not tested:
        raise ValueError(f"the experiment tested no lag as long as {model.name}'s shortest")
    lengths = {r["point"]["task_options"].get("length") for r in records}

    def point(lag: int) -> dict:
        return {"lag": lag, **variant["by_lag"][f"lag{lag}"]}

    return {
        "variant": label,
        "length": lengths.pop() if len(lengths) == 1 else None,  # the recalled content's length
        "max_steps": evidence["max_steps"],
        "seeds": evidence["seeds"],
        "confidence": evidence["confidence"],
        "first": point(tested[0]),
        "next": point(tested[1]) if len(tested) > 1 else None,
    }
