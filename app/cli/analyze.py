"""`python -m app analyze NAME states|automaton|units`: what a stored model has learned, as tables.

    python -m app analyze elman-reber states                  PCA of its states, by grammar state
    python -m app analyze elman-reber automaton               the machine read off them, beside the grammar
    python -m app analyze elman-reber automaton --k 8
    python -m app analyze elman-reber units                   every hidden unit at a glance
    python -m app analyze lstm-embedded-reber units --unit 3 --target gate:f

The same engine as POST /api/models/{name}/analysis/... (app/core/analysis); --json prints
the document that route answers (without "model").
"""

from __future__ import annotations

import argparse
import json

import torch

from app.cli.common import load_settings, open_store
from app.cli.table import number, render
from app.core.analysis import AnalysisInputError, StateCloud, collect_states, pca
from app.core.analysis.holds import analyse
from app.core.analysis.plain import automaton_document, states_document, to_plain, unit_document
from app.core.analysis.units import UnitSummary, natural_key, profile, summaries
from app.core.models import load_model
from app.core.tasks.encoding import visible

ANALYSIS_ERRORS = (AnalysisInputError,)
DEFAULT_SEQUENCES = {"states": 200, "automaton": 400, "units": 200}


def add_parser(sub) -> None:
    parser = sub.add_parser("analyze", help="what a model learned: its state space, automaton and units")
    parser.add_argument("name")
    parser.add_argument("view", choices=["states", "automaton", "units"])
    parser.add_argument("--sequences", type=int, help="sequences sampled from its task (default 200; automaton 400)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed, the same sequences (default 0)")
    parser.add_argument("--components", type=int, choices=[2, 3], default=2, help="states: PCA components")
    parser.add_argument("--state", choices=["h", "c"], default="h", help="states: h, or the LSTM's cell state c")
    parser.add_argument("--k", type=int, help="automaton: clusters (default: the smallest k whose machine holds)")
    parser.add_argument("--held-out", type=int, default=300, help="automaton: fresh sequences it is checked on")
    parser.add_argument("--unit", type=int, help="units: one unit's profile (default: every unit at a glance)")
    parser.add_argument("--target", default="h", help="units: h, c (LSTM) or gate:<name> (e.g. gate:f)")
    parser.add_argument("--top", type=int, default=10, help="units: top contexts and similar units listed")
    parser.add_argument("--json", action="store_true", help="the whole result (as the API sends it), as JSON")
    parser.set_defaults(handler=command_analyze)


def command_analyze(args: argparse.Namespace) -> int:
    store = open_store(load_settings())
    loaded = load_model(store, args.name, "cpu")  # many short sequences: the CPU serves them best
    sequences = args.sequences if args.sequences is not None else DEFAULT_SEQUENCES[args.view]
    title = f"model {loaded.name}: {loaded.model.config.architecture}, task {loaded.task.id}; seed {args.seed}"
    if args.view == "automaton":
        extraction = analyse(loaded, sequences, args.held_out, args.seed, args.k)
        document = automaton_document(extraction.automaton, extraction.k_search, extraction.comparison)
        lines = automaton_lines(document) if not args.json else []
    else:
        cloud = collect_states(loaded, sequences, args.seed)
        if args.view == "states":
            projection = pca(cloud.state(args.state), args.components)
            document = states_document(cloud, projection, args.state)
            lines = states_lines(document, projection.coords) if not args.json else []
        elif args.unit is None:
            rows = summaries(cloud, args.target)
            document = {"target": args.target, "units": [vars(row) for row in rows]}
            lines = overview_lines(rows, args.target, cloud) if not args.json else []
        else:
            document = unit_document(profile(cloud, args.target, args.unit, args.top))
            lines = unit_lines(document) if not args.json else []
    if args.json:
        print(json.dumps(to_plain(document), allow_nan=False, ensure_ascii=False))
        return 0
    print("\n".join([*lines, "", title]))
    return 0


def states_lines(document: dict, coords: torch.Tensor) -> list[str]:
    """Where each grammar state (or symbol) sits in the projection: its points' mean coordinates."""
    ratios = document["explained_variance"]
    by = "grammar state" if document["grammar_state"] is not None else "symbol"
    keys = document["grammar_state"] or document["symbol"]
    groups: dict[str, list[int]] = {}
    for point, key in enumerate(keys):
        groups.setdefault(key, []).append(point)
    components = len(ratios)
    rows = []
    for key in sorted(groups, key=natural_key):
        centre = coords[groups[key]].mean(0).tolist()
        rows.append([visible(key), str(len(groups[key])), *(number(c, 3) for c in centre)])
    headers = [by, "points", *(f"PC{i + 1} mean" for i in range(components))]
    lines = render(headers, rows, [False] + [True] * (components + 1))
    explained = ", ".join(f"PC{i + 1} {100 * r:.1f}%" for i, r in enumerate(ratios))
    lines += [
        "",
        f"{document['points']} points ({document['state']}) of {document['sequences']} sequences; "
        f"variance explained: {explained} ({100 * sum(ratios):.1f}% together)",
    ]
    return lines


def automaton_lines(document: dict) -> list[str]:
    moves: dict[int, list[str]] = {}
    for t in document["transitions"]:
        moves.setdefault(t["from"], []).append(f"{visible(t['symbol'])}->{t['to']}")
    rows = []
    for state in document["states"]:
        marks = ("start " if state["id"] == document["start"] else "") + ("accepting" if state["accepting"] else "")
        rows.append(
            [
                str(state["id"]),
                str(state["size"]),
                " ".join(visible(s) for s in state["next"]) or "-",
                state["grammar_state"] or "-",
                number(state["purity"], 3),
                " ".join(moves.get(state["id"], [])),
                marks.strip(),
            ]
        )
    headers = ["state", "points", "predicts next", "grammar state", "purity", "moves", ""]
    lines = render(headers, rows, [True, True, False, False, True, False, False])
    searched = document["k_search"]
    lines += [""] + render(
        ["k", "states", "agreement", "acceptance"],
        [[str(t["k"]), str(t["states"]), number(t["agreement"], 3), number(t["acceptance"], 3)] for t in searched],
        [True, True, True, True],
    )
    grammar = document["grammar"]
    against = (
        f"agreement with {grammar['name']} {number(document['agreement'], 3)}, "
        f"acceptance {number(document['acceptance'], 3)}, "
        if grammar
        else ""
    )
    lines += [
        "",
        f"k = {document['k']}: {len(document['states'])} states after minimisation; {against}"
        f"fidelity to the network {number(document['fidelity'], 3)} over {document['held_out_steps']} held-out "
        f"steps; purity {number(document['purity'], 3)}",
    ]
    return lines


def overview_lines(summaries: list[UnitSummary], target: str, cloud: StateCloud) -> list[str]:
    rows = [
        [
            str(s.unit),
            number(s.mean, 3),
            number(s.low, 3),
            number(s.high, 3),
            f"{visible(s.favourite)} ({number(s.favourite_mean, 3)})",
            s.top_context,
        ]
        for s in summaries
    ]
    headers = ["unit", "mean", "min", "max", "highest after (mean)", "its peak, after"]
    lines = render(headers, rows, [True, True, True, True, False, False])
    lines += ["", f"{target} over {cloud.points} points of {len(cloud.texts)} sequences; --unit N for one profile"]
    return lines


def unit_lines(document: dict) -> list[str]:
    def table(title: str, key: str, rows: list[dict]) -> list[str]:
        body = [[visible(str(row[key])), number(row["mean"], 3), str(row["count"])] for row in rows]
        return ["", *render([title, "mean", "points"], body, [False, True, True])]

    lines = [f"unit {document['unit']} of {document['target']}"]
    lines += table("after symbol", "symbol", document["by_symbol"])
    if document["by_grammar_state"] is not None:
        lines += table("in grammar state", "grammar_state", document["by_grammar_state"])
    lines += table("at step", "step", document["by_step"])
    contexts = [[number(c["value"], 3), c["context"], f"{c['sequence']}:{c['step']}"] for c in document["top_contexts"]]
    lines += ["", *render(["highest", "after", "sequence:step"], contexts, [True, False, False])]
    similar = [[str(s["unit"]), number(s["correlation"], 3)] for s in document["similar"]]
    lines += ["", *render(["most like it: unit", "correlation"], similar, [True, True])]
    return lines
