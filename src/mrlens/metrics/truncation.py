"""Truncation strategies: what "keep the first k dimensions" means, shared by geometry and quality.

- ``prefix``: the first k dimensions, what Matryoshka training optimises;
- ``pca``: the top-k principal directions of the full embedding, fitted on the same texts
  (the projection ``x V_k`` is not centred, so the full size equals ``prefix`` exactly);
- ``random``: R random orderings of the dimensions, keeping the first k of each (nested random
  subsets); a metric's value is the mean over orderings and its interval spans their minimum and maximum.

Each strategy turns the (n x d) embeddings into one or more (n x d) views whose first k columns are
the k-dimensional truncation, so every size is read from the same array (see :func:`views`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence

import numpy as np

from mrlens.metrics.covariance import row_blocks

STRATEGIES = ("prefix", "random", "pca")


def check_strategies(strategies: Sequence[str]) -> list[str]:
    """The strategies as a list; a ``ValueError`` names any unknown one."""
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown truncation strategy {sorted(unknown)}; use {list(STRATEGIES)}")
    return list(strategies)


def pca_basis(cov: np.ndarray) -> np.ndarray:
    """The principal directions of the covariance ``cov`` (columns), by decreasing variance."""
    return np.linalg.eigh(cov)[1][:, ::-1]


def random_orderings(d: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` random permutations of the ``d`` dimensions, drawn in turn from ``rng``."""
    return [rng.permutation(d) for _ in range(count)]


def rotate(z: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``z @ basis`` in float32, block by block."""
    out = np.empty((len(z), basis.shape[1]), dtype=np.float32)
    for rows in row_blocks(len(z)):
        out[rows] = z[rows] @ basis
    return out


def views(
    x: np.ndarray,
    strategy: str,
    covariance: np.ndarray | None = None,
    orderings: Sequence[np.ndarray] = (),
) -> Iterator[np.ndarray]:
    """The arrays whose leading k columns are the k-truncation of ``x`` under ``strategy``: ``x``
    itself (prefix), ``x`` in the principal basis of ``covariance`` (pca), or ``x`` with its columns
    in each of ``orderings`` (random). One array is in memory at a time."""
    check_strategies([strategy])
    if strategy == "prefix":
        yield x
    elif strategy == "pca":
        if covariance is None:
            raise ValueError("the pca strategy needs the covariance of the full embeddings")
        yield rotate(x, pca_basis(covariance))
    else:
        if not orderings:
            raise ValueError("the random strategy needs at least one ordering")
        for ordering in orderings:
            yield x[:, ordering]


def spread_over_orderings(runs: Sequence[Mapping[Hashable, float]]) -> tuple[dict, dict, dict]:
    """Mean, minimum and maximum of each key over the runs of the random orderings."""
    keys = list(runs[0])
    stacked = {key: np.array([run[key] for run in runs], dtype=np.float64) for key in keys}
    return (
        {key: float(v.mean()) for key, v in stacked.items()},
        {key: float(v.min()) for key, v in stacked.items()},
        {key: float(v.max()) for key, v in stacked.items()},
    )
