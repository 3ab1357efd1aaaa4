"""Agreement with human similarity ratings: Spearman's rank correlation of the cosine similarities.

Spearman's rho is Pearson's r between the ranks, ties given their average rank (as
``scipy.stats.spearmanr``). Row-wise versions serve bootstrap replicates: each row of a
(B x n) array of counts is one resampled set of pairs, ranked on its own.
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


def weighted_ranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The average rank of each value in every row of ``counts`` (B x n), the sample that holds value i
    ``counts[b, i]`` times: ``rankdata(np.repeat(values, counts[b]))`` at value i, ties given their average
    rank (values not drawn get a rank too, which their weight 0 leaves out)."""
    unique, group = np.unique(np.asarray(values, dtype=np.float64), return_inverse=True)
    per_group = np.zeros((len(counts), len(unique)))
    np.add.at(per_group.T, group, counts.T.astype(np.float64))
    below = np.cumsum(per_group, axis=1) - per_group
    return (below + (per_group + 1) / 2)[:, group]


def spearman_replicates(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Spearman's rho of every resampled set of pairs: row b of ``counts`` (B x n) says how often each pair
    is drawn (a pair drawn c times counts as c tied copies, as ``scipy.stats.spearmanr`` of the repeated
    sample): Pearson's r of the weighted ranks (:func:`weighted_ranks`) with weights ``counts``."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size == 0:
        return np.empty(len(counts))
    rx, ry = weighted_ranks(x, counts), weighted_ranks(y, counts)
    total = counts.sum(axis=1, keepdims=True)
    rx -= (counts * rx).sum(axis=1, keepdims=True) / total
    ry -= (counts * ry).sum(axis=1, keepdims=True) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        return (counts * rx * ry).sum(axis=1) / np.sqrt((counts * rx**2).sum(axis=1) * (counts * ry**2).sum(axis=1))
