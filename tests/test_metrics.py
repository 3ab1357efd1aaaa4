"""Each metric against an independent oracle: the IsoScore package, closed forms, numpy, torch.pdist."""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest
import torch
from IsoScore import IsoScore
from scipy.special import hyp2f1

from mrlens.metrics import (
    geometry_table,
    isoscore,
    isoscore_unbiased,
    mean_abs_correlation,
    mean_sq_correlation,
    participation_ratio,
    uniformity_by_prefix,
    uniformity_loss,
)
from mrlens.metrics.correlation import olkin_pratt_mean_sq_correlation
from mrlens.metrics.covariance import covariance, weighted_fourth_moments
from mrlens.metrics.isotropy import (
    isoscore_from_covariance,
    isoscore_star_by_prefix,
    isoscore_star_unbiased_by_prefix,
    isoscore_unbiased_from_covariance,
    minibatches,
    participation_ratio_unbiased,
    trace_square_unbiased,
)
from mrlens.metrics.suite import SuiteSettings

RNG = np.random.default_rng(0)


def correlated(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + rng.standard_normal(d)


@pytest.mark.parametrize("n, d", [(500, 40), (60, 40), (2000, 8), (300, 100)])
def test_isoscore_matches_reference_package(n: int, d: int) -> None:
    x = correlated(n, d, seed=n + d)
    assert isoscore(x) == pytest.approx(float(IsoScore.IsoScore(x)), rel=1e-5)


def test_isoscore_equals_participation_ratio_closed_form() -> None:
    x = correlated(400, 30)
    eigenvalues = np.linalg.eigvalsh(np.cov(x.T))
    pr = eigenvalues.sum() ** 2 / (eigenvalues**2).sum()
    assert participation_ratio(np.cov(x.T)) == pytest.approx(pr, rel=1e-10)
    assert isoscore(x) == pytest.approx((pr - 1) / (30 - 1), rel=1e-10)


def test_isoscore_hand_cases() -> None:
    isotropic = RNG.standard_normal((20000, 16))
    assert isoscore(isotropic) > 0.99
    line = np.outer(RNG.standard_normal(500), RNG.standard_normal(16))  # rank 1
    assert isoscore(line) == pytest.approx(0.0, abs=1e-9)
    # n <= d: the covariance has rank n - 1, so the score is capped at (n - 2)/(d - 1)
    few = RNG.standard_normal((10, 50))
    assert isoscore(few) <= (10 - 2) / (50 - 1) + 1e-12


def test_uniformity_matches_all_pairs_computation() -> None:
    x = correlated(300, 24).astype(np.float32)
    for k in (4, 10, 24):
        u = torch.nn.functional.normalize(torch.tensor(x[:, :k], dtype=torch.float64), dim=1)
        direct = torch.pdist(u).pow(2).mul(-2.0).exp().mean().log().item()
        assert uniformity_by_prefix(x, [4, 10, 24])[k] == pytest.approx(direct, rel=1e-5)
    u = torch.nn.functional.normalize(torch.tensor(x, dtype=torch.float64), dim=1)
    assert uniformity_loss(x, t=0.5) == pytest.approx(
        torch.pdist(u).pow(2).mul(-0.5).exp().mean().log().item(), rel=1e-5
    )


def test_uniformity_blocks_agree_with_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    x = correlated(257, 12)
    whole = uniformity_by_prefix(x, [3, 12])
    monkeypatch.setattr("mrlens.metrics.pairwise.MAX_BLOCK_ELEMENTS", 257 * 7)  # 7 rows a block
    assert uniformity_by_prefix(x, [3, 12]) == pytest.approx(whole, rel=1e-6)


def test_uniformity_bounds() -> None:
    identical = np.ones((50, 8))
    assert uniformity_loss(identical) == pytest.approx(0.0, abs=1e-6)  # every distance is 0
    antipodal = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert uniformity_loss(antipodal) == pytest.approx(-8.0)  # ||x - y||^2 = 4, t = 2
    assert uniformity_loss(RNG.standard_normal((400, 64))) >= -4 * 400 / 399


def test_uniformity_rejects_zero_prefix() -> None:
    x = RNG.standard_normal((20, 6))
    x[3, :2] = 0.0
    with pytest.raises(ValueError, match="document 3 has an all-zero prefix of size 2"):
        uniformity_by_prefix(x, [2, 6])


def test_mean_abs_correlation_matches_numpy() -> None:
    x = correlated(400, 20)
    r = np.corrcoef(x.T)
    expected = (np.abs(r).sum() - 20) / (20 * 19)
    assert mean_abs_correlation(x) == pytest.approx(expected, rel=1e-10)
    floor = np.sqrt(2 / (np.pi * 20000))  # independent dimensions: E|r| ~ sqrt(2 / (pi n))
    assert mean_abs_correlation(RNG.standard_normal((20000, 10))) == pytest.approx(floor, rel=0.15)


def test_constant_dimension_is_left_out_of_correlation_with_a_warning() -> None:
    x = correlated(300, 6)
    with_constant = np.column_stack([x, np.full(300, 3.0)])
    with pytest.warns(UserWarning, match="1 constant dimension"):
        value = mean_abs_correlation(with_constant)
    assert value == pytest.approx(mean_abs_correlation(x), rel=1e-12)


def test_covariance_in_blocks_matches_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    x = correlated(1000, 9).astype(np.float32)
    monkeypatch.setattr(importlib.import_module("mrlens.metrics.covariance"), "ROW_BLOCK", 77)
    np.testing.assert_allclose(covariance(x), np.cov(x.astype(np.float64).T), rtol=1e-6, atol=1e-8)


def test_geometry_table_prefixes_match_metrics_on_sliced_arrays() -> None:
    x = correlated(500, 32)
    table = geometry_table(x, [8, 32, 16], SuiteSettings(strategies=("prefix",), bootstrap=0)).set_index(
        ["dim", "metric"]
    )["value"]
    for k in (8, 16, 32):
        assert table[(k, "isoscore")] == pytest.approx(isoscore_unbiased(x[:, :k]), rel=1e-8)
        assert table[(k, "mean_abs_correlation")] == pytest.approx(mean_abs_correlation(x[:, :k]), rel=1e-10)
        assert table[(k, "mean_sq_correlation")] == pytest.approx(mean_sq_correlation(x[:, :k]), rel=1e-10)
        assert table[(k, "uniformity")] == pytest.approx(uniformity_loss(x[:, :k]), rel=1e-6)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "non-finite value .* in row 0"),
        (np.ones((1, 4)), "at least 2 documents"),
        (np.ones(4), "2-D array"),
    ],
)
def test_bad_input_is_rejected(x: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        geometry_table(x, [1])


def test_sizes_out_of_range_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"truncation sizes must lie in \[1, 4\]"):
        geometry_table(np.ones((5, 4)), [8])


def _fourth(x: np.ndarray) -> float:
    return float((((x - x.mean(axis=0)) ** 2).sum(axis=1) ** 2).sum())


def test_unbiased_trace_square_is_the_u_statistic_over_distinct_quadruples() -> None:
    """Brute force over the 7 * 6 * 5 * 4 ordered quadruples of distinct points of skewed data:
    ``((x_i - x_j)^T (x_k - x_l))^2 / 4`` has expectation tr(Sigma^2) for any distribution."""
    x = np.random.default_rng(3).standard_normal((7, 3)) ** 3 + 1.0
    brute = np.mean([((x[i] - x[j]) @ (x[k] - x[m])) ** 2 / 4 for i, j, k, m in itertools.permutations(range(7), 4)])
    assert trace_square_unbiased(np.cov(x.T), 7, _fourth(x)) == pytest.approx(brute, rel=1e-10)


@pytest.mark.parametrize("heavy", [False, True])
def test_unbiased_trace_square_averages_to_the_population_value_where_the_plug_in_does_not(heavy: bool) -> None:
    """4,000 samples of n = 12 points in 6 dimensions, Gaussian or t with 5 degrees of freedom (scaled to
    covariance Sigma): the mean estimate is tr(Sigma^2) = 22.2 within its Monte-Carlo error; the plug-in
    tr(S^2) averages about ((tr Sigma)^2 + tr(Sigma^2)) / n higher."""
    rng = np.random.default_rng(11)
    factor = np.diag([2.0, 1.5, 1.0, 0.5, 0.5, 0.2])
    sigma = factor @ factor.T
    truth = float(np.sum(sigma * sigma))
    estimates, plug_ins = [], []
    for _ in range(4000):
        z = rng.standard_normal((12, 6))
        if heavy:
            z *= np.sqrt(3 / 5 * 5 / rng.chisquare(5, (12, 1)))  # t_5 has variance 5/3: scaled to 1
        x = z @ factor.T
        cov = np.cov(x.T)
        estimates.append(trace_square_unbiased(cov, 12, _fourth(x)))
        plug_ins.append(np.sum(cov * cov))
    error = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - truth) < 3 * error
    assert np.mean(plug_ins) - truth > 0.5 * (np.trace(sigma) ** 2 + truth) / 12 > 5 * error


def test_weighted_fourth_moments_equal_those_of_the_repeated_rows() -> None:
    x = correlated(50, 7, seed=2)
    weights = np.random.default_rng(4).integers(0, 3, (50, 3))
    got = weighted_fourth_moments(x, weights, [2, 7])
    for c in range(3):
        repeated = np.repeat(x, weights[:, c], axis=0)
        assert got[c] == pytest.approx([_fourth(repeated[:, :2]), _fourth(repeated)], rel=1e-9)


def test_bias_corrected_isoscore_recovers_isotropy_and_stays_in_range() -> None:
    """1,500 isotropic points in 128 dimensions: the published IsoScore is about 0.92 (PR ~ 118), the
    bias-corrected one 1 within 0.01; rank-1 data gives about 0 and the value never leaves [0, 1] (n <= d
    too)."""
    x = np.random.default_rng(5).standard_normal((1500, 128))
    assert isoscore(x) == pytest.approx(0.92, abs=0.01)
    assert isoscore_unbiased(x) == pytest.approx(1.0, abs=0.01)
    line = np.outer(RNG.standard_normal(200), RNG.standard_normal(16))  # (tr S)^2 keeps a bias ~ 2 / n here
    assert isoscore_unbiased(line) == pytest.approx(0.0, abs=2 / 200 / 15)
    for seed in range(20):
        few = np.random.default_rng(seed).standard_normal((6, 40))
        assert 0.0 <= isoscore_unbiased(few) <= 1.0
        cov = np.cov(few.T)
        assert 1.0 <= participation_ratio_unbiased(cov, 6, _fourth(few)) <= 40.0
    with pytest.raises(ValueError, match="at least 4 points"):
        trace_square_unbiased(np.eye(2), 3, 1.0)


def test_raw_estimates_fall_on_both_sides_of_an_isotropic_maximum_and_clip_to_the_reported_ones() -> None:
    """The bias-corrected PR of isotropic samples is unbiased for d, so its raw value (``in_range=False``)
    exceeds d in about half of the samples: the in-range value is min(raw, d), the raw one is what
    resampling sees. Likewise Olkin-Pratt's rho^2 of independent dimensions is below 0 about half the time."""
    d, raws, clipped, rho2 = 16, [], [], []
    for seed in range(40):
        x = np.random.default_rng(seed).standard_normal((400, d))
        cov, fourth = np.cov(x.T), _fourth(x)
        raws.append(participation_ratio_unbiased(cov, 400, fourth, in_range=False))
        clipped.append(participation_ratio_unbiased(cov, 400, fourth))
        assert isoscore_unbiased_from_covariance(cov, 400, fourth, in_range=False) == pytest.approx((raws[-1] - 1) / 15)
        r = np.corrcoef(x.T)[~np.eye(d, dtype=bool)]
        rho2.append(olkin_pratt_mean_sq_correlation(r, 400, in_range=False))
        assert olkin_pratt_mean_sq_correlation(r, 400) == max(rho2[-1], 0.0)
    assert clipped == pytest.approx(np.minimum(raws, d))
    assert 10 <= sum(v > d for v in raws) <= 30 and np.mean(raws) == pytest.approx(d, abs=0.02)
    assert 10 <= sum(v < 0 for v in rho2) <= 30 and abs(np.mean(rho2)) < 1.5e-4  # plug-in r^2: 1 / 399


def test_olkin_pratt_mean_sq_correlation_matches_the_exact_hypergeometric_form() -> None:
    """Against scipy's 2F1 in Olkin & Pratt's closed form, pair by pair and as a mean over pairs, within the
    series' remainder (the next term, 6 / (n/2)_3 (1 - r^2)^4 < 50 / n^3)."""
    r = np.array([0.01, 0.05, 0.3, -0.6, 0.95])
    for n in (60, 200):  # scipy's 2F1 returns NaN near z = 1 for c = n / 2 in the hundreds
        exact = 1 - (n - 3) / (n - 2) * (1 - r**2) * hyp2f1(1, 1, n / 2, 1 - r**2)
        for value, single in zip(exact, r, strict=True):
            assert olkin_pratt_mean_sq_correlation(np.array([single]), n) == pytest.approx(max(value, 0), abs=50 / n**3)
        assert olkin_pratt_mean_sq_correlation(r, n) == pytest.approx(exact.mean(), abs=50 / n**3)
    assert olkin_pratt_mean_sq_correlation(np.array([1.0]), 50) == 1.0
    with pytest.raises(ValueError, match="at least 4 points"):
        olkin_pratt_mean_sq_correlation(r, 3)


@pytest.mark.parametrize("rho", [0.0, 0.3])
def test_olkin_pratt_mean_sq_correlation_is_unbiased_where_the_plug_in_is_not(rho: float) -> None:
    """n = 60, 4,000 samples of two dimensions: independent log-normal ones (far from Gaussian) or Gaussian
    ones with rho = 0.3; the mean estimate (unclipped: the mean of single-pair estimates, before the clip)
    is rho^2 within 3 Monte-Carlo errors, the plug-in r^2 more than 5 errors above it."""
    rng = np.random.default_rng(8)
    n, estimates, plug_ins = 60, [], []
    for _ in range(4000):
        z = rng.standard_normal((n, 2))
        x = np.column_stack([z[:, 0], rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]])
        r = np.corrcoef(np.exp(x).T if rho == 0 else x.T)[0, 1]
        plug_ins.append(r**2)
        lifted = 1 - (n - 3) / (n - 2) * (1 - r**2) * hyp2f1(1, 1, n / 2, 1 - r**2)  # exact, unclipped
        estimates.append(lifted)
        assert olkin_pratt_mean_sq_correlation(np.array([r]), n) == pytest.approx(max(lifted, 0.0), abs=50 / n**3)
    error = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - rho**2) < 3 * error
    assert np.mean(plug_ins) - rho**2 > 5 * error


def test_mean_sq_correlation_matches_numpy() -> None:
    x = correlated(120, 12)
    r = np.corrcoef(x.T)[~np.eye(12, dtype=bool)]
    exact = 1 - 117 / 118 * (1 - r**2) * hyp2f1(1, 1, 60, 1 - r**2)
    assert mean_sq_correlation(x) == pytest.approx(exact.mean(), abs=50 / 120**3)


def test_bias_corrected_isoscore_star_averages_to_the_population_value_where_the_published_form_does_not() -> None:
    """400 samples of 100 Gaussian points in 16 dimensions (variances 2 to 0.5), 10 mini-batches of 16 each,
    zeta = 0.2: the mean estimate is within 3 Monte-Carlo errors of the population IsoScore* (20,000 fresh
    batches shrunk towards Sigma itself); the published form, shrunk towards the sample's C0 (which holds
    the batch), is more than 10 errors below it. With zeta = 0 both are the batches' mean IsoScore."""
    rng = np.random.default_rng(0)
    d, n, m = 16, 100, 16
    root = np.diag(np.sqrt(np.linspace(2.0, 0.5, d)))
    sigma = root @ root
    truth = np.mean(
        [
            isoscore_from_covariance(0.8 * np.cov((rng.standard_normal((m, d)) @ root).T) + 0.2 * sigma)
            for _ in range(20000)
        ]
    )
    unbiased, published = [], []
    for seed in range(400):
        x = rng.standard_normal((n, d)) @ root
        batches = minibatches(np.arange(n), m, 10, seed)
        c0, fourth = np.cov(x.T), [_fourth(x)]
        unbiased.append(isoscore_star_unbiased_by_prefix(x, [d], c0, x.mean(axis=0), n, fourth, 0.2, batches)[d])
        published.append(isoscore_star_by_prefix(x, [d], c0, 0.2, batches)[d])
        if seed < 3:
            plain = isoscore_star_by_prefix(x, [8, d], c0, 0.0, batches)
            assert isoscore_star_unbiased_by_prefix(
                x, [8, d], c0, x.mean(axis=0), n, [_fourth(x[:, :8]), *fourth], 0.0, batches
            ) == pytest.approx(plain)
    error = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased) - truth) < 3 * error
    assert np.mean(published) - truth < -10 * error


def test_weighted_sq_correlation_of_a_heavy_tailed_twin_is_unbiased() -> None:
    """Twins with the same covariance, one Gaussian, one multivariate t on 5 degrees of freedom (n = 200,
    d = 8): the truth of their difference is 0. The Olkin-Pratt mean r^2 (unbiased for Gaussians) puts it
    about 0.006 above; the variance-weighted mean r^2 from unbiased squared covariances does not."""
    from mrlens.metrics.correlation import correlation_from_covariance, off_diagonal, weighted_sq_correlation

    rng = np.random.default_rng(0)
    n, d = 200, 8
    factor = np.linalg.qr(rng.standard_normal((d, d)))[0] * np.sqrt(1 / np.arange(1, d + 1))
    sigma = factor @ factor.T
    off = ~np.eye(d, dtype=bool)
    truth = (sigma**2)[off].sum() / np.outer(np.diag(sigma), np.diag(sigma))[off].sum()
    weighted, olkin_pratt = [], []
    for _ in range(1000):
        gaussian = rng.standard_normal((n, d)) @ factor.T
        heavy = rng.standard_normal((n, d)) @ factor.T * np.sqrt(3 / rng.chisquare(5, (n, 1)))  # covariance sigma
        weighted.append(weighted_sq_correlation(heavy) - weighted_sq_correlation(gaussian))
        op = [
            olkin_pratt_mean_sq_correlation(off_diagonal(correlation_from_covariance(np.cov(x.T))), n, False)
            for x in (heavy, gaussian)
        ]
        olkin_pratt.append(op[0] - op[1])
    se = np.std(weighted) / np.sqrt(len(weighted))
    assert abs(np.mean(weighted)) < 3 * se and np.mean(olkin_pratt) > 0.004  # the Gaussian-unbiased one is not
    assert weighted_sq_correlation(gaussian) == pytest.approx(truth, abs=0.03)


def test_fourth_moment_metrics_report_no_interval_where_the_tails_are_heavy() -> None:
    """A sample of 300 from a multivariate t on 4 degrees of freedom (infinite fourth moments; its mean
    excess kurtosis over 64 dimensions lies above 1.2 in every sample of 200 or more): IsoScore, the
    participation ratio and the weighted mean r^2 rest on fourth moments and get no interval
    (``none-heavy-tails``: no bounds, no replicates, so no paired difference); the uniformity, a mean of a
    bounded kernel, keeps its own. A Gaussian sample of the same covariance keeps all of them."""
    import warnings

    from mrlens.metrics.kurtosis import HEAVY_TAILS
    from mrlens.metrics.registry import LIGHT_TAILED_METRICS, method_of
    from mrlens.metrics.suite import measure
    from mrlens.resampling import label_words

    assert set(LIGHT_TAILED_METRICS) == {"isoscore", "participation_ratio", "weighted_sq_correlation"}
    assert all(method_of(m) != "none" for m in LIGHT_TAILED_METRICS)
    rng = np.random.default_rng(2)
    gaussian = rng.standard_normal((300, 64)) / np.sqrt(np.arange(1, 65))
    heavy = gaussian * np.sqrt(2 / rng.chisquare(4, (300, 1)))
    settings = SuiteSettings(bootstrap=20, strategies=("prefix",))
    for x, tails in ((heavy, True), (gaussian, False)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = measure(x.astype(np.float32), [16, 64], settings)
        rows = found.scalars.set_index(["dim", "metric"])
        for k in (16, 64):
            assert (rows.loc[(k, "excess_kurtosis"), "value"] > HEAVY_TAILS) == tails
            for m in LIGHT_TAILED_METRICS:
                assert rows.loc[(k, m), "interval"] == ("none-heavy-tails" if tails else f"ci95-{method_of(m)}")
                assert np.isnan(rows.loc[(k, m), "ci_low"]) == tails
            assert rows.loc[(k, "uniformity"), "interval"] == "ci95-split-halves"
        assert set(LIGHT_TAILED_METRICS).isdisjoint(found.replicates["metric"]) == tails
    assert label_words("none-heavy-tails") == "no interval (heavy tails)"


def test_weighted_sq_correlation_in_the_suite_is_the_function_on_the_prefix() -> None:
    from mrlens.metrics.correlation import weighted_sq_correlation
    from mrlens.metrics.suite import SuiteSettings, measure

    x = np.random.default_rng(2).standard_normal((300, 6)) @ np.triu(np.ones((6, 6)))
    table = measure(x, [3, 6], SuiteSettings(bootstrap=0, strategies=("prefix",))).scalars.set_index(["dim", "metric"])
    for k in (3, 6):
        assert table.loc[(k, "weighted_sq_correlation"), "value"] == pytest.approx(weighted_sq_correlation(x[:, :k]))
