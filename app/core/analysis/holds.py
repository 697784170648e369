"""Does the extracted machine hold? Its predictions on held-out sequences, the k search, and the
comparison with the task's grammar.

agreement: run the AUTOMATON (not the network) over the symbols of fresh sequences;
at every step where the task's loss counts, its state's next-symbol set must equal
the grammar's legal set (a machine that has no move for a symbol has stopped, and
is wrong from there on). Steps after a string's final symbol, where nothing is
legal and the loss does not count, are left out.
acceptance: at every step of those sequences, the machine's state is accepting
exactly when the string ends there. Agreement alone cannot tell the state after
the final symbol from the one before it (nothing is scored after the end), so a
machine that merges them would hold on agreement with one state too few
(measured: elman-reber at k = 8, 7 states, where k = 9 gives the grammar's 8).
fidelity: the same as agreement, against the network's own predicted sets.
A grammar task's machine holds when agreement and acceptance both reach HOLDS;
tasks without a grammar have only fidelity, and the k search uses it for them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.core.analysis.automaton import (
    K_SEARCH,
    K_SEARCH_WITHOUT_GRAMMAR,
    START,
    Automaton,
    extract_k,
    final_points,
    predicted_sets,
)
from app.core.analysis.states import AnalysisInputError, StateCloud, check_sequences, collect_states
from app.core.models import LoadedModel
from app.core.tasks.reber import grammar_graph, state_name

HOLDS = 0.99  # the agreement at which a k search stops
HELD_OUT_SEED = 1_000_003  # added to the seed: held-out sequences are drawn apart from the fitted ones
MAX_HELD_OUT = 2000


@dataclass(frozen=True)
class KTrial:
    k: int
    states: int  # after minimisation, the start included
    agreement: float  # next sets on held-out steps: grammar agreement, or fidelity without a grammar
    acceptance: float | None  # held-out steps where it accepts exactly at a string's end; None without a grammar

    @property
    def score(self) -> float:
        """What the search judges by: the weaker of the two."""
        return self.agreement if self.acceptance is None else min(self.agreement, self.acceptance)


@dataclass(frozen=True)
class Comparison:
    grammar: dict | None  # the grammar as drawn (reber.grammar_graph), None without one
    mapping: dict[int, str | None]  # state id -> the grammar state most of its points are in
    state_purity: dict[int, float]  # state id -> share of its points in that grammar state
    purity: float | None  # share of all points in their state's mapped grammar state
    agreement: float | None  # held-out steps where the machine's next set is the legal set
    acceptance: float | None  # held-out steps where it accepts exactly where the string ends
    fidelity: float  # held-out steps where it is the network's predicted set
    steps: int  # held-out steps counted


@dataclass(frozen=True)
class Extraction:
    """Everything one analysis request needs: the fitted cloud, the machine, how k was found, the comparison."""

    cloud: StateCloud
    automaton: Automaton
    k_search: list[KTrial]  # one trial per k tried; just the set k when a person chose it
    comparison: Comparison


def analyse(loaded: LoadedModel, sequences: int, held_out: int, seed: int = 0, k: int | None = None) -> Extraction:
    """Collect `sequences` states (seed), extract the machine (k, or the k search judged on
    `held_out` fresh sequences) and compare it with the task's grammar on those sequences."""
    if isinstance(held_out, bool) or not isinstance(held_out, int) or not 1 <= held_out <= MAX_HELD_OUT:
        raise AnalysisInputError(f"held_out must be between 1 and {MAX_HELD_OUT}, got {held_out!r}")
    # h alone: the extraction never reads c or the gates (Extraction.cloud has none)
    cloud = collect_states(loaded, check_sequences(sequences), seed, gates=False)
    fresh = collect_states(loaded, held_out, seed + HELD_OUT_SEED, gates=False)
    automaton, trials = extract(cloud, fresh, k, seed)
    return Extraction(cloud, automaton, trials, compare(automaton, cloud, fresh, loaded))


def extract(cloud: StateCloud, held_out: StateCloud, k: int | None = None, seed: int = 0):
    """(automaton, trials): for k None the smallest k of the search that holds, else the best one."""
    if k is not None:
        automaton = extract_k(cloud, k, seed)
        return automaton, [_judge(automaton, held_out)]
    trials, best = [], None
    search = K_SEARCH if held_out.legal_next is not None else K_SEARCH_WITHOUT_GRAMMAR
    for candidate in search:
        if candidate > cloud.points:
            break
        automaton = extract_k(cloud, candidate, seed)
        trial = _judge(automaton, held_out)
        trials.append(trial)
        if best is None or trial.score > best[1]:
            best = (automaton, trial.score)
        if trial.score >= HOLDS:
            return automaton, trials
    if best is None:
        raise AnalysisInputError(f"{cloud.points} states are too few to cluster")
    return best[0], trials


def _judge(automaton: Automaton, held_out: StateCloud) -> KTrial:
    grammar = held_out.legal_next is not None
    return KTrial(
        k=automaton.k,
        states=len(automaton.states),
        agreement=agreement(automaton, held_out, "grammar" if grammar else "network"),
        acceptance=acceptance(automaton, held_out) if grammar else None,
    )


def agreement(automaton: Automaton, held_out: StateCloud, against: str) -> float:
    """Share of the held-out cloud's scored steps where the machine's next set equals the
    grammar's legal set (against="grammar") or the network's predicted set ("network")."""
    if against == "grammar":
        if held_out.legal_next is None:
            raise AnalysisInputError("this task has no grammar to compare the automaton with")
        reference = held_out.legal_next
    else:
        words = held_out.vocabulary
        rows = predicted_sets(held_out).tolist()  # plain lists: a tensor op per row costs more than the row
        reference = [frozenset(word for word, on in zip(words, row, strict=True) if on) for row in rows]
    scored = held_out.scored.tolist() if held_out.scored is not None else [True] * held_out.points
    nexts = [state.next for state in automaton.states]
    moves = automaton.moves()  # the k search runs this loop for every k it tries: plain dict lookups
    state, right, counted = START, 0, 0
    for step, symbol, wanted, counts in zip(held_out.step.tolist(), held_out.symbol, reference, scored, strict=True):
        if step == 0:
            state = START
        if state is not None:
            state = moves.get((state, symbol))  # None: the machine has no such move and stops
        if counts:
            counted += 1
            right += state is not None and nexts[state] == wanted
    return right / counted if counted else 0.0


def acceptance(automaton: Automaton, held_out: StateCloud) -> float:
    """Share of the held-out cloud's steps where the machine's state is accepting exactly when the
    string ends at that step (a stopped machine accepts nothing)."""
    ends = final_points(held_out)
    accepting = [state.accepting for state in automaton.states]
    moves = automaton.moves()
    state, right = START, 0
    for step, symbol, end in zip(held_out.step.tolist(), held_out.symbol, ends.tolist(), strict=True):
        if step == 0:
            state = START
        if state is not None:
            state = moves.get((state, symbol))
        right += (state is not None and accepting[state]) == end
    return right / held_out.points if held_out.points else 0.0


def compare(automaton: Automaton, cloud: StateCloud, held_out: StateCloud, loaded: LoadedModel) -> Comparison:
    """The machine beside the grammar: which grammar state each of its states stands for, how
    purely, and how often it predicts the legal set on the held-out sequences."""
    fidelity = agreement(automaton, held_out, "network")
    grammar = getattr(loaded.task, "grammar", None)
    counted = int(held_out.scored.sum()) if held_out.scored is not None else held_out.points
    if grammar is None or cloud.grammar_state is None:
        return Comparison(None, {}, {}, None, None, None, fidelity, counted)
    tallies: dict[int, Counter] = {state.id: Counter() for state in automaton.states}
    for state, name in zip(automaton.point_state.tolist(), cloud.grammar_state, strict=True):
        tallies[state][name] += 1
    mapping, purity, agreeing = {START: state_name(grammar, grammar.start)}, {START: 1.0}, 0
    for state, tally in tallies.items():
        if state == START or not tally:
            continue
        name, count = tally.most_common(1)[0]
        mapping[state], purity[state] = name, count / sum(tally.values())
        agreeing += count
    return Comparison(
        grammar=grammar_graph(grammar),
        mapping={state.id: mapping.get(state.id) for state in automaton.states},
        state_purity={state.id: purity.get(state.id, 0.0) for state in automaton.states},
        purity=agreeing / cloud.points,
        agreement=agreement(automaton, held_out, "grammar"),
        acceptance=acceptance(automaton, held_out),
        fidelity=fidelity,
        steps=counted,
    )
