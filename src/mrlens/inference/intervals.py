"""Confidence intervals from an estimate and its resampling replicates, the draws behind them, and which
method each metric of mrlens gets, in the registry of metrics (the one place where a metric's interval method
and its invariance to rotations are declared: :data:`METRIC_RECORDS`). Light: numpy only, read by
:mod:`mrlens.config` while Snakemake parses the workflow.

Methods (``alpha = (1 - confidence) / 2``, ``q_p`` the p-quantile of the replicates ``theta*``):

- ``percentile-bootstrap`` (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13):
  ``[q_alpha, q_{1-alpha}]``. It follows the bias of a plug-in statistic (a resample holds ~63 % distinct
  units), so no metric uses it; it is kept for ``benchmarks/coverage.py`` to show that.
- ``basic-bootstrap`` (reflected; Efron & Tibshirani 1993, section 13.4; Davison & Hinkley 1997, eq. 5.6):
  ``[2 theta - q_{1-alpha}, 2 theta - q_alpha]``; removes a bias that the bootstrap reproduces.
- ``subsampling`` (Politis & Romano 1994, "Large sample confidence regions based on subsamples under
  minimal assumptions", Ann. Stat.): replicates on subsets of ``m`` of the ``n`` units drawn without
  replacement, so no replicate holds a unit twice (nearest-neighbour estimators recompute their
  neighbourhoods on the subset). With ``c = sqrt(m / (n - m))`` (the finite-population form of the
  ``sqrt(m / n)`` rate of a root-n statistic: ``Var(theta_m - theta_n) = sigma^2 (n - m) / (m n)``; Shao &
  Wu 1989, the delete-d jackknife)::

      [theta - c q'_{1-alpha}, theta - c q'_alpha],   q' the quantiles of theta*_m - theta

  mrlens draws half-samples (``m = n // 2``, ``c ~ 1``): a bias ``b(n) = a / n`` then cancels exactly
  (``b(n/2) - b(n) = b(n)``, as in Richardson extrapolation and the jackknife). No metric uses it now
  (Spearman's rho covered 88-93 % with it, 92-94 % with split halves); kept for ``benchmarks/coverage.py``.
- ``split-halves``: ``theta ± z_{1-alpha} sqrt(V)`` with ``V = W2 / 2 - W1`` from J random splits of the
  units into two disjoint halves (replicates ``a_j``, ``b_j``: the ``halves`` scheme draws them in pairs),
  ``W1`` the variance of the 2J half-sample values and ``W2 = mean_j (a_j - b_j)^2``. By Hoeffding's
  decomposition (1948, "A class of statistics with asymptotically normal distribution", Ann. Math. Stat.
  19) an unbiased statistic of degree two is ``theta + L_n + Q_n``, a linear part of variance
  ``s1 / n`` and a degenerate part of variance ``2 s2 / n^2``; with ``m = n / 2``,
  ``W1 ~ s1 / n + 6 s2 / n^2`` and ``W2 ~ 4 s1 / n + 16 s2 / n^2``, so ``V ~ s1 / n + 2 s2 / n^2 =
  Var(theta_n)`` whichever part dominates (the halves of a split are independent samples of n / 2, so
  ``E (a_j - b_j)^2 = 2 Var(theta_{n/2})``). The bootstrap and subsampling assume the linear part does:
  where it vanishes — IsoScore and the participation ratio of an isotropic population, at their maximum;
  rho^2 at rho = 0 — the resample's own deviation from the parameter adds a linear part of its own (for
  a degenerate U-statistic the bootstrap variance is three times the true one), and their intervals
  covered 100 %. For a linear statistic ``a_j - b_j = 2 (a_j - theta)`` and ``V`` is subsampling's
  variance. Between the two, ``V / W1 = (s1 / n + 2 s2 / n^2) / (s1 / n + 6 s2 / n^2)`` lies in [1/3, 1];
  where noise in ``W2`` makes ``V <= 0`` (2 % of isotropic samples at n = 1,500, J = 50), ``V = W1 / 3``, the
  least the decomposition allows, so no interval has zero width (clipping every ``V`` to ``[W1 / 3, W1]``
  would bias it upwards at a degenerate point, where ``W1 / 3`` is the truth: 98 % coverage against
  96-97 % in a 300-repetition pilot). It assumes an unbiased statistic (it does not remove a bias) and a near-normal sampling
  distribution; its coverage is in ``benchmarks/README.md`` (92-99 % for every metric that declares it).

Every interval is widened, where needed, to contain its estimate: a reported interval always holds its
point, and coverage (``benchmarks/coverage.py``) is measured after widening. Its label names the
method, e.g. ``ci95-basic-bootstrap``; ``none`` marks a metric without interval and ``range-orderings``
the minimum to maximum over random orderings (a spread, not a confidence interval).

Random streams: :func:`streams` gives each use of randomness its own stream of
``numpy.random.SeedSequence(seed)``, so one setting (the number of replicates) never changes another's
numbers (the random orderings). Pairing contract: :func:`resampling_counts` depends only on the number
of units, the number of replicates, the scheme and the seed, so two models measured on the same units
in the same order get the same draws, and a difference of their replicate values is a paired resample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

SCHEMES = ("bootstrap", "halves")


@dataclass(frozen=True)
class Streams:
    """One generator per use of randomness; ``orderings`` is ``default_rng(seed)`` itself, the stream the
    random orderings have always used, and each resampling scheme gets its own child of the seed."""

    orderings: np.random.Generator
    resampling: dict[str, np.random.Generator]


# the uses of randomness besides the orderings, each a child of SeedSequence(seed), in this order (append only)
STREAM_USES = (*SCHEMES, "pca_split", "isoscore_star_batches")


def seed_sequence(seed: int, use: str, *key: int) -> np.random.SeedSequence:
    """The seed sequence of ``use`` (:data:`STREAM_USES`), child ``(use, *key)`` of ``SeedSequence(seed)``:
    the i-th use is the i-th child of ``SeedSequence(seed).spawn``, and ``key`` (e.g. a replicate) names
    a grandchild, so a new use or a new replicate never changes another's numbers."""
    return np.random.SeedSequence(seed, spawn_key=(STREAM_USES.index(use), *key))


def streams(seed: int) -> Streams:
    """Independent generators for the random orderings and for each scheme of :data:`SCHEMES`
    (children of ``SeedSequence(seed)``, :func:`seed_sequence`)."""
    return Streams(np.random.default_rng(seed), {s: np.random.default_rng(seed_sequence(seed, s)) for s in SCHEMES})


def resampling_counts(n: int, replicates: int, scheme: str, seed: int) -> np.ndarray:
    """How often each of ``n`` units is drawn in each replicate (n x replicates, int64): ``bootstrap``
    draws n units with replacement, ``halves`` a subset of ``n // 2`` distinct units, in complementary
    pairs: replicates 2j and 2j + 1 are the two disjoint halves of one random permutation (for odd n one
    unit is in neither). Depends only on (n, replicates, scheme, seed): the pairing contract of the module
    docstring."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}; use {list(SCHEMES)}")
    rng = streams(seed).resampling[scheme]
    counts = np.zeros((n, replicates), dtype=np.int64)
    half = n // 2
    for r in range(replicates):
        if scheme == "bootstrap":
            counts[:, r] = np.bincount(rng.integers(0, n, n), minlength=n)
        else:
            if r % 2 == 0:
                order = rng.permutation(n)
            counts[order[half * (r % 2) : half * (r % 2 + 1)], r] = 1
    return counts


def _alpha(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    return (1 - confidence) / 2


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def percentile_interval(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """``[q_alpha, q_{1-alpha}]`` of the (finite) bootstrap replicates (Efron & Tibshirani 1993, ch. 13)."""
    alpha = _alpha(confidence)
    replicates = _finite(replicates)
    return float(np.quantile(replicates, alpha)), float(np.quantile(replicates, 1 - alpha))


def basic_interval(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """``[2 theta - q_{1-alpha}, 2 theta - q_alpha]``, the basic (reflected) bootstrap interval
    (Efron & Tibshirani 1993, section 13.4; Davison & Hinkley 1997, eq. 5.6)."""
    low, high = percentile_interval(estimate, replicates, confidence, n)
    return 2 * estimate - high, 2 * estimate - low


def subsampling_interval(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """``[theta - c q'_{1-alpha}, theta - c q'_alpha]`` from replicates on ``m = n // 2`` distinct units,
    ``q'`` the quantiles of ``theta*_m - theta`` and ``c = sqrt(m / (n - m))`` (Politis & Romano 1994 with
    the finite-population rate; see the module docstring)."""
    m = n // 2
    scale = np.sqrt(m / (n - m))
    low, high = percentile_interval(estimate, replicates - estimate, confidence, n)
    return estimate - scale * high, estimate - scale * low


def split_halves_variance(replicates: np.ndarray, n: int) -> float:
    """``V = W2 / 2 - W1`` (module docstring, ``split-halves``) from half-sample replicates in complementary
    pairs (replicates 2j and 2j + 1); pairs with a non-finite value are left out, a last unpaired one too.
    ``W1 / 3`` (the least the decomposition allows) where noise makes it 0 or less; NaN with fewer than
    two complete pairs."""
    values = np.asarray(replicates, dtype=np.float64)
    pairs = values[: len(values) // 2 * 2].reshape(-1, 2)
    pairs = pairs[np.isfinite(pairs).all(axis=1)]
    if len(pairs) < 2:
        return float("nan")
    within = float(np.var(pairs, ddof=1))
    between = float(np.mean((pairs[:, 0] - pairs[:, 1]) ** 2))
    variance = between / 2 - within
    return variance if variance > 0 else within / 3


def split_halves_interval(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """``theta ± z_{1-alpha} sqrt(V)``, ``V`` of :func:`split_halves_variance` (module docstring)."""
    half = NormalDist().inv_cdf(1 - _alpha(confidence)) * np.sqrt(split_halves_variance(replicates, n))
    return estimate - half, estimate + half


def bootstrap_variance(replicates: np.ndarray, n: int) -> float:
    """The variance of the (finite) bootstrap replicates: the bootstrap estimate of ``Var(theta_n)``."""
    values = _finite(replicates)
    return float(np.var(values, ddof=1)) if len(values) > 1 else float("nan")


def subsampling_variance(replicates: np.ndarray, n: int) -> float:
    """``c^2`` times the variance of the (finite) half-sample replicates, ``c^2 = m / (n - m)``: subsampling's
    estimate of ``Var(theta_n)`` for a root-n statistic."""
    m = n // 2
    return bootstrap_variance(replicates, n) * m / (n - m)


@dataclass(frozen=True)
class Method:
    """An interval method: the resampling scheme its replicates come from, its formula, and its estimate
    of the statistic's sampling variance from the same replicates (``variance(replicates, n)``; the
    document noise that :func:`mrlens.inference.differences.seeds_t_interval` adds)."""

    scheme: str
    formula: Callable[[float, np.ndarray, float, int], tuple[float, float]]
    variance: Callable[[np.ndarray, int], float]


METHODS = {
    "percentile-bootstrap": Method("bootstrap", percentile_interval, bootstrap_variance),
    "basic-bootstrap": Method("bootstrap", basic_interval, bootstrap_variance),
    "subsampling": Method("halves", subsampling_interval, subsampling_variance),
    "split-halves": Method("halves", split_halves_interval, split_halves_variance),
}


@dataclass(frozen=True)
class MetricRecord:
    """What mrlens declares about one metric. ``interval``: its method (a key of :data:`METHODS`) or
    ``none``; ``rotation_invariant``: whether its value is unchanged when the kept dimensions are rotated
    (``x -> x R``, R orthogonal), so that a rotating truncation strategy (``pca``) may report it: true for
    spectra, cosines and distances, false for whatever reads single coordinates (correlation between
    dimensions, outlier and rogue dimensions), which a rotation merely redistributes."""

    interval: str
    rotation_invariant: bool


# The one registry of metrics: geometry metrics, then quality metrics by their name before "@" (ndcg@10 ->
# ndcg). Interval methods chosen by the coverage of benchmarks/coverage.py (table in benchmarks/README.md):
# a metric whose best method does not cover 90-99 % of the time in every population there gets "none".
METRIC_RECORDS = {
    "isoscore": MetricRecord("split-halves", True),  # bias-corrected tr(Sigma^2), degenerate at isotropy
    "isoscore_star": MetricRecord("basic-bootstrap", True),  # C0's biases removed; replicates centred (suite)
    "participation_ratio": MetricRecord("split-halves", True),
    "average_cosine": MetricRecord("split-halves", True),  # U-statistics (pairs of distinct documents)
    "uniformity": MetricRecord("split-halves", True),  # the log of one: basic bootstrap 89 % in one cell
    "mean_abs_correlation": MetricRecord("none", False),  # floor sqrt(2 / (pi n)) when rho = 0: 0-10 % coverage of 0
    "mean_sq_correlation": MetricRecord("split-halves", False),  # bias-corrected r^2, degenerate at rho = 0
    "max_abs_correlation": MetricRecord("none", False),
    "effective_rank_sigma": MetricRecord("none", True),  # biased plug-ins, maximal at isotropy: basic bootstrap
    "effective_rank_sigma2": MetricRecord("none", True),  # 100 % (sigma) and 72 % (sigma^2) there
    "numerical_rank": MetricRecord("none", True),
    "outliers_variance_count": MetricRecord("none", False),
    "outliers_variance_share": MetricRecord("none", False),
    "outliers_magnitude_count": MetricRecord("none", False),
    "rogue_top_share": MetricRecord("none", False),  # a top-k (max-type) share: basic bootstrap 67-100 %
    "rogue_count": MetricRecord("none", False),
    "twonn": MetricRecord("none", True),  # biased below the intrinsic dimension: 0-83 % coverage
    "mle": MetricRecord("none", True),  # biased below the intrinsic dimension: 0 % coverage
    "duplicates": MetricRecord("none", True),
    "spearman": MetricRecord("split-halves", True),  # 92-94 % (subsampling 88-93 %, basic bootstrap 86-92 %)
    "ndcg": MetricRecord("basic-bootstrap", True),
    "mrr": MetricRecord("basic-bootstrap", True),
    "recall": MetricRecord("basic-bootstrap", True),
    "alignment": MetricRecord("basic-bootstrap", True),
}
INTERVAL_METHODS = {name: record.interval for name, record in METRIC_RECORDS.items()}  # metric -> method, a view


def record_of(metric: str) -> MetricRecord:
    """The record of ``metric`` (:data:`METRIC_RECORDS`, by its name before "@"); a ``KeyError`` names an
    unknown one."""
    name = metric.split("@")[0]
    if name not in METRIC_RECORDS:
        raise KeyError(f"metric {metric!r} is not declared in mrlens.inference.intervals.METRIC_RECORDS")
    return METRIC_RECORDS[name]


def method_of(metric: str) -> str:
    """The interval method of ``metric`` (:data:`METRIC_RECORDS`); a ``KeyError`` names an unknown one."""
    return record_of(metric).interval


def interval_label(method: str, confidence: float, low: float = 0.0) -> str:
    """The ``interval`` column's text: ``ci95-basic-bootstrap``, or ``none`` (also for a NaN lower bound
    ``low``: an interval its replicates could not give, e.g. split halves of too few)."""
    return "none" if method == "none" or np.isnan(low) else f"ci{100 * confidence:g}-{method}"


def interval(method: str, estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """The ``confidence`` interval of ``method`` (:data:`METHODS`) from the estimate and its replicates
    (in replicate order; each formula leaves out the non-finite ones) over ``n`` units, widened to contain
    the estimate; NaNs for ``none``, for a non-finite estimate or without finite replicates or bounds."""
    replicates = np.asarray(replicates, dtype=np.float64)
    if method == "none" or not np.isfinite(replicates).any() or not np.isfinite(estimate):
        return float("nan"), float("nan")
    low, high = METHODS[method].formula(float(estimate), replicates, confidence, n)
    if not (np.isfinite(low) and np.isfinite(high)):
        return float("nan"), float("nan")
    return min(low, float(estimate)), max(high, float(estimate))
