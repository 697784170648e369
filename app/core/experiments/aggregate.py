"""What the runs of one grid point say together: success rate with its interval, quartiles.

    summaries = aggregate(records)     one dict per grid point, in the records' order

Per grid point: the runs, the successes, the success rate with a Wilson 95%
interval (right at 0/n and n/n, where the normal approximation collapses to a
point), the median and quartiles of the steps to success (over the runs that
succeeded) and of the final metric, and per distance T - t the median and
quartiles of the gradient curves at initialisation and at the end. Quartiles
are linear interpolation between order statistics (numpy's default, "type 7"):
for 1, 2, 3, 4 they are 1.75, 2.5, 3.25. Pure Python, so it runs anywhere a
record can be read.
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054  # the standard normal's 97.5% quantile


def wilson_interval(successes: int, runs: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a success rate; (0, 1) when there are no runs."""
    if runs == 0:
        return 0.0, 1.0
    p = successes / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between order statistics; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def quartiles(values: list[float]) -> dict:
    """{"q1", "median", "q3"}: None each when there are no values."""
    return {"q1": quantile(values, 0.25), "median": quantile(values, 0.5), "q3": quantile(values, 0.75)}


def curve_quartiles(curves: list[list[float] | None]) -> dict | None:
    """Per distance, the quartiles of the curves that reach it (None entries skipped)."""
    present = [curve for curve in curves if curve]
    if not present:
        return None
    longest = max(len(curve) for curve in present)
    columns = [[curve[d] for curve in present if d < len(curve) and curve[d] is not None] for d in range(longest)]
    levels = (("q1", 0.25), ("median", 0.5), ("q3", 0.75))
    return {name: [quantile(column, q) for column in columns] for name, q in levels}


def decay_per_step(curve: list[float] | None) -> float | None:
    """The fitted factor by which the gradient shrinks per step back: exp of the least-squares slope of
    log ||dL_T/dh_t|| against T - t (over the positive values). Below 1: it vanishes; above: it grows."""
    if not curve:
        return None
    points = [(d, math.log(v)) for d, v in enumerate(curve) if v is not None and v > 0]
    if len(points) < 2:
        return None
    n = len(points)
    mean_d = sum(d for d, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((d - mean_d) ** 2 for d, _ in points)
    slope = sum((d - mean_d) * (y - mean_y) for d, y in points) / spread
    return math.exp(slope)


def summarise(records: list[dict]) -> dict:
    """The aggregate of one grid point's records (all the same point)."""
    first = records[0]
    runs = len(records)
    successes = sum(1 for record in records if record.get("success"))
    low, high = wilson_interval(successes, runs)
    succeeded = [record["steps_to_success"] for record in records if record.get("success")]
    finals = [record["final_metric"] for record in records if record.get("final_metric") is not None]
    speeds = [record["steps_per_s"] for record in records if record.get("steps_per_s") is not None]
    traces = [record["trace_s"] for record in records if record.get("trace_s") is not None]
    gradient_init = curve_quartiles([record.get("gradient_init") for record in records])
    gradient_end = curve_quartiles([record.get("gradient_end") for record in records])
    return {
        "point": first["point"],
        "runs": runs,
        "successes": successes,
        "success_rate": successes / runs,
        "success_interval": [low, high],
        "steps_to_success": quartiles(succeeded),
        "final_metric": quartiles(finals),
        "steps_per_s": quartiles(speeds),
        "trace_s": quartiles(traces),
        "parameters": first.get("parameters"),
        "gradient_init": gradient_init,
        "gradient_end": gradient_end,
        "decay_init": decay_per_step(gradient_init["median"]) if gradient_init else None,
        "decay_end": decay_per_step(gradient_end["median"]) if gradient_end else None,
        "model": next((record["model"] for record in records if record.get("model")), None),
        "failed": sum(1 for record in records if record.get("status") == "failed"),
    }


def aggregate(records: list[dict]) -> list[dict]:
    """One summary per grid point, in the order the points first appear."""
    by_point: dict[str, list[dict]] = {}
    for record in records:
        by_point.setdefault(record["point"]["key"], []).append(record)
    return [summarise(group) for group in by_point.values()]
