"""Aggregates against hand computations: the Wilson interval, quartiles, the fitted decay."""

from __future__ import annotations

import math

import pytest

from app.core.experiments import aggregate, quantile, wilson_interval
from app.core.experiments.aggregate import curve_quartiles, decay_per_step, quartiles

Z2 = 1.959963984540054**2


def test_wilson_interval_at_the_edges_has_a_closed_form():
    # 0 of n: the interval is [0, z^2 / (n + z^2)]; n of n: [n / (n + z^2), 1]
    assert wilson_interval(0, 5) == pytest.approx((0.0, Z2 / (5 + Z2)))
    assert wilson_interval(5, 5) == pytest.approx((5 / (5 + Z2), 1.0))
    assert wilson_interval(0, 5)[1] == pytest.approx(0.4345, abs=1e-4)


def test_wilson_interval_in_the_middle_matches_the_textbook_value():
    # 3 of 10: centre (0.3 + z^2/20) / (1 + z^2/10), half-width z sqrt(0.021 + z^2/400) / (1 + z^2/10)
    centre = (0.3 + Z2 / 20) / (1 + Z2 / 10)
    half = math.sqrt(Z2) * math.sqrt(0.3 * 0.7 / 10 + Z2 / 400) / (1 + Z2 / 10)
    assert wilson_interval(3, 10) == pytest.approx((centre - half, centre + half))
    assert wilson_interval(3, 10) == pytest.approx((0.1078, 0.6032), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_quartiles_interpolate_between_order_statistics():
    assert quartiles([4, 1, 3, 2]) == {"q1": 1.75, "median": 2.5, "q3": 3.25}
    assert quartiles([10]) == {"q1": 10, "median": 10, "q3": 10}
    assert quartiles([]) == {"q1": None, "median": None, "q3": None}
    assert quantile([100, 300, 200], 0.5) == 200
    assert quantile([0, 10], 0.25) == 2.5


def test_curve_quartiles_per_distance_skip_missing_curves():
    curves = [[1.0, 0.5, 0.25], [3.0, 1.5], None, [2.0, 1.0, 0.5]]
    summary = curve_quartiles(curves)
    assert summary["median"] == [2.0, 1.0, 0.375]  # distance 2: only two curves reach it
    assert summary["q1"][0] == 1.5 and summary["q3"][0] == 2.5
    assert curve_quartiles([None, None]) is None


def test_decay_per_step_recovers_a_geometric_curve():
    assert decay_per_step([3 * 0.8**d for d in range(20)]) == pytest.approx(0.8)
    assert decay_per_step([1.0, 0.0, 0.25]) == pytest.approx(0.5)  # zeros are left out of the log fit
    assert decay_per_step([1.0]) is None


def record(key, seed, success, steps=None, final=0.5):
    return {
        "key": f"{key}.seed={seed}",
        "point": {"key": key, "variant": key},
        "seed": seed,
        "status": "done",
        "success": success,
        "steps_to_success": steps,
        "final_metric": final,
        "steps_per_s": 100.0,
        "parameters": 10,
        "gradient_init": [1.0, 0.5],
        "gradient_end": None,
        "model": "x-model" if seed == 0 else None,
    }


def test_aggregate_groups_runs_by_point():
    records = [
        record("a", 0, True, 100, 0.97),
        record("a", 1, False, None, 0.4),
        record("a", 2, True, 300, 0.99),
        record("b", 0, False),
    ]
    a, b = aggregate(records)
    assert (a["runs"], a["successes"], a["success_rate"]) == (3, 2, 2 / 3)
    assert a["success_interval"] == pytest.approx(list(wilson_interval(2, 3)))
    assert a["steps_to_success"] == {"q1": 150, "median": 200, "q3": 250}  # over the two that succeeded
    assert a["final_metric"]["median"] == 0.97
    assert a["gradient_init"]["median"] == [1.0, 0.5] and a["gradient_end"] is None
    assert a["decay_init"] == pytest.approx(0.5)
    assert a["model"] == "x-model"
    assert (b["runs"], b["successes"], b["steps_to_success"]["median"]) == (1, 0, None)
