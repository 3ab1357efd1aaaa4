"""Intrinsic dimension from nearest-neighbour distances: TwoNN and the Levina-Bickel MLE."""

from __future__ import annotations

import numpy as np


def twonn_dimension(r1: np.ndarray, r2: np.ndarray, discard_fraction: float = 0.1) -> float:
    """TwoNN (Facco et al. 2017, "Estimating the intrinsic dimension of datasets by a minimal
    neighborhood information", Sci. Rep.) from each point's first and second neighbour distances.

    With ``mu_i = r2_i / r1_i`` sorted ascending and ``F_i = i / N`` its empirical CDF, the
    dimension is the slope of ``-log(1 - F_i)`` against ``log(mu_i)`` fitted through the origin
    (least squares) over the smallest ``(1 - discard_fraction) N`` ratios. Points with r1 = 0
    (duplicates) must be removed beforehand: they make mu infinite; near-duplicates (r1 ~ 0) must be
    too, or they drag the slope towards 0 (:func:`mrlens.metrics.duplicates.near_duplicates`).
    """
    r1 = np.asarray(r1, dtype=np.float64)
    r2 = np.asarray(r2, dtype=np.float64)
    if (r1 <= 0).any():
        raise ValueError("TwoNN needs distinct points: a first-neighbour distance is 0 (duplicates)")
    mu = np.sort(r2 / r1)
    n = len(mu)
    keep = int(n * (1 - discard_fraction))
    if keep < 2:
        raise ValueError(f"TwoNN needs at least 2 points after discarding {discard_fraction:.0%}, got {n}")
    x = np.log(mu[:keep])
    y = -np.log(1.0 - np.arange(1, keep + 1) / n)
    return float((x @ y) / (x @ x))


def mle_dimension(distances: np.ndarray) -> float:
    """Levina & Bickel 2004 ("Maximum Likelihood Estimation of Intrinsic Dimension", NeurIPS) with
    the MacKay & Ghahramani (2005) pooling, from each point's sorted distances to its k nearest
    neighbours ``T_1 <= ... <= T_k`` (an n x k array)::

        m_i = (k - 1) / sum_{j=1}^{k} log(T_k / T_j),     m = 1 / mean_i(1 / m_i)

    Near-duplicates (T_1 ~ 0) inflate log(T_k / T_1) and drag m down: merge them first
    (:func:`mrlens.metrics.duplicates.near_duplicates`).
    """
    t = np.asarray(distances, dtype=np.float64)
    if t.ndim != 2 or t.shape[1] < 2:
        raise ValueError("MLE needs an (n x k) array of neighbour distances with k >= 2")
    if (t[:, 0] <= 0).any():
        raise ValueError("MLE needs distinct points: a neighbour distance is 0 (duplicates)")
    k = t.shape[1]
    inverse_local = np.log(t[:, -1:] / t).sum(axis=1) / (k - 1)
    return float(1.0 / inverse_local.mean())
