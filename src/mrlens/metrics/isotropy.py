"""Isotropy: participation ratio and IsoScore."""

from __future__ import annotations

import numpy as np

from mrlens.metrics.covariance import covariance


def participation_ratio(cov: np.ndarray) -> float:
    """``PR = (tr C)^2 / tr(C^2) = (sum_i l_i)^2 / sum_i l_i^2`` over the eigenvalues l_i of the covariance C.

    PR counts the dimensions the variance is spread over: d for isotropic data, 1 for rank-1 data.
    ``tr(C^2)`` is the squared Frobenius norm of the symmetric C, so no eigendecomposition is needed.
    Reference: Gao et al. 2017, "A theory of multineuronal dimensionality, dynamics and measurement".
    """
    trace = float(np.trace(cov))
    squares = float(np.sum(cov * cov))
    if squares == 0.0:
        return 0.0
    return trace * trace / squares


def isoscore_from_covariance(cov: np.ndarray) -> float:
    """IsoScore of points whose covariance is ``cov``: ``(PR - 1) / (d - 1)``.

    Rudman et al. 2022 ("IsoScore: Measuring the Uniformity of Embedding Space Utilization", ACL
    Findings) define it from the PCA variances l (normalised to ||l|| = sqrt(d)) through the isotropy
    defect; expanding their steps gives exactly (PR - 1)/(d - 1) with PR the participation ratio.
    It is 1 for isotropic data and 0 for data on a line. With n points the covariance has rank at
    most n - 1, which caps the score at (n - 2)/(d - 1) when n <= d: report n beside it.
    Points with no variance at all get 0.
    """
    d = cov.shape[0]
    if d < 2:
        raise ValueError("IsoScore needs at least 2 dimensions")
    pr = participation_ratio(cov)
    return 0.0 if pr == 0.0 else (pr - 1.0) / (d - 1.0)


def isoscore(x: np.ndarray) -> float:
    """IsoScore of the (n x d) points ``x``; see :func:`isoscore_from_covariance`."""
    return isoscore_from_covariance(covariance(x))
