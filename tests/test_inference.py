"""Paired twin differences, their intervals per seed and over seeds, claims and verdicts: against known
truths, hand-computed cases and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrlens.errors import DataError
from mrlens.inference.differences import (
    differences,
    hierarchical_bootstrap_interval,
    seeds_t_interval,
    trend_differences,
)

KEYS = {"checkpoint": "final", "corpus": "wiki", "strategy": "prefix", "metric": "uniformity"}


def model_tables(scores: dict[tuple[str, int], np.ndarray], counts: np.ndarray, dim: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates (mean of the per-document scores) and bootstrap replicates (weighted means under
    ``counts``, n x B) of each (variant, seed)."""
    estimates, replicates = [], []
    for (variant, seed), score in scores.items():
        row = {"variant": variant, "seed": seed, "dim": dim, **KEYS}
        estimates.append(row | {"value": score.mean(), "n": len(score)})
        means = score @ counts / counts.sum(axis=0)
        replicates += [row | {"replicate": b, "value": v} for b, v in enumerate(means)]
    return pd.DataFrame(estimates), pd.DataFrame(replicates)


def bootstrap_counts(n: int, draws: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(draws)], axis=1)


@pytest.mark.parametrize("shift", [0.0, 0.25])
def test_paired_difference_covers_the_truth_and_is_narrower_than_unpaired(shift: float) -> None:
    rng = np.random.default_rng(1)
    n = 2000
    document = rng.standard_normal(n) * 3  # what both twins see: large, shared
    scores = {("mrl", 0): document + shift + 0.1 * rng.standard_normal(n), ("no-mrl", 0): document + 0.1 * rng.standard_normal(n)}
    counts = bootstrap_counts(n, 400, seed=2)
    estimates, replicates = model_tables(scores, counts)
    row = differences(estimates, replicates, [("mrl", "no-mrl")]).iloc[0]
    d = scores[("mrl", 0)].mean() - scores[("no-mrl", 0)].mean()
    paired = (scores[("mrl", 0)] - scores[("no-mrl", 0)]) @ counts / n
    low, high = np.quantile(paired, [0.025, 0.975])
    assert row["difference"] == pytest.approx(d)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2 * d - high, 2 * d - low))
    assert row["ci_low"] < shift < row["ci_high"]
    assert (row["ci_low"] > 0) == (shift > 0)
    assert row["interval"] == "ci95-paired-basic-bootstrap" and row["n"] == n and row["n_seeds"] == 1
    unpaired = scores[("mrl", 0)] @ counts / n - scores[("no-mrl", 0)] @ bootstrap_counts(n, 400, seed=3) / n
    unpaired_width = np.subtract(*np.quantile(unpaired, [0.975, 0.025]))
    assert row["ci_high"] - row["ci_low"] < unpaired_width / 10  # sd 0.14/sqrt(n) against 4.2/sqrt(n)
