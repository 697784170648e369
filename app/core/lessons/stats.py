"""Small statistics the lesson figures share: a distribution's summary and seeded samples.

A figure is never one favourable example: it is a summary (median, quartiles,
range) over many sequences drawn from a seeded random.Random, so the same seed
always gives the same figure.
"""

from __future__ import annotations

from statistics import quantiles

# Draws allowed per wanted sequence when sampling under a condition (a length, a gap)
# before giving up: the conditions used here are met by a few percent of draws at least.
MAX_DRAWS_PER_SEQUENCE = 2000


def spread(values: list[float]) -> dict:
    """median, quartiles q1/q3, min, max and n of values (n >= 1)."""
    values = sorted(float(v) for v in values)
    if not values:
        raise ValueError("spread needs at least one value")
    if len(values) == 1:
        q1 = median = q3 = values[0]
    else:
        q1, median, q3 = quantiles(values, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3, "min": values[0], "max": values[-1], "n": len(values)}


def share(flags) -> float:
    """The fraction of true flags (0.0 for none)."""
    flags = list(flags)
    return sum(bool(f) for f in flags) / len(flags) if flags else 0.0


def sample_where(draw, count: int, keep) -> list:
    """The first `count` results of draw() for which keep(result) holds."""
    found = []
    for _ in range(count * MAX_DRAWS_PER_SEQUENCE):
        item = draw()
        if keep(item):
            found.append(item)
            if len(found) == count:
                return found
    raise ValueError(f"fewer than {count} of {count * MAX_DRAWS_PER_SEQUENCE} draws meet the condition")


def learned_at(history: list, level: float, run: int = 5) -> int | None:
    """The first logged training step from which `run` logs in a row score at least `level`; None if never."""
    metrics = [point.metric for point in history]
    for start in range(len(history) - run + 1):
        window = metrics[start : start + run]
        if all(m is not None and m >= level for m in window):
            return int(history[start].step)
    return None
