"""What a network learned (issue 11): its state cloud (states.py), the cloud's principal
components (pca.py), k-means (cluster.py), the automaton read off the clusters (automaton.py,
minimise.py), whether it holds and how it stands beside the task's grammar (holds.py),
and the unit inspector (units.py).
Pure PyTorch and the standard library; docs/analysis.md has the measured figures."""

from app.core.analysis.automaton import Automaton, AutomatonState, Transition, extract_k
from app.core.analysis.cluster import Clusters, kmeans
from app.core.analysis.holds import Comparison, Extraction, KTrial, agreement, analyse, compare, extract
from app.core.analysis.minimise import minimise
from app.core.analysis.pca import Projection, pca
from app.core.analysis.states import (
    MAX_SEQUENCES,
    AnalysisInputError,
    StateCloud,
    collect_states,
    states_of_text,
)

__all__ = [
    "MAX_SEQUENCES",
    "AnalysisInputError",
    "Automaton",
    "AutomatonState",
    "Clusters",
    "Comparison",
    "Extraction",
    "KTrial",
    "Projection",
    "StateCloud",
    "Transition",
    "agreement",
    "analyse",
    "collect_states",
    "compare",
    "extract",
    "extract_k",
    "kmeans",
    "minimise",
    "pca",
    "states_of_text",
]
