"""The tour's figures: every number a chapter states, computed from the stored models
(figures.py the measurements, registry.py which models and sample size each uses and
the cache by weights digest, stats.py the summaries). docs/design.md, Lesson figures."""

from app.core.lessons.registry import FIGURE_SEED, FIGURES, FigureCache, FigureSpec, UnknownFigure, compute_figure

__all__ = ["FIGURE_SEED", "FIGURES", "FigureCache", "FigureSpec", "UnknownFigure", "compute_figure"]
