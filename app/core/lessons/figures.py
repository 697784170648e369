"""The tour's figures, each computed from stored models over many seeded sequences.

Every function takes LoadedModel(s), a sequence count and a seed, and returns
plain data (numbers, lists, dicts) the page fills into a chapter's sentences.
A figure is a distribution (stats.spread: median, quartiles, range), never one
favourable example; the same models and seed always give the same figure.
"""

from __future__ import annotations

import random

import torch

from app.core.lessons.stats import learned_at, sample_where, share, spread
from app.core.models import LoadedModel
from app.core.tasks.base import collate
from app.core.tasks.reber import generate
from app.core.trace import trace

# The chapters' long-range example: an embedded Reber string whose branch symbol
# (step index 1) must be predicted at the inner E, 20 steps later (index 21).
BRANCH_STEP = 1
LONG_RANGE_LENGTH = 24
LEARNED_LEVEL = 0.9  # the metric a model must hold to count as having learned its task
STEADY_FORGET = 0.9  # a forget gate above this at every step keeps most of c across the gap


def _inner_end(length: int) -> int:
    """The step whose input is the inner E: its prediction must repeat the branch symbol."""
    return length - 3


def gradient_reach(loaded: LoadedModel, sequence, source: int, back_to: int) -> tuple[float, float]:
    """(||dL_source/dh_back_to||, that divided by ||dL_source/dh_source||) for one sequence."""
    flow = trace(loaded.model, loaded.task, sequence, grad_flow=True).grad_flow
    reached, at_source = float(flow[source, back_to]), float(flow[source, source])
    return reached, reached / at_source if at_source > 0 else 0.0


def long_range_strings(task, count: int, seed: int, length: int = LONG_RANGE_LENGTH):
    """`count` embedded Reber strings of `length` symbols (so the same gap as the chapters' string),
    drawn as text first: encoding only the kept ones makes the rejection cheap."""
    rng = random.Random(seed)
    strings = sample_where(
        lambda: generate(task.grammar, rng, task.options["max_length"]), count, lambda string: len(string) == length
    )
    return [task.encode(string) for string in strings]


def gradient_to_branch(lstm: LoadedModel, elman: LoadedModel, count: int, seed: int) -> dict:
    """The error of the inner-E prediction, followed back to the branch symbol at step 2, over
    `count` random strings with the chapters' gap: each net's share of it that arrives there
    (relative to its size at the source), the per-step factor that share implies, and the
    LSTM/Elman ratio of the gradient norms that arrive."""
    strings = long_range_strings(lstm.task, count, seed)
    source = _inner_end(LONG_RANGE_LENGTH)
    gap = source - BRANCH_STEP
    lstm_reach = [gradient_reach(lstm, s, source, BRANCH_STEP) for s in strings]
    elman_reach = [gradient_reach(elman, s, source, BRANCH_STEP) for s in strings]
    ratios = [a[0] / b[0] if b[0] > 0 else float("inf") for a, b in zip(lstm_reach, elman_reach, strict=True)]
    elman_relative = [r for _, r in elman_reach]
    return {
        "sequences": count,
        "gap": gap,
        "elman_relative": spread(elman_relative),
        "elman_factor_per_step": spread([r ** (1 / gap) for r in elman_relative]),
        "lstm_relative": spread([r for _, r in lstm_reach]),
        "ratio": spread(ratios),
        "elman_larger_share": share(r < 1 for r in ratios),
    }


def forget_gates(lstm: LoadedModel, count: int, seed: int) -> dict:
    """How steadily the LSTM's forget gates hold c across the inner string: per string, the share
    of units whose f stays above STEADY_FORGET at every inner step, and the steadiest unit's lowest f."""
    strings = long_range_strings(lstm.task, count, seed)
    source = _inner_end(LONG_RANGE_LENGTH)
    steady_shares, steadiest = [], []
    for sequence in strings:
        x = sequence.x.to(next(lstm.model.parameters()).dtype)
        with torch.no_grad():
            f = lstm.model.architecture.step_forward(lstm.model.rnn, x).gates["f"]  # (T, H)
        lowest = f[BRANCH_STEP + 1 : source + 1].min(dim=0).values  # (H,) each unit's lowest f across the gap
        steady_shares.append(float((lowest > STEADY_FORGET).float().mean()))
        steadiest.append(float(lowest.max()))
    return {
        "sequences": count,
        "threshold": STEADY_FORGET,
        "steady_unit_share": spread(steady_shares),
        "steadiest_lowest_f": spread(steadiest),
    }


def learning(lstm: LoadedModel, elman: LoadedModel, count: int, seed: int) -> dict:
    """How each net learned the long-range prediction: the training step from which its logged
    metric held LEARNED_LEVEL, and its accuracy now on `count` random strings of the task."""
    rng = random.Random(seed)
    sequences = [lstm.task.sample(rng) for _ in range(count)]
    batch = collate(sequences)

    def accuracy(loaded: LoadedModel) -> float:
        logits, _ = loaded.model(batch.x.to(next(loaded.model.parameters()).dtype))
        return loaded.task.metric(logits.detach(), batch)

    with torch.no_grad():
        return {
            "sequences": count,
            "level": LEARNED_LEVEL,
            "lstm_learned_at": learned_at(lstm.metadata.history, LEARNED_LEVEL),
            "elman_learned_at": learned_at(elman.metadata.history, LEARNED_LEVEL),
            "lstm_steps": lstm.metadata.total_steps,
            "elman_steps": elman.metadata.total_steps,
            "lstm_accuracy": accuracy(lstm),
            "elman_accuracy": accuracy(elman),
        }


def _weights(loaded: LoadedModel) -> dict:
    """Parameter counts: all, and the recurrent core's weight matrices (its multiply-adds per step)."""
    core = sum(p.numel() for name, p in loaded.model.rnn.named_parameters() if "weight" in name)
    return {"parameters": loaded.model.parameter_count(), "core_weights": core}


def cost(lstm: LoadedModel, elman: LoadedModel) -> dict:
    """The weights of the pair the cost chapter compares, and their ratio."""
    a, b = _weights(lstm), _weights(elman)
    return {
        "lstm": a,
        "elman": b,
        "core_ratio": a["core_weights"] / b["core_weights"],
        "hidden": lstm.model.config.hidden_size,
    }


def grammar_choices(model: LoadedModel, count: int, seed: int) -> dict:
    """Over `count` random Reber strings: the share of predicted steps where the grammar allows two
    symbols, and the share of steps where the model's predicted set is exactly the legal one."""
    rng = random.Random(seed)
    sequences = [model.task.sample(rng) for _ in range(count)]
    counted = [(s.target[t] > 0.5).sum().item() for s in sequences for t in range(len(s)) if s.loss_mask[t] > 0]
    batch = collate(sequences)
    with torch.no_grad():
        logits, _ = model.model(batch.x)
    return {
        "sequences": count,
        "two_legal_share": share(n == 2 for n in counted),
        "accuracy": model.task.metric(logits, batch),
    }
