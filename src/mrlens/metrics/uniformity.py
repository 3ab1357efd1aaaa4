"""Spread: the uniformity loss of Wang & Isola on re-normalised prefixes, without an n x n matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mrlens.metrics._checks import as_points, as_sizes

MAX_BLOCK_ELEMENTS = 1 << 22  # rows x documents per block: bounds memory at ~100 MB whatever n is


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + float(np.log(np.exp((values - top).astype(np.float64)).sum()))


def uniformity_by_prefix(x: np.ndarray, dims: Sequence[int], t: float = 2.0) -> dict[int, float]:
    """Uniformity loss of every prefix size k in ``dims``, with each prefix L2-normalised first::

        U_k = log( 1 / (n (n - 1)) * sum_{i != j} exp(-t ||u_i - u_j||^2) ),  u_i = x_i[:k] / ||x_i[:k]||

    (Wang & Isola 2020, "Understanding Contrastive Representation Learning through Alignment and
    Uniformity on the Hypersphere", ICML). Lower is more uniform; for unit vectors ||u_i - u_j||^2 =
    2 - 2 cos(x_i[:k], x_j[:k]) and U_k >= -2t n/(n-1) (about -4 for t = 2).

    All sizes come from one pass over blocks of rows: the prefix Gram matrix of size k extends the
    one of the previous size by the dimensions between them, and the sum is taken in log space.
    Memory is O(block x n); no n x n matrix is ever held.
    """
    x = as_points(x)
    n, d = x.shape
    sizes = as_sizes(dims, d)
    x = x.astype(np.float32, copy=False)
    squares = np.cumsum(x.astype(np.float64) ** 2, axis=1)
    inv_norm = {}
    for k in sizes:
        norm = np.sqrt(squares[:, k - 1])
        if (norm == 0).any():
            raise ValueError(f"document {int(np.argmin(norm))} has an all-zero prefix of size {k}; it cannot be normalised")
        inv_norm[k] = (1.0 / norm).astype(np.float32)
    block = max(1, MAX_BLOCK_ELEMENTS // n)
    partial: dict[int, list[float]] = {k: [] for k in sizes}
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        gram = np.zeros((len(rows), n), dtype=np.float32)
        previous = 0
        for k in sizes:
            gram += x[rows, previous:k] @ x[:, previous:k].T
            previous = k
            cosine = gram * inv_norm[k][rows, None] * inv_norm[k][None, :]
            exponent = -t * np.clip(2.0 - 2.0 * cosine, 0.0, 4.0)
            exponent[np.arange(len(rows)), rows] = -np.inf  # leave out i == j
            partial[k].append(_logsumexp(exponent))
    return {k: _logsumexp(np.array(partial[k])) - float(np.log(n * (n - 1.0))) for k in sizes}


def uniformity_loss(x: np.ndarray, t: float = 2.0) -> float:
    """Uniformity loss of the full (re-normalised) vectors; see :func:`uniformity_by_prefix`."""
    x = as_points(x)
    return uniformity_by_prefix(x, [x.shape[1]], t)[x.shape[1]]
