"""The tour's "What did it learn?" figures: the automaton extracted from a Reber net's hidden
states beside the grammar, and how often the grammar accepts what the net writes.

Measured exactly as the page's panels ask (statespace.js ANALYSIS_SEQUENCES and seed, the
automaton panel's held-out strings, generate.js's samples and steps), so the chapter's numbers
are the ones the reader sees when they press Extract automaton or Generate.
"""

from __future__ import annotations

from app.core.analysis import analyse
from app.core.analysis.generate import generate
from app.core.models import LoadedModel

HELD_OUT = 300  # fresh strings the machine is judged on (the automaton panel's held_out)
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
