"""k-means in plain torch: k-means++ seeding (Arthur & Vassilvitskii 2007), then Lloyd's iterations.

Seeded by a torch.Generator of its own, so the same points, k and seed give the
same clusters and the global random state is never touched. Several restarts
keep the one with the least inertia (sum of squared distances to the centres).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

MAX_ITERATIONS = 50  # Lloyd's iterations per restart; the demo models' clouds settle in 2 to 25
RESTARTS = 3


@dataclass(frozen=True)
class Clusters:
    centres: torch.Tensor  # (k, H); a centre may have no points when the cloud has fewer distinct points than k
    labels: torch.Tensor  # (P,) int64, each point's nearest centre
    inertia: float  # sum over points of the squared distance to their centre


def kmeans(x: torch.Tensor, k: int, seed: int = 0, restarts: int = RESTARTS) -> Clusters:
    if not 1 <= k <= x.shape[0]:
        raise ValueError(f"k must be between 1 and the number of points ({x.shape[0]}), got {k}")
    x = x.to(torch.float32)  # states lie in [-1, 1] mostly: float32 distances are exact enough and twice as fast
    generator = torch.Generator().manual_seed(seed)
    best = None
    for _ in range(restarts):
        found = _lloyd(x, _plus_plus(x, k, generator))
        if best is None or found.inertia < best.inertia:
            best = found
    return best


def _squared_distances(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """(P, k) ||x_p - c_j||^2, clamped at 0 (the expanded form can dip below it by rounding)."""
    return (x.pow(2).sum(1, keepdim=True) - 2 * x @ centres.T + centres.pow(2).sum(1)).clamp_min_(0)


def _plus_plus(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k starting centres: the first uniformly, each next one with chance proportional to its
    squared distance from the nearest centre chosen so far."""
    first = int(torch.randint(x.shape[0], (1,), generator=generator))
    centres = [x[first]]
    nearest = (x - x[first]).pow(2).sum(1)  # (P,)
    for _ in range(1, k):
        cumulative = nearest.cumsum(0)
        total = float(cumulative[-1])
        if total > 0:  # a draw in [0, total) lands in point i's stretch with chance nearest[i] / total
            draw = torch.rand(1, generator=generator, dtype=cumulative.dtype) * total
            index = min(int(torch.searchsorted(cumulative, draw, right=True)), x.shape[0] - 1)
        else:  # every point is already a centre: repeat one (its cluster stays empty)
            index = int(torch.randint(x.shape[0], (1,), generator=generator))
        centres.append(x[index])
        nearest = torch.minimum(nearest, (x - x[index]).pow(2).sum(1))
    return torch.stack(centres)


def _lloyd(x: torch.Tensor, centres: torch.Tensor) -> Clusters:
    """Assign each point to its nearest centre, move each centre to its points' mean; until no
    point changes cluster. A centre that loses all its points stays where it was."""
    k = centres.shape[0]
    labels = None
    for _ in range(MAX_ITERATIONS):
        new_labels = _squared_distances(x, centres).argmin(1)
        if labels is not None and torch.equal(new_labels, labels):
            break
        labels = new_labels
        sums = torch.zeros_like(centres).index_add_(0, labels, x)
        counts = torch.bincount(labels, minlength=k).to(x.dtype).unsqueeze(1)
        centres = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
    distances = _squared_distances(x, centres)
    labels = distances.argmin(1)
    inertia = float(distances.gather(1, labels.unsqueeze(1)).sum())
    return Clusters(centres=centres.to(torch.float32), labels=labels, inertia=inertia)
