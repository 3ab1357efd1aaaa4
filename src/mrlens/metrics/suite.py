"""Every geometry metric at every truncation size and truncation strategy, with bootstrap intervals.

Truncation strategies (``prefix``, ``pca``, ``random``; what "keep k dimensions" means) are
defined in :mod:`mrlens.metrics.truncation`; ``pca`` is fitted on the same documents.

Bootstrap intervals resample documents (B replicates, seeded) through integer weights on the
distinct rows, so no replicate repeats the pairwise pass. For TwoNN and MLE the neighbourhoods are
those of the full sample; the replicates resample the points' neighbour statistics.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mrlens.metrics._checks import as_points, as_sizes
from mrlens.metrics.correlation import correlation_from_covariance
from mrlens.metrics.covariance import row_blocks, weighted_covariance
from mrlens.metrics.intrinsic import mle_dimension, twonn_dimension
from mrlens.metrics.isotropy import isoscore_from_covariance, isoscore_star_from_covariance, participation_ratio
from mrlens.metrics.outliers import outlier_dimensions, outlier_share
from mrlens.metrics.pairwise import prefix_pairwise
from mrlens.metrics.spectrum import covariance_spectrum, effective_rank, numerical_rank
from mrlens.metrics.truncation import check_strategies, random_orderings, spread_over_orderings, views

METRICS = (
    "isoscore",
    "isoscore_star",
    "participation_ratio",
    "average_cosine",
    "uniformity",
    "mean_abs_correlation",
    "max_abs_correlation",
    "effective_rank_sigma",
    "effective_rank_sigma2",
    "numerical_rank",
    "outliers_variance_count",
    "outliers_variance_share",
    "outliers_magnitude_count",
    "twonn",
    "mle",
    "duplicates",
)


@dataclass(frozen=True)
class SuiteSettings:
    """Parameters of the suite (``analysis.*`` in the workflow config)."""

    uniformity_t: float = 2.0
    isoscore_star_zeta: float = 0.2
    outlier_k: float = 5.0
    rank_rtol: float = 1e-3
    twonn_discard_fraction: float = 0.1
    mle_neighbours: int = 20
    bootstrap: int = 0
    confidence: float = 0.95
    strategies: Sequence[str] = ("prefix",)
    random_orderings: int = 5
    seed: int = 0


@dataclass
class Geometry:
    """``scalars``: strategy, dim, metric, value, ci_low, ci_high, n. ``profiles``: strategy, dim, kind,
    index, value, outlier — the covariance eigenvalues of every size (collapse) and each dimension's
    variance and mean |value| at full size (outliers)."""

    scalars: pd.DataFrame
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)


def _weighted_sums(z: np.ndarray, weights: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Per weight column: the sum of |value| of every dimension (C x d), and for every size k the sum
    of the re-normalised k-prefixes (C x k), in one blocked pass."""
    absolute = np.zeros((weights.shape[1], z.shape[1]))
    prefixes = {k: np.zeros((weights.shape[1], k)) for k in sizes}
    for rows in row_blocks(len(z)):
        block = z[rows].astype(np.float64)
        w = weights[rows]
        absolute += w.T @ np.abs(block)
        for k in sizes:
            prefixes[k] += (w / np.linalg.norm(block[:, :k], axis=1)[:, None]).T @ block[:, :k]
    return absolute, prefixes


def _off_diagonal_abs(corr: np.ndarray) -> np.ndarray:
    varying = ~np.isnan(np.diag(corr))
    corr = np.abs(corr[np.ix_(varying, varying)])
    return corr[~np.eye(len(corr), dtype=bool)]


def _covariance_metrics(cov: np.ndarray, mean_abs: np.ndarray, settings: SuiteSettings) -> dict[str, float]:
    eigenvalues = covariance_spectrum(cov)
    variances = np.diag(cov)
    by_variance = outlier_dimensions(variances, settings.outlier_k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        off = _off_diagonal_abs(correlation_from_covariance(cov))
    return {
        "isoscore": isoscore_from_covariance(cov),
        "isoscore_star": isoscore_star_from_covariance(cov, settings.isoscore_star_zeta),
        "participation_ratio": participation_ratio(cov),
        "mean_abs_correlation": float(off.mean()) if off.size else float("nan"),
        "max_abs_correlation": float(off.max()) if off.size else float("nan"),
        "effective_rank_sigma": effective_rank(np.sqrt(eigenvalues)),
        "effective_rank_sigma2": effective_rank(eigenvalues),
        "numerical_rank": float(numerical_rank(eigenvalues, settings.rank_rtol)),
        "outliers_variance_count": float(len(by_variance)),
        "outliers_variance_share": outlier_share(variances, by_variance),
        "outliers_magnitude_count": float(len(outlier_dimensions(mean_abs, settings.outlier_k))),
    }


def _intrinsic(neighbours: np.ndarray, weights: np.ndarray, settings: SuiteSettings, size: int) -> dict[str, np.ndarray]:
    """TwoNN and MLE for the point estimate (each distinct point once) and each bootstrap column."""
    distinct = neighbours[:, 0] > 0
    if not distinct.all():
        warnings.warn(f"{int((~distinct).sum())} point(s) share their {size}-prefix with another: left out of TwoNN and MLE", stacklevel=3)
    d = neighbours[distinct]
    w = weights[distinct]
    columns = [np.ones(len(d), dtype=np.int64)] + [w[:, c].astype(np.int64) for c in range(1, w.shape[1])]
    twonn, mle = [], []
    for counts in columns:
        twonn.append(twonn_dimension(np.repeat(d[:, 0], counts), np.repeat(d[:, 1], counts), settings.twonn_discard_fraction))
        mle.append(mle_dimension(np.repeat(d[:, : settings.mle_neighbours], counts, axis=0)))
    return {"twonn": np.array(twonn), "mle": np.array(mle)}


@dataclass(frozen=True)
class _Draws:
    """Documents drawn, as weights on the distinct rows: column 0 the sample, then bootstrap replicates.

    ``self_pairs``: ordered pairs of draws of *different* documents that fall on one distinct row
    (duplicate documents, distance 0); ``pairs``: all ordered pairs of draws of different documents.
    Pairs of draws of the same document are left out, so resampling does not invent zero distances.
    """

    weights: np.ndarray
    self_pairs: np.ndarray
    pairs: np.ndarray

    @classmethod
    def from_counts(cls, per_document: np.ndarray, inverse: np.ndarray, rows: int) -> _Draws:
        weights = np.column_stack([np.bincount(inverse, c, minlength=rows) for c in per_document.T])
        same_document = (per_document.astype(np.float64) ** 2).sum(axis=0)
        totals = weights.sum(axis=0)
        return cls(weights, (weights**2).sum(axis=0) - same_document, totals**2 - same_document)

    def first(self) -> _Draws:
        return _Draws(self.weights[:, :1], self.self_pairs[:1], self.pairs[:1])


def _all_metrics(
    z: np.ndarray, draws: _Draws, sizes: list[int], settings: SuiteSettings, device: str | None
) -> dict[tuple[int, str], np.ndarray]:
    """Every metric at every size for the distinct rows ``z`` under each column of ``draws``
    (column 0: the sample itself; others: bootstrap replicates). Returns (size, metric) -> values."""
    weights = draws.weights
    totals = weights.sum(axis=0).astype(np.float64)
    absolute, prefix_sums = _weighted_sums(z, weights, sizes)
    mean_abs = absolute / totals[:, None]
    neighbours = max(2, settings.mle_neighbours) if len(z) > settings.mle_neighbours else 0
    pairs = prefix_pairwise(z, sizes, settings.uniformity_t, weights=weights, neighbours=neighbours, device=device)
    per_column: list[dict[tuple[int, str], float]] = []
    for c in range(weights.shape[1]):  # one covariance in memory at a time
        cov = weighted_covariance(z, weights[:, c])
        per_column.append(
            {(k, m): v for k in sizes for m, v in _covariance_metrics(cov[:k, :k], mean_abs[c, :k], settings).items()}
        )
    out: dict[tuple[int, str], np.ndarray] = {key: np.array([column[key] for column in per_column]) for key in per_column[0]}
    for k in sizes:
        same_document = totals**2 - draws.pairs  # ordered pairs of draws of one document, cosine 1
        out[(k, "average_cosine")] = ((prefix_sums[k] ** 2).sum(axis=1) - same_document) / draws.pairs
        with np.errstate(divide="ignore"):
            log_sums = np.logaddexp(pairs.log_sums[k], np.log(draws.self_pairs))
        out[(k, "uniformity")] = log_sums - np.log(draws.pairs)
        if neighbours:
            out.update({(k, m): v for m, v in _intrinsic(pairs.neighbours[k], weights, settings, k).items()})
        else:
            out[(k, "twonn")] = out[(k, "mle")] = np.full(weights.shape[1], np.nan)
    return out


def _rows(strategy: str, values: dict[tuple[int, str], np.ndarray], low: dict, high: dict, n: int) -> list[dict]:
    return [
        {"strategy": strategy, "dim": k, "metric": m, "value": float(v), "ci_low": low[(k, m)], "ci_high": high[(k, m)], "n": n}
        for (k, m), v in values.items()
    ]


def _interval(replicates: dict[tuple[int, str], np.ndarray], confidence: float) -> tuple[dict, dict]:
    alpha = (1 - confidence) / 2
    low = {key: float(np.quantile(v, alpha)) if len(v) else float("nan") for key, v in replicates.items()}
    high = {key: float(np.quantile(v, 1 - alpha)) if len(v) else float("nan") for key, v in replicates.items()}
    return low, high


def measure(x: np.ndarray, dims: Sequence[int], settings: SuiteSettings | None = None, device: str | None = None) -> Geometry:
    """Run the whole suite on the (n x d) embeddings ``x`` at every size in ``dims``."""
    settings = settings or SuiteSettings()
    check_strategies(settings.strategies)
    x = as_points(x)
    n, d = x.shape
    sizes = as_sizes(dims, d)
    if n <= sizes[-1]:
        warnings.warn(f"n = {n} <= d = {sizes[-1]}: IsoScore is capped at (n - 2)/(d - 1)", stacklevel=2)
    unique, inverse = distinct_rows(x)
    rng = np.random.default_rng(settings.seed)
    per_document = np.column_stack([np.ones(n)] + [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(settings.bootstrap)])
    draws = _Draws.from_counts(per_document, inverse, len(unique))
    base_cov = weighted_covariance(unique, draws.weights[:, 0])

    rows: list[dict] = []
    for strategy in settings.strategies:
        if strategy == "random":
            orderings = random_orderings(d, settings.random_orderings, rng)
            runs = [_all_metrics(z, draws.first(), sizes, settings, device) for z in views(unique, strategy, orderings=orderings)]
            values, low, high = spread_over_orderings([{key: v[0] for key, v in run.items()} for run in runs])
        else:
            z = next(views(unique, strategy, covariance=base_cov))
            result = _all_metrics(z, draws, sizes, settings, device)
            values = {key: v[0] for key, v in result.items()}
            low, high = _interval({key: v[1:] for key, v in result.items()}, settings.confidence)
        values.update({(k, "duplicates"): float(n - len(unique)) for k in sizes})
        low.update({(k, "duplicates"): float("nan") for k in sizes})
        high.update({(k, "duplicates"): float("nan") for k in sizes})
        rows.extend(_rows(strategy, values, low, high, n))
    scalars = pd.DataFrame(rows)
    scalars["metric"] = pd.Categorical(scalars["metric"], categories=METRICS, ordered=True)
    scalars = scalars.sort_values(["strategy", "dim", "metric"], kind="stable").reset_index(drop=True)
    scalars["metric"] = scalars["metric"].astype(str)
    return Geometry(scalars=scalars, profiles=_profiles(x, base_cov, sizes, settings))


def distinct_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``x`` and, for every row, the index of its distinct row. Rows are
    hashed first: when all hashes differ (the usual case) ``x`` itself is returned, uncopied; only
    when two hashes agree are the rows compared exactly (``np.unique``)."""
    keys = np.fromiter((hash(row.tobytes()) for row in x), dtype=np.int64, count=len(x))
    if len(np.unique(keys)) == len(x):
        return x, np.arange(len(x))
    unique, inverse = np.unique(x, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


def _profiles(x: np.ndarray, cov: np.ndarray, sizes: list[int], settings: SuiteSettings) -> pd.DataFrame:
    rows = []
    for k in sizes:
        rows.extend(
            {"strategy": "prefix", "dim": k, "kind": "covariance_eigenvalue", "index": i, "value": float(v), "outlier": False}
            for i, v in enumerate(covariance_spectrum(cov[:k, :k]))
        )
    d = x.shape[1]
    mean_abs = sum(np.abs(x[rows]).sum(axis=0, dtype=np.float64) for rows in row_blocks(len(x))) / len(x)
    for kind, values in (("variance", np.diag(cov)), ("mean_abs", mean_abs)):
        flagged = set(outlier_dimensions(values, settings.outlier_k).tolist())
        rows.extend(
            {"strategy": "prefix", "dim": d, "kind": kind, "index": i, "value": float(v), "outlier": i in flagged}
            for i, v in enumerate(values)
        )
    return pd.DataFrame(rows)


def geometry_table(x: np.ndarray, dims: Sequence[int], settings: SuiteSettings | None = None) -> pd.DataFrame:
    """The suite's scalar table (strategy, dim, metric, value, ci_low, ci_high, n) for ``x``."""
    return measure(x, dims, settings).scalars
