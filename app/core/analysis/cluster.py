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
    points = _Points.of(x.to(torch.float32))  # states lie in [-1, 1] mostly: float32 is exact enough and twice as fast
    generator = torch.Generator().manual_seed(seed)
    best = None
    for _ in range(restarts):
        found = _lloyd(points, _plus_plus(points.x, k, generator))
        if best is None or found.inertia < best.inertia:
            best = found
    return best


@dataclass(frozen=True)
class _Points:
    """The points with the two terms of ||x - c||^2 that do not depend on the centres, computed once
    per clustering rather than at every Lloyd iteration (most of the k search's time went to them)."""

    x: torch.Tensor  # (P, H) float32
    squares: torch.Tensor  # (P, 1) ||x_p||^2
    doubled: torch.Tensor  # (P, H) 2 x: scaling by 2 is exact, so (2x) c equals 2 (x c) bit for bit

    @classmethod
    def of(cls, x: torch.Tensor) -> _Points:
        return cls(x, x.pow(2).sum(1, keepdim=True), 2 * x)


def _squared_distances(points: _Points, centres: torch.Tensor) -> torch.Tensor:
    """(P, k) ||x_p - c_j||^2, clamped at 0 (the expanded form can dip below it by rounding)."""
    return (points.squares - points.doubled @ centres.T + centres.pow(2).sum(1)).clamp_min_(0)


def _plus_plus(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k starting centres: the first uniformly, each next one with chance proportional to its
    squared distance from the nearest centre chosen so far."""
    first = int(torch.randint(x.shape[0], (1,), generator=generator))
    centres = [x[first]]
    nearest = (x - x[first]).pow_(2).sum(1)  # (P,)
    for _ in range(1, k):
        cumulative = nearest.cumsum(0)
        total = float(cumulative[-1])
        if total > 0:  # a draw in [0, total) lands in point i's stretch with chance nearest[i] / total
            draw = torch.rand(1, generator=generator, dtype=cumulative.dtype) * total
            index = min(int(torch.searchsorted(cumulative, draw, right=True)), x.shape[0] - 1)
        else:  # every point is already a centre: repeat one (its cluster stays empty)
            index = int(torch.randint(x.shape[0], (1,), generator=generator))
        centres.append(x[index])
        torch.minimum(nearest, (x - x[index]).pow_(2).sum(1), out=nearest)
    return torch.stack(centres)


def _lloyd(points: _Points, centres: torch.Tensor) -> Clusters:
    """Assign each point to its nearest centre, move each centre to its points' mean; until no
    point changes cluster. A centre that loses all its points stays where it was."""
    x, k = points.x, centres.shape[0]
    labels = None
    for _ in range(MAX_ITERATIONS):
        distances = _squared_distances(points, centres)
        new_labels = distances.argmin(1)
        if labels is not None and torch.equal(new_labels, labels):
            break  # settled: these distances are already to the final centres
        labels = new_labels
        sums = torch.zeros_like(centres).index_add_(0, labels, x)
        counts = torch.bincount(labels, minlength=k).to(x.dtype).unsqueeze(1)
        centres = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
    else:  # out of iterations: the centres moved after the last assignment
        distances = _squared_distances(points, centres)
    labels = distances.argmin(1)
    inertia = float(distances.gather(1, labels.unsqueeze(1)).sum())
    return Clusters(centres=centres.to(torch.float32), labels=labels, inertia=inertia)
