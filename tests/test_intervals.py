"""Interval methods against hand-computed cases and closed forms; draws, streams and the method registry."""

from __future__ import annotations

import numpy as np
import pytest

from mrlens.inference.intervals import (
    INTERVAL_METHODS,
    METHODS,
    interval,
    interval_label,
    method_of,
    resampling_counts,
    streams,
)
from mrlens.metrics.suite import METRICS


def test_percentile_and_basic_on_a_known_replicate_set() -> None:
    replicates = np.arange(101.0)  # numpy's linear quantiles: q_0.05 = 5, q_0.95 = 95
    assert interval("percentile-bootstrap", 50.0, replicates, 0.9, 100) == pytest.approx((5.0, 95.0))
    # basic: [2 * 40 - 95, 2 * 40 - 5]
    assert interval("basic-bootstrap", 40.0, replicates, 0.9, 100) == pytest.approx((-15.0, 75.0))


def test_subsampling_by_hand_and_widened_to_hold_the_estimate() -> None:
    replicates = np.arange(101.0) / 100  # theta* - theta: q_0.05 = 0.05, q_0.95 = 0.95
    c = np.sqrt(4 / 5)  # n = 9: m = 4 distinct units per half-sample
    low, high = interval("subsampling", 0.0, replicates, 0.9, 9)
    assert low == pytest.approx(-c * 0.95)
    assert high == 0.0  # -c * 0.05 < 0 = the estimate: widened to hold it
    assert interval("percentile-bootstrap", -1.0, replicates, 0.9, 9) == pytest.approx((-1.0, 0.95))
    assert np.isnan(interval("none", 0.0, replicates, 0.9, 9)).all()
    assert np.isnan(interval("basic-bootstrap", 0.0, np.array([np.nan]), 0.9, 9)).all()


def test_half_sample_subsampling_of_a_mean_has_the_normal_width() -> None:
    """For a mean, Var(mean_m - mean_n) = sigma^2 (1/m - 1/n) = sigma^2 / n at m = n / 2, so the interval's
    width is close to the normal interval's 2 z_0.975 s / sqrt(n)."""
    rng = np.random.default_rng(3)
    x = rng.exponential(size=400)
    counts = resampling_counts(len(x), 4000, "halves", seed=1)
    replicates = x @ counts / counts.sum(axis=0)
    low, high = interval("subsampling", x.mean(), replicates, 0.95, len(x))
    assert high - low == pytest.approx(2 * 1.959964 * x.std(ddof=1) / np.sqrt(len(x)), rel=0.08)


def test_intervals_of_a_mean_cover_at_their_level() -> None:
    rng = np.random.default_rng(0)
    n, reps = 120, 300
    counts = {s: resampling_counts(n, 200, s, seed=5) for s in ("bootstrap", "halves")}
    hits = {m: 0 for m in METHODS}
    for _ in range(reps):
        x = rng.normal(1.0, 2.0, n)
        for name, method in METHODS.items():
            c = counts[method.scheme]
            low, high = interval(name, x.mean(), x @ c / c.sum(axis=0), 0.9, n)
            hits[name] += low <= 1.0 <= high
    for name, hit in hits.items():
        assert 0.84 <= hit / reps <= 0.96, name  # 90 % nominal; binomial sd 1.7 %


def test_draws_depend_only_on_units_replicates_scheme_and_seed() -> None:
    boot = resampling_counts(50, 7, "bootstrap", seed=3)
    halves = resampling_counts(50, 7, "halves", seed=3)
    assert boot.shape == halves.shape == (50, 7)
    assert (boot.sum(axis=0) == 50).all() and (halves.sum(axis=0) == 25).all() and halves.max() == 1
    assert np.array_equal(boot, resampling_counts(50, 7, "bootstrap", seed=3))
    assert np.array_equal(boot[:, :3], resampling_counts(50, 3, "bootstrap", seed=3))  # more replicates extend
    assert not np.array_equal(boot, resampling_counts(50, 7, "bootstrap", seed=4))
    with pytest.raises(ValueError, match="unknown resampling scheme 'jack'"):
        resampling_counts(5, 1, "jack", seed=0)


def test_the_orderings_stream_is_the_seed_itself_and_schemes_are_apart() -> None:
    s = streams(7)
    assert np.array_equal(s.orderings.permutation(10), np.random.default_rng(7).permutation(10))
    a, b = (s.resampling[k].integers(0, 1 << 30, 5) for k in ("bootstrap", "halves"))
    assert not np.array_equal(a, b)


def test_every_metric_declares_a_known_method() -> None:
    for metric in [*METRICS, "spearman", "ndcg@10", "mrr@10", "recall@100", "alignment"]:
        assert method_of(metric) == "none" or method_of(metric) in METHODS
    assert set(INTERVAL_METHODS.values()) <= {*METHODS, "none"}
    with pytest.raises(KeyError, match="'map@10' is not declared"):
        method_of("map@10")
    assert interval_label("basic-bootstrap", 0.95) == "ci95-basic-bootstrap"
    assert interval_label("subsampling", 0.9) == "ci90-subsampling"
    assert interval_label("none", 0.95) == "none"
