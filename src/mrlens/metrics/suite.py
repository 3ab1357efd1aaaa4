"""Every geometry metric at every truncation size and truncation strategy, with confidence intervals.

Truncation strategies (``prefix``, ``pca``, ``random``; what "keep k dimensions" means) are
defined in :mod:`mrlens.metrics.truncation` and run through its :func:`over_strategies`. ``pca`` is
fitted out of sample by default (``pca_fit: heldout``): a seeded half of the distinct documents fits
the basis and the other half is measured, so PCA rows have ``n`` = that half (compare them with the
prefix at the same size knowing that n-dependent estimates, mean |r|, TwoNN and MLE, shift with n; the
bias-corrected ones do not); ``fit`` (another corpus) measures every document. PCA rows exist only for the
metrics invariant to rotations (:class:`mrlens.metrics.registry.Metric`).

Near-duplicates: at each size, documents within ``near_duplicate_fraction`` of the median
nearest-neighbour distance of each other are one point (:mod:`mrlens.metrics.duplicates`) for TwoNN
and MLE, in the estimate and its half-sample replicates alike; ``duplicates`` counts the documents
merged. IsoScore* averages over seeded mini-batches shrunk towards the covariance of the other documents,
with an unbiased tr(Sigma^2) (:func:`mrlens.metrics.isotropy.isoscore_star_unbiased_by_prefix`; the
published form is :func:`mrlens.metrics.isotropy.isoscore_star_by_prefix`); rogue dimensions share out the expected
cosine (:mod:`mrlens.metrics.rogue`). ``excess_kurtosis`` is the mean over the kept dimensions of each
one's excess kurtosis (:mod:`mrlens.metrics.kurtosis`): how far from Gaussian the embeddings are.

Intervals (prefix rows only): each metric's method is declared in
:mod:`mrlens.metrics.registry` and named in the ``interval`` column. Replicates
resample documents (B of them, seeded) through integer weights on the distinct rows, so no replicate
repeats the pairwise pass: bootstrap resamples for ``basic-bootstrap``, half-samples of distinct
documents (complementary pairs) for ``split-halves`` and ``subsampling``, where TwoNN and MLE recompute
every neighbourhood on the half-sample.
PCA rows carry no interval (the basis is not refitted per replicate); random rows carry the minimum
to maximum over the orderings (``range-orderings``), drawn from their own random stream. The costly
metrics whose interval is ``none`` (TwoNN, MLE; IsoScore* if asked) are not computed on replicates at all.

Bias-corrected metrics (:data:`RANGES`): IsoScore and the participation ratio use an unbiased estimate of
tr(Sigma^2) (:func:`mrlens.metrics.isotropy.trace_square_unbiased`; the published plug-in forms stay in
:mod:`mrlens.metrics.isotropy`), ``mean_sq_correlation`` the Olkin-Pratt estimate of each rho^2
(:func:`mrlens.metrics.correlation.olkin_pratt_mean_sq_correlation`, unbiased for Gaussians) and
``weighted_sq_correlation`` a ratio of estimates unbiased for any distribution with finite fourth moments
(:func:`mrlens.metrics.correlation.weighted_sq_correlation_unbiased`). They are computed raw, not clipped
to their parameter's range, on the sample and on every replicate; the interval is taken about the raw
estimate (their method, ``split-halves``, needs the spread on both sides of an isotropic population's
maximum), then the estimate and both bounds are clipped to the range (:func:`_in_range`). Bootstrap
replicates (of these, for ``benchmarks/coverage.py``, and IsoScore*'s) are centred on the estimate
(:func:`_centre_on_estimate`).

Pairing: the draws depend only on (number of documents, B, seed) (see
:func:`mrlens.resampling.resampling_counts`), so two models' embeddings of the same documents
in the same order get the same replicates, and ``Geometry.replicates`` of one minus the other's is a
paired resample of the difference.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from mrlens.metrics.checks import as_points, as_sizes
from mrlens.metrics.correlation import (
    correlation_from_covariance,
    off_diagonal,
    olkin_pratt_mean_sq_correlation,
    weighted_sq_correlation_unbiased,
)
from mrlens.metrics.covariance import (
    coordinate_fourth_moments,
    covariance,
    row_blocks,
    weighted_covariance,
    weighted_fourth_moments,
)
from mrlens.metrics.draws import Draws, distinct_rows, sampling_draws
from mrlens.metrics.duplicates import near_duplicates
from mrlens.metrics.intrinsic import mle_dimension, twonn_dimension
from mrlens.metrics.isotropy import (
    isoscore_from_covariance,
    isoscore_star_unbiased_by_prefix,
    isoscore_unbiased_from_covariance,
    minibatches,
    participation_ratio,
    participation_ratio_unbiased,
)
from mrlens.metrics.kurtosis import HEAVY_TAILS, excess_kurtosis
from mrlens.metrics.outliers import outlier_dimensions, outlier_share
from mrlens.metrics.pairwise import prefix_pairwise
from mrlens.metrics.registry import GEOMETRY_METRICS, LIGHT_TAILED_METRICS, REGISTRY, method_of
from mrlens.metrics.rogue import contributions_from_sums, cosine_shares, rogue_count, top_share
from mrlens.metrics.settings import SuiteSettings
from mrlens.metrics.spectrum import covariance_spectrum, effective_rank, numerical_rank
from mrlens.metrics.truncation import (
    STRATEGIES,
    Estimates,
    Inputs,
    Key,
    check_pca_fit,
    check_strategies,
    heldout_halves,
    over_strategies,
    pca_basis,
    random_orderings,
)
from mrlens.resampling import (
    HEAVY_TAILS_LABEL,
    METHODS,
    interval,
    interval_label,
    seed_sequence,
    streams,
)

# metrics of one covariance (:func:`_covariance_metrics`) besides IsoScore and the participation ratio
_OF_COVARIANCE = (
    "mean_abs_correlation",
    "mean_sq_correlation",
    "weighted_sq_correlation",
    "max_abs_correlation",
    "effective_rank_sigma",
    "effective_rank_sigma2",
    "numerical_rank",
    "outliers_variance_count",
    "outliers_variance_share",
    "outliers_magnitude_count",
)
METRICS = GEOMETRY_METRICS  # in the registry's order, the order of the rows
# the metrics of one covariance: a replicate column that none of them needs skips them
COVARIANCE_METRICS = ("isoscore", "participation_ratio", *_OF_COVARIANCE)


@dataclass
class Geometry:
    """``scalars``: strategy, dim, metric, value, ci_low, ci_high, interval (what the two bounds are),
    n. ``profiles``: strategy, dim, kind, index, value, outlier — the covariance eigenvalues of every
    size (collapse) and each dimension's variance and mean |value| at full size (outliers).
    ``replicates``: strategy, dim, metric, replicate, value — each interval's replicate values, in the
    order of the draws (the same draws for every model measured on the same documents)."""

    scalars: pd.DataFrame
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    replicates: pd.DataFrame = field(default_factory=pd.DataFrame)


def _weighted_sums(
    z: np.ndarray, draws: Draws, sizes: list[int]
) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Per weight column: the sum of |value| of every dimension (C x d), and for every size k the sum
    ``S`` of the re-normalised k-prefixes u and the sum ``Q`` of their squares weighted by the excluded
    pairs (C x k each; :func:`mrlens.metrics.rogue.cosine_contributions`), in one blocked pass."""
    weights = draws.weights
    absolute = np.zeros((weights.shape[1], z.shape[1]))
    prefixes = {k: np.zeros((weights.shape[1], k)) for k in sizes}
    squares = {k: np.zeros((weights.shape[1], k)) for k in sizes}
    for rows in row_blocks(len(z)):
        block = z[rows].astype(np.float64)
        w = weights[rows]
        absolute += w.T @ np.abs(block)
        for k in sizes:
            norms = np.linalg.norm(block[:, :k], axis=1)[:, None]
            prefixes[k] += (w / norms).T @ block[:, :k]
            squares[k] += (draws.excluded[rows] / norms**2).T @ block[:, :k] ** 2
    return absolute, prefixes, squares


# The bias-corrected metrics (their plug-in form is the published one) and their parameter's range at size k.
RANGES = {
    "isoscore": lambda k: (0.0, 1.0),
    "participation_ratio": lambda k: (0.0, float(k)),
    "mean_sq_correlation": lambda k: (0.0, 1.0),
    "weighted_sq_correlation": lambda k: (0.0, 1.0),
}


def _in_range(key: Key, value: float) -> float:
    """A raw bias-corrected value (a key of :data:`RANGES`) clipped to its parameter's range; others as they are."""
    k, metric = key
    return float(np.clip(value, *RANGES[metric](k))) if metric in RANGES else value


def _covariance_metrics(
    cov: np.ndarray, mean_abs: np.ndarray, settings: SuiteSettings, n: int, fourth: float, coordinate: float
) -> tuple[dict[str, float], dict[str, float]]:
    """The metrics of one covariance of n points (``fourth``: :func:`weighted_fourth_moments`; ``coordinate``:
    :func:`coordinate_fourth_moments`), the
    bias-corrected ones (keys of :data:`RANGES`) raw, not yet clipped to their range (:func:`_in_range`),
    and the plug-in values of these."""
    eigenvalues = covariance_spectrum(cov)
    variances = np.diag(cov)
    by_variance = outlier_dimensions(variances, settings.outlier_k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        off = np.abs(off_diagonal(correlation_from_covariance(cov)))
    plug_in = {
        "isoscore": isoscore_from_covariance(cov),
        "participation_ratio": participation_ratio(cov),
        "mean_sq_correlation": float((off**2).mean()) if off.size else float("nan"),
        "weighted_sq_correlation": _plug_in_weighted(cov),
    }
    enough = n >= 4  # the unbiased tr(Sigma^2) needs four points
    return {
        "isoscore": isoscore_unbiased_from_covariance(cov, n, fourth, in_range=False) if enough else float("nan"),
        "participation_ratio": participation_ratio_unbiased(cov, n, fourth, in_range=False) if enough else float("nan"),
        "mean_abs_correlation": float(off.mean()) if off.size else float("nan"),
        "mean_sq_correlation": olkin_pratt_mean_sq_correlation(off, n, in_range=False) if enough else float("nan"),
        "weighted_sq_correlation": (
            weighted_sq_correlation_unbiased(cov, n, fourth, coordinate) if enough else float("nan")
        ),
        "max_abs_correlation": float(off.max()) if off.size else float("nan"),
        "effective_rank_sigma": effective_rank(np.sqrt(eigenvalues)),
        "effective_rank_sigma2": effective_rank(eigenvalues),
        "numerical_rank": float(numerical_rank(eigenvalues, settings.rank_rtol)),
        "outliers_variance_count": float(len(by_variance)),
        "outliers_variance_share": outlier_share(variances, by_variance),
        "outliers_magnitude_count": float(len(outlier_dimensions(mean_abs, settings.outlier_k))),
    }, plug_in


def _plug_in_weighted(cov: np.ndarray) -> float:
    """``sum_{i != j} S_ij^2 / sum_{i != j} S_ii S_jj``: the plug-in form of ``weighted_sq_correlation``."""
    variances = np.diag(cov)
    products = variances.sum() ** 2 - np.sum(variances**2)
    return float((np.sum(cov * cov) - np.sum(variances**2)) / products) if products > 0 else float("nan")


def _intrinsic(neighbours: np.ndarray | None, settings: SuiteSettings) -> dict[str, float]:
    """TwoNN and MLE from the sorted neighbour distances of distinct points (NaN without neighbours)."""
    if neighbours is None:
        return {"twonn": float("nan"), "mle": float("nan")}
    return {
        "twonn": twonn_dimension(neighbours[:, 0], neighbours[:, 1], settings.twonn_discard_fraction),
        "mle": mle_dimension(neighbours[:, : settings.mle_neighbours]),
    }


def _neighbour_count(rows: int, settings: SuiteSettings) -> int:
    return max(2, settings.mle_neighbours) if rows > settings.mle_neighbours else 0


def _neighbours_among(
    z: np.ndarray, rows: np.ndarray, k: int, settings: SuiteSettings, device: str | None
) -> np.ndarray | None:
    """Sorted neighbour distances of the rows ``rows`` of ``z`` among themselves in the k-prefix; None
    when they are too few for the MLE's neighbourhood."""
    count = _neighbour_count(len(rows), settings)
    if not count:
        return None
    return prefix_pairwise(z[rows, :k], [k], settings.uniformity_t, neighbours=count, device=device).neighbours[k]


def _intrinsic_columns(
    z: np.ndarray,
    draws: Draws,
    sizes: list[int],
    settings: SuiteSettings,
    device: str | None,
    sample: dict[int, np.ndarray],
    halves: bool = True,
) -> dict[tuple[int, str], np.ndarray]:
    """TwoNN, MLE and ``duplicates`` per column of ``draws``, every near-duplicate cluster measured once.

    At each size k the clusters are found once, on the sample (column 0) and its neighbours ``sample``
    (:func:`mrlens.metrics.duplicates.near_duplicates`: exact, near and prefix-only duplicates alike);
    ``duplicates`` is the number of documents minus the number of clusters. Column 0 keeps one row per
    cluster (neighbourhoods recomputed among them where a cluster merges rows); each half-sample column
    keeps its own documents, one row per cluster of the sample, neighbourhoods recomputed (unless
    ``halves`` is false: their interval is ``none``); bootstrap columns get NaN (a resample's repeated
    documents would be at distance 0)."""
    columns = draws.weights.shape[1]
    out = {(k, m): np.full(columns, np.nan) for k in sizes for m in ("twonn", "mle", "duplicates")}
    labels = {}
    for k in sizes:
        found = near_duplicates(z[:, :k], sample[k][:, 0], settings.near_duplicate_fraction)
        labels[k] = found.labels
        neighbours = sample[k]
        if found.dropped:
            warnings.warn(
                f"{found.dropped} point(s) within {found.threshold:.3g} of another in their {k}-prefix: each cluster counts once in TwoNN and MLE",
                stacklevel=4,
            )
            neighbours = _neighbours_among(z, found.representatives, k, settings, device)
        out[(k, "duplicates")][0] = draws.weights[:, 0].sum() - len(found.representatives)
        for m, v in _intrinsic(neighbours, settings).items():
            out[(k, m)][0] = v
    for c in draws.columns.get("halves", range(0)) if halves else ():
        rows = np.flatnonzero(draws.weights[:, c])
        count = _neighbour_count(len(rows), settings)
        if not count:
            continue
        subset = prefix_pairwise(z[rows], sizes, settings.uniformity_t, neighbours=count, device=device)
        for k in sizes:
            _, first = np.unique(labels[k][rows], return_index=True)
            merged = len(first) < len(rows)
            neighbours = (
                _neighbours_among(z, rows[np.sort(first)], k, settings, device) if merged else subset.neighbours[k]
            )
            for m, v in _intrinsic(neighbours, settings).items():
                out[(k, m)][c] = v
    return out


def _isoscore_star(
    z: np.ndarray,
    w: np.ndarray,
    cov: np.ndarray,
    fourth: np.ndarray,
    sizes: list[int],
    settings: SuiteSettings,
    distinct: bool,
    column: int,
) -> dict[int, float]:
    """IsoScore* at every size (:func:`mrlens.metrics.isotropy.isoscore_star_unbiased_by_prefix`: the
    published form with C0's biases removed) of the documents of weight column ``column`` (row i of ``z``
    drawn ``w_i`` times), C0 their covariance ``cov`` and ``fourth`` their fourth moments at each size, over
    seeded mini-batches of its own stream (the same batches for every model measured on the same
    documents); NaN when there are too few documents beside a mini-batch. ``distinct`` (bootstrap columns):
    a batch holds distinct rows, drawn with probability proportional to ``w``, as the sample's batches hold
    distinct documents (a batch holding one document twice has a covariance of lower rank, and such batches
    would add a spread between replicates that the sample's estimate does not have)."""
    population = np.repeat(np.arange(len(z)), w.astype(np.int64))
    size, samples = settings.isoscore_star_sample_size, settings.isoscore_star_samples
    if len(population) < max(size + 2, 4) or np.count_nonzero(w) < size:
        return dict.fromkeys(sizes, float("nan"))
    seed = seed_sequence(settings.seed, "isoscore_star_batches", column)
    if distinct:
        rng, drawn = np.random.default_rng(seed), np.flatnonzero(w)
        p = w[drawn] / w[drawn].sum()
        batches = np.stack([rng.choice(drawn, size, replace=False, p=p) for _ in range(samples)])
    else:
        batches = minibatches(population, size, samples, seed)
    rows, inverse = np.unique(batches, return_inverse=True)  # only the rows drawn
    mean = w.astype(np.float64) @ z / w.sum()
    return isoscore_star_unbiased_by_prefix(
        z[rows],
        sizes,
        cov,
        mean,
        len(population),
        fourth,
        settings.isoscore_star_zeta,
        inverse.reshape(batches.shape),
    )


def _all_metrics(
    z: np.ndarray,
    draws: Draws,
    sizes: list[int],
    settings: SuiteSettings,
    device: str | None,
    resampled: Mapping[str, str] | None = None,
) -> dict[tuple[int, str], np.ndarray]:
    """Every metric at every size for the distinct rows ``z`` under each column of ``draws``
    (column 0: the sample itself; others: replicates). Returns (size, metric) -> values. ``resampled``:
    the metrics with an interval and the scheme of their method (default: every metric, every scheme).
    A replicate column computes only what the metrics of its scheme need: the covariance metrics
    (:data:`COVARIANCE_METRICS`), IsoScore* and the uniformity pass get NaN on the columns of a scheme none
    of them uses (the bootstrap columns hold IsoScore* alone by default), TwoNN and MLE without halves.
    Bootstrap replicates of the bias-corrected metrics (:data:`RANGES`) are shifted by the sample's
    estimate minus its plug-in value (:func:`_centre_on_estimate`)."""
    weights = draws.weights
    totals = weights.sum(axis=0).astype(np.float64)
    absolute, prefix_sums, squares = _weighted_sums(z, draws, sizes)
    fourth = weighted_fourth_moments(z, weights, sizes)
    coordinate = coordinate_fourth_moments(z, weights, sizes)
    mean_abs = absolute / totals[:, None]
    neighbours = _neighbour_count(len(z), settings)
    uniform = _columns_needed(("uniformity",), resampled, draws)
    pairs = prefix_pairwise(
        z, sizes, settings.uniformity_t, weights=weights[:, uniform], neighbours=neighbours, device=device
    )
    per_column: list[dict[tuple[int, str], float]] = []
    plug_in: dict[tuple[int, str], float] = {}
    boot = draws.columns.get("bootstrap", range(0))
    star_columns = set(_columns_needed(("isoscore_star",), resampled, draws))
    covariance_columns = set(_columns_needed(COVARIANCE_METRICS, resampled, draws))
    skipped = {(k, m): float("nan") for k in sizes for m in COVARIANCE_METRICS}
    for c in range(weights.shape[1]):  # one covariance in memory at a time
        column, star = dict(skipped), dict.fromkeys(sizes, float("nan"))
        if c not in covariance_columns and c not in star_columns:
            per_column.append(column | {(k, "isoscore_star"): v for k, v in star.items()})
            continue
        cov = weighted_covariance(z, weights[:, c])
        if c in covariance_columns:
            for j, k in enumerate(sizes):
                values, plain = _covariance_metrics(
                    cov[:k, :k], mean_abs[c, :k], settings, int(totals[c]), fourth[c, j], coordinate[c, j]
                )
                column |= {(k, m): v for m, v in values.items()}
                if c == 0:
                    plug_in |= {(k, m): v for m, v in plain.items()}
        if c in star_columns:
            star = _isoscore_star(z, weights[:, c], cov, fourth[c], sizes, settings, c in boot, c)
        per_column.append(column | {(k, "isoscore_star"): v for k, v in star.items()})
    out: dict[tuple[int, str], np.ndarray] = {
        key: np.array([column[key] for column in per_column]) for key in per_column[0]
    }
    if star_columns & set(boot):  # the bootstrap population's value: the replicates' mean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: too few documents
            plug_in |= {(k, "isoscore_star"): float(np.nanmean(out[(k, "isoscore_star")][list(boot)])) for k in sizes}
    _centre_on_estimate(out, plug_in, boot)
    kurtosis = excess_kurtosis(z, weights[:, 0])  # the sample's only: no interval
    for k in sizes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # every dimension constant
            out[(k, "excess_kurtosis")] = np.r_[np.nanmean(kurtosis[:k]), np.full(weights.shape[1] - 1, np.nan)]
        same_document = totals**2 - draws.pairs  # ordered pairs of draws of one document, cosine 1
        out[(k, "average_cosine")] = ((prefix_sums[k] ** 2).sum(axis=1) - same_document) / draws.pairs
        shares = cosine_shares(contributions_from_sums(prefix_sums[k], squares[k], draws.pairs))
        out[(k, "rogue_top_share")] = top_share(shares, min(settings.rogue_top, k))
        out[(k, "rogue_count")] = rogue_count(shares, settings.rogue_factor)
        log_sums = np.full(weights.shape[1], np.nan)
        log_sums[uniform] = pairs.log_sums[k]
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0: no self-pairs; NaN: a column not needed
            log_sums = np.logaddexp(log_sums, np.log(draws.self_pairs))
        out[(k, "uniformity")] = log_sums - np.log(draws.pairs)
        if not neighbours:
            out[(k, "twonn")] = out[(k, "mle")] = np.full(weights.shape[1], np.nan)
            out[(k, "duplicates")] = totals - len(z)
    if neighbours:
        halves = resampled is None or bool({"twonn", "mle"} & set(resampled))
        out.update(_intrinsic_columns(z, draws, sizes, settings, device, pairs.neighbours, halves))
    return out


def _columns_needed(metrics: Sequence[str], resampled: Mapping[str, str] | None, draws: Draws) -> list[int]:
    """Column 0 (the sample) and the replicate columns of the schemes whose replicates some of ``metrics``
    need (``resampled``: metric -> scheme, :func:`_all_metrics`); every column when ``resampled`` is None."""
    if resampled is None:
        return list(range(draws.weights.shape[1]))
    schemes = {resampled[m] for m in metrics if m in resampled}
    return [0, *sorted(c for scheme in schemes for c in draws.columns.get(scheme, range(0)))]


def _centre_on_estimate(
    out: dict[tuple[int, str], np.ndarray], centres: dict[tuple[int, str], float], columns: range
) -> None:
    """Shift the bootstrap replicates of each key of ``centres`` by ``estimate - centre`` (in place).

    A bootstrap resample is drawn from the sample, so a bias-corrected statistic on it estimates the
    sample's plug-in value (the parameter of the resampled population, the centre), not the estimate: its
    replicates centre about one bias away from the estimate, and the basic interval ``2 theta - q*`` would
    remove the bias twice. The basic interval needs the distribution of ``theta* - theta(F_n)`` (Efron &
    Tibshirani 1993, section 10.2: the bootstrap bias is ``E* theta* - theta(F_n)``); shifting the
    replicates by ``theta - theta(F_n)`` gives ``[theta - (q*_hi - theta(F_n)), theta - (q*_lo - theta(F_n))]``.
    IsoScore* averages over random mini-batches: its estimate carries Monte-Carlo noise of its own, which
    ``2 theta - q*`` would double, and bootstrap batches hold repeated documents; its centre is the mean of
    its replicates, so they give the spread only (the estimate is bias-corrected). Half-samples hold
    distinct documents, so a bias-corrected statistic on them is unbiased as it is: not shifted."""
    for key, value in centres.items():
        if key in out and len(columns):
            out[key][list(columns)] += out[key][0] - value


def _intervals(
    result: dict[Key, np.ndarray], draws: Draws, methods: Mapping[str, str], settings: SuiteSettings, n: int
) -> Estimates:
    """Estimates, bounds, interval labels and replicate values of every (size, metric) from its method's
    columns; none (``none-heavy-tails``) for a metric that rests on fourth moments where the sample's excess
    kurtosis at that size exceeds :data:`mrlens.metrics.kurtosis.HEAVY_TAILS`."""
    found = Estimates({key: _in_range(key, v[0]) for key, v in result.items()}, dict.fromkeys(METRICS, n))
    for (k, m), v in result.items():
        method = methods[m]
        if method == "none" or not settings.bootstrap:
            continue
        if m in LIGHT_TAILED_METRICS and result[(k, "excess_kurtosis")][0] > HEAVY_TAILS:
            found.kinds[(k, m)] = HEAVY_TAILS_LABEL  # no bounds, no replicates: no paired difference either
            continue
        values = v[list(draws.columns[METHODS[method].scheme])]
        low, high = interval(method, v[0], values, settings.confidence, n, long_arm=REGISTRY[m].long_arm)
        if m in RANGES:  # clipped with the estimate, so the interval still holds it
            low, high = (_in_range((k, m), bound) for bound in (low, high))
        found.low[(k, m)], found.high[(k, m)] = low, high
        found.kinds[(k, m)] = interval_label(method, settings.confidence, low)
        found.replicates[(k, m)] = values
    return found


def _fitted_inputs(unique: np.ndarray, weights: np.ndarray, fit: np.ndarray | None, settings: SuiteSettings) -> Inputs:
    """The basis of the fitted strategies (pca): from ``fit`` (other documents) when given; else, with
    ``pca_fit: heldout``, from a seeded half of the distinct documents (its own stream), the other half
    measured; with ``insample``, from every document, all measured."""
    if fit is not None:
        return Inputs(basis=pca_basis(covariance(fit)))
    if settings.pca_fit == "insample":
        return Inputs(basis=pca_basis(weighted_covariance(unique, weights)), insample=True)
    fitted, measured = heldout_halves(len(unique), np.random.default_rng(seed_sequence(settings.seed, "pca_split")))
    return Inputs(basis=pca_basis(weighted_covariance(unique[fitted], weights[fitted])), rows=measured)


def measure(
    x: np.ndarray,
    dims: Sequence[int],
    settings: SuiteSettings | None = None,
    device: str | None = None,
    methods: Mapping[str, str] | None = None,
    fit: np.ndarray | None = None,
) -> Geometry:
    """Run the whole suite on the (n x d) embeddings ``x`` at every size in ``dims``. ``methods``
    overrides some metrics' interval methods (metric -> a key of
    :data:`mrlens.resampling.METHODS` or ``none``), e.g. for ``benchmarks/coverage.py``.
    ``fit``: embeddings of other documents by the same model to fit the PCA basis on (all of ``x`` is
    then measured); without it ``settings.pca_fit`` says where the basis comes from (module docstring)."""
    settings = settings or SuiteSettings()
    check_strategies(settings.strategies)
    check_pca_fit(settings.pca_fit)
    methods = {m: (methods or {}).get(m) or method_of(m) for m in METRICS}
    x = as_points(x)
    n, d = x.shape
    sizes = as_sizes(dims, d)
    if fit is not None and as_points(fit).shape[1] != d:
        raise ValueError(f"the PCA fitting embeddings have {fit.shape[1]} dimensions, the measured ones {d}")
    if n <= sizes[-1]:
        warnings.warn(
            f"n = {n} <= d = {sizes[-1]}: the sample covariance has rank at most n - 1 (the published IsoScore "
            "would be capped at (n - 2)/(d - 1); the reported, bias-corrected one is not, but is noisy)",
            stacklevel=2,
        )
    unique, inverse = distinct_rows(x)
    draws = sampling_draws(n, inverse, len(unique), methods.values(), settings.bootstrap, settings.seed)

    resampled = {m: METHODS[method].scheme for m, method in methods.items() if method != "none"}

    def one(z: np.ndarray, rows: np.ndarray | None, resample: bool) -> Estimates:
        if resample:
            found = _all_metrics(z, draws, sizes, settings, device, resampled)
            return _intervals(found, draws, methods, settings, n)
        sample = draws.first() if rows is None else Draws.of(draws.weights[rows, :1], draws.excluded[rows, :1])
        values = {key: _in_range(key, v[0]) for key, v in _all_metrics(z, sample, sizes, settings, device).items()}
        return Estimates(values, dict.fromkeys(METRICS, int(sample.weights.sum())))

    fitted = any(STRATEGIES[s].fitted for s in settings.strategies)
    orderings = random_orderings(d, settings.random_orderings, streams(settings.seed).orderings)
    inputs = _fitted_inputs(unique, draws.weights[:, 0], fit, settings) if fitted else Inputs()
    scalars, replicates = over_strategies(unique, settings.strategies, one, replace(inputs, orderings=orderings))
    scalars["metric"] = pd.Categorical(scalars["metric"], categories=METRICS, ordered=True)
    scalars = scalars.sort_values(["strategy", "dim", "metric"], kind="stable").reset_index(drop=True)
    scalars["metric"] = scalars["metric"].astype(str)
    base_cov = weighted_covariance(unique, draws.weights[:, 0])
    return Geometry(scalars=scalars, profiles=_profiles(x, base_cov, sizes, settings), replicates=replicates)


def _profiles(x: np.ndarray, cov: np.ndarray, sizes: list[int], settings: SuiteSettings) -> pd.DataFrame:
    rows = []
    for k in sizes:
        rows.extend(
            {
                "strategy": "prefix",
                "dim": k,
                "kind": "covariance_eigenvalue",
                "index": i,
                "value": float(v),
                "outlier": False,
            }
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
    """The suite's scalar table (strategy, dim, metric, value, ci_low, ci_high, interval, n) for ``x``."""
    return measure(x, dims, settings).scalars
