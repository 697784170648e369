"""The memory demos' figures: delayed recall on held-out contents, the fluent model by filler
length and on typed sentences, the adding model by sequence length in the modern and 1997 forms.

Like figures.py, every function takes LoadedModel(s), a sequence count and a seed and returns
plain data over many seeded sequences; the same models and seed always give the same figure.
"""

from __future__ import annotations

import itertools
import random

import torch

from app.core.heldout import SATURATED, held_out_task, hidden_saturation
from app.core.lessons.figures import LEARNED_LEVEL, gradient_reach
from app.core.lessons.stats import spread
from app.core.models import LoadedModel
from app.core.tasks import make_task
from app.core.tasks.base import collate
from app.core.tasks.copy import LISTED_SPACE, is_held_out
from app.core.tasks.fluent import ANSWER_PREFIX, CITIES, COUNTRIES, could_generate

REACH_SEQUENCES = 64  # a trace per sequence; 16 gave a median half of what 60 gave (an independent re-check)
# Sentences as a person might type them with the fluent task's words: clauses in other
# combinations and orders, a filler or none. Each shape is tried with every country of the task
# (and a city by turn), so one lucky country cannot carry it. The first nine were written when the
# task had only its eleven listed openings, none of which they are; the composed openings (the
# `openings` option lstm-fluent trains on) produce all nine, and the next three (a filler between
# the clauses or in front) too. The next five are an independent auditor's hardest (3 to 8 of 14 on
# the model trained before the composed openings took their wordings and composed fillers): the
# generator now writes them. The last twenty-two no setting of the generator produces: a join,
# clause or filler sentence it lacks, three clauses, the country named twice, the city where the
# country stands, the answer joined without a full stop; the last fourteen were written after that
# audit, in its wordings and fillers unlike the generator's (the last three are its shapes the model
# trained on these openings gets wrong most: kept, so the figure is not chosen to flatter it).
# fluent.could_generate tells the two kinds apart for each model, so a figure about sentences new to
# it counts only those.
TYPED_SHAPES = (
    "i was born in {country} . i work in {city} now . i speak fluent",
    "{country} is where i grew up . i live in {city} now . i speak fluent",
    "my family comes from {country} . i like long walks . it rains often . i speak fluent",
    "i moved to {city} , but i grew up in {country} . i speak fluent",
    "i was born in {country} . the food is good . i speak fluent",
    "i live in {city} now . i grew up in {country} . i speak fluent",
    "i was born in {country} . i speak fluent",
    "my family comes from {country} . i speak fluent",
    "i work in {city} now . i was born in {country} . i speak fluent",
    "i was born in {country} . the weather is mild . i live in {city} now . i speak fluent",
    "i work in {city} now . it rains often . my family comes from {country} . i speak fluent",
    "well , i grew up in {country} . i speak fluent",
    "i grew up in a small city in {country} . i speak fluent",
    "i moved to {city} from {country} . i speak fluent",
    "{country} is where my family comes from . i speak fluent",
    "i was born in a big city in {country} . i live in {city} now . i speak fluent",
    "i was born in {country} . the city is quiet . i speak fluent",
    "i was born in {country} before i moved to {city} . i speak fluent",
    "i live in {city} , but i grew up in {country} . i speak fluent",
    "i was born in {country} , but i moved to {city} and i work there now . i speak fluent",
    "my family comes from {country} . i live in {city} now and i work there . i speak fluent",
    "{city} is where i work now . {country} is where i grew up . i speak fluent",
    "my family is from {country} and i grew up there . i speak fluent",
    "i moved to {city} . i live in {city} now , but i was born in {country} . i speak fluent",
    "i grew up in {country} . my family comes from {country} . i speak fluent",
    "my sister and i grew up in {country} . now we live in {city} . i speak fluent",
    "i work in a big office in {city} . i grew up in {country} . i speak fluent",
    "i was born in {country} and i moved to {city} for work . i speak fluent",
    "i now live in {city} and i like it , but i grew up in {country} . i speak fluent",
    "i grew up in {country} and my family is there . i speak fluent",
    "i live in {city} , but my family comes from {country} . i speak fluent",
    "i grew up in a small city near the river in {country} . i speak fluent",
    "i was born in {country} . the river is quiet at night . i speak fluent",
    "i grew up in {country} . my friends cook for me . i have a sister . i speak fluent",
    "my family comes from {country} . i like my job . my job keeps me busy . i speak fluent",
    "i was born in {country} . we walk to the river on weekends . the office is near the river . i speak fluent",
    "my family comes from {country} , but i was born in {city} . i speak fluent",
    "still , i grew up in {country} and i speak fluent",
    "i grew up in {country} , i speak fluent",
)


def _accuracy(loaded: LoadedModel, sequences) -> float:
    return loaded.task.metric(_logits(loaded, sequences), collate(sequences))


def _logits(loaded: LoadedModel, sequences) -> torch.Tensor:
    batch = collate(sequences)  # padded at the end: fine for the masked steps the metrics count
    param = next(loaded.model.parameters())
    with torch.no_grad():
        logits, _ = loaded.model(batch.x.to(device=param.device, dtype=param.dtype))
    return logits.float().cpu()


def _recall_reach(loaded: LoadedModel, sequence) -> float:
    """The share of the last recall step's error that reaches the step that read its symbol."""
    length = sum(1 for label in sequence.target_labels if label)  # the recall steps, as many as contents
    return gradient_reach(loaded, sequence, len(sequence) - 1, length - 1)[1]


def delayed_recall(lstm: LoadedModel, elman: LoadedModel, count: int, seed: int, other_lag: int = 20) -> dict:
    """The copy pair on `count` held-out sequences (contents neither net trained on, lags over the
    trained range): recall accuracy, chance, the contents held out, each net's saturated hidden values,
    the Elman net's best logged accuracy, the LSTM at a lag outside its range, and how much of the last
    recall step's error reaches the step that read its symbol."""
    task = held_out_task(lstm.task)
    options = dict(task.options)
    sequences = [task.sample(random.Random(seed * 1000 + k)) for k in range(count)]
    other = make_task(task.id, {**options, "lag": other_lag, "max_lag": 0})
    other_sequences = [other.sample(random.Random(seed * 1000 + k)) for k in range(count)]
    contents = len(task.content) ** options["length"]
    # how many contents training never drew, counted where listing them is cheap
    listed = itertools.product(task.content, repeat=options["length"]) if contents <= LISTED_SPACE else None
    held = None if listed is None else sum(is_held_out("".join(c)) for c in listed)
    best = max(elman.metadata.history, key=lambda point: point.metric or 0.0)
    reach = min(count, REACH_SEQUENCES)
    return {
        "sequences": count,
        "split": options["split"],
        "lag": options["lag"],
        "max_lag": options["max_lag"] or options["lag"],
        "length": options["length"],
        "n_symbols": options["n_symbols"],
        "steps_trained": {"lstm": lstm.metadata.total_steps, "elman": elman.metadata.total_steps},
        "distinct_inputs": contents,
        "held_out_contents": held,
        "chance": 1 / options["n_symbols"],
        "lstm_accuracy": _accuracy(lstm, sequences),
        "elman_accuracy": _accuracy(elman, sequences),
        "elman_saturated": hidden_saturation(elman, sequences),
        "lstm_saturated": hidden_saturation(lstm, sequences),
        "saturation_level": SATURATED,
        "elman_best_logged": {"metric": best.metric, "step": best.step},
        "other_lag": other_lag,
        "lstm_accuracy_other_lag": _accuracy(lstm, other_sequences),
        "lstm_relative_reach": spread([_recall_reach(lstm, s) for s in sequences[:reach]]),
        "elman_relative_reach": spread([_recall_reach(elman, s) for s in sequences[:reach]]),
        "reach_sequences": reach,
    }


def typed_sentences(model: LoadedModel) -> list[dict]:
    """The fluent model on every TYPED_SHAPES sentence with every country: the word it puts after
    'fluent' against the country's language, and whether the model's generator could have written
    the sentence (`generated`)."""
    results = []
    openings = model.task.options["openings"]
    for shape_index, shape in enumerate(TYPED_SHAPES):
        for index, (country, language) in enumerate(COUNTRIES):
            prefix = shape.format(country=country, city=CITIES[index % len(CITIES)])
            sequence = model.task.encode(f"{prefix} {language}")
            cue = len(sequence) - 2  # the step reading "fluent" predicts the last word
            predicted = int(_logits(model, [sequence])[0, cue].argmax())
            named = model.task.symbols[predicted]
            generated = could_generate(prefix.removesuffix(ANSWER_PREFIX).strip(), openings)
            results.append(
                {"shape": shape_index, "text": prefix, "language": language, "named": named, "generated": generated}
            )
    return results


def _typed_summary(typed: list[dict]) -> dict:
    by_shape = []
    for index, shape in enumerate(TYPED_SHAPES):
        rows = [t for t in typed if t["shape"] == index]
        right = sum(t["named"] == t["language"] for t in rows)
        generated = all(t["generated"] for t in rows)  # a shape's countries and cities are all the generator's
        by_shape.append(
            {"shape": shape, "right": right, "count": len(rows), "share": right / len(rows), "generated": generated}
        )
    right = sum(t["named"] == t["language"] for t in typed)
    new = [t for t in typed if not t["generated"]]  # sentences the model's generator never writes
    new_right = sum(t["named"] == t["language"] for t in new)
    new_shapes = [row for row in by_shape if not row["generated"]]
    return {
        "typed_new_right": new_right,
        "typed_new_count": len(new),
        "typed_new_share": new_right / len(new) if new else None,
        "typed_new_shapes": len(new_shapes),
        "typed_new_missed_shapes": sum(row["right"] < row["count"] for row in new_shapes),
        "typed_new_worst": _worst_with_example(new_shapes, typed),
        "typed": typed,
        "typed_right": right,
        "typed_count": len(typed),
        "typed_share": right / len(typed),
        "typed_shapes": len(TYPED_SHAPES),
        "typed_countries": len(COUNTRIES),
        "typed_by_shape": by_shape,
        "typed_best": max(by_shape, key=lambda row: row["share"]),
        "typed_worst": min(by_shape, key=lambda row: row["share"]),
    }


def _worst_with_example(rows: list[dict], typed: list[dict]) -> dict | None:
    """The shape named right least often, with one of its sentences the model gets wrong (or its
    first, when it gets none wrong) as it reads: the shape filled in, up to "fluent"."""
    if not rows:
        return None
    worst = min(rows, key=lambda row: row["share"])
    sentences = [t for t in typed if t["shape"] == TYPED_SHAPES.index(worst["shape"])]
    example = next((t for t in sentences if t["named"] != t["language"]), sentences[0])
    return {**worst, "example": example["text"], "example_named": example["named"]}


def fluent_by_distance(model: LoadedModel, count: int, seed: int, distances=range(0, 31)) -> dict:
    """The language accuracy of the fluent model by filler distance (`count` sentences each, each
    distance fixed), where it reaches LEARNED_LEVEL, its lowest, and the typed sentences it gets right."""
    accuracy = []
    for distance in distances:
        task = make_task(model.task.id, {**model.task.options, "distance": distance, "max_distance": 0})
        rng = random.Random(seed * 100 + distance)
        accuracy.append(_fluent_accuracy(model, task, rng, count))
    distances = list(distances)
    good = [d for d, a in zip(distances, accuracy, strict=True) if a >= LEARNED_LEVEL]
    lowest = min(range(len(accuracy)), key=accuracy.__getitem__)
    typed = typed_sentences(model)
    options = model.task.options
    return {
        "sequences": count,
        "trained_from": options["distance"],
        "trained_to": options["max_distance"] or options["distance"],
        "distances": distances,
        "shortest": distances[0],
        "longest": distances[-1],
        "accuracy": accuracy,
        "level": LEARNED_LEVEL,
        "works_from": min(good) if good else None,
        "works_to": max(good) if good else None,
        "every_length": len(good) == len(distances),
        "lowest": {"accuracy": accuracy[lowest], "distance": distances[lowest]},
        **_typed_summary(typed),
    }


def _fluent_accuracy(model: LoadedModel, task, rng: random.Random, count: int) -> float:
    sequences = [task.sample(rng) for _ in range(count)]
    return task.metric(_logits(model, sequences), collate(sequences))


def adding_by_length(model: LoadedModel, count: int, seed: int, lengths=(10, 20, 30, 40, 50, 60)) -> dict:
    """The adding model by sequence length (each fixed): the share of sums within 0.04 (the modern
    form's target, the sum), the share the 1997 criterion counts as solved, and the mean squared error."""
    within, solved, mse = [], [], []
    for length in lengths:
        task = make_task(model.task.id, {**model.task.options, "length": length, "max_length": length})
        rng = random.Random(seed * 100 + length)
        sequences = [task.sample(rng) for _ in range(count)]
        logits, batch = _logits(model, sequences), collate(sequences)
        within.append(task.metric(logits, batch))
        solved.append(task.solved_1997(logits, batch))
        mse.append(task.mean_squared_error(logits, batch))
    options = model.task.options
    return {
        "sequences": count,
        "trained_from": options["length"],
        "trained_to": model.task.longest,
        "lengths": list(lengths),
        "accuracy": within,
        "solved_1997": solved,
        "mse": mse,
        "worst": min(within),
        "worst_1997": min(solved),
        "mse_baseline": 1 / 6,  # always answering the mean sum, 1.0
    }
