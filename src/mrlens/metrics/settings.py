"""The geometry suite's settings (``analysis.*`` in the workflow config), in a module of their own so that
the command line can show their defaults without loading the suite (and torch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mrlens.metrics.duplicates import NEAR_DUPLICATE_FRACTION


@dataclass(frozen=True)
class SuiteSettings:
    """Parameters of the suite (``analysis.*`` in the workflow config)."""

    uniformity_t: float = 2.0
    isoscore_star_zeta: float = 0.2
    isoscore_star_sample_size: int = 32
    isoscore_star_samples: int = 50
    outlier_k: float = 5.0
    rank_rtol: float = 1e-3
    twonn_discard_fraction: float = 0.1
    mle_neighbours: int = 20
    near_duplicate_fraction: float = NEAR_DUPLICATE_FRACTION
    rogue_top: int = 3
    rogue_factor: float = 5.0
    bootstrap: int = 100
    confidence: float = 0.95
    strategies: Sequence[str] = ("prefix", "random", "pca")
    random_orderings: int = 5
    pca_fit: str = "heldout"
    seed: int = 0
