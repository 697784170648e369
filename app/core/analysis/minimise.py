"""Moore-machine minimisation by partition refinement (Moore 1956; Hopcroft 1971 does it faster,
which a machine of at most 65 states does not need).

Two states are equivalent when they give the same output (here: the predicted
next-symbol set and whether strings end there) and, on every symbol, move to
equivalent states, where "no transition" counts as a target of its own. Start
from the blocks of equal output and split blocks until every member of a block
agrees on its targets' blocks; the result is the coarsest such partition.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def minimise(outputs: Sequence[Hashable], delta: dict[tuple[int, str], int], alphabet: Sequence[str]) -> list[int]:
    """The block of each state 0..n-1 (outputs[s] its output, delta[(s, a)] its target on a).

    Blocks are numbered in order of each block's first state, so the numbering is stable."""
    block = _renumber(outputs)
    while True:
        signature = [
            (block[s], tuple(block[delta[(s, a)]] if (s, a) in delta else -1 for a in alphabet))
            for s in range(len(outputs))
        ]
        refined = _renumber(signature)
        if max(refined, default=-1) == max(block, default=-1):  # no block split: stable
            return refined
        block = refined


def _renumber(keys: Sequence[Hashable]) -> list[int]:
    numbers: dict[Hashable, int] = {}
    return [numbers.setdefault(key, len(numbers)) for key in keys]
