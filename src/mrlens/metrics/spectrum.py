"""Dimensional collapse: the spectrum of the covariance, effective rank and numerical rank."""

from __future__ import annotations

import numpy as np


def covariance_spectrum(cov: np.ndarray) -> np.ndarray:
    """Eigenvalues of the covariance, descending (= its singular values, since C is positive
    semi-definite). Plotting their logarithm against rank is the dimensional-collapse diagnostic of
    Jing et al. 2022, "Understanding Dimensional Collapse in Contrastive Self-supervised Learning"."""
    return np.clip(np.linalg.eigvalsh(cov)[::-1], 0.0, None)


def effective_rank(values: np.ndarray) -> float:
    """``exp(H(p))`` with ``p_i = v_i / sum_j v_j`` and ``H(p) = -sum_i p_i log p_i`` (0 log 0 = 0).

    Roy & Vetterli 2007, "The effective rank: a measure of effective dimensionality", EUSIPCO,
    apply it to singular values (sigma). Applied to the covariance eigenvalues (sigma^2) it gives a
    smaller number for the same data; mrlens reports both (``effective_rank_sigma`` and
    ``effective_rank_sigma2``). It is d for a flat spectrum and 1 for rank-1 data.
    """
    values = np.asarray(values, dtype=np.float64)
    total = values.sum()
    if total <= 0:
        return 0.0
    p = values[values > 0] / total
    return float(np.exp(-(p * np.log(p)).sum()))


def numerical_rank(eigenvalues: np.ndarray, rtol: float = 1e-3) -> int:
    """Number of singular values of the centred data above ``rtol`` times the largest one
    (singular values are ``sqrt((n - 1) lambda_i)``, so the threshold is ``sqrt(lambda_i / lambda_max) > rtol``)."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    top = eigenvalues.max(initial=0.0)
    if top <= 0:
        return 0
    return int((np.sqrt(eigenvalues / top) > rtol).sum())
