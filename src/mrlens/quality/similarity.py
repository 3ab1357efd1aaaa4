"""Agreement with human similarity ratings: Spearman's rank correlation of the cosine similarities.

Spearman's rho is Pearson's r between the ranks, ties given their average rank (as
``scipy.stats.spearmanr``). Row-wise versions serve bootstrap replicates: each row of a
(B x n) array is one resampled set of pairs, ranked on its own.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); an all-zero row stays zero (cosine 0 with everything)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, np.finfo(np.float32).tiny)


def pair_cosines(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of rows ``a[i]`` and ``b[i]`` of ``x``, in float64."""
    x = np.asarray(x, dtype=np.float64)
    u = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.finfo(np.float64).tiny)
    return np.einsum("ij,ij->i", u[a], u[b])


def rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r between matching rows of ``x`` and ``y`` (NaN for a constant row)."""
    x = x - x.mean(axis=-1, keepdims=True)
    y = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * y).sum(axis=-1) / np.sqrt((x * x).sum(axis=-1) * (y * y).sum(axis=-1))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two vectors (average ranks for ties)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"need two vectors of equal length >= 2, got shapes {x.shape} and {y.shape}")
    return float(rowwise_pearson(rankdata(x), rankdata(y)))


def spearman_replicates(x: np.ndarray, y_ranks: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Spearman's rho for each row of ``draws`` (B x n indices of resampled pairs); ``y_ranks`` are
    the ranks of ``y`` within each replicate (``rankdata(y[draws], axis=1)``), computed once."""
    if draws.size == 0:
        return np.empty(len(draws))
    return rowwise_pearson(rankdata(x[draws], axis=1), y_ranks)
