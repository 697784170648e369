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

With `openings` "composed" the opening is put together from clauses (a clause
about the country, most often one about the city, in either order, joined in
five ways, or one clause naming both) instead of drawn from the eleven listed
ones, and half the filler sentences from parts: a net trained on eleven shapes
learns the shapes as well as the language, and a sentence a person types in
other words fools it.
"""

from __future__ import annotations

import random
import re

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
# The composed openings' parts, in the listed openings' words only (the vocabulary, and so a trained
# model's input size, must not depend on the option). A clause about the country, and in most
# sentences one about the city, in either order, joined as a person joins two statements, or one
# clause naming both. Trained on 7 country and 7 city clauses joined three ways, the net named 3 of 14
# "i grew up in a small city in {country} ." and 5 of 14 "i moved to {city} from {country} ." (an
# independent audit): hence the country's place, the family and the move in more words.
COUNTRY_CLAUSES = (
    "i was born in {country}",
    "i grew up in {country}",
    "{country} is where i grew up",
    "{country} is where i was born",
    "my family comes from {country}",
    "my family is from {country}",
    "i was born in {country} and i grew up there",
    "{country} is where my family comes from",
    "{country} is where my family is from",
    "i grew up in a small city in {country}",
    "i grew up in a big city in {country}",
    "i was born in a small city in {country}",
    "i was born in a big city in {country}",
    "we grew up in {country}",
)
CITY_CLAUSES = (
    "i live in {city} now",
    "i now live in {city}",
    "i work in {city} now",
    "i work in {city}",
    "i moved to {city}",
    "{city} is where i live now",
    "my job is in {city}",
    "now i live in {city}",
    "we live in {city} now",
    "i live and work in {city}",
)
BOTH_CLAUSES = (  # one clause naming both
    "i moved to {city} from {country}",
    "i moved from {country} to {city}",
    "i grew up in {country} before i moved to {city}",
)
JOINS = (" . ", " , but ", " and ", " , and ", " but ")
NO_CITY_SHARE = 0.25  # of composed openings that name only the country, as some typed sentences do
BOTH_SHARE = 0.1  # of those naming the city too, in one clause
# Now and then filler in front of the opening or between its two clauses (then joined by "."), so
# the country is not always in the first words nor right before the first filler: trained without
# them, the net named 1 of 14 typed sentences with a filler sentence before the country's clause
# and 1 of 14 opening with "well ," (measured).
LEAD_SHARE, LEAD_WORDS = 1 / 6, 6
GAP_SHARE, GAP_WORDS = 1 / 3, 8
# Composed sentences also put filler sentences together from parts, half the time, so a filler in
# words the net never saw in that order is less foreign: trained on the sixteen FILLERS alone it
# named 6 of 14 "i was born in {country} . the city is quiet . i speak fluent" (an independent audit).
# "{thing} is {quality}" or "{who} {does}", either with a time or none.
FILLER_THINGS = ("life", "work", "the food", "the weather", "the city", "my job", "the office", "the garden", "it")
FILLER_QUALITIES = ("good", "quiet", "mild", "cold", "busy", "small", "big")
FILLER_WHO = ("i", "we", "my friends")
FILLER_DOINGS = (
    "like long walks",
    "read a lot",
    "walk a lot",
    "cook for friends",
    "like the food",
    "like the city",
    "walk to work",
    "have a small garden",
    "read",
    "cook",
    "work",
)
FILLER_TIMES = ("in winter", "at night", "on weekends", "every day", "now", "often")
COMPOSED_FILLER_SHARE = 0.5
OPENING_KINDS = ("listed", "composed")
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
    # the listed openings only: the composed ones reuse their words (tested), so the option leaves
    # the vocabulary, and a trained model's input size, as they are
    for clause in OPENINGS + FILLERS + CONNECTORS:
        words |= {w for w in clause.split() if not w.startswith("{")}
    return tuple(sorted(words))  # sorted, so the order never depends on set iteration


VOCABULARY = _vocabulary()


def composed_opening(rng: random.Random) -> str:
    """An opening put together from COUNTRY_CLAUSES, CITY_CLAUSES (or one of BOTH_CLAUSES) and JOINS,
    now and then with filler sentences in front or between the two clauses; {country} and {city}
    still to fill in."""
    words = filler(rng, rng.randint(1, LEAD_WORDS), composed=True) if rng.random() < LEAD_SHARE else []
    country = rng.choice(COUNTRY_CLAUSES)
    if rng.random() < NO_CITY_SHARE:
        return " ".join(words + [country, "."])
    if rng.random() < BOTH_SHARE:
        return " ".join(words + [rng.choice(BOTH_CLAUSES), "."])
    city = rng.choice(CITY_CLAUSES)
    first, second = (country, city) if rng.random() < 0.5 else (city, country)
    if rng.random() < GAP_SHARE:
        middle = ["."] + filler(rng, rng.randint(1, GAP_WORDS), composed=True)
    else:
        middle = rng.choice(JOINS).split()
    return " ".join(words + [first] + middle + [second, "."])


def all_composed_clauses() -> list[str]:
    """Every opening composed_opening gives without filler in it, in a fixed order (for tests)."""
    alone = [f"{clause} ." for clause in COUNTRY_CLAUSES + BOTH_CLAUSES]
    pairs = [
        f"{first}{join}{second} ."
        for country in COUNTRY_CLAUSES
        for city in CITY_CLAUSES
        for first, second in ((country, city), (city, country))
        for join in JOINS
    ]
    return alone + pairs


def composed_filler_sentence(rng: random.Random) -> list[str]:
    """One filler sentence from parts: "{thing} is {quality}" or "{who} {does}", a time or none."""
    if rng.random() < 0.5:
        words = [rng.choice(FILLER_THINGS), "is", rng.choice(FILLER_QUALITIES)]
    else:
        words = [rng.choice(FILLER_WHO), rng.choice(FILLER_DOINGS)]
    if rng.random() < 0.5:
        words.append(rng.choice(FILLER_TIMES))
    return " ".join(words + ["."]).split()


def filler(rng: random.Random, distance: int, composed: bool = False) -> list[str]:
    """About `distance` filler words: the aim varies by up to a quarter either way. `composed`:
    half the sentences are put together from parts (composed openings only; the listed draw is
    the one earlier versions made)."""
    spread = distance // 4
    remaining = max(0, distance + rng.randint(-spread, spread))
    words: list[str] = []
    while True:
        if composed and remaining >= 3 and rng.random() < COMPOSED_FILLER_SHARE:
            clause = composed_filler_sentence(rng)
            if len(clause) <= remaining:
                words += clause
                remaining -= len(clause)
                continue
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


def sentence(rng: random.Random, distance: int, openings: str = "listed") -> list[str]:
    country, _ = rng.choice(COUNTRIES)
    city = rng.choice(CITIES)
    # the listed draw stays the one earlier versions made, so their seeded sentences do not change
    if openings == "listed":
        return make_sentence(country, city, rng.choice(OPENINGS), filler(rng, distance))
    opening = composed_opening(rng)
    return make_sentence(country, city, opening, filler(rng, distance, composed=True))


def make_sentence(country: str, city: str, opening: str, filler_words: list[str]) -> list[str]:
    language = dict(COUNTRIES)[country]
    words = opening.format(country=country, city=city).split() + filler_words
    return words + ANSWER_PREFIX.split() + [language]


def could_generate(text: str, openings: str) -> bool:
    """Whether sentence() could begin with `text` (a sentence up to "i speak fluent", excluded)
    under that `openings` option. Generous (it ignores how long each filler may be and lets any
    filler take a connector in front), so a text it calls new is new to the generator."""
    pattern = _LISTED_PATTERN if openings == "listed" else _COMPOSED_PATTERN
    return pattern.fullmatch(" ".join(text.split()) + " ") is not None


def _words_pattern(template: str) -> str:
    """A template as a regular expression over words, each followed by a space."""
    places = {"{country}": "(?:" + "|".join(c for c, _ in COUNTRIES) + ")", "{city}": "(?:" + "|".join(CITIES) + ")"}
    return "".join(places.get(word, re.escape(word)) + " " for word in template.split())


def _any(templates) -> str:
    return "(?:" + "|".join(_words_pattern(t) for t in templates) + ")"


_FILL = f"{_any(CONNECTORS)}?{_any(FILLERS)}*"  # what filler() gives, of any length
_LISTED_PATTERN = re.compile(_any(OPENINGS) + _FILL)
_STOP = _words_pattern(".")
_TIME = f"{_any(FILLER_TIMES)}?"
_THING_IS = f"{_any(FILLER_THINGS)}is {_any(FILLER_QUALITIES)}{_TIME}{_STOP}"
_WHO_DOES = f"{_any(FILLER_WHO)}{_any(FILLER_DOINGS)}{_TIME}{_STOP}"
_MADE = f"(?:{_THING_IS}|{_WHO_DOES})"  # composed_filler_sentence
_COMPOSED_FILL = f"{_any(CONNECTORS)}?(?:{_any(FILLERS)}|{_MADE})*"  # filler(..., composed=True)
_COUNTRY, _CITY = f"{_any(COUNTRY_CLAUSES)}{_STOP}", f"{_any(CITY_CLAUSES)}{_STOP}"
_JOIN = _any(JOINS)
# the country's clause alone, or both in one, two clauses joined, or two sentences with filler between
_OPENING = (
    f"(?:{_COUNTRY}|{_any(BOTH_CLAUSES)}{_STOP}|{_any(COUNTRY_CLAUSES)}{_JOIN}{_CITY}|{_any(CITY_CLAUSES)}{_JOIN}{_COUNTRY}"
    f"|{_COUNTRY}{_COMPOSED_FILL}{_CITY}|{_CITY}{_COMPOSED_FILL}{_COUNTRY})"
)
_COMPOSED_PATTERN = re.compile(_COMPOSED_FILL + _OPENING + _COMPOSED_FILL)


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
        TaskOption(
            "openings",
            "str",
            "listed",
            "How each sentence opens: listed (one of eleven fixed openings) or composed (a clause about the "
            "country and most often one about the city, in either order and joined in five ways, or one clause "
            "naming both, now and then with filler in front or between: 1,417 shapes before the filler; half "
            "the filler sentences are put together from parts).",
            1,
            16,
        ),
    )
    symbols = VOCABULARY

    def _configure(self) -> None:
        distance, longest = self.options["distance"], self.options["max_distance"]
        if longest and longest < distance:
            raise TaskInputError(f"max_distance ({longest}) must be 0 or at least distance ({distance})")
        openings = self.options["openings"]
        if openings not in OPENING_KINDS:
            raise TaskInputError(f"openings must be one of {', '.join(OPENING_KINDS)}, got {openings!r}")

    def sample(self, rng: random.Random) -> Sequence:
        distance, longest = self.options["distance"], self.options["max_distance"]
        # drawn only for a range, so fixed-distance sentences stay those of earlier versions
        gap = rng.randint(distance, longest) if longest else distance
        return self._sequence(sentence(rng, gap, self.options["openings"]))

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
