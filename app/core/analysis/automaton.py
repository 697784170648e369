"""The finite-state machine a network's states act out, read off its state cloud.

The classic extraction (Giles et al. 1992; Omlin & Giles 1996):

1. quantise the states: k-means over h_t, what the readout sees. (An LSTM's
   recurrent state is h and c together, but clustering on both was measured
   worse: c's few large-magnitude units take the clusters; docs/analysis.md);
2. the start is h_0, a state of its own; a cluster's output is the set of next
   symbols the network predicts at its points (p > 0.5 for a task with sets of
   legal symbols, the most likely symbol for one with a single answer), by a
   vote per symbol over the points where the task's loss counts; a cluster
   where most points end their string is accepting;
3. each transition cluster --symbol--> cluster by majority vote over the steps
   that read that symbol from a point of the first cluster;
4. minimise (minimise.py): clusters with the same output and the same moves merge.

How well the machine holds is measured on held-out sequences (holds.py) by
running the MACHINE, not the network, over their symbols; k is the smallest in
the search whose machine holds (agreement >= HOLDS), else the best found.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch

from app.core.analysis.cluster import Clusters, kmeans
from app.core.analysis.minimise import minimise
from app.core.analysis.states import AnalysisInputError, StateCloud

K_MIN, K_MAX = 2, 64  # a k a person may set
# the k tried when none is set, smallest first: every k to 16 (a Reber machine needs 7 or 8), then
# every fourth to 64 (the embedded grammar's minimal machine has 20 states, two copies of Reber's).
# Without a grammar to hold the machine to, only the first part: the memory tasks (copy, fluent)
# need more states than any k here, and a longer search only costs time (docs/analysis.md).
K_SEARCH = (*range(2, 17), *range(20, K_MAX + 1, 4))
K_SEARCH_WITHOUT_GRAMMAR = tuple(range(2, 17))
MAX_POINTS = 50_000  # k-means over more states than this takes too long for a request
START = 0  # the start state's id in every automaton


@dataclass(frozen=True)
class AutomatonState:
    id: int
    size: int  # points in it (for the start: the sequences, each begins at h_0)
    next: frozenset[str]  # the symbols predicted to come next
    accepting: bool  # strings end here
    clusters: tuple[int, ...]  # the k-means clusters merged into it (none for the start)


@dataclass(frozen=True)
class Transition:
    source: int
    target: int
    symbol: str
    count: int  # steps that took it (those voting for it)


@dataclass(frozen=True)
class Automaton:
    k: int
    states: list[AutomatonState]  # states[i].id == i; START first
    transitions: list[Transition]
    point_state: torch.Tensor  # (P,) int64: each cloud point's state
    clusters: Clusters
    vocabulary: tuple[str, ...]

    @property
    def start(self) -> int:
        return START

    def move(self, state: int | None, symbol: str) -> int | None:
        """The state after reading a symbol; None when the machine has no such move (it stops)."""
        return None if state is None else self._delta.get((state, symbol))

    def moves(self) -> dict[tuple[int, str], int]:
        """(state, symbol) -> next state, every move the machine has (read-only: shared)."""
        return self._delta

    def run(self, symbols) -> list[int | None]:
        """The machine's state after each symbol, from the start; None once it has stopped."""
        state, path = START, []
        for symbol in symbols:
            state = self.move(state, symbol)
            path.append(state)
        return path

    def states_of(self, cloud: StateCloud) -> torch.Tensor:
        """Another cloud's points (a typed text's steps) quantised: the state of each one's nearest centre."""
        distances = torch.cdist(cloud.hidden.to(self.clusters.centres.dtype), self.clusters.centres)
        distances[:, self._empty] = torch.inf  # a centre without points stands for no state
        return self._cluster_state[distances.argmin(1)]

    def __post_init__(self) -> None:  # lookups the methods above use, derived once
        object.__setattr__(self, "_delta", {(t.source, t.symbol): t.target for t in self.transitions})
        cluster_state = torch.zeros(self.clusters.centres.shape[0], dtype=torch.int64)
        for state in self.states:
            for cluster in state.clusters:
                cluster_state[cluster] = state.id
        object.__setattr__(self, "_cluster_state", cluster_state)
        sizes = torch.bincount(self.clusters.labels, minlength=self.clusters.centres.shape[0])
        object.__setattr__(self, "_empty", sizes == 0)


def predicted_sets(cloud: StateCloud) -> torch.Tensor:
    """(P, O) bool: the symbols the network predicts at each point."""
    if cloud.output is None or cloud.vocabulary is None or cloud.output_kind == "mse":
        raise AnalysisInputError("an automaton needs a task whose outputs are symbols; this one predicts numbers")
    if cloud.output_kind == "cross_entropy":  # softmax: one answer per step, the most likely
        return torch.nn.functional.one_hot(cloud.output.argmax(1), cloud.output.shape[1]).bool()
    return cloud.output > 0.5  # independent sigmoids: the set of symbols each more likely than not


def extract_k(cloud: StateCloud, k: int, seed: int = 0) -> Automaton:
    """The minimised automaton of the cloud quantised into k clusters."""
    if isinstance(k, bool) or not isinstance(k, int) or not K_MIN <= k <= K_MAX:
        raise AnalysisInputError(f"k must be a whole number between {K_MIN} and {K_MAX}, got {k!r}")
    if k > cloud.points:
        raise AnalysisInputError(f"k = {k} is more than the {cloud.points} states collected")
    if cloud.points > MAX_POINTS:
        raise AnalysisInputError(
            f"{cloud.points} states were collected; an automaton is extracted from at most {MAX_POINTS:,}: "
            "ask for fewer sequences"
        )
    predicted = predicted_sets(cloud)
    clusters = kmeans(cloud.hidden, k, seed)
    labels = clusters.labels
    nodes = 1 + k  # the start, then cluster j as node j + 1
    node_of_point = labels + 1

    outputs: list[tuple] = [("start",)]
    scored = cloud.scored if cloud.scored is not None else torch.ones(cloud.points, dtype=torch.bool)
    # every cluster's votes at once: per symbol, the share of its scored points that predict it
    # (0/1 sums are exact in float32, so a share is the same number a per-cluster mean gives)
    sizes = torch.bincount(labels, minlength=k).tolist()
    voters = torch.bincount(labels[scored], minlength=k).unsqueeze(1)
    predicting = torch.zeros(k, predicted.shape[1]).index_add_(0, labels[scored], predicted[scored].float())
    shares = (predicting / voters.clamp_min(1)).tolist()
    ending = torch.bincount(labels, weights=final_points(cloud).float(), minlength=k).tolist()
    for cluster in range(k):
        next_set = frozenset(s for s, v in zip(cloud.vocabulary, shares[cluster], strict=True) if v > 0.5)
        accepting = sizes[cluster] > 0 and ending[cluster] / sizes[cluster] >= 0.5  # most of its points end a string
        outputs.append((next_set, accepting) if sizes[cluster] > 0 else ("empty",))

    # majority-vote transitions, node -> node on the symbol read at the second point
    previous = torch.cat([torch.zeros(1, dtype=torch.int64), node_of_point[:-1]])
    source = torch.where(cloud.step == 0, START, previous).tolist()
    votes = Counter(zip(source, cloud.symbol, node_of_point.tolist(), strict=True))
    best: dict[tuple[int, str], tuple[int, int]] = {}
    for (node, symbol, target), count in sorted(votes.items()):
        if (node, symbol) not in best or count > best[(node, symbol)][1]:
            best[(node, symbol)] = (target, count)
    alphabet = sorted({symbol for _, symbol in best})
    blocks = minimise(outputs, {key: target for key, (target, _) in best.items()}, alphabet)
    return _assemble(cloud, clusters, outputs, best, blocks, node_of_point, nodes)


def final_points(cloud: StateCloud) -> torch.Tensor:
    """(P,) bool: the last step of its sequence (points run sequence by sequence, step by step)."""
    last = torch.ones(cloud.points, dtype=torch.bool)
    last[:-1] = cloud.sequence[1:] != cloud.sequence[:-1]
    return last


def _assemble(cloud, clusters, outputs, best, blocks, node_of_point, nodes) -> Automaton:
    """States numbered in the order a breadth-first walk from the start meets them (symbols in
    vocabulary order), so the same machine always reads the same; unreachable blocks after."""
    moves: dict[int, dict[str, int]] = {}
    counts: Counter = Counter()
    for (node, symbol), (target, count) in best.items():
        moves.setdefault(blocks[node], {})[symbol] = blocks[target]
        counts[(blocks[node], symbol)] += count
    order, seen = [blocks[START]], {blocks[START]}
    vocabulary = list(cloud.vocabulary)

    def in_vocabulary_order(symbol: str) -> tuple:
        return (vocabulary.index(symbol) if symbol in vocabulary else len(vocabulary), symbol)

    for block in order:
        for symbol in sorted(moves.get(block, {}), key=in_vocabulary_order):
            target = moves[block][symbol]
            if target not in seen:
                seen.add(target)
                order.append(target)
    live = [b for b in sorted(set(blocks[1:])) if outputs[blocks.index(b)] != ("empty",)]
    order += [b for b in live if b not in seen]
    number = {block: i for i, block in enumerate(order)}
    sizes = torch.bincount(node_of_point, minlength=nodes).tolist()
    states = []
    for block in order:
        members = [node for node in range(nodes) if blocks[node] == block]
        output = outputs[members[0]]
        is_start = block == blocks[START]
        states.append(
            AutomatonState(
                id=number[block],
                size=int(cloud.step.eq(0).sum()) if is_start else sum(sizes[n] for n in members),
                next=frozenset(moves.get(block, {})) if is_start else output[0],
                accepting=False if is_start else output[1],
                clusters=tuple(n - 1 for n in members if n != START),
            )
        )
    transitions = [
        Transition(number[block], number[target], symbol, counts[(block, symbol)])
        for block in order
        for symbol, target in moves.get(block, {}).items()
    ]
    point_state = torch.tensor([number[blocks[n]] for n in range(nodes)])[node_of_point]
    return Automaton(
        k=clusters.centres.shape[0],
        states=states,
        transitions=transitions,
        point_state=point_state,
        clusters=clusters,
        vocabulary=cloud.vocabulary,
    )
