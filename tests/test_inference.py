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


def test_seeds_t_interval_hand_computed() -> None:
    # d_s = 1, 2, 3 (s^2 = 1); seed-averaged replicates 2 - 1 and 2 + 1 (v_doc = 2); t_{2, 0.975} = 4.303
    per_seed = np.array([1.0, 2.0, 3.0])
    replicates = per_seed[:, None] + np.array([[-1.0, 1.0]])
    half = 4.302652729911275 * np.sqrt(1 / 3 + 2)
    assert seeds_t_interval(per_seed, replicates, 0.95) == pytest.approx((2 - half, 2 + half))


def test_hierarchical_bootstrap_brute_force_on_two_seeds() -> None:
    # two seeds, one replicate: d* takes 1 (both seed 0), 2 (one each) or 3 (both seed 1) with chances 1/4,
    # 1/2, 1/4; its 2.5 % and 97.5 % quantiles are 1 and 3, so the basic interval is [2*2 - 3, 2*2 - 1]
    assert hierarchical_bootstrap_interval(np.array([1.0, 3.0]), np.array([[1.0], [3.0]]), 0.95) == pytest.approx((1, 3))


def three_seeds(shift: float, n: int = 500, draws: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4)
    document = rng.standard_normal(n)
    scores = {}
    for seed in range(3):
        scores[("mrl", seed)] = document + shift + 0.05 * seed + 0.2 * rng.standard_normal(n)
        scores[("no-mrl", seed)] = document + 0.2 * rng.standard_normal(n)
    return model_tables(scores, bootstrap_counts(n, draws, seed=5))


def test_pooled_row_is_the_mean_over_seeds_with_the_seeds_t_interval() -> None:
    estimates, replicates = three_seeds(0.5)
    table = differences(estimates, replicates, [("mrl", "no-mrl")])
    per_seed, pooled = table[table["seed"].notna()], table[table["seed"].isna()].iloc[0]
    assert list(per_seed["seed"]) == [0, 1, 2] and pooled["n_seeds"] == 3 and pooled["interval"] == "ci95-seeds-t"
    assert pooled["difference"] == pytest.approx(per_seed["difference"].mean())
    wide = replicates.pivot_table(index=["variant", "seed"], columns="replicate", values="value")
    matrix = (wide.loc["mrl"] - wide.loc["no-mrl"]).to_numpy()
    assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx(
        seeds_t_interval(per_seed["difference"].to_numpy(), matrix, 0.95)
    )
    assert pooled["ci_low"] > 0


def test_no_replicates_no_interval_and_unpaired_replicates_refused() -> None:
    estimates, replicates = three_seeds(0.5)
    table = differences(estimates, replicates.iloc[:0], [("mrl", "no-mrl")])
    assert table["ci_low"].isna().all() and set(table["interval"]) == {"none"}
    assert len(table) == 4  # three seeds and the pooled row, each without interval
    short = replicates[(replicates["variant"] == "mrl") | (replicates["replicate"] < 100)]
    with pytest.raises(DataError, match=r"mrl has 200 replicates and no-mrl 100 at \{'seed': 0, .*\}, of which 100 pair up"):
        differences(estimates, short, [("mrl", "no-mrl")])
    with pytest.raises(DataError, match=r"estimates: needs exactly one of the columns \['corpus', 'task'\]"):
        differences(estimates.drop(columns="corpus"), replicates, [("mrl", "no-mrl")])


def test_trend_is_the_difference_at_the_small_size_minus_at_the_large_one() -> None:
    small_est, small_rep = three_seeds(0.5)
    large_est, large_rep = three_seeds(0.1)
    estimates = pd.concat([small_est.assign(dim=8), large_est.assign(dim=64)])
    replicates = pd.concat([small_rep.assign(dim=8), large_rep.assign(dim=64)])
    pairs = [("mrl", "no-mrl")]
    trend = trend_differences(estimates, replicates, pairs, small=8, large=64)
    by_size = differences(estimates, replicates, pairs).set_index(["dim", "seed"])["difference"]
    assert list(trend["versus_dim"]) == [64] * 4 and list(trend["dim"]) == [8] * 4
    expected = [by_size[(8, s)] - by_size[(64, s)] for s in (0, 1, 2)]
    assert trend["difference"].iloc[:3].tolist() == pytest.approx(expected)
    assert trend["difference"].iloc[:3].tolist() == pytest.approx([0.4] * 3, abs=0.05)
    assert (trend["ci_low"] > 0).all()
