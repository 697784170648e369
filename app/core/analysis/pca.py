"""Principal component analysis of a state cloud, by the SVD of the centred points.

    X (P, H) - mean  =  U S V^T        axes = the first rows of V^T, coords = (X - mean) V
    explained variance ratio of axis k = S_k^2 / sum S^2

Each axis's sign is fixed so that its largest-magnitude loading is positive: the
SVD may return either sign, and a picture should not flip between two calls
with the same points.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from app.core.analysis.states import AnalysisInputError

MAX_COMPONENTS = 3  # the page draws 2-D or 3-D


@dataclass(frozen=True)
class Projection:
    mean: torch.Tensor  # (H,)
    axes: torch.Tensor  # (components, H), orthonormal rows
    coords: torch.Tensor  # (P, components) the fitted points projected
    explained_variance_ratio: list[float]  # per axis, share of the cloud's total variance

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """New points (N, H) in the same coordinates (the current input's trajectory)."""
        return (x.to(self.mean.dtype) - self.mean) @ self.axes.T


def pca(x: torch.Tensor, components: int) -> Projection:
    if x.dim() != 2:
        raise AnalysisInputError(f"PCA needs a (points, units) matrix, got shape {tuple(x.shape)}")
    points, units = x.shape
    if isinstance(components, bool) or not isinstance(components, int) or not 1 <= components <= MAX_COMPONENTS:
        raise AnalysisInputError(f"components must be between 1 and {MAX_COMPONENTS}, got {components!r}")
    if components > units:
        raise AnalysisInputError(f"{components} components asked of states with {units} units")
    if points < max(2, components):
        raise AnalysisInputError(f"{points} points are too few for {components} components")
    x = x.to(torch.float64)  # the cloud is small; float64 keeps tiny variances' ratios honest
    mean = x.mean(0)
    centred = x - mean
    _, singular, vt = torch.linalg.svd(centred, full_matrices=False)
    axes = vt[:components]  # (components, H)
    flip = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))  # (components, 1)
    axes = axes * torch.where(flip == 0, 1.0, flip)
    variance = singular.pow(2)
    total = float(variance.sum())
    # a cloud of one repeated point has no variance to explain
    ratios = [float(v) / total if total > 0 else 0.0 for v in variance[:components]]
    return Projection(
        mean=mean.to(torch.float32),
        axes=axes.to(torch.float32),
        coords=(centred @ axes.T).to(torch.float32),
        explained_variance_ratio=ratios,
    )
