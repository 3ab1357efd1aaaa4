"""Geometry of embeddings at every truncation size: pure functions over (n x d) arrays.

``geometry_table(x, dims)`` runs the suite; each metric is also callable alone.
"""

from mrlens.metrics.correlation import mean_abs_correlation
from mrlens.metrics.covariance import covariance
from mrlens.metrics.isotropy import isoscore, participation_ratio
from mrlens.metrics.suite import geometry_table
from mrlens.metrics.uniformity import uniformity_by_prefix, uniformity_loss

__all__ = [
    "covariance",
    "geometry_table",
    "isoscore",
    "mean_abs_correlation",
    "participation_ratio",
    "uniformity_by_prefix",
    "uniformity_loss",
]
