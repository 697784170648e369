"""The tour's figures (app/core/lessons) against independent computations on the shipped models,
and the tour's chapter texts against the figures: no number written into a chapter by hand.

The independent side shares nothing with the engine's figure code but the task's sequences:
gradients by autograd through torch's own cells stepped one at a time (not the hand BPTT of
app/core/trace), gates and saturation from the raw weights, accuracies one sequence at a time.
Small sequence counts keep this fast; the page uses the registry's larger counts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
from pathlib import Path
from statistics import median

import pytest
import torch
import torch.nn.functional as F

from app.core.analysis.generate import generate as sample_from
from app.core.architectures import ModelConfig, RecurrentModel
from app.core.device import configure_threads
from app.core.lessons import FIGURES, compute_figure, evidence, figures, learned, recall, timing
from app.core.lessons.stats import learned_at, spread
from app.core.models import load_model
from app.core.store import ModelStore
from app.core.tasks import make_task
from app.core.tasks.embedded_reber import is_embedded_reber
from app.core.tasks.fluent import ANSWER_PREFIX, could_generate
from app.core.tasks.reber import grammar_graph as reber_graph
from app.core.tasks.reber import legal_sets

ROOT = Path(__file__).resolve().parents[2]
SEED = 3
# Numbers a chapter may state as text: step indices of the chapters' own example string and
# the subscripts of L = L_1 + L_2 + ... (notation, not claims).
WHITELIST = ("step 22", "step 2", "L_1", "L_2")


@pytest.fixture(scope="module")
def load():
    configure_threads(1)  # the models are tiny: more threads only contend (app/core/device.py)
    store = ModelStore(ROOT / "models")
    cache: dict = {}
    return lambda name: cache.setdefault(name, load_model(store, name))


def closeness(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)


# ----- independent computations ------------------------------------------------------------


def autograd_reach(loaded, sequence, source: int, back_to: int) -> tuple[float, float]:
    """||dL_source/dh_back_to|| and ||dL_source/dh_source|| by autograd, torch's cell one step at a time."""
    rnn, readout = loaded.model.rnn, loaded.model.readout
    x = sequence.x.unsqueeze(0)  # (1, T, I)
    state, kept = None, {}
    for t in range(source + 1):
        out, state = rnn(x[:, t : t + 1], state)
        h = out[0, 0]
        h.retain_grad()
        kept[t] = h
        # the next step must read this very h (for the LSTM, its (h, c) with h replaced by the kept tensor)
        state = h.view(1, 1, -1) if isinstance(state, torch.Tensor) else (h.view(1, 1, -1), state[1])
    logits = readout(kept[source])
    target = sequence.target[source]
    if loaded.task.loss_kind == "bce":
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
    else:
        loss = F.cross_entropy(logits.unsqueeze(0), target.view(1))
    loss.backward()
    return float(kept[back_to].grad.norm()), float(kept[source].grad.norm())


def lstm_forget(loaded, x: torch.Tensor) -> torch.Tensor:
    """(T, H) forget gates from the raw weights (PyTorch's i, f, g, o order), in float64."""
    rnn = loaded.model.rnn
    w_ih, w_hh = rnn.weight_ih_l0.detach().double(), rnn.weight_hh_l0.detach().double()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().double()
    H = w_hh.shape[1]
    h, c, gates_f = torch.zeros(H, dtype=torch.float64), torch.zeros(H, dtype=torch.float64), []
    for row in x.double():
        i, f, g, o = (w_ih @ row + w_hh @ h + b).split(H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        gates_f.append(f)
    return torch.stack(gates_f)


def elman_states(loaded, x: torch.Tensor) -> torch.Tensor:
    rnn = loaded.model.rnn
    h, rows = torch.zeros(rnn.hidden_size, dtype=torch.float64), []
    for row in x.double():
        h = torch.tanh(
            rnn.weight_ih_l0.double() @ row + rnn.bias_ih_l0 + rnn.weight_hh_l0.double() @ h + rnn.bias_hh_l0
        )
        rows.append(h)
    return torch.stack(rows)


def logits_of(loaded, sequence) -> torch.Tensor:
    with torch.no_grad():
        return loaded.model(sequence.x.unsqueeze(0))[0][0]  # (T, O), one sequence alone


# ----- each figure against its independent computation -------------------------------------


def test_gradient_to_branch_matches_autograd(load):
    lstm, elman = load("lstm-embedded-reber"), load("elman-embedded-reber")
    count = 5
    got = figures.gradient_to_branch(lstm, elman, count, SEED)
    strings = figures.long_range_strings(lstm.task, count, SEED)
    assert all(len(s) == 24 and is_embedded_reber("".join(s.labels)) for s in strings)
    source, branch = 21, 1  # the inner E of a 24-symbol string; the branch symbol
    lstm_reach = [autograd_reach(lstm, s, source, branch) for s in strings]
    elman_reach = [autograd_reach(elman, s, source, branch) for s in strings]
    ratios = [a[0] / b[0] for a, b in zip(lstm_reach, elman_reach, strict=True)]
    assert got["gap"] == 20 and got["sequences"] == count
    assert closeness(got["ratio"]["median"], median(ratios))
    assert closeness(got["elman_relative"]["median"], median(r / s for r, s in elman_reach))
    assert closeness(got["lstm_relative"]["median"], median(r / s for r, s in lstm_reach))
    assert got["elman_larger_share"] == sum(r < 1 for r in ratios) / count


def test_forget_gates_match_the_weights(load):
    lstm = load("lstm-embedded-reber")
    got = figures.forget_gates(lstm, 4, SEED)
    shares, steadiest = [], []
    for sequence in figures.long_range_strings(lstm.task, 4, SEED):
        lowest = lstm_forget(lstm, sequence.x.detach())[2:22].min(dim=0).values  # inner steps 2..21
        shares.append(float((lowest > 0.9).double().mean()))
        steadiest.append(float(lowest.max()))
    assert closeness(got["steady_unit_share"]["median"], median(shares))
    assert math.isclose(got["steadiest_lowest_f"]["median"], median(steadiest), abs_tol=1e-5)


def test_learning_matches_one_string_at_a_time(load):
    lstm, elman = load("lstm-embedded-reber"), load("elman-embedded-reber")
    count = 30
    got = figures.learning(lstm, elman, count, SEED)
    rng = random.Random(SEED)
    sequences = [lstm.task.sample(rng) for _ in range(count)]
    symbols = lstm.task.symbols

    def right(loaded, sequence) -> bool:
        string = "".join(sequence.labels)
        inner_end = len(string) - 3
        predicted = {symbols[k] for k, v in enumerate(logits_of(loaded, sequence)[inner_end]) if v > 0}
        return predicted == {string[1]}

    assert got["lstm_accuracy"] == sum(right(lstm, s) for s in sequences) / count
    assert got["elman_accuracy"] == sum(right(elman, s) for s in sequences) / count
    document = json.loads((ROOT / "models" / "elman-embedded-reber.json").read_text())
    metrics = [(p["step"], p["metric"]) for p in document["history"]]
    first = next(s for k, (s, _) in enumerate(metrics) if all(m >= 0.9 for _, m in metrics[k : k + 5]))
    assert got["elman_learned_at"] == first


def test_learned_at_needs_a_run():
    from app.core.store.metadata import HistoryPoint

    history = [HistoryPoint(step=s, loss=0.0, metric=m) for s, m in enumerate([0.95, 0.2, 0.9, 0.91, 0.99, 1, 1])]
    assert learned_at(history, 0.9, run=5) == 2
    assert learned_at(history[:5], 0.9, run=5) is None


def test_delayed_recall_matches_one_sequence_at_a_time(load):
    lstm, elman = load("lstm-copy"), load("elman-copy")
    count = 20
    got = recall.delayed_recall(lstm, elman, count, SEED)
    assert lstm.task.options["split"] == elman.task.options["split"] == "train"
    task = make_task("copy", {**lstm.task.options, "split": "held_out"})
    sequences = [task.sample(random.Random(SEED * 1000 + k)) for k in range(count)]
    length = task.options["length"]
    # held out of training by the hash, computed here from its definition: sha256's first byte % 8 == 0
    assert all(hashlib.sha256("".join(s.labels[:length]).encode()).digest()[0] % 8 == 0 for s in sequences)
    assert len({len(s) for s in sequences}) > 1  # the lags vary

    def accuracy(loaded, sequences) -> float:
        hits = total = 0
        for s in sequences:
            predicted = logits_of(loaded, s).argmax(-1)
            recall_steps = s.loss_mask > 0
            hits += int((predicted[recall_steps] == s.target[recall_steps]).sum())
            total += int(recall_steps.sum())
        return hits / total

    assert closeness(got["lstm_accuracy"], accuracy(lstm, sequences))
    assert closeness(got["elman_accuracy"], accuracy(elman, sequences))
    states = torch.cat([elman_states(elman, s.x) for s in sequences])
    assert math.isclose(got["elman_saturated"], float((states.abs() > 0.99).double().mean()), abs_tol=2e-3)
    assert got["distinct_inputs"] == 8**4 and got["chance"] == 1 / 8
    assert (got["lag"], got["max_lag"], got["length"]) == (40, 60, 4)
    every = ["".join(c) for c in itertools.product("abcdefgh", repeat=4)]
    assert got["held_out_contents"] == sum(hashlib.sha256(c.encode()).digest()[0] % 8 == 0 for c in every)
    other = make_task("copy", {**task.options, "lag": 20, "max_lag": 0})
    other_sequences = [other.sample(random.Random(SEED * 1000 + k)) for k in range(count)]
    assert closeness(got["lstm_accuracy_other_lag"], accuracy(lstm, other_sequences))
    reach = [autograd_reach(lstm, s, len(s) - 1, length - 1) for s in sequences[: got["reach_sequences"]]]
    assert closeness(got["lstm_relative_reach"]["median"], median(r / s for r, s in reach))


def test_the_copy_pair_holds_its_claims(load):
    """The LSTM recalls held-out contents; the Elman net, trained alike, stays near chance."""
    got = recall.delayed_recall(load("lstm-copy"), load("elman-copy"), 64, SEED)
    assert got["lstm_accuracy"] >= 0.9
    assert abs(got["elman_accuracy"] - got["chance"]) < 0.05  # chapter 10: "about chance"


def test_cost_counts_the_weights(load):
    lstm, elman = load("lstm-embedded-reber"), load("elman-embedded-reber")
    got = figures.cost(lstm, elman)
    H, I = 32, 7
    assert got["lstm"]["core_weights"] == 4 * H * (I + H)
    assert got["elman"]["core_weights"] == H * (I + H)
    assert got["core_ratio"] == 4.0
    documents = [
        json.loads((ROOT / "models" / f"{n}.json").read_text()) for n in ("lstm-embedded-reber", "elman-embedded-reber")
    ]
    assert [got["lstm"]["parameters"], got["elman"]["parameters"]] == [d["parameter_count"] for d in documents]


def test_cost_counts_every_family_and_times_them_two_ways(measured):
    got = measured["cost"]  # the cost chapter's figure, timed as the page times it
    H, I, O = 32, 7, 7
    readout = H * O
    macs = {"elman": H * (I + H) + readout, "gru": 3 * H * (I + H) + readout, "lstm": 4 * H * (I + H) + readout}
    biases = {"elman": 2 * H, "gru": 6 * H, "lstm": 8 * H}
    for family, count in macs.items():
        assert got["families"][family]["multiply_adds"] == count
        assert got["families"][family]["parameters"] == count + biases[family] + O
        assert closeness(got["families"][family]["multiply_adds_ratio"], count / macs["elman"])
    assert got["families"]["lstm"]["parameters"] == got["lstm"]["parameters"]  # the shown LSTM's own count
    # measured, so only their form is checked: every way timed every family, each against the Elman net
    for way in ("fused", "fused_onednn_off", "common"):
        for family in ("elman", "gru", "lstm"):
            assert got["timing"][way][family]["ms"] > 0 and got["timing"][way][family]["ratio"] > 0
        assert got["timing"][way]["elman"]["ratio"] == 1.0
    assert got["rounds"] == timing.ROUNDS and got["batch"] == 32 and got["length"] == 24


VIEW_NODES = ("SelectBackward0", "SplitBackward0", "PermuteBackward0", "TBackward0", "ViewBackward0")


def graph_nodes(family: str, steps: int) -> int:
    """Autograd nodes of the common loop's output over `steps` steps, views left out: one per
    operation that computes, read from the graph rather than counted at the dispatcher."""
    torch.manual_seed(0)
    model = RecurrentModel(ModelConfig(family, 7, 7, 32))
    h = timing.common_step_loop(family, model.rnn, torch.rand(2, steps, 7))
    seen, stack = set(), [h.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return sum(type(node).__name__ not in (*VIEW_NODES, "AccumulateGrad") for node in seen)


def test_cost_counts_the_operations_a_step_runs_and_times_a_larger_size(measured):
    """The chapter's words: a step's operations, forward and backward; the GRU has fewer multiply-adds
    "but" more operations than the LSTM (its reset gate), and is timed again at a larger size."""
    got = measured["cost"]
    for family in ("elman", "gru", "lstm"):
        operations = got["families"][family]["operations"]
        assert operations["forward"] == graph_nodes(family, 4) - graph_nodes(family, 3)
        assert operations["backward"] > operations["forward"]  # every operation's backward, and more
        assert operations["total"] == operations["forward"] + operations["backward"]
    gru, lstm = got["families"]["gru"], got["families"]["lstm"]
    ratio = got["gru_over_lstm"]
    assert closeness(ratio["multiply_adds"], gru["multiply_adds"] / lstm["multiply_adds"])
    assert ratio["multiply_adds"] < 1
    assert closeness(ratio["operations"], gru["operations"]["total"] / lstm["operations"]["total"])
    assert ratio["operations"] > 1
    H, I, O = got["large"]["hidden"], 7, 7
    assert H > got["hidden"]
    large_ratio = (3 * H * (I + H) + H * O) / (4 * H * (I + H) + H * O)
    assert closeness(got["large"]["gru_over_lstm"]["multiply_adds"], large_ratio)
    assert ratio["time"] > 0 and got["large"]["gru_over_lstm"]["time"] > 0  # measured: only their form


def experiment_records(name: str) -> tuple[dict, list[dict]]:
    folder = ROOT / "models" / "experiments" / name
    records = [json.loads(path.read_text()) for path in sorted((folder / "runs").glob("*.json"))]
    return json.loads((folder / "experiment.json").read_text()), records


def shortcut_records() -> tuple[dict, list[dict]]:
    return experiment_records("shortcuts")


def sign_p_by_pascal(wins: int, losses: int) -> float:
    """Two-sided sign test from a row of Pascal's triangle (the engine uses math.comb)."""
    n = wins + losses
    row = [1]
    for _ in range(n):
        row = [a + b for a, b in zip([0, *row], [*row, 0], strict=True)]
    return min(1.0, 2 * sum(row[: min(wins, losses) + 1]) / sum(row))


def test_shortcut_comparison_matches_the_run_files():
    document, records = shortcut_records()
    got = evidence.shortcut_comparison(document, records)
    by = {(r["point"]["architecture"], r["point"]["hidden_size"], r["seed"]): r for r in records}
    sizes = sorted({h for _, h, _ in by})
    assert got["sizes"] == sizes and got["size_count"] == len(sizes) and got["runs"] == len(records)
    assert got["successes"] == sum(bool(r["success"]) for r in records)
    totals = {"faster": 0, "slower": 0, "tied": 0}
    for key, size in (("smallest", sizes[0]), ("largest", sizes[-1])):
        figure = got[key]
        seeds = sorted(s for a, h, s in by if a == "shortcut" and h == size)
        steps = {arch: [by[(arch, size, s)]["steps_to_success"] for s in seeds] for arch in ("elman", "shortcut")}
        assert figure["hidden"] == size and figure["pairs"] == len(seeds)
        for arch in ("elman", "shortcut"):
            assert figure[arch]["steps"]["median"] == median(steps[arch])
        faster = sum(s < e for e, s in zip(steps["elman"], steps["shortcut"], strict=True))
        slower = sum(s > e for e, s in zip(steps["elman"], steps["shortcut"], strict=True))
        assert (figure["faster"], figure["slower"]) == (faster, slower)
        assert closeness(figure["sign_p"], sign_p_by_pascal(faster, slower))
        assert closeness(figure["median_change"], median(steps["shortcut"]) / median(steps["elman"]) - 1)
        runs = len(seeds)  # every run succeeded in the shipped results: Wilson's interval at n of n
        assert all(by[(a, size, s)]["success"] for a in ("elman", "shortcut") for s in seeds)
        assert closeness(figure["shortcut"]["interval_low"], runs / (runs + 1.959963984540054**2))
    for size in sizes:
        for s in sorted(s for a, h, s in by if a == "shortcut" and h == size):
            e, c = by[("elman", size, s)]["steps_to_success"], by[("shortcut", size, s)]["steps_to_success"]
            totals["faster" if c < e else "slower" if c > e else "tied"] += 1
    assert {k: got[k] for k in totals} == totals
    assert closeness(got["sign_p"], sign_p_by_pascal(totals["faster"], totals["slower"]))


def test_shortcut_pair_share_matches_the_raw_weights(load):
    shortcut, elman = load("shortcut-reber"), load("elman-reber")
    count = 12
    got = evidence.shortcut_share(shortcut, elman, count, SEED)
    rng = random.Random(SEED)
    sequences = [shortcut.task.sample(rng) for _ in range(count)]
    weights = shortcut.model.state_dict()
    shares, right, steps = [], {"shortcut": 0, "elman": 0}, 0
    for s in sequences:
        with torch.no_grad():
            h = shortcut.model.rnn(s.x.unsqueeze(0))[0][0]  # torch's own kernel
        hidden = (h @ weights["readout.weight"].T).norm(dim=1)
        direct = (s.x @ weights["shortcut.weight"].T).norm(dim=1)
        shares += [float(d / (a + d)) for a, d, m in zip(hidden, direct, s.loss_mask, strict=True) if m > 0]
        legal = legal_sets(shortcut.task.grammar, "".join(s.labels))[1:-1]
        for name, loaded in (("shortcut", shortcut), ("elman", elman)):
            logits = logits_of(loaded, s)
            right[name] += sum(
                {loaded.task.symbols[k] for k, v in enumerate(logits[t]) if v > 0} == set(allowed)
                for t, allowed in enumerate(legal)
            )
        steps += len(legal)
    assert math.isclose(got["direct_share"]["median"], median(shares), rel_tol=1e-5)
    assert got["direct_share"]["n"] == len(shares)
    assert got["shortcut_accuracy"] == right["shortcut"] / steps and got["elman_accuracy"] == right["elman"] / steps
    document = json.loads((ROOT / "models" / "shortcut-reber.json").read_text())
    metrics = [(p["step"], p["metric"]) for p in document["history"]]
    first = next(s for k, (s, _) in enumerate(metrics) if all(m >= 0.95 for _, m in metrics[k : k + 5]))
    assert got["shortcut_learned_at"] == first


def test_grammar_choices_match_the_grammar(load):
    model = load("second-order-reber")
    count = 40
    got = figures.grammar_choices(model, count, SEED)
    rng = random.Random(SEED)
    sequences = [model.task.sample(rng) for _ in range(count)]
    twos = steps = right = 0
    for s in sequences:
        string = "".join(s.labels)
        legal = legal_sets(model.task.grammar, string)[1:-1]  # what may follow each step but the last
        logits = logits_of(model, s)
        for t, allowed in enumerate(legal):
            steps += 1
            twos += len(allowed) == 2
            right += {model.task.symbols[k] for k, v in enumerate(logits[t]) if v > 0} == set(allowed)
    assert got["two_legal_share"] == twos / steps
    assert got["accuracy"] == right / steps


def test_fluent_by_distance_matches_one_sentence_at_a_time(load):
    model = load("lstm-fluent")
    count = 12
    got = recall.fluent_by_distance(model, count, SEED, distances=(0, 8, 20))
    for distance, accuracy in zip((0, 8, 20), got["accuracy"], strict=True):
        task = make_task("fluent", {"distance": distance, "openings": model.task.options["openings"]})
        rng = random.Random(SEED * 100 + distance)
        hits = 0
        for _ in range(count):
            s = task.sample(rng)
            cue = s.labels.index("fluent")
            hits += int(logits_of(model, s)[cue].argmax()) == int(s.target[cue])
        assert accuracy == hits / count, distance
    good = [d for d, a in zip((0, 8, 20), got["accuracy"], strict=True) if a >= 0.9]
    assert (got["works_from"], got["works_to"]) == ((min(good), max(good)) if good else (None, None))
    words = model.task.symbols
    for typed in got["typed"]:  # typed sentences, one word index at a time
        x = torch.zeros(len(typed["text"].split()), len(words))
        for t, word in enumerate(typed["text"].split()):
            x[t, words.index(word)] = 1.0
        with torch.no_grad():
            named = words[int(model.model(x.unsqueeze(0))[0][0, -1].argmax())]
        assert named == typed["named"], typed["text"]
    assert got["typed_right"] == sum(t["named"] == t["language"] for t in got["typed"])
    assert got["typed_count"] == got["typed_shapes"] * got["typed_countries"]
    for index, row in enumerate(got["typed_by_shape"]):  # each shape once per country
        rows = [t for t in got["typed"] if t["shape"] == index]
        assert row["count"] == len(rows) == got["typed_countries"]
        assert row["right"] == sum(t["named"] == t["language"] for t in rows)
    assert sum(row["right"] for row in got["typed_by_shape"]) == got["typed_right"]
    new = [t for t in got["typed"] if not t["generated"]]  # sentences the model's generator never writes
    assert (got["typed_new_count"], got["typed_new_right"]) == (len(new), sum(t["named"] == t["language"] for t in new))
    openings = model.task.options["openings"]
    assert all(t["generated"] == could_generate(t["text"].removesuffix(ANSWER_PREFIX), openings) for t in got["typed"])
    assert got["typed_new_shapes"] == sum(not row["generated"] for row in got["typed_by_shape"])


def test_lstm_fluent_names_the_language_at_every_filler_length(load):
    got = recall.fluent_by_distance(load("lstm-fluent"), 20, SEED + 1)
    assert got["every_length"] and min(got["accuracy"]) >= 0.9, got["accuracy"]
    # chapter 13's words: typed sentences in shapes its generator never writes "are harder" than its
    # worst filler length, it "misses some in ... of those shapes", "the worst fools it" (wrong in
    # most of them) on a sentence "where it answers" another language
    new = [row for row in got["typed_by_shape"] if not row["generated"]]
    assert got["typed_new_shapes"] == len(new) >= 5
    assert got["typed_new_share"] < got["lowest"]["accuracy"], (got["typed_new_share"], got["lowest"])
    assert got["typed_new_missed_shapes"] == sum(row["right"] < row["count"] for row in new) >= 1
    worst = got["typed_new_worst"]
    assert worst["share"] < 0.5 and worst["share"] == min(row["share"] for row in new)
    example = next(t for t in got["typed"] if t["text"] == worst["example"])
    assert example["named"] == worst["example_named"] != example["language"]
    # "other wordings, filler sentences it never saw, a comma where it always read a full stop"
    assert any(row["shape"].endswith(" , i speak fluent") for row in new)


def test_adding_by_length_matches_one_sequence_at_a_time(load):
    model = load("gru-adding")
    got = recall.adding_by_length(model, 15, SEED, lengths=(10, 60))
    assert (got["trained_from"], got["trained_to"]) == (10, 60)
    for k, length in enumerate((10, 60)):
        task, rng = make_task("adding", {"length": length, "max_length": length}), random.Random(SEED * 100 + length)
        sequences = [task.sample(rng) for _ in range(15)]
        assert {len(s) for s in sequences} == {length}
        errors = [float(logits_of(model, s)[-1, 0]) - float(s.target[-1, 0]) for s in sequences]
        assert got["accuracy"][k] == sum(abs(e) < 0.04 for e in errors) / 15
        # Hochreiter & Schmidhuber 1997: |error| < 0.04 on the target scaled to [0, 1] (the sum's range is 2)
        assert got["solved_1997"][k] == sum(abs(e) / 2 < 0.04 for e in errors) / 15
        assert math.isclose(got["mse"][k], sum(e * e for e in errors) / 15, rel_tol=1e-4)


def walks_to_an_end(graph: dict, string: str) -> bool:
    """Whether the drawn graph (states, labelled transitions, end states) accepts the string."""
    moves = {(t["from"], t["symbol"]): t["to"] for t in graph["transitions"]}
    state = graph["start"]
    for symbol in string:
        state = moves.get((state, symbol))
        if state is None:
            return False
    return state in graph["end"]


def test_what_it_learned_holds_against_the_grammars_graph(load, measured):
    """The chapter "What did it learn?": the machine is no larger than the grammar's graph, agrees
    with it on fresh strings (the issue's target on elman-reber: >= 0.99 with at most 8 states), and
    the acceptance count is the graph's own verdict on the strings the net wrote."""
    loaded = load("elman-reber")
    got = measured["learned"]
    graph = reber_graph(loaded.task.grammar)
    assert got["grammar_states"] == len(graph["states"])
    assert got["states"] <= got["grammar_states"] and got["agreement"] >= 0.99
    assert 0 < got["purity"] <= 1 and got["held_out_steps"] > got["held_out"]
    written = sample_from(loaded, "", learned.SAMPLE_STEPS, 1.0, SEED, got["samples"])
    assert got["accepted"] == sum(walks_to_an_end(graph, s.text) for s in written.samples)
    assert got["acceptance"] == got["accepted"] / got["samples"]


def test_spread_is_median_quartiles_and_range():
    assert spread([4, 1, 3, 2, 5]) == {"median": 3, "q1": 2, "q3": 4, "min": 1, "max": 5, "n": 5}


def test_figures_are_deterministic_for_a_seed(load):
    model = load("second-order-reber")
    assert figures.grammar_choices(model, 10, 7) == figures.grammar_choices(model, 10, 7)


# ----- the chapters: every number drawn from a figure -------------------------------------------

PLACEHOLDER = re.compile(r"\{([a-z_]+)((?:\.[a-z_0-9]+)+)(?:\|([a-z]+))?\}")  # as static/js/tourfigures.js


def chapters_source() -> str:
    source = (ROOT / "static" / "js" / "tour.js").read_text()
    return source[source.index("export const CHAPTERS") : source.index("export class TourView")]


def chapter_texts() -> list[str]:
    """Each chapter's text from static/js/tour.js: its quoted pieces joined, JS escapes decoded."""
    body = chapters_source()
    texts = []
    for match in re.finditer(r"\btext: ((?:'(?:[^'\\]|\\.)*'\s*\+?\s*)+),", body):
        pieces = re.findall(r"'((?:[^'\\]|\\.)*)'", match.group(1))
        texts.append(json.loads('"' + "".join(pieces).replace('"', '\\"').replace("\\'", "'") + '"'))
    return texts


def test_every_chapter_is_read():
    texts = chapter_texts()
    assert len(texts) == len(re.findall(r"^\s+title: ", chapters_source(), re.M))
    assert any("{" in text for text in texts)


@pytest.mark.parametrize("text", chapter_texts(), ids=lambda text: text[:30])
def test_no_number_in_a_chapter_is_written_by_hand(text):
    bare = PLACEHOLDER.sub("", text)
    for allowed in WHITELIST:
        bare = re.sub(rf"{re.escape(allowed)}(?!\d)", "", bare)
    assert not re.search(r"\d", bare), f"a hand-written number in: {bare}"


@pytest.fixture(scope="module")
def measured(load):
    """Every figure measured on the shipped models with a few sequences each."""
    small = {"gradient_to_branch": 3, "forget_gates": 3, "delayed_recall": 8, "fluent_by_distance": 4}
    document, records = shortcut_records()
    stored = {  # the experiments the figures read
        "shortcuts": {"document": document, "records": records},
        "short-term-memory": dict(zip(("document", "records"), experiment_records("short-term-memory"), strict=True)),
        "vanishing-gradient": dict(zip(("document", "records"), experiment_records("vanishing-gradient"), strict=True)),
    }
    return {
        name: compute_figure(
            spec,
            [load(m) for m in spec.models],
            SEED,
            small.get(name, min(spec.sequences, 20)),
            results=stored.get(spec.experiment),
        )
        for name, spec in FIGURES.items()
    }


def test_every_placeholder_names_a_measured_number(measured):
    used = 0
    for text in chapter_texts():
        for name, path, form in PLACEHOLDER.findall(text):
            assert name in FIGURES, name
            value = measured[name]
            for key in path[1:].split("."):
                assert isinstance(value, dict) and key in value, f"{name}{path}"
                value = value[key]
            if isinstance(value, str):  # a measured sentence (the fluent chapter's worst): words, written as is
                assert form == "" and not re.search(r"\d", value), f"{name}{path} = {value!r}"
            else:
                assert isinstance(value, (int, float)) and math.isfinite(value), f"{name}{path} = {value!r}"
                assert form in ("", "pct", "x", "int", "num"), form
            used += 1
    assert used > 20


def test_forget_shut_counts_the_closing_prediction_with_and_without_the_clamp(measured):
    """The last chapter's words: the closing T/P is right unclamped, and with every forget gate shut it is
    right on some strings and not all; "the strings above half show that some of it rides in h": after f = 0,
    c holds only what the gates computed from h_{t-1} and x_t, and a guess between T and P gets half."""
    got = measured["forget_shut"]
    assert got["clean_right"] == got["sequences"]
    assert got["sequences"] / 2 < got["shut_right"] < got["clean_right"]
    assert got["lost_share"] == 1 - got["shut_share"]
