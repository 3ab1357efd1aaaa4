"""Each metric against an independent oracle: the IsoScore package, closed forms, numpy, torch.pdist."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from IsoScore import IsoScore

from mrlens.metrics import (
    geometry_table,
    isoscore,
    mean_abs_correlation,
    participation_ratio,
    uniformity_by_prefix,
    uniformity_loss,
)
from mrlens.metrics.covariance import covariance
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
        assert table[(k, "isoscore")] == pytest.approx(float(IsoScore.IsoScore(x[:, :k])), rel=1e-5)
        assert table[(k, "mean_abs_correlation")] == pytest.approx(mean_abs_correlation(x[:, :k]), rel=1e-10)
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
