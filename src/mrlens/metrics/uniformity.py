"""Spread: the uniformity loss of Wang & Isola on re-normalised prefixes, without an n x n matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mrlens.metrics.checks import as_points, as_sizes
from mrlens.metrics.pairwise import prefix_pairwise


def uniformity_by_prefix(
    x: np.ndarray, dims: Sequence[int], t: float = 2.0, device: str | None = None
) -> dict[int, float]:
    """Uniformity loss of every prefix size k in ``dims``, with each prefix L2-normalised first::

        U_k = log( 1 / (n (n - 1)) * sum_{i != j} exp(-t ||u_i - u_j||^2) ),  u_i = x_i[:k] / ||x_i[:k]||

    (Wang & Isola 2020, "Understanding Contrastive Representation Learning through Alignment and
    Uniformity on the Hypersphere", ICML). Lower is more uniform; for unit vectors ||u_i - u_j||^2 =
    2 - 2 cos(x_i[:k], x_j[:k]) and U_k >= -2t n/(n-1) (about -4 for t = 2). All sizes come from
    one blocked pass (:func:`mrlens.metrics.pairwise.prefix_pairwise`).
    """
    x = as_points(x)
    n, d = x.shape
    sizes = as_sizes(dims, d)
    for k in sizes:
        norms = np.linalg.norm(x[:, :k], axis=1)
        if (norms == 0).any():
            raise ValueError(
                f"document {int(np.argmin(norms))} has an all-zero prefix of size {k}; it cannot be normalised"
            )
    sums = prefix_pairwise(x, sizes, t, device=device).log_sums
    return {k: float(sums[k][0]) - float(np.log(n * (n - 1.0))) for k in sizes}  # rows as given, copies included


def uniformity_loss(x: np.ndarray, t: float = 2.0) -> float:
    """Uniformity loss of the full (re-normalised) vectors; see :func:`uniformity_by_prefix`."""
    x = as_points(x)
    return uniformity_by_prefix(x, [x.shape[1]], t)[x.shape[1]]
