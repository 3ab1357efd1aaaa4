"""Figures drawn from the tidy metric tables."""

from mrlens.plots.geometry import geometry_figure
from mrlens.plots.profiles import collapse_figure, outlier_figure
from mrlens.plots.suite import suite_figure
from mrlens.plots.training import checkpoint_figure, loss_figure, norms_figure

__all__ = [
    "checkpoint_figure",
    "collapse_figure",
    "geometry_figure",
    "loss_figure",
    "norms_figure",
    "outlier_figure",
    "suite_figure",
]
