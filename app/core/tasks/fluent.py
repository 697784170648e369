"""The "I speak fluent ___" task: a word-level language model with a long-range cue.

Each sentence names the country a speaker grew up in, then where they live
now, then some filler, and ends with the language of the country:

    france is where i grew up , but i now live in boston .  <filler>  i speak fluent french
    ^^^^^^ the cue                                   `distance` words   the answer ^^^^^^

The city is deliberately uninformative (an English-speaking city whatever the
country), so the only way to the answer is to remember the country across the
whole sentence. Every step predicts the next word (a real language model),
but the metric looks only at the answer.

With `max_distance` set, each sentence's filler length is drawn from
distance..max_distance, so a model learns to carry the country over any gap in
that range instead of over one typical distance.
"""

from __future__ import annotations

import random

import torch

from .base import Batch, Sequence, Task, TaskInputError, TaskOption, masked_share
from .encoding import one_hot, parse_words

# (country, language); two countries may share a language
COUNTRIES = (
    ("france", "french"),
    ("germany", "german"),
    ("spain", "spanish"),
    ("italy", "italian"),
    ("japan", "japanese"),
    ("brazil", "portuguese"),
    ("portugal", "portuguese"),
    ("china", "chinese"),
    ("russia", "russian"),
    ("greece", "greek"),
    ("sweden", "swedish"),
    ("poland", "polish"),
    ("turkey", "turkish"),
    ("mexico", "spanish"),
)
CITIES = ("boston", "london", "toronto", "sydney", "chicago", "dublin", "seattle", "auckland")
# How the cue is given: {country} and {city} are filled in; each ends with "." and none is the start
# of another. Some name no city, some the city first: with only one shape of opening a model learns
# the shape, and a sentence a person types in other words loses it (measured: 2 of 8 typed
# sentences named right after training on the first four alone).
OPENINGS = (
    "{country} is where i grew up , but i now live in {city} .",
    "i was born in {country} , but i moved to {city} .",
    "my family comes from {country} and i work in {city} now .",
    "i grew up in {country} before i moved to {city} .",
    "i grew up in {country} .",
    "{country} is where i grew up .",
    "i was born in {country} . i live in {city} now .",
    "i work in {city} now , but i grew up in {country} .",
    "i live in {city} now . my family comes from {country} .",
    "my family comes from {country} . i moved to {city} .",
    "i now live in {city} . i was born in {country} and i grew up there .",
)
# Neutral sentences that carry no hint of the country; they set the distance.
# Lengths run from 3 words up, so any gap of 3 or more can be filled closely.
FILLERS = (
    "time flies .",
    "life is good .",
    "it rains often .",
    "the food is good .",
    "the weather is mild .",
    "i like long walks .",
    "work keeps me busy .",
    "i read a lot .",
    "it is cold in winter .",
    "my friends visit me often .",
    "we have a small garden .",
    "my sister plays the piano .",
    "i walk to work every day .",
    "the city is quiet at night .",
    "on weekends i cook for friends .",
    "my job is in a big office near the river .",
)
# Two-word openers that make up a gap of 1 or 2 words the sentences cannot fill.
CONNECTORS = ("anyway ,", "well ,", "still ,")
ANSWER_PREFIX = "i speak fluent"
CUE_WORD = "fluent"  # the step whose input is this word must predict the language
PROBE_SEED = 2024  # fixes the probe's filler, so probe() is the same on every call


def _vocabulary() -> tuple[str, ...]:
    words = set(ANSWER_PREFIX.split()) | set(CITIES)
    words |= {word for pair in COUNTRIES for word in pair}
    for clause in OPENINGS + FILLERS + CONNECTORS:
        words |= {w for w in clause.split() if not w.startswith("{")}
    return tuple(sorted(words))  # sorted, so the order never depends on set iteration


VOCABULARY = _vocabulary()


def filler(rng: random.Random, distance: int) -> list[str]:
    """About `distance` filler words: the aim varies by up to a quarter either way."""
    spread = distance // 4
    remaining = max(0, distance + rng.randint(-spread, spread))
    words: list[str] = []
    while True:
        fitting = [clause.split() for clause in FILLERS if len(clause.split()) <= remaining]
        if not fitting:
            break
        clause = rng.choice(fitting)
        words += clause
        remaining -= len(clause)
    if remaining > 0:
        # 1 or 2 words short: one connector in front, overshooting by at most one word
        words = rng.choice(CONNECTORS).split() + words
    return words


def sentence(rng: random.Random, distance: int) -> list[str]:
    country, _ = rng.choice(COUNTRIES)
    return make_sentence(country, rng.choice(CITIES), rng.choice(OPENINGS), filler(rng, distance))


def make_sentence(country: str, city: str, opening: str, filler_words: list[str]) -> list[str]:
    language = dict(COUNTRIES)[country]
    words = opening.format(country=country, city=city).split() + filler_words
    return words + ANSWER_PREFIX.split() + [language]


class FluentTask(Task):
    id = "fluent"
    title = "I speak fluent ___"
    description = (
        "Sentences such as 'france is where i grew up , but i now live in boston . i speak fluent french'. "
        "To name the language the network must remember the country from the start of the sentence."
    )
    metric_name = "language accuracy"
    input_kind = "words"
    loss_kind = "cross_entropy"
    options_spec = (
        TaskOption(
            "distance", "int", 8, "About how many filler words stand between the city sentence and the answer.", 0, 60
        ),
        TaskOption(
            "max_distance",
            "int",
            0,
            "The longest filler: each sentence's distance is drawn evenly from distance to max_distance "
            "(0: always about distance).",
            0,
            60,
        ),
    )
    symbols = VOCABULARY

    def _configure(self) -> None:
        distance, longest = self.options["distance"], self.options["max_distance"]
        if longest and longest < distance:
            raise TaskInputError(f"max_distance ({longest}) must be 0 or at least distance ({distance})")

    def sample(self, rng: random.Random) -> Sequence:
        distance, longest = self.options["distance"], self.options["max_distance"]
        # drawn only for a range, so fixed-distance sentences stay those of earlier versions
        return self._sequence(sentence(rng, rng.randint(distance, longest) if longest else distance))

    def encode(self, text: str) -> Sequence:
        words = parse_words(text, self.symbols, "'i speak fluent french'")
        self._check_length(len(words))
        return self._sequence(words)

    def probe_text(self) -> str:
        rng = random.Random(PROBE_SEED)
        distance, longest = self.options["distance"], self.options["max_distance"]
        # the middle of a trained range: a gap the model is meant to bridge, not its easiest
        middle = (distance + longest) // 2 if longest else distance
        words = make_sentence("france", "boston", OPENINGS[0], filler(rng, middle))
        return " ".join(words)

    def _sequence(self, words: list[str]) -> Sequence:
        index = {word: k for k, word in enumerate(self.symbols)}
        # target t is word t + 1; the last word has no next word, so its loss does not count
        targets = words[1:] + [words[-1]]
        mask = [1.0] * (len(words) - 1) + [0.0]
        return Sequence(
            x=one_hot([index[w] for w in words], self.input_size),
            target=torch.tensor([index[w] for w in targets], dtype=torch.int64),
            loss_mask=torch.tensor(mask, dtype=torch.float32),
            labels=list(words),
            target_labels=[t if m else "" for t, m in zip(targets, mask, strict=True)],
        )

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of sentences whose most likely word after 'fluent' is the right language."""
        predicted = self._check_logits(logits, batch).argmax(dim=-1)  # (B, T)
        at_cue = (batch.x[..., self.input_symbols.index(CUE_WORD)] > 0.5) & (batch.loss_mask > 0)  # (B, T)
        return masked_share(predicted == batch.target, at_cue.float())
