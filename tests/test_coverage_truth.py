"""benchmarks/coverage.py: the truths of its finite population of real embeddings, against brute force; its sides run."""

from __future__ import annotations

import argparse
import importlib.util

import numpy as np
import pytest
from conftest import ROOT


def _coverage():
    spec = importlib.util.spec_from_file_location("coverage_benchmark", ROOT / "benchmarks" / "coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_real_truth_is_the_empirical_distributions_value() -> None:
    """Two independent draws from N points may be the same point: the truth averages over all N^2 ordered
    pairs, and its covariance divides by N."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 6)) + np.array([2.0, 0, 0, 1.0, 0, 0])
    truth = _coverage().real_truth(x, 4, t=2.0)
    u = x[:, :4] / np.linalg.norm(x[:, :4], axis=1, keepdims=True)
    pairs = [(a, b) for a in u for b in u]
    assert np.isclose(truth["average_cosine"], np.mean([a @ b for a, b in pairs]))
    assert np.isclose(truth["uniformity"], np.log(np.mean([np.exp(-2.0 * np.sum((a - b) ** 2)) for a, b in pairs])))
    centred = x[:, :4] - x[:, :4].mean(axis=0)
    eigenvalues = np.linalg.eigvalsh(centred.T @ centred / len(x))
    assert np.isclose(truth["participation_ratio"], eigenvalues.sum() ** 2 / (eigenvalues**2).sum())
    assert np.isclose(truth["isoscore"], (truth["participation_ratio"] - 1) / 3)


def test_finite_population_truth_averages_over_distinct_documents() -> None:
    """Drawn without replacement no document is paired with itself: the truth of the average cosine and the
    uniformity averages over the N (N - 1) ordered pairs of distinct rows, and every sample of n = N rows
    (the whole population) estimates exactly that."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((30, 6)) + np.array([2.0, 0, 0, 1.0, 0, 0])).astype(np.float32)
    truth = _coverage().finite_population_truth(x, [4], ["average_cosine", "uniformity"])[4]
    u = x[:, :4].astype(np.float64) / np.linalg.norm(x[:, :4].astype(np.float64), axis=1, keepdims=True)
    pairs = [(a, b) for i, a in enumerate(u) for j, b in enumerate(u) if i != j]
    assert np.isclose(truth["average_cosine"], np.mean([a @ b for a, b in pairs]), rtol=1e-5)
    expected = np.log(np.mean([np.exp(-2.0 * np.sum((a - b) ** 2)) for a, b in pairs]))
    assert np.isclose(truth["uniformity"], expected, rtol=1e-5)
    # a draw with replacement counts self-pairs: the empirical distribution's value differs
    assert not np.isclose(truth["average_cosine"], _coverage().real_truth(x, 4, t=2.0)["average_cosine"], rtol=1e-3)


def test_t_populations_have_the_covariance_and_the_kurtosis_of_their_degrees_of_freedom() -> None:
    """``t<df>``: the anisotropic covariance F F^T with the tails of a multivariate t on df degrees of freedom,
    whose every marginal has excess kurtosis 6 / (df - 4) (0.75 at df = 12)."""
    from mrlens.metrics.kurtosis import excess_kurtosis

    coverage = _coverage()
    assert [coverage.t_freedom(name) for name in ("t4", "t12", "tx", "clusters", "t2")] == [4, 12, None, None, None]
    rng = np.random.default_rng(5)
    mean, factor, _ = coverage.population("t12", 4, rng)
    x = coverage.draw(mean, factor, 400_000, rng, "t12")
    assert np.allclose(np.cov(x, rowvar=False), factor @ factor.T, atol=0.02 * np.abs(factor @ factor.T).max())
    assert excess_kurtosis(x).mean() == pytest.approx(0.75, abs=0.08)


def test_every_side_of_the_benchmark_runs_and_tabulates_its_schemes() -> None:
    """One tiny repetition of the quality side, with the bootstrap scheme and without it: each task's
    metrics get a row, the split-halves scales a column each, and with ``--schemes halves`` the bootstrap's
    methods (Korn-Graubard for retrieval) report nothing."""
    coverage = _coverage()
    base = dict(reps=1, n=50, bootstrap=10, jackknife=0, metrics=None)
    for schemes in (coverage.SCHEMES, ("halves",)):
        rows = coverage.quality_coverage(argparse.Namespace(**base, schemes=schemes))
        assert {(r["population"], r["metric"]) for r in rows} >= {("similarity", "spearman"), ("retrieval", "ndcg@10")}
        retrieval = [r for r in rows if r["population"] == "retrieval" and r["metric"] == "ndcg@10"]
        assert all(r["reported"] == (1.0 if "bootstrap" in schemes else 0.0) for r in retrieval)
        table = coverage.table(rows)
        header = table.splitlines()[0]
        assert all(f" split-halves-{scale} |" in header for scale in ("log", "sqrt", "rsqrt"))
        assert table.count("\n") == len(rows) + 1


def test_table_gives_two_sided_coverage_of_the_reported_samples() -> None:
    """Three reported samples, one missing below, and one without interval: two-sided 66.7 %, not the
    whole-per-cent rounding of the method column, and the unreported sample counts in ``reported`` only."""
    coverage = _coverage()
    base = {"side": "geometry", "population": "p", "metric": "isoscore", "dim": 4, "truth": 0.5, "estimate": 0.5}
    rows = [
        base | {"split-halves": hit, "below": below, "above": 0.0, "reported": 1.0}
        for hit, below in ((0.0, 1.0), (1.0, 0.0), (1.0, 0.0))
    ] + [base | {"split-halves": np.nan, "below": np.nan, "above": np.nan, "reported": 0.0}]
    header, _, row = coverage.table(rows).splitlines()
    cells = dict(zip(header.strip("| ").split(" | "), row.strip("| ").split(" | ")))
    assert cells["split-halves"] == "**67 %**"
    assert (cells["reported"], cells["two-sided"], cells["below"], cells["above"]) == (
        "75.0 %",
        "66.7 %",
        "33.3 %",
        "0.0 %",
    )
