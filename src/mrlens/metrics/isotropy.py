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


def isoscore_star_from_covariance(cov: np.ndarray, zeta: float, c0: np.ndarray | None = None) -> float:
    """IsoScore* (Rudman & Eickhoff 2024, "Stable Anisotropic Regularization", ICLR): IsoScore of the
    shrunk covariance ``(1 - zeta) C + zeta C0``, which steadies the estimate for small samples.

    ``C0`` defaults to ``(tr C / d) I``, the isotropic covariance of the same total variance (the
    reference implementation suggests the identity when no larger sample is at hand; scaling it keeps
    the score independent of the embeddings' scale). ``zeta = 0`` gives IsoScore.
    """
    if not 0.0 <= zeta <= 1.0:
        raise ValueError(f"zeta must lie in [0, 1], got {zeta}")
    d = cov.shape[0]
    if c0 is None:
        c0 = np.eye(d) * (np.trace(cov) / d)
    return isoscore_from_covariance((1.0 - zeta) * cov + zeta * c0)


def average_cosine(x: np.ndarray) -> float:
    """Mean cosine similarity over ordered pairs i != j (anisotropy; Ethayarajh 2019, "How Contextual
    are Contextualized Word Representations?", EMNLP). With unit vectors u_i and ``s = sum_i u_i``::

        mean_{i != j} cos(x_i, x_j) = (||s||^2 - n) / (n (n - 1))
    """
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    n = len(u)
    s = u.sum(axis=0, dtype=np.float64)
    return float((s @ s - n) / (n * (n - 1.0)))
