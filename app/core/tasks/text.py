"""A character-level language model of text the person supplies.

The alphabet is the sorted set of distinct characters of the text; samples
are random windows of it, and each step predicts the next character:

    text:    ...the state is a summary...
    x:          t  h  e  _  s  t  a
    target:     h  e  _  s  t  a  t

Spaces and line breaks are characters like any other (labels show them as
'␣' and '↵'); letters keep their case.
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from .base import Batch, Sequence, Task, TaskInputError, TaskOption, masked_share
from .encoding import parse_characters, visible

MAX_TEXT = 100_000  # characters in the text option
MIN_TEXT = 20
PROBE_CHARS = 60  # the probe is the text's first window, at most this long

DEFAULT_TEXT = (
    "a recurrent network reads a sequence one step at a time. at every step it mixes the new input "
    "with its hidden state, a short summary of everything it has read so far, and the result becomes "
    "the hidden state for the next step. the same weights are used at every step, so the network can "
    "read a sequence of any length.\n"
    "to train it, we unroll the loop in time: the network becomes a deep chain with one layer per step, "
    "and the error at each step flows back along the chain. in a plain network this signal shrinks a "
    "little at every step, so it forgets what it read long ago. an lstm adds a cell state and gates "
    "that decide what to keep, what to forget and what to show, and so it can remember for much longer.\n"
)


class TextTask(Task):
    id = "text"
    title = "Characters of a text"
    description = (
        "A character-by-character language model of a text you provide: at each step the network "
        "predicts the next character. It learns spelling first, then common words."
    )
    metric_name = "next-character accuracy"
    input_kind = "symbols"  # every character is a symbol; spaces count and case matters
    loss_kind = "cross_entropy"
    options_spec = (
        TaskOption("text", "str", DEFAULT_TEXT, "The text to learn (20 to 100000 characters).", MIN_TEXT, MAX_TEXT),
        TaskOption("length", "int", 64, "Characters per training window.", 8, 500),
    )

    def _configure(self) -> None:
        text = self.options["text"]
        self.symbols = tuple(sorted(set(text)))
        if len(self.symbols) < 2:
            raise TaskInputError("option 'text' must use at least 2 different characters")
        # the whole text as indices once, so sampling a window is a slice
        index = {char: k for k, char in enumerate(self.symbols)}
        self._indices = torch.tensor([index[c] for c in text], dtype=torch.int64)  # (N,)
        # a window needs one more character for its last target
        self.window = min(self.options["length"], len(text) - 1)

    def sample(self, rng: random.Random) -> Sequence:
        start = rng.randrange(len(self._indices) - self.window)
        chunk = self._indices[start : start + self.window + 1]  # (window + 1,)
        return self._sequence(chunk[:-1], chunk[1:], known=self.window)

    def encode(self, text: str) -> Sequence:
        chars = parse_characters(text, self.symbols, repr(self.probe_text()[:20]))
        self._check_length(len(chars))
        index = {char: k for k, char in enumerate(self.symbols)}
        indices = torch.tensor([index[c] for c in chars], dtype=torch.int64)
        # the character after the last one is unknown: zero target, no loss
        targets = torch.cat([indices[1:], torch.zeros(1, dtype=torch.int64)])
        return self._sequence(indices, targets, known=len(chars) - 1)

    def probe_text(self) -> str:
        return self.options["text"][: min(PROBE_CHARS, self.window)]

    def _sequence(self, inputs: torch.Tensor, targets: torch.Tensor, known: int) -> Sequence:
        steps = inputs.shape[0]
        mask = torch.zeros(steps, dtype=torch.float32)
        mask[:known] = 1.0
        return Sequence(
            x=F.one_hot(inputs, len(self.symbols)).float(),  # (T, I)
            target=targets.clone(),
            loss_mask=mask,
            labels=[visible(self.symbols[i]) for i in inputs.tolist()],
            target_labels=[visible(self.symbols[i]) if t < known else "" for t, i in enumerate(targets.tolist())],
        )

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of counted steps whose most likely character is the next one."""
        predicted = self._check_logits(logits, batch).argmax(dim=-1)  # (B, T)
        return masked_share(predicted == batch.target, batch.loss_mask)
