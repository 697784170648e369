"""The embedded Reber grammar and its task: the long-range version of reber.

A string is B, then T or P, then a whole Reber string, then the SAME T or P,
then E:

    B  T  B T S S X X T V V E  T  E
       ^                       ^
       the branch ...          ... must be repeated here, 12 steps later

Inside, the inner string gives no clue which branch was taken, so predicting
the second-to-last symbol needs a memory that lasts across the whole inner
string: easy for an LSTM, hard for a plain recurrent network (Hochreiter and
Schmidhuber 1997). The metric looks only at that one prediction.
"""

from __future__ import annotations

import functools

import torch

from .base import Batch, TaskOption, masked_share
from .reber import REBER_END, REBER_GRAPH, Grammar, GrammarTask, accepts

BRANCHES = ("T", "P")

# States are tuples: ("start",), ("branch",), ("inner", branch, reber_state),
# ("close",) and ("end",). The branch rides along so the closing symbol is known.


@functools.cache  # a state's moves never change: built once, not at every step of every sampled string
def _embedded_transitions(state: tuple) -> dict[str, tuple]:
    phase = state[0]
    if phase == "start":
        return {"B": ("branch",)}
    if phase == "branch":
        return {branch: ("inner", branch, 0) for branch in BRANCHES}
    if phase == "inner":
        _, branch, inner = state
        if inner == REBER_END:
            return {branch: ("close",)}
        return {symbol: ("inner", branch, nxt) for symbol, nxt in REBER_GRAPH[inner].items()}
    if phase == "close":
        return {"E": ("end",)}
    return {}


EMBEDDED_REBER = Grammar("the embedded Reber grammar", ("start",), _embedded_transitions)


def is_embedded_reber(string: str) -> bool:
    return accepts(EMBEDDED_REBER, string)


class EmbeddedReberTask(GrammarTask):
    id = "embedded_reber"
    title = "Embedded Reber grammar"
    description = (
        "A Reber string wrapped as B, T or P, the string, the same T or P, E. "
        "Predicting the second-to-last symbol means remembering the second symbol across the whole inner string."
    )
    metric_name = "long-range accuracy"
    grammar = EMBEDDED_REBER
    options_spec = (
        TaskOption("max_length", "int", 60, "Longest generated string; longer ones are drawn again.", 12, 200),
    )

    def probe_text(self) -> str:
        return "BTBTSSXXTVVETE"

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of sequences whose prediction after the inner E is exactly {T} or {P}, the right one.

        That step is the one whose input is E while its loss still counts (the
        final E has nothing after it, so its mask is 0); a prefix that stops
        before the inner E does not count.
        """
        correct = self._set_correct(logits, batch)  # (B, T)
        e_index = self.input_symbols.index("E")
        at_inner_end = (batch.x[..., e_index] > 0.5) & (batch.loss_mask > 0)  # (B, T)
        return masked_share(correct, at_inner_end.float())
