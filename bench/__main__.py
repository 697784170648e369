"""python -m bench [all|trace|train] [--device cpu|cuda]: print measured figures."""

from __future__ import annotations

import argparse
import json

import torch

from app.core.device import configure_threads
from bench import analysis, api_speed, cost, experiments, trace_encoding, trace_speed, train_speed, watchers
from bench.timing import machine

SUITES = {
    "trace": trace_speed.run,
    "train": train_speed.run,
    "api": api_speed.run,
    "cost": cost.run,
    "encoding": trace_encoding.run,
    "watchers": watchers.run,
    "experiments": experiments.run,  # the local pool's speed-up and Ray's overhead per run
    "analysis": analysis.run,  # issue 11: states + PCA + automaton of 500 sequences of the demo models
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", choices=["all", *SUITES], nargs="?", default="all")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the server uses 1)")
    args = parser.parse_args()
    configure_threads(args.threads)
    print(f"# machine: {machine()}")
    for name, run in SUITES.items():
        if args.suite in ("all", name):
            print(json.dumps({"bench": name, **run(device=args.device)}, indent=None, default=lambda v: round(v, 3)))


if __name__ == "__main__":
    main()
