"""Near-duplicate points, found once per prefix size, so nearest-neighbour estimators see each place once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import KDTree

from mrlens.metrics.checks import as_points

NEAR_DUPLICATE_FRACTION = 1e-2


@dataclass(frozen=True)
class NearDuplicates:
    """``labels``: the cluster of every row (numbered by the cluster's first row, in row order);
    ``representatives``: the first row of each cluster, ascending; ``threshold``: the distance used."""

    labels: np.ndarray
    representatives: np.ndarray
    threshold: float

    @property
    def dropped(self) -> int:
        """Rows left out: every cluster's members but its representative."""
        return len(self.labels) - len(self.representatives)


def near_duplicates(
    x: np.ndarray, first_neighbour: np.ndarray, fraction: float = NEAR_DUPLICATE_FRACTION
) -> NearDuplicates:
    """Group the rows of ``x`` (the points at one prefix size) that lie within ``fraction`` times the median
    nearest-neighbour distance of each other: the connected components of the graph joining rows at most
    that far apart (single linkage). ``first_neighbour`` holds each row's distance to its nearest other row
    (``prefix_pairwise(...).neighbours[k][:, 0]``); the median is over the rows whose distance is not 0.

    TwoNN and the Levina-Bickel MLE read the ratios of neighbour distances, so a point with a twin at
    distance ~0 (``r2 / r1`` ~ infinite) drags both towards 0: Facco et al. (2017) remove duplicates first.
    A genuine point of a d-dimensional sample has ``r1 < f * median(r1)`` with probability about
    ``f^d / 2``, so the default f = 1e-2 leaves genuine points alone for d >= 3 while catching copies that
    differ only by low-precision inference noise (~1e-3 of the norm). Only rows with
    ``r1 <= threshold`` can share a cluster, so the pairs within the threshold are sought (k-d tree, exact
    Euclidean distances) among those alone.
    Valid while fewer than half the rows are near-duplicates (else the median is itself a duplicate gap).
    """
    x = as_points(x)
    r1 = np.asarray(first_neighbour, dtype=np.float64)
    if r1.shape != (len(x),):
        raise ValueError(f"first_neighbour must hold one distance per row ({len(x)}), got shape {r1.shape}")
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must lie in [0, 1), got {fraction}")
    positive = r1[r1 > 0]
    threshold = fraction * float(np.median(positive)) if len(positive) else 0.0
    labels = np.arange(len(x))
    candidates = np.flatnonzero(r1 <= threshold)
    if len(candidates) > 1:
        pairs = KDTree(x[candidates].astype(np.float64)).query_pairs(threshold, output_type="ndarray")
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(candidates),) * 2)
        _, component = connected_components(graph, directed=False)
        first = np.full(component.max() + 1, len(x))
        np.minimum.at(first, component, candidates)
        labels[candidates] = first[component]
    return NearDuplicates(labels, np.unique(labels), threshold)
