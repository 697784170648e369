"""The fluent task's `openings` option: the listed openings stay as they were, the composed ones
vary widely, come from the seed alone and use no word the task did not have."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from app.core.lessons.recall import TYPED_SHAPES
from app.core.tasks import TaskInputError, make_task
from app.core.tasks.fluent import (
    ANSWER_PREFIX,
    BOTH_CLAUSES,
    CITIES,
    CITY_CLAUSES,
    COUNTRIES,
    COUNTRY_CLAUSES,
    FILLERS,
    JOINS,
    OPENINGS,
    VOCABULARY,
    all_composed_clauses,
    composed_filler_sentence,
    composed_opening,
    could_generate,
)

SHIPPED = Path(__file__).resolve().parents[2] / "models"
COMPOSED = {"distance": 0, "max_distance": 30, "openings": "composed"}
CLAUSES = COUNTRY_CLAUSES + CITY_CLAUSES + BOTH_CLAUSES


def test_the_default_openings_give_the_sentences_earlier_versions_gave():
    # written out from the version before the option: shipped experiments and seeded tests rely on them
    rng = random.Random(7)
    task = make_task("fluent", {"distance": 0, "max_distance": 30})
    assert task.options["openings"] == "listed"
    assert " ".join(task.sample(rng).labels) == (
        "i now live in seattle . i was born in spain and i grew up there . life is good . it rains often . "
        "i speak fluent spanish"
    )
    assert " ".join(task.sample(rng).labels) == (
        "i live in boston now . my family comes from brazil . time flies . i speak fluent portuguese"
    )
    listed = make_task("fluent", {"distance": 0, "max_distance": 30, "openings": "listed"})
    rng_a, rng_b = random.Random(3), random.Random(3)
    assert [task.sample(rng_a).labels for _ in range(20)] == [listed.sample(rng_b).labels for _ in range(20)]


def test_composed_openings_vary_in_clauses_order_join_and_filler():
    rng = random.Random(0)
    drawn = [composed_opening(rng) for _ in range(10_000)]
    shapes = set(all_composed_clauses())
    plain = [o for o in drawn if o in shapes]  # no filler in front or between
    assert len(set(plain)) > 0.8 * len(shapes)  # most of the 1,417 clause shapes turn up
    for part in CLAUSES + JOINS:  # and every clause and every join
        assert any(part in o for o in plain), part
    assert len(set(drawn)) > len(set(plain)) + 2000  # and many more with filler
    alone = sum("{city}" not in o for o in drawn) / len(drawn)
    assert 0.22 < alone < 0.28  # NO_CITY_SHARE, 0.25
    paired = [o for o in drawn if "{city}" in o]
    both = [o for o in paired if o.startswith(BOTH_CLAUSES) or any(f" {c} ." in o for c in BOTH_CLAUSES)]
    assert 0.08 < len(both) / len(paired) < 0.12  # BOTH_SHARE, 0.1
    two = [o for o in paired if o not in both]
    city_first = sum(o.index("{city}") < o.index("{country}") for o in two) / len(two)
    assert 0.47 < city_first < 0.53
    but = sum(" , but " in o for o in two) / len(two)
    assert 0.11 < but < 0.16  # one join in five when no filler stands between (two in three)
    lead = sum(not o.startswith(CLAUSES) for o in drawn) / len(drawn)
    assert 0.14 < lead < 0.19  # LEAD_SHARE, 1/6
    for opening in drawn[:500]:
        assert could_generate(opening.format(country="japan", city="dublin"), "composed"), opening


def test_composed_sentences_end_with_the_countrys_language_and_are_the_generators():
    task = make_task("fluent", COMPOSED)
    rng = random.Random(4)
    languages = dict(COUNTRIES)
    for _ in range(300):
        words = task.sample(rng).labels
        (country,) = {w for w in words if w in languages}
        assert words[-1] == languages[country] and words[-4:-1] == ANSWER_PREFIX.split()
        assert could_generate(" ".join(words[:-4]), "composed"), words
    listed = make_task("fluent", {"distance": 0, "max_distance": 30})
    assert all(could_generate(" ".join(listed.sample(rng).labels[:-4]), "listed") for _ in range(300))


def test_composed_sentences_come_from_the_seed_alone():
    task = make_task("fluent", COMPOSED)
    first = [task.sample(random.Random(k)).labels for k in range(30)]
    again = [make_task("fluent", COMPOSED).sample(random.Random(k)).labels for k in range(30)]
    assert first == again
    assert len({" ".join(words) for words in first}) == 30


def test_composed_filler_sentences_are_put_together_from_parts():
    rng = random.Random(5)
    made = [" ".join(composed_filler_sentence(rng)) for _ in range(2000)]
    assert len(set(made)) > 300 and all(m.endswith(" .") for m in made)
    assert {w for m in made for w in m.split()} <= set(VOCABULARY)
    task = make_task("fluent", {**COMPOSED, "distance": 30})
    listed = make_task("fluent", {"distance": 30, "max_distance": 30})
    # composed sentences carry such fillers, listed ones only the sixteen fixed ones
    pieces = [set(f"{p} ." for p in " ".join(task.sample(rng).labels).split(" . ")) for _ in range(100)]
    assert sum(bool(p & set(made) - set(FILLERS)) for p in pieces) > 50
    odd = next(m for m in made if m not in FILLERS)
    assert not any(could_generate(" ".join(listed.sample(rng).labels[:-4]) + f" {odd}", "listed") for _ in range(20))


def test_composed_fillers_keep_the_distance_range():
    """The filler after the opening is as long as `distance` asks (drawn again from a twin seed)."""
    task = make_task("fluent", COMPOSED)
    lengths = []
    for seed in range(400):
        twin = random.Random(seed)
        gap = twin.randint(0, 30)
        twin.choice(COUNTRIES), twin.choice(CITIES)
        opening = composed_opening(twin)
        words = task.sample(random.Random(seed)).labels
        lengths.append(len(words) - len(opening.split()) - 4)
        assert gap - gap // 4 <= lengths[-1] <= gap + gap // 4 + 1
    assert min(lengths) == 0 and max(lengths) >= 30 and len(set(lengths)) > 25


def test_the_vocabulary_is_the_same_with_either_openings():
    """The composed clauses reuse the listed openings' words, so a model's input size does not change."""
    rng = random.Random(1)
    made = [w for _ in range(500) for w in composed_filler_sentence(rng)]
    composed_words = {w for o in all_composed_clauses() + made for w in o.split() if not w.startswith("{")}
    assert composed_words <= set(VOCABULARY)
    assert make_task("fluent", COMPOSED).symbols == make_task("fluent").symbols == VOCABULARY
    shipped = json.loads((SHIPPED / "lstm-fluent.json").read_text())
    assert shipped["config"]["input_size"] == len(VOCABULARY)


@pytest.mark.parametrize("value, expected", [("mixed", "openings must be one of listed, composed"), (3, "text")])
def test_a_bad_openings_value_is_refused_by_name(value, expected):
    with pytest.raises(TaskInputError, match=expected):
        make_task("fluent", {"openings": value})


def test_could_generate_knows_each_settings_openings():
    # the composed openings give every listed one, not the other way round
    assert all(could_generate(o.format(country="spain", city="dublin"), "composed") for o in OPENINGS)
    assert could_generate("i moved to boston from france . the city is quiet .", "composed")
    assert not could_generate("i moved to boston from france .", "listed")
    assert not could_generate("i grew up in france . the city is quiet .", "listed")
    assert not could_generate("i grew up in france . the river is quiet .", "composed")
    assert could_generate("i work in boston now , but france is where i was born . anyway , time flies .", "composed")
    assert not could_generate("i work in boston now , but france is where i was born .", "listed")
    assert could_generate("well , time flies . i moved to boston . life is good . i grew up in france .", "composed")
    assert not could_generate("i moved to boston , but life is good . i grew up in france .", "composed")
    assert not could_generate("i grew up in france . i was born in france .", "composed")  # one country clause
    assert not could_generate("i grew up in atlantis .", "composed")
    # the last twenty-two typed shapes: none is one the generator writes, the first seventeen are
    typed = [shape.format(country="spain", city="dublin").removesuffix(ANSWER_PREFIX) for shape in TYPED_SHAPES]
    assert [could_generate(text, "composed") for text in typed] == [True] * 17 + [False] * 22
    assert not any(could_generate(text, "listed") for text in typed)
