"""Rogue dimensions: each dimension's share of the expected cosine similarity of random document pairs."""

from __future__ import annotations

import numpy as np

from mrlens.metrics.checks import as_points


def cosine_contributions(
    x: np.ndarray, weights: np.ndarray | None = None, excluded: np.ndarray | None = None
) -> np.ndarray:
    """Each dimension's contribution ``C_i = E[u_i v_i]`` to the expected cosine similarity of two distinct
    documents u, v (rows of ``x`` scaled to unit length), so that ``sum_i C_i`` is the expected cosine
    (:func:`mrlens.metrics.isotropy.average_cosine`). Timkey & van Schijndel 2021 ("All Bark and No Bite:
    Rogue Dimensions in Transformer Language Models Obscure Representational Quality", EMNLP) call the
    dimensions with a large ``C_i`` rogue. Without the n^2 pass over pairs::

        C_i = (S_i^2 - Q_i) / (N^2 - M),   S = sum_a w_a u_a,  Q = sum_a m_a u_a^2,  N = sum_a w_a,  M = sum_a m_a

    Row a stands for ``w_a`` draws (``weights``, default 1: every row one document); ``m_a`` (``excluded``)
    counts the ordered pairs of draws on row a that are not pairs of distinct documents, default ``w_a``
    (each draw with itself): then the mean runs over ordered pairs of distinct documents, n(n - 1) of them
    for unit weights. A bootstrap replicate that draws a document c times leaves out its c^2 self-pairs.
    ``weights`` and ``excluded`` may be (n,) or (n x B): the result is then (d,) or (B x d).
    """
    x = as_points(x)
    u = x.astype(np.float64) / np.linalg.norm(x, axis=1, keepdims=True).astype(np.float64)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    m = w if excluded is None else np.asarray(excluded, dtype=np.float64)
    if w.shape[0] != len(x) or m.shape != w.shape:
        raise ValueError(f"weights and excluded must have {len(x)} rows and one shape, got {w.shape} and {m.shape}")
    pairs = w.sum(axis=0) ** 2 - m.sum(axis=0)
    if np.any(pairs <= 0):
        raise ValueError("need at least two distinct documents for a pair")
    return contributions_from_sums(w.T @ u, m.T @ (u * u), pairs)


def contributions_from_sums(s: np.ndarray, q: np.ndarray, pairs: np.ndarray | float) -> np.ndarray:
    """``(S_i^2 - Q_i) / P`` from the weighted sums of :func:`cosine_contributions` (``S``, ``Q``: (d,) or
    (B x d); ``P = N^2 - M``, the ordered pairs of draws of distinct documents, a number or (B,)), for a
    caller that accumulates S and Q itself over blocks of rows (the geometry suite)."""
    return (s * s - q) / np.asarray(pairs, dtype=np.float64)[..., None]


def cosine_shares(contributions: np.ndarray) -> np.ndarray:
    """``C_i / sum_j C_j`` along the last axis: each dimension's share of the expected cosine. Shares sum to
    1 and may be negative or above 1; where the expected cosine is not positive (no anisotropy to share
    out) they are NaN."""
    c = np.asarray(contributions, dtype=np.float64)
    total = c.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, c / total, np.nan)


def top_share(shares: np.ndarray, count: int) -> np.ndarray:
    """Sum of the ``count`` largest shares along the last axis (NaN where the shares are)."""
    s = np.asarray(shares, dtype=np.float64)
    if not 1 <= count <= s.shape[-1]:
        raise ValueError(f"count must lie in [1, {s.shape[-1]}] (the dimensions), got {count}")
    return np.sort(s, axis=-1)[..., -count:].sum(axis=-1)


def rogue_count(shares: np.ndarray, factor: float) -> np.ndarray:
    """Number of dimensions whose share exceeds ``factor`` times the even share 1/d (a contribution above
    ``factor`` times the mean contribution, the rule of :func:`mrlens.metrics.outliers.outlier_dimensions`
    applied to the cosine), along the last axis; NaN where the shares are."""
    s = np.asarray(shares, dtype=np.float64)
    counts = (s > factor / s.shape[-1]).sum(axis=-1).astype(np.float64)
    return np.where(np.isnan(s).any(axis=-1), np.nan, counts)
