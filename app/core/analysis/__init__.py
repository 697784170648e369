"""What a network learned (issue 11): its state cloud (states.py), the cloud's principal
components (pca.py), k-means (kmeans.py), the automaton read off the clusters and set
beside the task's grammar (automaton.py), and the unit inspector (units.py).
Pure PyTorch and the standard library; docs/analysis.md has the measured figures."""

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
    "Projection",
    "StateCloud",
    "collect_states",
    "pca",
    "states_of_text",
]
