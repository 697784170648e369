"""The tour's "What did it learn?" figures: the automaton extracted from a Reber net's hidden
states beside the grammar, and how often the grammar accepts what the net writes.

Measured exactly as the page's panels ask (statespace.js ANALYSIS_SEQUENCES and seed, the
automaton panel's held-out strings, generate.js's samples and steps), so the chapter's numbers
are the ones the reader sees when they press Extract automaton or Generate.
"""

from __future__ import annotations

import random

from app.core.analysis import analyse
from app.core.analysis.generate import generate
from app.core.models import LoadedModel
from app.core.trace import trace
from app.core.trace.interventions import Intervention

HELD_OUT = 300  # fresh strings the machine is judged on (the automaton panel's held_out)
INNER_START = 2  # the inner Reber string starts after B and the branch symbol
SAMPLE_STEPS = 30  # the Generate panel's default: at most this many symbols after the start


def what_it_learned(loaded: LoadedModel, count: int, seed: int) -> dict:
    """The machine extracted from `count` seeded strings' h_t (k searched), its size against the
    grammar's, agreement and purity on HELD_OUT fresh strings; and of `count` strings the net
    writes (temperature 1, from the start symbol), how many the grammar accepts."""
    extraction = analyse(loaded, count, HELD_OUT, seed)
    comparison = extraction.comparison
    if comparison.grammar is None:
        raise ValueError(f"the task {loaded.task.id!r} has no grammar to compare the machine with")
    written = generate(loaded, "", SAMPLE_STEPS, 1.0, seed, count)
    return {
        "sequences": count,
        "held_out": HELD_OUT,
        "held_out_steps": comparison.steps,
        "k": extraction.automaton.k,
        "states": len(extraction.automaton.states),
        "grammar_states": len(comparison.grammar["states"]),
        "agreement": comparison.agreement,
        "purity": comparison.purity,
        "samples": count,
        "sample_steps": SAMPLE_STEPS,
        "accepted": written.accepted,
        "acceptance": written.accepted / count,
    }


def forget_gates_shut(lstm: LoadedModel, count: int, seed: int) -> dict:
    """The Interventions panel's classic test over `count` random embedded Reber strings: every unit's
    forget gate clamped to 0 at the middle step of the inner string, and how often the closing T or P
    (predicted at the step that reads the inner E) is still right, against the unclamped net."""
    task, hidden = lstm.task, lstm.model.config.hidden_size
    rng = random.Random(seed)
    right = {"clean": 0, "shut": 0}
    for _ in range(count):
        sequence = task.sample(rng)
        at = len(sequence) - 3  # reads the inner E, must predict the opening T or P again
        middle = (INNER_START + at) // 2  # as docs/analysis.md's Interventions figure
        legal = sequence.target[at] > 0.5
        shut = [Intervention(middle, "gate:f", unit, 0.0) for unit in range(hidden)]
        for key, interventions in (("clean", []), ("shut", shut)):
            result = trace(lstm.model, task, sequence, grad_flow=False, interventions=interventions)
            right[key] += bool(((result.y[at] > 0.5) == legal).all())
    return {
        "sequences": count,
        "clean_right": right["clean"],
        "shut_right": right["shut"],
        "clean_share": right["clean"] / count,
        "shut_share": right["shut"] / count,
        "lost_share": 1 - right["shut"] / count,
    }
