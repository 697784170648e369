"""The copy (delayed recall) task: remember a few symbols across a chosen lag.

With length 3 and lag 4 a sequence reads

    step:    0  1  2  3  4  5  6  7  8  9
    input:   c  a  d  -  -  -  -  :  -  -
    target:  -  -  -  -  -  -  -  c  a  d
    mask:    0  0  0  0  0  0  0  1  1  1

The content symbols come first, then `lag` blanks, then the go marker ':'
after which the network must play the content back in order.

Only the recall steps count (mask 1 from ':' on). Why: with every step
counted, a long lag fills the loss with blank-predicting steps that need no
memory at all; the average loss then barely moves when the memory works, and
the trace's gradient-flow table fills with trivial local errors. Counting the
recall steps alone makes the loss measure exactly the memory, and shows how
far each recall error must reach back. The targets of the reading steps are
still "-" (so the output classes stay content symbols + blank), they just do
not count.
"""

from __future__ import annotations

import random

import torch

from .base import Batch, Sequence, Task, TaskInputError, TaskOption, masked_share
from .encoding import one_hot, parse_symbols

CONTENT = "abcdefgh"
BLANK = "-"
GO = ":"
# The probe's content, as indices into the content symbols (wrapped when there are fewer):
# it repeats a symbol, so "one of each" guessing is not enough.
PROBE_PATTERN = (2, 0, 2, 1, 3, 0, 1, 3, 2, 0)


class CopyTask(Task):
    id = "copy"
    title = "Copy after a delay"
    description = (
        "The network reads a few symbols, waits through a run of blanks, and after the go marker ':' "
        "must repeat the symbols in order. A longer lag needs a longer memory."
    )
    metric_name = "recall accuracy"
    input_kind = "symbols"
    loss_kind = "cross_entropy"
    options_spec = (
        TaskOption("n_symbols", "int", 4, "How many different content symbols (a, b, c, ...) are used.", 2, 8),
        TaskOption("length", "int", 3, "How many symbols to remember.", 1, 10),
        TaskOption("lag", "int", 10, "Blank steps between the content and the go marker.", 0, 200),
    )

    def _configure(self) -> None:
        self.content = tuple(CONTENT[: self.options["n_symbols"]])
        self.symbols = self.content + (BLANK,)  # outputs
        self.input_symbols = self.content + (BLANK, GO)  # inputs also see the go marker

    def sample(self, rng: random.Random) -> Sequence:
        return self._sequence([rng.choice(self.content) for _ in range(self.options["length"])])

    def encode(self, text: str) -> Sequence:
        if BLANK in text or GO in text:
            raise TaskInputError(
                f"type only the symbols to remember ({', '.join(self.content)}); the blanks and the go marker "
                f"':' are added for you with the configured lag of {self.options['lag']}"
            )
        content = parse_symbols(text, self.content, "copy task's content", self.probe_text())
        self._check_length(2 * len(content) + self.options["lag"])
        return self._sequence(content)

    def probe_text(self) -> str:
        pattern = PROBE_PATTERN[: self.options["length"]]
        return "".join(self.content[i % len(self.content)] for i in pattern)

    def _sequence(self, content: list[str]) -> Sequence:
        count, lag = len(content), self.options["lag"]
        inputs = content + [BLANK] * lag + [GO] + [BLANK] * (count - 1)
        targets = [BLANK] * (count + lag) + content
        recall = [0.0] * (count + lag) + [1.0] * count
        in_index = {s: k for k, s in enumerate(self.input_symbols)}
        out_index = {s: k for k, s in enumerate(self.symbols)}
        return Sequence(
            x=one_hot([in_index[s] for s in inputs], self.input_size),
            target=torch.tensor([out_index[s] for s in targets], dtype=torch.int64),
            loss_mask=torch.tensor(recall, dtype=torch.float32),
            labels=inputs,
            target_labels=[t if m else "" for t, m in zip(targets, recall, strict=True)],
        )

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of recall steps whose most likely output is the remembered symbol."""
        predicted = self._check_logits(logits, batch).argmax(dim=-1)  # (B, T)
        return masked_share(predicted == batch.target, batch.loss_mask)
