"""The documents a geometry measurement draws, as integer weights on the distinct rows of the embeddings:
column 0 the sample itself, then the replicates of each resampling scheme (:mod:`mrlens.resampling`). Weights
on distinct rows let every replicate reuse one pass over the data (covariances, pairwise sums) instead of
copying the resampled rows, and keep duplicate documents apart from repeated draws of one document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mrlens.resampling import METHODS, SCHEMES, resampling_counts


def distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``x`` and, for every row, the index of its distinct row. Rows are
    hashed first: when all hashes differ (the usual case) ``x`` itself is returned, uncopied; only
    when two hashes agree are the rows compared exactly (``np.unique``)."""
    keys = np.fromiter((hash(row.tobytes()) for row in x), dtype=np.int64, count=len(x))
    if len(np.unique(keys)) == len(x):
        return x, np.arange(len(x))
    unique, inverse = np.unique(x, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


@dataclass(frozen=True)
class Draws:
    """Documents drawn, as weights on the distinct rows: column 0 the sample, then bootstrap replicates.

    ``self_pairs``: ordered pairs of draws of *different* documents that fall on one distinct row
    (duplicate documents, distance 0); ``pairs``: all ordered pairs of draws of different documents;
    ``excluded``: per row and column, the ordered pairs of draws of one document on that row (the sum of
    the squared draw counts of its documents). Pairs of draws of the same document are left out, so
    resampling does not invent zero distances.
    """

    weights: np.ndarray
    self_pairs: np.ndarray
    pairs: np.ndarray
    excluded: np.ndarray
    columns: dict[str, range] = field(default_factory=dict)  # scheme -> its replicate columns

    @classmethod
    def of(cls, weights: np.ndarray, excluded: np.ndarray, columns: dict[str, range] | None = None) -> Draws:
        """The draws with these weights and excluded pairs per row and column."""
        same_document = excluded.sum(axis=0)
        pairs = weights.sum(axis=0) ** 2 - same_document
        return cls(weights, (weights**2).sum(axis=0) - same_document, pairs, excluded, columns or {})

    @classmethod
    def from_counts(cls, per_document: np.ndarray, inverse: np.ndarray, rows: int, columns: dict[str, range]) -> Draws:
        weights = np.column_stack([np.bincount(inverse, c, minlength=rows) for c in per_document.T])
        squares = per_document.astype(np.float64) ** 2
        return cls.of(weights, np.column_stack([np.bincount(inverse, c, minlength=rows) for c in squares.T]), columns)

    def first(self) -> Draws:
        return Draws.of(self.weights[:, :1], self.excluded[:, :1])


def sampling_draws(n: int, inverse: np.ndarray, rows: int, methods: Iterable[str], replicates: int, seed: int) -> Draws:
    """Column 0: the sample of ``n`` documents on ``rows`` distinct rows (``inverse``: each document's row);
    then ``replicates`` columns of each resampling scheme that one of ``methods`` (keys of
    :data:`mrlens.resampling.METHODS`, or ``none``) needs, in the order of :data:`mrlens.resampling.SCHEMES`,
    drawn by :func:`mrlens.resampling.resampling_counts` (the pairing contract: the same draws for every
    model measured on the same documents)."""
    needed = {METHODS[m].scheme for m in methods if m != "none"} if replicates else set()
    schemes = [s for s in SCHEMES if s in needed]
    columns = {s: range(1 + i * replicates, 1 + (i + 1) * replicates) for i, s in enumerate(schemes)}
    per_document = np.column_stack(
        [np.ones(n, dtype=np.int64)] + [resampling_counts(n, replicates, s, seed) for s in schemes]
    )
    return Draws.from_counts(per_document, inverse, rows, columns)
