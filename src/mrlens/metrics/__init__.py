"""Geometry of embeddings at every truncation size: pure functions over (n x d) arrays.

``geometry_table(x, dims)`` runs the suite; each metric is also callable alone (``isoscore`` is the
published plug-in form, ``isoscore_unbiased`` the bias-corrected one the tables report). Names are imported on
first use, so a light submodule (``mrlens.metrics.truncation`` for figures) does not load torch.
"""

from importlib import import_module

_HOMES = {
    "covariance": "mrlens.metrics.covariance",
    "geometry_table": "mrlens.metrics.suite",
    "isoscore": "mrlens.metrics.isotropy",
    "isoscore_unbiased": "mrlens.metrics.isotropy",
    "mean_abs_correlation": "mrlens.metrics.correlation",
    "mean_sq_correlation": "mrlens.metrics.correlation",
    "participation_ratio": "mrlens.metrics.isotropy",
    "uniformity_by_prefix": "mrlens.metrics.uniformity",
    "uniformity_loss": "mrlens.metrics.uniformity",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'mrlens.metrics' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
