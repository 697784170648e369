"""The whole analysis of issue 11 on shipped demo models: 500 seeded sequences' states, their PCA
(2 and 3 components) and the automaton with its k search judged on 300 held-out sequences.

Target (issue 11): under 1 s on one core for a demo model. An absolute figure, so the machine
matters: `python -m bench analysis` prints it first. Besides the wall time it reports the
process's CPU time (one torch thread, so one core's work): on a shared machine whose load
exceeds its cores the wall time also counts the waits for a core.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from app.core.analysis import analyse, pca
from app.core.models import load_model
from app.core.store import ModelStore

MODELS = ("elman-reber", "second-order-reber", "elman-embedded-reber", "lstm-embedded-reber")
SEQUENCES, HELD_OUT = 500, 300


def whole_analysis(loaded):
    extraction = analyse(loaded, SEQUENCES, HELD_OUT, seed=0)
    pca(extraction.cloud.hidden, 2)
    pca(extraction.cloud.hidden, 3)
    return extraction


def run(device: str = "cpu", rounds: int = 5) -> dict:
    store = ModelStore(Path(__file__).resolve().parents[1] / "models")
    results = {"sequences": SEQUENCES, "held_out": HELD_OUT, "device": "cpu"}  # the analysis runs on the CPU
    for name in MODELS:
        loaded = load_model(store, name)
        start = time.perf_counter()
        extraction = whole_analysis(loaded)
        first = time.perf_counter() - start
        wall, cpu = [], []
        for _ in range(rounds):
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            whole_analysis(loaded)
            wall.append(time.perf_counter() - wall_start)
            cpu.append(time.process_time() - cpu_start)
        results[name] = {
            "median_s": statistics.median(wall),
            "cpu_median_s": statistics.median(cpu),
            "first_s": first,
            "k": extraction.automaton.k,
            "k_tried": len(extraction.k_search),
            "states": len(extraction.automaton.states),
            "agreement": extraction.comparison.agreement,
            "points": extraction.cloud.points,
        }
    return results
