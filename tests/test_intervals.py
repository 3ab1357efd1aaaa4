"""Interval methods against hand-computed cases and closed forms; draws, streams and the method registry."""

from __future__ import annotations

import numpy as np
import pytest

from mrlens.metrics.registry import INTERVAL_METHODS, method_of
from mrlens.metrics.suite import METRICS
from mrlens.resampling import (
    METHODS,
    crossed_counts,
    crossed_variance,
    documents_variance,
    interval,
    interval_label,
    label_words,
    method_of_label,
    resampling_counts,
    split_halves_bias,
    split_halves_long_variance,
    split_halves_variance,
    streams,
)


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
    means = {name: method for name, method in METHODS.items() if method.scheme in counts and name != "korn-graubard"}
    hits = {m: 0 for m in means}
    for _ in range(reps):
        x = rng.normal(1.0, 2.0, n)
        for name, method in means.items():
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
    assert (halves[:, 0] + halves[:, 1] == 1).all() and (halves[:, 4] + halves[:, 5] == 1).all()  # complementary
    assert np.array_equal(boot, resampling_counts(50, 7, "bootstrap", seed=3))
    assert np.array_equal(boot[:, :3], resampling_counts(50, 3, "bootstrap", seed=3))  # more replicates extend
    assert not np.array_equal(boot, resampling_counts(50, 7, "bootstrap", seed=4))
    with pytest.raises(ValueError, match="unknown resampling scheme 'jack'"):
        resampling_counts(5, 1, "jack", seed=0)


def test_grouped_jackknife_of_a_mean_is_the_variance_of_its_group_means() -> None:
    """``groups``: each unit is left out by exactly one replicate, groups of 50 // 8 or 50 // 8 + 1 units.
    For a mean over G groups of m units, ``theta_(g) - mean = -(y_g - y) / (G - 1)``, so ``V_J`` is the
    variance of the group means over G: ``sum_g (y_g - y)^2 / (G (G - 1))`` with equal groups."""
    counts = resampling_counts(50, 8, "groups", seed=5)
    assert counts.shape == (50, 8) and ((1 - counts).sum(axis=1) == 1).all()
    assert set((1 - counts).sum(axis=0)) == {6, 7}
    assert np.array_equal(counts, resampling_counts(50, 8, "groups", seed=5))
    assert not np.array_equal(counts, resampling_counts(50, 8, "groups", seed=6))
    x = np.random.default_rng(1).standard_normal(48)
    counts = resampling_counts(48, 8, "groups", seed=5)  # 8 groups of 6
    replicates = x @ counts / counts.sum(axis=0)
    group_means = np.array([x[counts[:, g] == 0].mean() for g in range(8)])
    assert METHODS["grouped-jackknife"].variance(replicates, 48) == pytest.approx(group_means.var(ddof=1) / 8)
    low, high = interval("grouped-jackknife", x.mean(), replicates, 0.95, 48)
    assert (high - low) / 2 == pytest.approx(2.364624 * np.sqrt(group_means.var(ddof=1) / 8))  # t_7, 0.975
    assert METHODS["grouped-jackknife"].freedom(replicates, 48) == 7


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


def test_split_halves_by_hand() -> None:
    # pairs (1, 3) and (2, 2): W1 = var(1, 3, 2, 2) = 2/3, W2 = (4 + 0) / 2 = 2, V = W2 / 2 - W1 = 1/3
    replicates = np.array([1.0, 3.0, 2.0, 2.0, 7.0])  # a last unpaired replicate is left out
    assert split_halves_variance(replicates, 10) == pytest.approx(1 / 3)
    half = 12.706204736174707 * np.sqrt(1 / 3)  # t on J - 1 = 1 degree of freedom
    assert interval("split-halves", 2.0, replicates, 0.95, 10) == pytest.approx((2 - half, 2 + half))
    with_nan = np.array([1.0, 3.0, np.nan, 5.0, 2.0, 2.0])  # the pair holding NaN is left out
    assert split_halves_variance(with_nan, 10) == pytest.approx(1 / 3)
    assert np.isnan(split_halves_variance(np.array([1.0, 3.0, 2.0]), 10))  # one complete pair: no variance
    # W1 = 4/3 here: pairs (1, 1), (3, 3) give W2 = 0, V = -W1 <= 0, raised to W1 / 3 (no zero-width interval)
    assert split_halves_variance(np.array([1.0, 1.0, 3.0, 3.0]), 10) == pytest.approx(4 / 9)
    assert split_halves_variance(np.array([1.0, 3.0, 3.0, 1.0]), 10) == pytest.approx(2 - 4 / 3)
    assert np.isnan(interval("split-halves", 2.0, np.array([1.0, 3.0]), 0.95, 10)).all()
    # one long arm: W1 = 2/3 on that side only, V = 1/3 on the other; a paired difference keeps both
    long = 12.706204736174707 * np.sqrt(2 / 3)
    assert split_halves_long_variance(replicates, 10) == pytest.approx(2 / 3)
    assert interval("split-halves", 2.0, replicates, 0.95, 10, long_arm="low") == pytest.approx((2 - long, 2 + half))
    assert interval("split-halves", 2.0, replicates, 0.95, 10, long_arm="high") == pytest.approx((2 - half, 2 + long))
    assert interval("split-halves", 2.0, replicates, 0.95, 10, paired=True, long_arm="low") == pytest.approx(
        (2 - half, 2 + half)
    )
    assert interval("basic-bootstrap", 2.0, replicates, 0.95, 10, long_arm="low") == interval(
        "basic-bootstrap", 2.0, replicates, 0.95, 10
    )  # a method without a long arm ignores it
    # W1 exceeds V whatever the pairs: far apart, (0, 4) twice, V = 16 / 2 - 16/3 = 8/3 against W1 = 16/3
    assert split_halves_long_variance(np.array([0.0, 4.0, 0.0, 4.0]), 10) == pytest.approx(16 / 3)
    assert split_halves_variance(np.array([0.0, 4.0, 0.0, 4.0]), 10) == pytest.approx(8 / 3)
    # (both cases above have W1 = 2 V, where W2 / 3 = W1.) Pairs (0, 4), (1, 5): W1 = var(0, 4, 1, 5) = 17/3,
    # W2 = 16, V = 8 - 17/3 = 7/3: W1 > 2 V (the degenerate part dominates), so the long arm takes W2 / 3 = 16/3
    spread = np.array([0.0, 4.0, 1.0, 5.0])
    assert split_halves_long_variance(spread, 10) == pytest.approx(16 / 3)
    assert interval("split-halves", 2.5, spread, 0.95, 10, long_arm="high") == pytest.approx(
        (2.5 - 12.706204736174707 * np.sqrt(7 / 3), 2.5 + 12.706204736174707 * np.sqrt(16 / 3))
    )
    # pairs (0, 2), (4, 6): W1 = 20/3, W2 = 4, V = 2 - 20/3 <= 0, floored at W1 / 3 = 20/9 > W2 / 3 = 4/3: the
    # long arm is never shorter than the short one
    assert split_halves_long_variance(np.array([0.0, 2.0, 4.0, 6.0]), 10) == pytest.approx(20 / 9)
    # the halves average 2: by their account an estimate of 1.5 is biased up by 0.5 (b(n/2) - b(n) = b(n)), the
    # bias-corrected value 1.0; a low long arm reaches 0.5 further, past it. A high long arm, which the bias
    # points away from, does not move, and neither does the short arm; at 2.5 (biased down) the other way
    assert split_halves_bias(1.5, replicates) == pytest.approx(0.5)
    assert interval("split-halves", 1.5, replicates, 0.95, 10, long_arm="low") == pytest.approx(
        (1.5 - long - 0.5, 1.5 + half)
    )
    assert interval("split-halves", 1.5, replicates, 0.95, 10, long_arm="high") == pytest.approx(
        (1.5 - half, 1.5 + long)
    )
    assert interval("split-halves", 2.5, replicates, 0.95, 10, long_arm="high") == pytest.approx(
        (2.5 - half, 2.5 + long + 0.5)
    )
    assert interval("split-halves", 2.5, replicates, 0.95, 10, long_arm="low") == pytest.approx(
        (2.5 - long, 2.5 + half)
    )


def test_split_halves_on_the_log_scale_by_hand_and_on_the_raw_scale_at_zero() -> None:
    # logs of the pairs (e, e^3) and (e^2, e^2): the pairs (1, 3) and (2, 2) above, V = 1/3, on the log scale
    replicates = np.exp([1.0, 3.0, 2.0, 2.0])
    half = 12.706204736174707 * np.sqrt(1 / 3)
    low, high = interval("split-halves-log", np.exp(2.0), replicates, 0.95, 10)
    assert (low, high) == pytest.approx((np.exp(2 - half), np.exp(2 + half)))
    assert low > 0 and np.log(high) - 2 == pytest.approx(2 - np.log(low))  # symmetric on the log scale
    # a half-sample value at or below 0 (a population value near 0): the raw scale's interval
    raw = np.array([-1.0, 3.0, 2.0, 2.0])
    assert interval("split-halves-log", 2.0, raw, 0.95, 10) == interval("split-halves", 2.0, raw, 0.95, 10)
    assert interval("split-halves-log", 0.0, replicates, 0.95, 10) == interval(
        "split-halves", 0.0, replicates, 0.95, 10
    )
    # its paired differences (which cross 0) take split halves on the raw scale
    assert METHODS["split-halves-log"].paired == "split-halves"
    assert label_words(interval_label("split-halves-log", 0.95)) == "95 % CI (split halves, log scale)"


def test_split_halves_on_the_square_root_scale_by_hand() -> None:
    # square roots of the pairs (1, 9) and (4, 4): the pairs (1, 3) and (2, 2), V = 1/3 on that scale
    replicates = np.array([1.0, 9.0, 4.0, 4.0])
    half = 12.706204736174707 * np.sqrt(1 / 3)  # 7.34: the lower bound 2 - 7.34 lies below 0 on that scale
    assert interval("split-halves-sqrt", 4.0, replicates, 0.95, 10) == pytest.approx((0.0, (2 + half) ** 2))
    # at 95 % with J = 50 equal-sized pairs the lower bound stays positive, and the arms are equal on that scale
    pairs = np.array([[4.0 + 0.1 * (j % 5 - 2), 4.0 - 0.1 * (j % 5 - 2)] for j in range(50)]).ravel()
    low, high = interval("split-halves-sqrt", 4.0, pairs, 0.95, 100)
    assert 0 < low < 4 < high and np.sqrt(high) - 2 == pytest.approx(2 - np.sqrt(low))
    assert high - 4 > 4 - low  # longer above on the raw scale: the square of a symmetric interval
    # the long arm on that scale: W1 on the upper side; a value at or below 0: the raw scale's interval
    long_low, long_high = interval("split-halves-sqrt", 4.0, pairs, 0.95, 100, long_arm="high")
    assert long_low == pytest.approx(low) and long_high > high
    raw = np.array([-1.0, 9.0, 4.0, 4.0])
    assert interval("split-halves-sqrt", 4.0, raw, 0.95, 10) == interval("split-halves", 4.0, raw, 0.95, 10)
    assert METHODS["split-halves-sqrt"].paired == "split-halves"
    assert label_words("ci95-split-halves-sqrt") == "95 % CI (split halves, square-root scale)"


def test_split_halves_on_the_reciprocal_square_root_scale_by_hand() -> None:
    # theta^(-1/2) of the pairs (1, 1/9) and (1/4, 1/4): the pairs (1, 3) and (2, 2), V = 1/3 on that scale;
    # the scale decreases, so its lower bound 2 - 12.7 sqrt(1/3) < 0 would be an upper bound of +inf: the raw
    # scale's interval instead
    replicates = np.array([1.0, 1 / 9, 1 / 4, 1 / 4])
    assert interval("split-halves-rsqrt", 1 / 4, replicates, 0.95, 10) == interval(
        "split-halves", 1 / 4, replicates, 0.95, 10
    )
    # J = 50 pairs: both bounds finite, equal arms on that scale, the upper arm longer on the raw scale
    pairs = np.array([[(2 + 0.1 * (j % 5 - 2)) ** -2, (2 - 0.1 * (j % 5 - 2)) ** -2] for j in range(50)]).ravel()
    low, high = interval("split-halves-rsqrt", 1 / 4, pairs, 0.95, 100)
    assert 0 < low < 1 / 4 < high < np.inf and low**-0.5 - 2 == pytest.approx(2 - high**-0.5)
    assert high - 1 / 4 > 1 / 4 - low
    # the raw scale's high arm is that scale's low arm: the long arm still lengthens the upper bound only
    long_low, long_high = interval("split-halves-rsqrt", 1 / 4, pairs, 0.95, 100, long_arm="high")
    assert long_low == pytest.approx(low) and long_high > high
    assert interval("split-halves-rsqrt", 1 / 4, pairs, 0.95, 100, long_arm="low")[0] < low
    assert METHODS["split-halves-rsqrt"].paired == "split-halves"
    assert label_words("ci95-split-halves-rsqrt") == "95 % CI (split halves, reciprocal square-root scale)"
    assert label_words("ci95-basic-bootstrap") == "95 % CI (basic bootstrap)"


def _u_squared_norm(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per column of counts, the U-statistic ``sum_{i != j} x_i . x_j / (m (m - 1))`` of the m drawn points
    (an unbiased estimate of ||mu||^2; a point drawn twice counts as two)."""
    m = counts.sum(axis=0)
    return (((x.T @ counts) ** 2).sum(axis=0) - (x**2).sum(axis=1) @ counts) / (m * (m - 1))


def _u_variance(n: int, d: int, mu: float) -> float:
    """``Var U = (4 (n - 2) zeta1 + 2 zeta2) / (n (n - 1))``, ``zeta1 = d mu^2``, ``zeta2 = d (1 + 2 mu^2)``."""
    return (4 * (n - 2) * d * mu**2 + 2 * d * (1 + 2 * mu**2)) / (n * (n - 1))


@pytest.mark.parametrize("mu", [0.0, 0.3])
def test_split_halves_variance_of_a_u_statistic_matches_its_closed_form(mu: float) -> None:
    """For x ~ N(mu 1, I) in d dimensions, ``U = sum_{i != j} x_i . x_j / (n (n - 1))`` has ``Var U = (4 (n - 2)
    zeta1 + 2 zeta2) / (n (n - 1))`` with ``zeta1 = d mu^2``, ``zeta2 = d (1 + 2 mu^2)`` (Hoeffding 1948). At
    mu = 0 it is degenerate (no linear part), as IsoScore is at isotropy: the split-halves variance still
    estimates it, the bootstrap's is three times too large; at mu = 0.3 the linear part dominates."""
    rng = np.random.default_rng(11)
    n, d, samples = 100, 20, 300
    truth = _u_variance(n, d, mu)
    halves, boot = resampling_counts(n, 200, "halves", seed=2), resampling_counts(n, 200, "bootstrap", seed=2)
    groups = resampling_counts(n, 20, "groups", seed=2)
    split, within, long, bootstrap, jackknife = [], [], [], [], []
    for _ in range(samples):
        x = rng.normal(mu, 1.0, (n, d))
        split.append(METHODS["split-halves"].variance(_u_squared_norm(x, halves), n))
        within.append(np.var(_u_squared_norm(x, halves), ddof=1))
        long.append(split_halves_long_variance(_u_squared_norm(x, halves), n))
        bootstrap.append(METHODS["basic-bootstrap"].variance(_u_squared_norm(x, boot), n))
        jackknife.append(METHODS["grouped-jackknife"].variance(_u_squared_norm(x, groups), n))
    assert np.mean(split) == pytest.approx(truth, rel=0.06)
    # W1 is the variance of a half-sample's U given the sample, whose mean is U itself, so by the law of total
    # variance E W1 = Var U_{n/2} - Var U_n: three times Var U_n at mu = 0, 1.11 at mu = 0.3
    assert np.mean(within) == pytest.approx(_u_variance(n // 2, d, mu) - _u_variance(n, d, mu), rel=0.06)
    assert np.mean(within) > (2.8 if mu == 0.0 else 1.05) * truth
    # the long arm takes W1 where the linear part dominates (W1 < 2 V), and W2 / 3 = 2 (W1 + V) / 3 = 8/3 of
    # Var U_n where only the degenerate part is left (mu = 0)
    if mu == 0.0:
        assert np.mean(long) == pytest.approx(8 / 3 * truth, rel=0.06)
    else:
        assert np.mean(long) == pytest.approx(np.mean(within), rel=0.01)
    assert np.mean(bootstrap) > 2.8 * truth if mu == 0.0 else np.mean(bootstrap) < 1.2 * truth
    # the grouped jackknife counts the degenerate part about twice (Efron & Stein 1981): at mu = 0.3 that part
    # is (2 zeta2) / (4 (n - 2) zeta1 + 2 zeta2) = 6 % of the variance, so V_J is about 1.06 of it
    degenerate = 2 * d * (1 + 2 * mu**2) / (4 * (n - 2) * d * mu**2 + 2 * d * (1 + 2 * mu**2))
    assert np.mean(jackknife) / truth == pytest.approx(1 + degenerate, rel=0.12)


def test_split_halves_bias_is_the_plug_in_variances_bias_and_none_for_a_u_statistic() -> None:
    """The plug-in variance ``mean (x - xbar)^2`` of n points is biased by exactly ``-sigma^2 / n``, and by
    ``-2 sigma^2 / n`` at n / 2, so the half-samples' mean less the estimate has expectation ``-sigma^2 / n``,
    the bias itself (the half-sample jackknife); an unbiased U-statistic gets expectation 0."""
    rng = np.random.default_rng(5)
    n, sigma2, samples = 50, 4.0, 400
    halves = resampling_counts(n, 100, "halves", seed=3)
    m = halves.sum(axis=0)
    plug_in, u_stat = [], []
    for _ in range(samples):
        x = rng.normal(1.0, np.sqrt(sigma2), n)
        values = (x**2) @ halves / m - (x @ halves / m) ** 2
        plug_in.append(split_halves_bias(float(np.var(x)), values))
        y = rng.normal(0.3, 1.0, (n, 5))
        u_stat.append(split_halves_bias(float(_u_squared_norm(y, np.ones((n, 1)))[0]), _u_squared_norm(y, halves)))
    assert np.mean(plug_in) == pytest.approx(-sigma2 / n, rel=0.1)
    assert abs(np.mean(u_stat)) < 3 * np.std(u_stat) / np.sqrt(samples)


def test_crossed_variance_of_a_mean_over_pairs_has_the_closed_form() -> None:
    """A mean of ``h = g_a + g_b + e`` over pairs: with all pairs among n documents its variance is
    ``4 var(g) / n + var(e) / N`` (a U-statistic of degree 2: each document is in n - 1 of the N pairs);
    where every word is in one pair it is ``(2 var(g) + var(e)) / N``. The documents' variance keeps the
    pairs' part twice; the crossed one removes it (Owen 2007)."""
    rng = np.random.default_rng(0)
    n, g, e = 40, 0.3, 1.0
    a, b = np.triu_indices(n, 1)
    designs = {"documents": (a, b, n), "words": (np.arange(300), np.arange(300, 600), 600)}
    truth = {"documents": 4 * g**2 / n + e**2 / len(a), "words": (2 * g**2 + e**2) / 300}
    for name, (left, right, texts) in designs.items():
        found = {"crossed": [], "documents": []}
        for rep in range(60):
            effect = g * rng.standard_normal(texts)
            h = effect[left] + effect[right] + e * rng.standard_normal(len(left))
            weights = crossed_counts(left, right, texts, 400, seed=rep)
            replicates = h @ weights / weights.sum(axis=0)
            found["crossed"].append(crossed_variance(replicates, texts))
            found["documents"].append(documents_variance(replicates, texts))
        assert np.mean(found["crossed"]) == pytest.approx(truth[name], rel=0.12), name
    # the documents' variance adds the pairs' part once more: (2 var(g) + var(e)) / N where words are unique
    assert np.mean(found["documents"]) == pytest.approx(2 * truth["words"], rel=0.12)


def test_crossed_draws_weigh_pairs_by_their_texts_counts() -> None:
    a, b = np.array([0, 0, 1]), np.array([1, 2, 2])
    weights = crossed_counts(a, b, 3, 6, seed=2)
    assert weights.shape == (3, 6) and np.array_equal(weights, crossed_counts(a, b, 3, 6, seed=2))
    assert (weights[:, 1::2].sum(axis=0) == 3).all()  # odd replicates: the 3 pairs drawn with replacement
    # even replicates: (c_a + c_b) / 2 of text counts c summing to 3, so the weights sum to (n - 1) * 3 / 2
    assert np.allclose(weights[:, 0::2].sum(axis=0), 3.0)


def test_korn_graubard_by_hand_at_the_ceiling_and_inside() -> None:
    from scipy.stats import beta

    shrink = (1.959963984540054 / 2.009575237129235) ** 2  # (z / t_{0.975, 49 df})^2
    low, high = interval("korn-graubard", 1.0, np.ones(20), 0.95, 50)  # every query at 1: no spread at all
    assert (low, high) == pytest.approx((0.025 ** (1 / (50 * shrink)), 1.0))
    # p = 0.8 and a bootstrap variance (n - 1) / n * p (1 - p) / n: s^2 = p (1 - p), the sum of squares
    # (n - 1) p (1 - p); with a pseudo-query of weight 0.1 at 1, v = ((n - 1) p (1 - p) + 0.1 (1 - p)^2) / ((n - 0.9) n)
    p, n = 0.8, 50
    replicates = p + np.array([-1.0, 1.0]) * np.sqrt((n - 1) / n * p * (1 - p) / n / 2)  # that variance (ddof 1)
    m = p * (1 - p) / (((n - 1) * p * (1 - p) + 0.1 * 0.2**2) / ((n - 0.9) * n)) * shrink
    expected = (beta.ppf(0.025, p * m, m - p * m + 1), beta.ppf(0.975, p * m + 1, m - p * m))
    assert interval("korn-graubard", p, replicates, 0.95, n) == pytest.approx(expected)
    assert interval_label("korn-graubard", 0.95, low, 1.0) == "ci95-korn-graubard-ceiling"
    assert method_of_label("ci95-korn-graubard-ceiling") == "korn-graubard"
    assert method_of_label("range-orderings") is None


def test_fifty_queries_korn_graubard_covers_where_the_basic_bootstrap_does_not() -> None:
    """Per-query scores of 50 queries: a recall near its ceiling (each query finds its document with
    probability 0.97), an nDCG-like score (Beta) and an MRR@10 near its floor (a hit in one query of eight,
    at a rank uniform on 1-10: scores 0 or 1 / rank). mrlens's interval covers 90-99 % with at most 4 % on
    each side; the basic bootstrap, zero-width at the ceiling, lies above recall's truth, and Korn and
    Graubard's own effective number of queries (the variance's alone) lies below the floor's truth."""
    from scipy.stats import beta

    rng = np.random.default_rng(1)
    n, reps = 50, 1000
    counts = resampling_counts(n, 400, "bootstrap", seed=3)
    floor = (
        lambda: np.where(rng.random(n) < 0.125, 1 / rng.integers(1, 11, n), 0.0),
        0.125 * np.mean(1 / np.arange(1, 11)),
    )
    populations = {
        "recall": (lambda: (rng.random(n) < 0.97).astype(float), 0.97),
        "ndcg": (lambda: rng.beta(1.4, 0.6, n), 1.4 / 2.0),
        "mrr": floor,
    }
    for name, (draw, truth) in populations.items():
        below = {m: 0 for m in ("korn-graubard", "basic-bootstrap")}
        above = dict(below)
        for _ in range(reps):
            x = draw()
            replicates = x @ counts / n
            for method in below:
                low, high = interval(method, x.mean(), replicates, 0.95, n)
                assert 0 <= low <= high <= 1 or method != "korn-graubard"
                below[method] += truth < low
                above[method] += truth > high
        misses = {m: (below[m] / reps, above[m] / reps) for m in below}
        # at the floor (n p ~ 2) an exact interval covers more than 99 %: Clopper-Pearson's own does there
        most = 0.995 if name == "mrr" else 0.99
        assert max(misses["korn-graubard"]) <= 0.04 and 0.90 <= 1 - sum(misses["korn-graubard"]) <= most, (name, misses)
        if name == "recall":
            assert misses["basic-bootstrap"][0] > 0.1, misses  # samples at the ceiling: zero width, above the truth
    # Korn and Graubard's own n* = p (1 - p) / v on the floor's samples (those with a hit): too narrow
    shrink = (1.959963984540054 / 2.009575237129235) ** 2
    samples = [x for x in (floor[0]() for _ in range(reps)) if x.any()]
    highs = [
        beta.ppf(0.975, p * m + 1, m - p * m)
        for p, m in ((x.mean(), x.mean() * (1 - x.mean()) / (x.var(ddof=1) / n) * shrink) for x in samples)
    ]
    assert np.mean(floor[1] > np.array(highs)) > 0.05
