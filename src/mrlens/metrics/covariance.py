"""Covariance of the dimensions, computed once: the covariance of a prefix is its leading block."""

from __future__ import annotations

import numpy as np

from mrlens.metrics.checks import as_points

ROW_BLOCK = 8192  # rows per block of the passes over the data: float64 copies stay small


def row_blocks(n: int) -> list[slice]:
    return [slice(start, min(start + ROW_BLOCK, n)) for start in range(0, n, ROW_BLOCK)]


def weighted_covariance(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Covariance of the rows of ``z`` repeated ``w`` times (float64, accumulated over row blocks):
    ``(S - f f^T / N) / (N - 1)`` with ``S = sum_i w_i c_i c_i^T``, ``f = sum_i w_i c_i``, ``N = sum_i w_i``
    and ``c_i`` the rows shifted by the unweighted mean (for accuracy; the result does not depend on it)."""
    shift = z.mean(axis=0, dtype=np.float64)
    scatter = np.zeros((z.shape[1], z.shape[1]))
    first = np.zeros(z.shape[1])
    for rows in row_blocks(len(z)):
        centred = z[rows].astype(np.float64) - shift
        scatter += (centred * w[rows, None]).T @ centred
        first += w[rows] @ centred
    total = w.sum()
    return (scatter - np.outer(first, first) / total) / (total - 1.0)


def weighted_fourth_moments(z: np.ndarray, weights: np.ndarray, sizes: list[int]) -> np.ndarray:
    """``sum_i w_i ||z_i[:k] - m[:k]||^4`` per weight column (rows of the result) and prefix size k (columns),
    ``m`` the weighted mean of the column, in one blocked pass after the means: the ``fourth`` of
    :func:`mrlens.metrics.isotropy.trace_square_unbiased` for the rows repeated ``w`` times."""
    shift = z.mean(axis=0, dtype=np.float64)
    first = np.zeros((weights.shape[1], z.shape[1]))
    for rows in row_blocks(len(z)):
        first += weights[rows].T @ (z[rows].astype(np.float64) - shift)
    means = first / weights.sum(axis=0)[:, None]  # column means, shifted
    out = np.zeros((weights.shape[1], len(sizes)))
    for rows in row_blocks(len(z)):
        centred = z[rows].astype(np.float64) - shift
        squares = np.cumsum(centred**2, axis=1)
        for j, k in enumerate(sizes):
            distance = squares[:, k - 1, None] - 2.0 * centred[:, :k] @ means[:, :k].T + (means[:, :k] ** 2).sum(axis=1)
            out[:, j] += (weights[rows] * distance**2).sum(axis=0)
    return out


def coordinate_fourth_moments(z: np.ndarray, weights: np.ndarray, sizes: list[int]) -> np.ndarray:
    """``sum_i w_i sum_{j <= k} (z_ij - m_j)^4`` per weight column (rows of the result) and prefix size k
    (columns), ``m`` the weighted mean of the column: the coordinates' own fourth moments, beside
    :func:`weighted_fourth_moments` (the squared norms'), from the weighted sums of the powers 1-4 of the
    shifted rows (``(a - m)^4 = a^4 - 4 a^3 m + 6 a^2 m^2 - 4 a m^3 + m^4``)."""
    shift = z.mean(axis=0, dtype=np.float64)
    powers = np.zeros((5, weights.shape[1], z.shape[1]))
    for rows in row_blocks(len(z)):
        centred = z[rows].astype(np.float64) - shift
        for p in range(1, 5):
            powers[p] += weights[rows].T @ centred**p
    powers[0] = weights.sum(axis=0)[:, None]
    m = powers[1] / powers[0]
    fourth = powers[4] - 4 * m * powers[3] + 6 * m**2 * powers[2] - 4 * m**3 * powers[1] + m**4 * powers[0]
    cumulative = np.cumsum(fourth, axis=1)
    return cumulative[:, [k - 1 for k in sizes]]


def covariance(x: np.ndarray) -> np.ndarray:
    """Sample covariance ``C = (X - mean)^T (X - mean) / (n - 1)`` in float64, accumulated over row blocks.

    Memory is O(d^2 + block x d), independent of n. For any k, ``C[:k, :k]`` is the covariance
    of the first k dimensions, so one call serves every truncation size.
    """
    x = as_points(x)
    return weighted_covariance(x, np.ones(len(x)))
