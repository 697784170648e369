"""Which figures the tour states, the models each is measured on, and a cache by weights digest.

A figure is named (the tour's templates say {gradient_to_branch.ratio.median}),
reads one or more stored demo models and a fixed number of seeded sequences,
or an experiment's stored results (spec.experiment: its run records, keyed in
the cache by their content).
Its value depends only on the models' weights, the count and the seed, so the
cache keys it by the models' weights_sha256: retraining a model (a new digest)
recomputes it, and nothing else does. Computing takes seconds, so the cache
also makes a second caller of a figure being computed wait for the first
instead of computing it twice.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.core.lessons import evidence, figures, learned, memory, recall, timing
from app.core.models import LoadedModel

FIGURE_SEED = 0  # one fixed seed: the page and the tests see the same figures


class UnknownFigure(LookupError):
    """A figure name the tour does not use."""


@dataclass(frozen=True)
class FigureSpec:
    name: str
    models: tuple[str, ...]  # stored model names, in the order compute takes them
    sequences: int  # how many sequences the figure is measured over
    description: str
    compute: Callable[..., dict]  # (*loaded models, count, seed) -> plain data; cost() takes no count
    # an experiment whose stored results the figure reads: compute then takes (results, *models, count, seed),
    # results being {"document": experiment.json, "records": [run records]}
    experiment: str | None = None


def _specs() -> dict[str, FigureSpec]:
    reber_pair = ("lstm-embedded-reber", "elman-embedded-reber")
    specs = (
        FigureSpec(
            "gradient_to_branch",
            reber_pair,
            200,  # 40 gave medians that moved by 2x between samples (an independent re-check)
            "The inner-E prediction's error followed back to the branch symbol, over random strings "
            "with the chapters' gap: each net's share arriving, and the LSTM/Elman ratio.",
            figures.gradient_to_branch,
        ),
        FigureSpec(
            "forget_gates",
            reber_pair[:1],
            200,  # 40 gave medians that moved by 2x between samples (an independent re-check)
            "How steadily the LSTM's forget gates hold the cell state across the inner string.",
            figures.forget_gates,
        ),
        FigureSpec(
            "learning",
            reber_pair,
            500,
            "When each net learned the long-range prediction (its training history) and its accuracy now.",
            figures.learning,
        ),
        FigureSpec(
            "delayed_recall",
            ("lstm-copy", "elman-copy"),
            200,
            "The copy pair on contents held out of their training, over the trained lags: recall accuracy, "
            "chance, each net's saturation, the Elman net's best logged accuracy, the LSTM at a lag outside "
            "its range, and the share of the last recall error reaching its symbol.",
            recall.delayed_recall,
        ),
        FigureSpec(
            "cost",
            reber_pair,
            0,
            "The weights of the LSTM and the Elman net, and their ratio; the Elman net's, the GRU's and the "
            "LSTM's weights, multiply-adds per step and training-step time at the LSTM's sizes, timed with "
            "torch's fused kernels (oneDNN on and off) and with one plain step loop for all, as ratios.",
            timing.cost,
        ),
        FigureSpec(
            "memory",
            (),
            0,
            "The short-term-memory experiment's results: per variant and lag the runs that reached the "
            "criterion with their Wilson interval, the longest lag every run solved, the lag from which none did.",
            lambda results, count, seed: memory.memory_evidence(results["document"], results["records"]),
            experiment="short-term-memory",
        ),
        # The recall chapter's plain net against both experiments that train plain nets on recall, so the
        # chapter gives both counts at its lags rather than the one that suits it (an independent re-check).
        FigureSpec(
            "memory_at_copy_lags",
            ("elman-copy",),
            0,
            "The short-term-memory experiment's runs of elman-copy's cell (tanh, as PyTorch starts it) at the "
            "first tested lag from elman-copy's shortest and at the next: successes, runs, Wilson interval.",
            memory.at_trained_lags,
            experiment="short-term-memory",
        ),
        FigureSpec(
            "vanishing_at_copy_lags",
            ("elman-copy",),
            0,
            "The vanishing-gradient experiment's runs of elman-copy's cell at the first tested lag from "
            "elman-copy's shortest: successes, runs, Wilson interval.",
            memory.at_trained_lags,
            experiment="vanishing-gradient",
        ),
        FigureSpec(
            "shortcuts",
            (),
            0,
            "The shortcuts experiment's results: per hidden size each net's success rate with its Wilson "
            "interval, steps to the criterion, and the seed-paired counts with a sign test.",
            lambda results, count, seed: evidence.shortcut_comparison(results["document"], results["records"]),
            experiment="shortcuts",
        ),
        FigureSpec(
            "shortcut_pair",
            ("shortcut-reber", "elman-reber"),
            200,
            "The shipped shortcut net and its Elman twin: accuracy, when each learned, and the share of the "
            "readout the W_xy x_t path carries.",
            evidence.shortcut_share,
        ),
        FigureSpec(
            "grammar_choices",
            ("second-order-reber",),
            300,
            "How often the Reber grammar allows two next symbols, and the model's legal-set accuracy.",
            figures.grammar_choices,
        ),
        FigureSpec(
            "fluent_by_distance",
            ("lstm-fluent",),
            100,
            "The fluent model's language accuracy by filler distance, 0 to 30 words, and on typed sentences.",
            recall.fluent_by_distance,
        ),
        FigureSpec(
            "adding_by_length",
            ("gru-adding",),
            200,
            "The adding model by sequence length: the share of sums within 0.04 (the modern form), the share "
            "Hochreiter & Schmidhuber's 1997 criterion counts as solved, and the mean squared error.",
            recall.adding_by_length,
        ),
        FigureSpec(
            "learned",
            ("elman-reber",),
            200,
            "What the Reber net built: the automaton extracted from its hidden states (k searched) against the "
            "grammar, its agreement and purity on fresh strings, and the grammar's acceptance of strings it writes.",
            learned.what_it_learned,
        ),
        FigureSpec(
            "forget_shut",
            ("lstm-embedded-reber",),
            100,
            "The Interventions panel's test: every forget gate of the LSTM shut at the middle of the inner "
            "string, and how often the closing T or P is still right, clamped and unclamped.",
            learned.forget_gates_shut,
        ),
    )
    return {spec.name: spec for spec in specs}


FIGURES: dict[str, FigureSpec] = _specs()


def compute_figure(
    spec: FigureSpec,
    models: list[LoadedModel],
    seed: int = FIGURE_SEED,
    sequences: int | None = None,
    results: dict | None = None,
) -> dict:
    """The figure's value from its loaded models (in spec.models order) and, for an experiment's figure,
    its stored results ({"document", "records"})."""
    count = spec.sequences if sequences is None else sequences
    if spec.experiment is not None:
        return spec.compute(results, *models, count, seed)
    return spec.compute(*models, count, seed)


def results_digest(results: dict | None) -> str | None:
    """A digest of an experiment's stored results: a figure from them is recomputed when a run is added."""
    if results is None:
        return None
    return hashlib.sha256(json.dumps(results, sort_keys=True).encode()).hexdigest()


class FigureCache:
    """Thread-safe figure values by (name, the models' weight digests, seed)."""

    def __init__(self) -> None:
        self._values: dict[tuple, dict] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(
        self, spec: FigureSpec, models: list[LoadedModel], seed: int = FIGURE_SEED, results: dict | None = None
    ) -> dict:
        key = (spec.name, tuple(m.metadata.weights_sha256 for m in models), seed, results_digest(results))
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; later callers read its result
            value = self._values.get(key)
            if value is None:
                value = compute_figure(spec, models, seed, results=results)
                with self._guard:  # a retrained model's old figure is never asked for again
                    for stale in [k for k in self._values if k[0] == spec.name and k[2] == seed]:
                        del self._values[stale]
                    self._values[key] = value
            return value
