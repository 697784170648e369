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

Two options make a trained model's claims checkable. `max_lag` draws each
sequence's lag from lag..max_lag, so a memory cannot lean on one fixed
distance. `split` divides the n_symbols ** length contents in two by a hash of
the content string (one in HELD_OUT_EVERY held out): a model trained on
split "train" never sees a held-out content, so evaluating on split
"held_out" measures recall of sequences provably new to it.
"""

from __future__ import annotations

import hashlib
import itertools
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
SPLITS = ("all", "train", "held_out")
HELD_OUT_EVERY = 8  # one content in 8 is held out of training
# A split needs enough contents that both halves are non-empty and a sampled one is
# found in a few draws; smaller spaces are checked by listing every content.
MIN_SPLIT_SPACE = 64
LISTED_SPACE = 4096
MAX_DRAWS = 10_000  # far more than either half needs (it holds >= 1/HELD_OUT_EVERY of the draws)


def is_held_out(content: str) -> bool:
    """Whether a content string belongs to the held-out half: a fixed hash, the same in every process."""
    return hashlib.sha256(content.encode()).digest()[0] % HELD_OUT_EVERY == 0


def _symbols(count: int) -> str:
    return "1 symbol" if count == 1 else f"{count} symbols"


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
        TaskOption(
            "max_lag",
            "int",
            0,
            "The longest lag: each sequence's lag is drawn evenly from lag to max_lag (0: always lag).",
            0,
            200,
        ),
        TaskOption(
            "split",
            "str",
            "all",
            "Which contents to draw: all, train (never a held-out one) or held_out (one content in "
            f"{HELD_OUT_EVERY}, chosen by a hash of the symbols).",
            3,
            8,
        ),
    )

    def _configure(self) -> None:
        self.content = tuple(CONTENT[: self.options["n_symbols"]])
        self.symbols = self.content + (BLANK,)  # outputs
        self.input_symbols = self.content + (BLANK, GO)  # inputs also see the go marker
        lag, max_lag, split = self.options["lag"], self.options["max_lag"], self.options["split"]
        if max_lag and max_lag < lag:
            raise TaskInputError(f"max_lag ({max_lag}) must be 0 or at least lag ({lag})")
        if split not in SPLITS:
            raise TaskInputError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        if split != "all":
            self._check_split_space()

    def _check_split_space(self) -> None:
        space = len(self.content) ** self.options["length"]
        if space < MIN_SPLIT_SPACE:
            raise TaskInputError(
                f"a train/held-out split needs at least {MIN_SPLIT_SPACE} different contents; "
                f"{len(self.content)} symbols at length {self.options['length']} give {space}"
            )
        if space <= LISTED_SPACE:
            held = sum(is_held_out("".join(c)) for c in itertools.product(self.content, repeat=self.options["length"]))
            if held in (0, space):
                raise TaskInputError(f"the split of these {space} contents leaves one half empty")

    def sample(self, rng: random.Random) -> Sequence:
        length, split = self.options["length"], self.options["split"]
        for _ in range(MAX_DRAWS):
            content = [rng.choice(self.content) for _ in range(length)]
            if split == "all" or is_held_out("".join(content)) == (split == "held_out"):
                break
        else:  # not reached for an accepted space: each half holds a sizeable share of the contents
            raise RuntimeError(f"no {split} content in {MAX_DRAWS} draws")
        # the lag is drawn only for a range, so fixed-lag sequences stay those of earlier versions
        lag = rng.randint(self.options["lag"], self.options["max_lag"]) if self.options["max_lag"] else None
        return self._sequence(content, lag)

    def encode(self, text: str) -> Sequence:
        if BLANK in text or GO in text:
            raise TaskInputError(
                f"type only the symbols to remember ({', '.join(self.content)}); the blanks and the go marker "
                f"':' are added for you with the configured lag of {self.options['lag']}"
            )
        content = parse_symbols(text, self.content, "copy task's content", self.probe_text())
        length = self.options["length"]
        # A model of this task learned to recall exactly `length` symbols; given another count it still
        # answers, and a person would read its failure as forgetting (lstm-copy, trained on 4, at lag 40 on
        # 500 random contents each: fully right 92% at 2 symbols, 17% at 5, 3% at 6), so refuse and say why.
        if len(content) != length:
            raise TaskInputError(
                f"type exactly {_symbols(length)} to remember, such as {self.probe_text()}: this task (its length "
                f"option, the length its models are trained on) recalls {length}, and you typed {len(content)}"
            )
        self._check_length(2 * len(content) + self.options["lag"])
        return self._sequence(content)

    def probe_text(self) -> str:
        pattern = PROBE_PATTERN[: self.options["length"]]
        return "".join(self.content[i % len(self.content)] for i in pattern)

    def _sequence(self, content: list[str], lag: int | None = None) -> Sequence:
        """The sequence for `content` with `lag` blanks (None: the lag option; typed input uses it)."""
        count = len(content)
        lag = self.options["lag"] if lag is None else lag
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
