"""The full geometry suite against independent oracles: IsoScore*, scikit-dimension, numpy, sklearn."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skdim
import torch
import yaml
from IsoScore import IsoScore
from sklearn.neighbors import NearestNeighbors

from mrlens.metrics import mean_abs_correlation, suite, uniformity_loss
from mrlens.metrics.draws import distinct_rows, sampling_draws
from mrlens.metrics.intrinsic import mle_dimension, twonn_dimension
from mrlens.metrics.isotropy import (
    average_cosine,
    isoscore_star_from_covariance,
    isoscore_unbiased,
    minibatches,
    participation_ratio,
    participation_ratio_unbiased,
    trace_square_unbiased,
)
from mrlens.metrics.outliers import outlier_dimensions, outlier_share
from mrlens.metrics.pairwise import prefix_pairwise
from mrlens.metrics.registry import record_of
from mrlens.metrics.rogue import contributions_from_sums, cosine_contributions
from mrlens.metrics.spectrum import covariance_spectrum, effective_rank, numerical_rank
from mrlens.metrics.suite import SuiteSettings, measure
from mrlens.metrics.truncation import PCA_FITS, STRATEGIES
from mrlens.resampling import interval, resampling_counts, seed_sequence


def manifold(n: int, d: int, intrinsic: int, seed: int = 0) -> np.ndarray:
    """Points on a random ``intrinsic``-dimensional linear subspace of R^d, plus a little noise."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, intrinsic)) @ rng.standard_normal((intrinsic, d)) + 0.01 * rng.standard_normal((n, d))
    ).astype(np.float32)


def test_isoscore_star_matches_reference_package() -> None:
    x = manifold(300, 20, 12).astype(np.float64)
    c0 = np.diag(np.linspace(0.5, 2.0, 20))
    for zeta in (0.0, 0.3, 1.0):
        expected = float(IsoScore.istar().IsoScore_star(x, torch.tensor(c0), zeta))
        assert isoscore_star_from_covariance(np.cov(x.T), zeta, c0) == pytest.approx(expected, rel=1e-5)


def test_average_cosine_matches_the_cosine_matrix() -> None:
    x = manifold(200, 16, 16) + 0.5
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = u @ u.T
    assert average_cosine(x) == pytest.approx((cos.sum() - np.trace(cos)) / (200 * 199), rel=1e-5)


def test_effective_and_numerical_rank_against_svd() -> None:
    x = manifold(500, 30, 7).astype(np.float64)
    centred = x - x.mean(axis=0)
    sigma = np.linalg.svd(centred, compute_uv=False)
    eigenvalues = covariance_spectrum(np.cov(x.T))
    np.testing.assert_allclose(np.sqrt(eigenvalues * 499), sigma, rtol=1e-6, atol=1e-9)
    p = sigma / sigma.sum()
    assert effective_rank(np.sqrt(eigenvalues)) == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-6)
    q = sigma**2 / (sigma**2).sum()
    assert effective_rank(eigenvalues) == pytest.approx(np.exp(-(q * np.log(q)).sum()), rel=1e-6)
    assert numerical_rank(eigenvalues, 1e-2) == np.linalg.matrix_rank(centred, tol=1e-2 * sigma[0]) == 7
    isotropic = np.random.default_rng(1).standard_normal((20000, 10))
    assert effective_rank(covariance_spectrum(np.cov(isotropic.T))) == pytest.approx(10, rel=0.01)
    assert effective_rank(np.array([3.0, 0.0, 0.0])) == pytest.approx(1.0)


def test_outlier_dimensions_hand_case() -> None:
    variances = np.array([1.0, 1.0, 60.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])  # mean 6.9
    found = outlier_dimensions(variances, k=5)
    assert found.tolist() == [2]
    assert outlier_share(variances, found) == pytest.approx(60 / 69)
    assert outlier_dimensions(variances, k=10).tolist() == []


@pytest.mark.parametrize("d, intrinsic", [(10, 3), (40, 6)])
def test_twonn_and_mle_match_scikit_dimension(d: int, intrinsic: int) -> None:
    x = manifold(1000, d, intrinsic, seed=d).astype(np.float64)
    distances, _ = NearestNeighbors(n_neighbors=21).fit(x).kneighbors(x)
    distances = distances[:, 1:]
    ours_twonn = twonn_dimension(distances[:, 0], distances[:, 1], 0.1)
    assert ours_twonn == pytest.approx(skdim.id.TwoNN(discard_fraction=0.1).fit(x).dimension_, rel=1e-6)
    assert mle_dimension(distances) == pytest.approx(skdim.id.MLE().fit(x, n_neighbors=20).dimension_, rel=1e-6)
    assert ours_twonn == pytest.approx(intrinsic, rel=0.25)


def test_pairwise_neighbours_match_sklearn() -> None:
    x = manifold(400, 24, 10)
    result = prefix_pairwise(x, [4, 12, 24], neighbours=5)
    for k in (4, 12, 24):
        expected, _ = (
            NearestNeighbors(n_neighbors=6).fit(x[:, :k].astype(np.float64)).kneighbors(x[:, :k].astype(np.float64))
        )
        np.testing.assert_allclose(result.neighbours[k], expected[:, 1:], rtol=1e-6)  # float32 coordinates


def test_suite_prefix_values_equal_the_metrics_of_sliced_arrays() -> None:
    x = manifold(600, 32, 20)
    table = measure(
        x, [8, 32], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=10)
    ).scalars.set_index(["dim", "metric"])["value"]
    for k in (8, 32):
        prefix = x[:, :k].astype(np.float64)
        assert table[(k, "isoscore")] == pytest.approx(isoscore_unbiased(prefix), rel=1e-5)
        assert table[(k, "isoscore")] > float(IsoScore.IsoScore(prefix))  # the published plug-in is biased down
        assert table[(k, "uniformity")] == pytest.approx(uniformity_loss(prefix), rel=1e-5)
        assert table[(k, "mean_abs_correlation")] == pytest.approx(mean_abs_correlation(prefix), rel=1e-8)
        assert table[(k, "average_cosine")] == pytest.approx(average_cosine(prefix), rel=1e-5, abs=1e-9)
        r = np.corrcoef(prefix.T)
        assert table[(k, "max_abs_correlation")] == pytest.approx(np.abs(r[~np.eye(k, dtype=bool)]).max(), rel=1e-8)
        assert table[(k, "twonn")] == pytest.approx(skdim.id.TwoNN().fit(prefix).dimension_, rel=1e-6)
        assert table[(k, "mle")] == pytest.approx(skdim.id.MLE().fit(prefix, n_neighbors=10).dimension_, rel=1e-6)


def test_strategies_agree_at_full_size_and_pca_concentrates_variance() -> None:
    x = manifold(500, 24, 24, seed=3)
    settings = SuiteSettings(
        strategies=("prefix", "random", "pca"), random_orderings=3, mle_neighbours=10, pca_fit="insample"
    )
    table = measure(x, [4, 24], settings).scalars.replace({"strategy": {"pca-insample": "pca"}})
    full = table[table["dim"] == 24].pivot(index="metric", columns="strategy", values="value")
    np.testing.assert_allclose(full["random"], full["prefix"], rtol=1e-5, atol=1e-7)  # a permutation changes nothing
    invariant = [m for m in full.index if record_of(m).rotation_invariant]
    np.testing.assert_allclose(full.loc[invariant, "pca"], full.loc[invariant, "prefix"], rtol=1e-5, atol=1e-7)
    small = table[(table["dim"] == 4) & (table["metric"] == "participation_ratio")].set_index("strategy")["value"]
    top4 = np.linalg.eigh(np.cov(x.astype(np.float64).T))[1][:, ::-1][:, :4]
    projected = x.astype(np.float64) @ top4
    fourth = (((projected - projected.mean(axis=0)) ** 2).sum(axis=1) ** 2).sum()
    expected = participation_ratio_unbiased(np.cov(projected.T), len(x), fourth)  # PR of the top-4 PCA components
    assert small["pca"] == pytest.approx(expected, rel=1e-5)


def test_rotating_strategies_report_only_the_metrics_a_rotation_leaves_unchanged() -> None:
    """The registry's rotation invariance is checked on data (a metric declared invariant takes the same
    value on x R, R a random rotation; one declared not changes), and PCA rows exist exactly for the
    invariant metrics: no PCA correlation (0 by construction) or outlier counts (of the rotation)."""
    rng = np.random.default_rng(11)
    x = manifold(400, 16, 16, seed=12)
    x[:, 3] *= 6  # an outlier dimension by variance
    x[:, 5] += 60  # by mean |value|, and a rogue dimension of the cosine
    rotation = np.linalg.qr(rng.standard_normal((16, 16)))[0]
    settings = SuiteSettings(mle_neighbours=10, strategies=("prefix", "pca"))
    tables = [
        measure(z, [16], settings).scalars.query("strategy == 'prefix'").set_index("metric")["value"]
        for z in (x, x @ rotation)
    ]
    for metric in suite.METRICS:
        same = tables[0][metric] == pytest.approx(tables[1][metric], rel=1e-4, abs=1e-6)
        assert same == record_of(metric).rotation_invariant, metric
    table = measure(x, [4, 16], settings).scalars
    for k in (4, 16):
        pca = set(table.loc[(table["strategy"] == "pca") & (table["dim"] == k), "metric"])
        assert pca == {m for m in suite.METRICS if record_of(m).rotation_invariant}
        assert not pca & {"mean_abs_correlation", "outliers_variance_count", "rogue_top_share"}


def test_duplicates_are_counted_and_intrinsic_dimension_uses_distinct_points() -> None:
    x = manifold(500, 12, 5).astype(np.float64)
    doubled = np.vstack([x, x[:50]])
    table = measure(
        doubled, [12], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=10)
    ).scalars.set_index("metric")["value"]
    assert table["duplicates"] == 50
    assert table["twonn"] == pytest.approx(skdim.id.TwoNN().fit(x).dimension_, rel=1e-6)
    assert table["uniformity"] == pytest.approx(
        uniformity_loss(doubled), rel=1e-6
    )  # duplicate pairs count, at distance 0
    assert table["isoscore"] == pytest.approx(isoscore_unbiased(doubled), rel=1e-8)


def test_intervals_are_seeded_named_and_hold_their_estimate() -> None:
    x = manifold(800, 16, 16, seed=5)
    settings = SuiteSettings(
        bootstrap=40, seed=1, mle_neighbours=10, strategies=("prefix", "pca", "random"), random_orderings=3
    )
    first = measure(x, [8, 16], settings).scalars
    second = measure(x, [8, 16], settings).scalars
    assert first.equals(second)
    finite = first.dropna(subset=["ci_low"])
    assert (finite["ci_low"] <= finite["value"]).all() and (finite["value"] <= finite["ci_high"]).all()
    assert first.loc[first["interval"] == "none", ["ci_low", "ci_high"]].isna().all().all()
    random = first[(first["strategy"] == "random") & (first["metric"] != "duplicates")]
    assert set(random["interval"]) == {"range-orderings"}
    assert set(first.loc[first["strategy"] == "pca", "interval"]) == {"none"}  # the basis is not refitted
    prefix = first[first["strategy"] == "prefix"].set_index(["dim", "metric"])
    assert prefix.loc[(16, "isoscore"), "interval"] == "ci95-split-halves"
    assert prefix.loc[(16, "twonn"), "interval"] == "none"  # no method covers the intrinsic dimension
    assert prefix.loc[(16, "duplicates"), "interval"] == "none"
    for metric in ("isoscore", "uniformity", "participation_ratio"):
        row = prefix.loc[(16, metric)]
        assert row["ci_low"] < row["ci_high"] < row["ci_low"] + 0.2 * abs(row["value"]) + 0.05, metric


def test_the_long_arm_points_away_from_each_metrics_extremum() -> None:
    """IsoScore and the participation ratio (largest at isotropy) reach further below than split halves'
    equal arms, the uniformity, the average cosine and the weighted mean r^2 (least at a symmetric point)
    further above, from the suite's own half-sample replicates; the other arm is split halves' own."""
    x = manifold(800, 16, 16, seed=5)
    result = measure(x, [16], SuiteSettings(strategies=("prefix",), bootstrap=40, seed=1, mle_neighbours=10))
    rows = result.scalars.set_index("metric")
    arms = {"isoscore": "low", "participation_ratio": "low", "uniformity": "high", "average_cosine": "high",
            "weighted_sq_correlation": "high"}  # fmt: skip
    for metric, arm in arms.items():
        assert record_of(metric).long_arm == arm
        row = rows.loc[metric]
        values = result.replicates.query("metric == @metric")["value"].to_numpy()
        low, high = interval(record_of(metric).interval, row["value"], values, 0.95, len(x))  # equal arms
        if arm == "low":
            assert row["ci_low"] < low and row["ci_high"] == pytest.approx(high), metric
        else:
            assert row["ci_low"] == pytest.approx(low) and row["ci_high"] > high, metric


def test_random_baseline_does_not_depend_on_the_bootstrap() -> None:
    x = manifold(300, 16, 10, seed=2)
    tables = [
        measure(
            x,
            [4, 16],
            SuiteSettings(bootstrap=b, strategies=("prefix", "random"), random_orderings=3, mle_neighbours=5),
        ).scalars
        for b in (0, 50)
    ]
    random = [t[t["strategy"] == "random"].reset_index(drop=True) for t in tables]
    pd.testing.assert_frame_equal(random[0], random[1])
    # prefix estimates too, up to the float32 weighted sums of the pairwise pass (one column vs 51)
    np.testing.assert_allclose(tables[0]["value"], tables[1]["value"], rtol=1e-7)


def test_replicates_are_paired_draws_of_the_same_documents() -> None:
    """Two embeddings of the same documents: replicate r of each is the metric of that embedding on
    the documents of draw r (the bias-corrected IsoScore on the resampled rows, shifted by the estimate
    minus the IsoScore package's plug-in; scikit-dimension's TwoNN on the half-sample), so a difference of
    replicate values is a paired resample."""
    x = manifold(200, 12, 12, seed=4)
    y = manifold(200, 12, 6, seed=9)
    settings = SuiteSettings(strategies=("prefix",), bootstrap=4, seed=3, mle_neighbours=5)
    methods = {"twonn": "subsampling", "isoscore": "basic-bootstrap"}  # as benchmarks/coverage.py asks for them
    boot = resampling_counts(200, 4, "bootstrap", seed=3)
    halves = resampling_counts(200, 4, "halves", seed=3)
    assert (halves[:, 0] + halves[:, 1] == 1).all() and (halves[:, 2] + halves[:, 3] == 1).all()  # complementary
    for z in (x, y):
        result = measure(z, [12], settings, methods=methods)
        replicates = result.replicates.set_index(["metric", "replicate"])["value"]
        shift = result.scalars.set_index("metric")["value"]["isoscore"] - float(IsoScore.IsoScore(z.astype(np.float64)))
        for r in range(4):
            resampled = np.repeat(z, boot[:, r], axis=0).astype(np.float64)
            assert replicates[("isoscore", r)] == pytest.approx(isoscore_unbiased(resampled) + shift, rel=1e-6)
            half = z[halves[:, r] > 0].astype(np.float64)
            assert replicates[("twonn", r)] == pytest.approx(skdim.id.TwoNN().fit(half).dimension_, rel=1e-6)
            fourth = (((half - half.mean(axis=0)) ** 2).sum(axis=1) ** 2).sum()  # split-halves: not shifted
            pr = participation_ratio_unbiased(np.cov(half.T), len(half), fourth)
            assert replicates[("participation_ratio", r)] == pytest.approx(pr, rel=1e-6)


def test_n_below_d_warns_that_the_sample_covariance_is_rank_deficient() -> None:
    x = np.random.default_rng(0).standard_normal((10, 20))
    with pytest.warns(UserWarning, match=r"n = 10 <= d = 20: the sample covariance has rank at most n - 1"):
        table = measure(x, [20], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=3)).scalars
    assert float(IsoScore.IsoScore(x)) <= (10 - 2) / (20 - 1) + 1e-12  # the published plug-in is capped
    value = table.set_index("metric")["value"]["isoscore"]
    assert value == pytest.approx(isoscore_unbiased(x)) and 0.0 <= value <= 1.0


def test_profiles_flag_an_outlier_dimension() -> None:
    x = np.random.default_rng(2).standard_normal((400, 20))
    x[:, 7] *= 10
    profiles = measure(x, [20], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=5)).profiles
    variance = profiles[profiles["kind"] == "variance"]
    assert variance.loc[variance["outlier"], "index"].tolist() == [7]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scalars = measure(
            x, [20], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=5)
        ).scalars.set_index("metric")["value"]
    assert scalars["outliers_variance_count"] == 1
    assert scalars["outliers_variance_share"] == pytest.approx(100 / 119, rel=0.05)


def test_isoscore_star_is_the_bias_corrected_form_over_the_suites_seeded_minibatches() -> None:
    """The estimate: over the mini-batches of the suite's own stream, IsoScore of (1 - zeta) C_b + zeta C0'
    with C0' the covariance of the other documents (np.cov of them, not the suite's rank update) and
    zeta^2 tr(C0'^2) replaced by the unbiased tr(Sigma^2) of all documents; the published form (the IsoScore
    package with C0 of all documents) is lower; the bootstrap replicates are centred on the estimate."""
    x = manifold(300, 12, 12, seed=6) + np.linspace(0.0, 3.0, 12, dtype=np.float32)
    settings = SuiteSettings(
        strategies=("prefix",),
        mle_neighbours=5,
        isoscore_star_sample_size=20,
        isoscore_star_samples=4,
        seed=2,
        bootstrap=3,
    )
    result = measure(x, [6, 12], settings)
    table = result.scalars.set_index(["dim", "metric"])["value"]
    replicates = result.replicates.set_index(["dim", "metric", "replicate"])["value"]
    points = x.astype(np.float64)
    batches = minibatches(np.arange(300), 20, 4, seed_sequence(2, "isoscore_star_batches", 0))
    for k in (6, 12):
        fourth = (((points[:, :k] - points[:, :k].mean(axis=0)) ** 2).sum(axis=1) ** 2).sum()
        unbiased = trace_square_unbiased(np.cov(points[:, :k].T), 300, fourth)
        expected, published = [], []
        for rows in batches:
            batch = np.cov(points[rows, :k].T)
            rest = np.cov(np.delete(points, rows, axis=0)[:, :k].T)
            shrunk = 0.8 * batch + 0.2 * rest
            squares = np.sum(shrunk * shrunk) - 0.04 * np.sum(rest * rest) + 0.04 * unbiased
            expected.append((np.trace(shrunk) ** 2 / squares - 1) / (k - 1))
            c0 = torch.tensor(np.cov(points[:, :k].T))
            published.append(float(IsoScore.IsoScore_star(points[rows, :k], c0, 0.2)))
        assert table[(k, "isoscore_star")] == pytest.approx(np.mean(expected), rel=1e-8)
        assert table[(k, "isoscore_star")] > np.mean(published)
        centre = np.mean([replicates[(k, "isoscore_star", r)] for r in range(3)])
        assert centre == pytest.approx(table[(k, "isoscore_star")], rel=1e-10)
    pr, d = participation_ratio(np.cov(points.T)), 12
    tautological = (d / (0.8**2 * d / pr + 0.2 * 1.8) - 1) / (d - 1)
    assert abs(table[(12, "isoscore_star")] - tautological) > 0.01


def test_exact_near_and_prefix_only_duplicates_are_measured_once_estimate_and_halves() -> None:
    """500 points, then 40 near-copies (1e-5 noise), 20 rows equal to others in their first 8 dimensions
    only, and 10 exact copies: at size 16 the 50 copies are one point with their original (scikit-dimension
    on the points without copies), at size 8 the prefix-only twins too; the count says so; each half-sample
    replicate keeps one point per cluster of the sample."""
    rng = np.random.default_rng(7)
    x = manifold(500, 16, 5, seed=7).astype(np.float64)
    twins = np.hstack([x[40:60, :8], rng.standard_normal((20, 8))])
    data = np.vstack([x, x[:40] + 1e-5 * rng.standard_normal((40, 16)), twins, x[60:70]])
    settings = SuiteSettings(strategies=("prefix",), mle_neighbours=10, bootstrap=3, seed=4)
    with pytest.warns(UserWarning, match="each cluster counts once"):
        result = measure(data, [8, 16], settings, methods={"twonn": "subsampling", "mle": "subsampling"})
    table = result.scalars.set_index(["dim", "metric"])["value"]
    distinct = {16: np.vstack([x, twins]), 8: x[:, :8]}
    assert table[(16, "duplicates")] == 50 and table[(8, "duplicates")] == 70
    for k, points in distinct.items():
        assert table[(k, "twonn")] == pytest.approx(skdim.id.TwoNN().fit(points).dimension_, rel=1e-6)
        assert table[(k, "mle")] == pytest.approx(skdim.id.MLE().fit(points, n_neighbors=10).dimension_, rel=1e-6)
    original = np.concatenate(
        [np.arange(500), np.arange(40), np.arange(500, 520), np.arange(60, 70)]
    )  # point of each document
    replicates = result.replicates.set_index(["dim", "metric", "replicate"])["value"]
    halves = resampling_counts(len(data), 3, "halves", seed=4)
    for r in range(3):
        kept = np.vstack([x, twins])[np.unique(original[halves[:, r] > 0])]
        expected = skdim.id.TwoNN().fit(kept).dimension_  # up to which copy of a cluster the half holds
        assert replicates[(16, "twonn", r)] == pytest.approx(expected, rel=1e-4)


def test_rogue_contributions_sum_to_the_suites_average_cosine_in_every_column() -> None:
    """Per weight column (the sample with duplicate documents, bootstrap replicates), the per-dimension
    contributions the suite accumulates sum to its average cosine."""
    x = manifold(150, 10, 10, seed=8) + np.arange(10, dtype=np.float32) / 4
    x = np.vstack([x, x[:7]])
    unique, inverse = distinct_rows(x)
    settings = SuiteSettings(strategies=("prefix",), bootstrap=5, mle_neighbours=5)
    draws = sampling_draws(len(x), inverse, len(unique), ["basic-bootstrap"], settings.bootstrap, settings.seed)
    metrics = suite._all_metrics(unique, draws, [4, 10], settings, None)
    _, sums, squares = suite._weighted_sums(unique, draws, [4, 10])
    for k in (4, 10):
        contributions = contributions_from_sums(sums[k], squares[k], draws.pairs)
        np.testing.assert_allclose(contributions.sum(axis=1), metrics[(k, "average_cosine")], rtol=1e-12)


def test_rogue_dimensions_match_all_pairs_for_the_sample_and_a_replicate() -> None:
    """Top-3 share and count of the expected cosine of the re-normalised prefix, against a direct mean over
    every ordered pair of distinct documents (a replicate's repeated draws of one document left out)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((120, 8)) + np.array([4.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 2.0])
    settings = SuiteSettings(
        strategies=("prefix",), bootstrap=2, seed=5, mle_neighbours=5, rogue_top=3, rogue_factor=2.0
    )
    result = measure(x, [4, 8], settings, methods={"rogue_top_share": "basic-bootstrap"})
    table = result.scalars.set_index(["dim", "metric"])["value"]
    replicates = result.replicates.set_index(["dim", "metric", "replicate"])["value"]
    boot = resampling_counts(120, 2, "bootstrap", seed=5)
    for k in (4, 8):
        for counts, got in (
            (np.ones(120, dtype=int), table[(k, "rogue_top_share")]),
            (boot[:, 1], replicates[(k, "rogue_top_share", 1)]),
        ):
            documents = np.repeat(np.arange(120), counts)
            u = x[documents, :k] / np.linalg.norm(x[documents, :k], axis=1, keepdims=True)
            distinct = documents[:, None] != documents[None, :]
            contributions = (u[:, None, :] * u[None, :, :])[distinct].mean(axis=0)
            shares = contributions / contributions.sum()
            assert got == pytest.approx(np.sort(shares)[-3:].sum(), rel=1e-9)
        shares_all = cosine_contributions(x[:, :k]) / average_cosine(x[:, :k])
        assert table[(k, "rogue_count")] == (shares_all > 2.0 / k).sum() >= 1


def test_heldout_pca_is_fitted_on_one_half_and_measured_on_the_other() -> None:
    """The default basis comes from a seeded half of the documents (its own stream) and the other half is
    measured (n = that half): its rows equal the prefix metrics of the measured half rotated by the
    eigenvectors of the fit half's covariance, computed here by hand; the in-sample basis, asked for, is
    named pca-insample and differs; a basis from other documents (``fit``) measures every document."""
    x = manifold(400, 16, 16, seed=13) * np.linspace(3.0, 0.5, 16, dtype=np.float32)
    settings = SuiteSettings(strategies=("prefix", "pca"), mle_neighbours=10, seed=3)
    table = measure(x, [4, 16], settings).scalars.set_index(["strategy", "dim", "metric"])
    order = np.random.default_rng(seed_sequence(3, "pca_split")).permutation(400)
    fit_half, measured = np.sort(order[:200]), np.sort(order[200:])
    basis = np.linalg.eigh(np.cov(x[fit_half].astype(np.float64).T))[1][:, ::-1]
    by_hand = measure(
        x[measured] @ basis, [4, 16], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=10, seed=3)
    ).scalars.set_index(["dim", "metric"])
    for metric in ("isoscore", "participation_ratio", "effective_rank_sigma", "uniformity", "twonn", "average_cosine"):
        for k in (4, 16):
            assert table.loc[("pca", k, metric), "value"] == pytest.approx(
                by_hand.loc[(k, metric), "value"], rel=1e-4, abs=1e-7
            )
    assert set(table.loc["pca", "n"]) == {200} and set(table.loc["prefix", "n"]) == {400}
    insample = measure(x, [4], replace(settings, pca_fit="insample")).scalars.set_index(["strategy", "metric"])["value"]
    assert "pca" not in insample.index.get_level_values(0)
    own_basis = np.linalg.eigh(np.cov(x.astype(np.float64).T))[1][:, ::-1]
    expected = measure(
        x @ own_basis, [4], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=10)
    ).scalars.set_index("metric")["value"]
    assert insample[("pca-insample", "participation_ratio")] == pytest.approx(expected["participation_ratio"], rel=1e-5)
    assert (
        abs(insample[("pca-insample", "participation_ratio")] - table.loc[("pca", 4, "participation_ratio"), "value"])
        > 1e-3
    )
    other = manifold(300, 16, 16, seed=14)
    fitted = measure(x, [4], settings, fit=other).scalars.query("strategy == 'pca'").set_index("metric")
    other_basis = np.linalg.eigh(np.cov(other.astype(np.float64).T))[1][:, ::-1]
    expected = measure(
        x @ other_basis, [4], SuiteSettings(strategies=("prefix",), bootstrap=0, mle_neighbours=10)
    ).scalars.set_index("metric")["value"]
    assert fitted.loc["isoscore", "value"] == pytest.approx(expected["isoscore"], rel=1e-5) and set(fitted["n"]) == {
        400
    }
    with pytest.raises(ValueError, match="analysis.pca_fit"):
        measure(x, [4], replace(settings, pca_fit="elsewhere"))


def test_the_schemas_strategies_and_pca_fits_are_the_registrys() -> None:
    schema = yaml.safe_load((Path(__file__).parents[1] / "workflow" / "schemas" / "config.schema.yaml").read_text())
    analysis = schema["properties"]["analysis"]["properties"]
    assert analysis["strategies"]["items"]["enum"] == list(STRATEGIES)
    assert (
        analysis["pca_fit"]["enum"] == list(PCA_FITS)
        and analysis["pca_fit"]["default"] == SuiteSettings(strategies=("prefix",), bootstrap=0).pca_fit
    )


def test_metrics_without_interval_get_no_replicate_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """IsoScore* without interval (``none``) is computed once, on the sample, not on each of the 5
    replicates; with its interval it is computed on every replicate."""
    calls = []
    original = suite._isoscore_star
    monkeypatch.setattr(suite, "_isoscore_star", lambda *args: calls.append(args[-1]) or original(*args))
    x = manifold(200, 8, 8, seed=1)
    settings = SuiteSettings(strategies=("prefix",), bootstrap=5, mle_neighbours=5, isoscore_star_sample_size=16)
    result = measure(x, [8], settings, methods={"isoscore_star": "none"})
    assert calls == [0] and "isoscore_star" not in set(result.replicates["metric"])
    calls.clear()
    result = measure(x, [8], settings)
    assert calls == list(range(6)) and (result.replicates["metric"] == "isoscore_star").sum() == 5


def test_isotropic_data_report_clipped_estimates_with_intervals_from_the_raw_replicates() -> None:
    """At an isotropic population's maximum the raw bias-corrected IsoScore falls on either side of 1: the
    reported value and both bounds lie in [0, 1] and hold each other, the interval is not degenerate,
    and the half-sample replicates (split halves) keep their raw values, some above 1."""
    x = np.random.default_rng(21).standard_normal((600, 8)).astype(np.float32)
    result = measure(x, [8], SuiteSettings(strategies=("prefix",), bootstrap=40, seed=1, mle_neighbours=5))
    row = result.scalars.set_index("metric").loc["isoscore"]
    assert row["interval"] == "ci95-split-halves"
    assert 0.0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 1.0 and row["ci_low"] < 1.0 - 1e-4
    replicates = result.replicates.query("metric == 'isoscore'")["value"]
    assert (replicates > 1.0).any() and (replicates < 1.0).any()


def test_too_few_half_samples_give_no_interval_and_say_so() -> None:
    """Split halves needs two complete splits: with two replicates (one split) the row has no bounds and
    its ``interval`` says ``none``, not a CI it does not have."""
    x = manifold(200, 8, 8, seed=2)
    table = measure(x, [8], SuiteSettings(strategies=("prefix",), bootstrap=2, mle_neighbours=5)).scalars
    row = table.set_index("metric").loc["isoscore"]
    assert np.isnan(row["ci_low"]) and row["interval"] == "none"
    row = table.set_index("metric").loc["isoscore_star"]  # basic bootstrap: two replicates are enough
    assert row["interval"] == "ci95-basic-bootstrap" and row["ci_low"] <= row["value"] <= row["ci_high"]


def test_excess_kurtosis_is_zero_for_gaussians_and_six_over_nu_minus_four_for_t() -> None:
    """The closed forms: excess kurtosis 0 for a Gaussian, 6 / (nu - 4) for Student's t (here nu = 10:
    1.0), -1.2 for a uniform; the suite reports their mean over the kept dimensions, without interval."""
    from mrlens.metrics.kurtosis import excess_kurtosis

    rng = np.random.default_rng(0)
    n = 400_000
    x = np.column_stack([rng.standard_normal(n), rng.standard_t(10, n), rng.uniform(size=n), np.ones(n)])
    found = excess_kurtosis(x)
    assert found[:3] == pytest.approx([0.0, 1.0, -1.2], abs=0.08) and np.isnan(found[3])
    rows = np.arange(6)
    assert excess_kurtosis(x[rows[[0, 0, 1, 2, 3, 4, 5]]]) == pytest.approx(
        excess_kurtosis(x[:6], weights=np.array([2, 1, 1, 1, 1, 1])), nan_ok=True
    )
    x = np.column_stack([rng.standard_normal((3000, 4)), rng.standard_t(10, (3000, 4))])
    table = suite.geometry_table(x, [4, 8], SuiteSettings(bootstrap=4, strategies=("prefix",)))
    got = table[table["metric"] == "excess_kurtosis"].set_index("dim")
    assert got.loc[4, "value"] == pytest.approx(0.0, abs=0.25) and got.loc[8, "value"] == pytest.approx(0.5, abs=0.3)
    assert (got["interval"] == "none").all()
