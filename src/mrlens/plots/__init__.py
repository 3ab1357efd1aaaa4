"""Figures drawn from the tidy metric tables."""

from mrlens.plots.geometry import geometry_figure

__all__ = ["geometry_figure"]
