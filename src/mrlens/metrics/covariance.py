"""Covariance of the dimensions, computed once: the covariance of a prefix is its leading block."""

from __future__ import annotations

import numpy as np

from mrlens.metrics._checks import as_points


def covariance(x: np.ndarray, block: int = 8192) -> np.ndarray:
    """Sample covariance ``C = (X - mean)^T (X - mean) / (n - 1)`` in float64, accumulated over row blocks.

    Memory is O(d^2 + block x d), independent of n. For any k, ``C[:k, :k]`` is the covariance
    of the first k dimensions, so one call serves every truncation size.
    """
    x = as_points(x)
    n, d = x.shape
    mean = x.mean(axis=0, dtype=np.float64)
    cov = np.zeros((d, d))
    for start in range(0, n, block):
        centred = x[start : start + block].astype(np.float64) - mean
        cov += centred.T @ centred
    return cov / (n - 1)
