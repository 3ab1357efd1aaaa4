"""Resampling, in one place: the seeded draws (bootstrap resamples, complementary half-splits, crossed
draws of texts and pairs), the confidence intervals computed from an estimate and its replicates, and the
``interval`` labels that name them (built by :func:`interval_label`, read back by :func:`method_of_label`
and put in words by :func:`label_words`). Which method each metric gets is declared in the metric registry
(:mod:`mrlens.metrics.registry`). Light: numpy only (scipy imported where a formula needs it), read while
Snakemake parses the workflow. The geometry suite, the quality tasks and the paired differences all draw
and label through this module, so ``mrlens.inference`` (differences, claims, findings) sits above
``mrlens.metrics`` and ``mrlens.quality``.

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
- ``split-halves``: ``theta ± t_{J-1, 1-alpha} sqrt(V)`` with ``V = W2 / 2 - W1`` from J random splits of the
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
  distribution; its coverage is in ``benchmarks/README.md``.
  **One long arm.** Near a metric's extremum (IsoScore and the participation ratio are largest at isotropy;
  uniformity, the average cosine and the weighted mean r^2 least at a symmetric point) the linear part shrinks
  as the estimate nears the extremum, so a sample whose estimate lands close to it gets a small ``V``, and
  the truth falls beyond the arm pointing away from the extremum: on a mixture of 20 equal clusters in 64
  dimensions (whose centres' norms concentrate, so that the shares' gradient nearly vanishes; ``V / W1 ~
  0.43``) IsoScore missed 8.8 % below and uniformity 9.6 % above, 0-1 % on the other side. That arm (the
  metric registry's ``long_arm``) takes ``W1``, an upper bound whichever part dominates, held to ``W2 / 3``
  where the degenerate part outweighs the linear one (:func:`split_halves_long_variance`: there ``W1`` counts
  it three times, and IsoScore's low arm on those clusters missed 0.0 %, 0.9 % with the hold); the other
  keeps ``V``, so at isotropy, where the truth cannot lie beyond the extremum, the interval is no wider.
  Where the half-samples show the estimate biased towards the short side (:func:`split_halves_bias`; a ratio
  of unbiased estimates is biased by ``O(1 / n)``, much more under heavy tails), the long arm also reaches as
  far past the bias-corrected estimate. Paired differences keep equal arms (a difference has no extremum).
- ``split-halves-sqrt`` (:func:`split_halves_sqrt_interval`): split halves on the square-root scale, for a
  squared norm (the average cosine); ``split-halves-rsqrt`` (:func:`split_halves_rsqrt_interval`) on the
  reciprocal square-root scale, for the weighted mean r^2, whose low estimates come with lower variances
  still; ``split-halves-log`` (:func:`split_halves_log_interval`) on the log scale, which no metric takes now.
  Their paired differences take ``split-halves`` on the raw scale.
- ``grouped-jackknife`` (:func:`grouped_jackknife_interval`): ``theta ± t_{G-1} sqrt(V_J)`` from the G
  leave-one-group-out values of the ``groups`` scheme. No metric uses it; ``benchmarks/coverage.py``
  measures it beside split halves: its variance counts a statistic's degenerate part about twice, which
  over-covers an isotropic population and covered a mixture of tight clusters where split halves missed.
- ``crossed-bootstrap`` and ``documents-bootstrap``: for pairs whose unit is the text (word pairs that
  repeat words; all pairs among documents), ``theta ± z sqrt(V)`` with ``V`` from a bootstrap of the texts
  and one of the pairs (:func:`crossed_variance`, :func:`documents_variance`); a task kind declares its
  unit (:data:`UNIT_METHODS`).
- ``korn-graubard`` (:func:`korn_graubard_interval`): a mean of per-query scores in [0, 1], the
  Clopper-Pearson interval on the effective number of queries (its variance holding a pseudo-query at the
  top score, so that a score near its floor keeps its width), within [0, 1] and not empty at the ceiling;
  its paired differences take
  ``student-t`` (:func:`student_t_interval`), ``d ± t_{n-1} s / sqrt(n)`` over the queries.

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

SCHEMES = ("bootstrap", "halves", "groups")


@dataclass(frozen=True)
class Streams:
    """One generator per use of randomness; ``orderings`` is ``default_rng(seed)`` itself, the stream the
    random orderings have always used, and each resampling scheme gets its own child of the seed."""

    orderings: np.random.Generator
    resampling: dict[str, np.random.Generator]


# the uses of randomness besides the orderings, each a child of SeedSequence(seed), in this order (append only)
STREAM_USES = ("bootstrap", "halves", "pca_split", "isoscore_star_batches", "crossed", "groups")


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
    unit is in neither); ``groups`` deals the units at random into ``replicates`` groups of (nearly) equal
    size, and replicate g holds every unit but those of group g (the grouped jackknife). Depends only on
    (n, replicates, scheme, seed): the pairing contract of the module docstring."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}; use {list(SCHEMES)}")
    rng = streams(seed).resampling[scheme]
    if scheme == "groups":
        groups = rng.permutation(n) % replicates
        return (groups[:, None] != np.arange(replicates)[None, :]).astype(np.int64)
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


def crossed_counts(a: np.ndarray, b: np.ndarray, texts: int, replicates: int, seed: int) -> np.ndarray:
    """The weight of each pair ``(a[i], b[i])`` (indices of ``texts`` texts) in each replicate (pairs x
    replicates, float64), for a design whose unit is the text (all pairs among 50 documents; word pairs that
    repeat words): replicate 2j draws the ``texts`` texts with replacement, ``c_w`` times each, and weighs
    every pair by ``(c_a + c_b) / 2``; replicate 2j + 1 draws the pairs with replacement.
    :func:`crossed_variance` combines the two. Depends only on (design, replicates, seed): the pairing
    contract of the module docstring."""
    rng = np.random.default_rng(seed_sequence(seed, "crossed"))
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    weights = np.zeros((len(a), replicates))
    for r in range(replicates):
        if r % 2 == 0:
            drawn = np.bincount(rng.integers(0, texts, texts), minlength=texts)
            weights[:, r] = (drawn[a] + drawn[b]) / 2
        else:
            weights[:, r] = np.bincount(rng.integers(0, len(a), len(a)), minlength=len(a))
    return weights


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


def _split_spreads(replicates: np.ndarray) -> tuple[int, float, float, float]:
    """``(J, W1, W2, mean)`` of the complete splits: half-sample replicates in complementary pairs (replicates
    2j and 2j + 1), pairs with a non-finite value left out, a last unpaired one too; ``W1`` the variance of
    their 2J values, ``W2 = mean_j (a_j - b_j)^2`` (module docstring, ``split-halves``) and ``mean`` the
    mean of the 2J values; NaNs below J = 2."""
    values = np.asarray(replicates, dtype=np.float64)
    pairs = values[: len(values) // 2 * 2].reshape(-1, 2)
    pairs = pairs[np.isfinite(pairs).all(axis=1)]
    if len(pairs) < 2:
        return len(pairs), float("nan"), float("nan"), float("nan")
    return (
        len(pairs),
        float(np.var(pairs, ddof=1)),
        float(np.mean((pairs[:, 0] - pairs[:, 1]) ** 2)),
        float(pairs.mean()),
    )


def split_halves_variance(replicates: np.ndarray, n: int) -> float:
    """``V = W2 / 2 - W1`` (module docstring, ``split-halves``) from the complete splits (:func:`_split_spreads`).
    ``W1 / 3`` (the least the decomposition allows) where noise makes it 0 or less; NaN with fewer than
    two complete pairs."""
    _, within, between, _ = _split_spreads(replicates)
    return _variance(within, between)


def _variance(within: float, between: float) -> float:
    """``V = W2 / 2 - W1`` from ``W1`` (``within``) and ``W2`` (``between``), ``W1 / 3`` where it is 0 or less."""
    variance = between / 2 - within
    return variance if variance > 0 or np.isnan(variance) else within / 3


def split_halves_long_variance(replicates: np.ndarray, n: int) -> float:
    """The variance of a split-halves interval's long arm, ``min(W1, W2 / 3)`` and at least ``V`` (from the
    complete splits, :func:`_split_spreads`). ``W1``, the variance of the 2J half-sample values (subsampling's
    variance, ``c = 1``), is by Hoeffding's decomposition (module docstring) ``~ s1 / n + 6 s2 / n^2``, the
    linear part once and the degenerate part three times, against ``Var(theta_n) = s1 / n + 2 s2 / n^2``: an
    upper bound whichever part dominates. ``W2 / 3 = 2 (W1 + V) / 3`` is below it exactly where ``W1 > 2 V``,
    i.e. where the degenerate part ``2 s2 / n^2`` outweighs the linear ``s1 / n`` (``W1 - 2 V ~ 2 s2 / n^2 -
    s1 / n``): there ``W1`` grows three times as fast as the variance (on 20 clusters in 64 dimensions it
    is 2.3 times the estimator's variance, and that arm missed 0.0 % of 2,000 samples), while ``W2 / 3``, the
    same sum of the two parts at ``2 V``, holds its width against a small ``V`` (a difference, noisy where
    the degenerate part is large). ``W1 >= V`` always (the pairs' own spread gives ``(2J - 1) W1 >= J W2 / 2``,
    so ``V = W2 / 2 - W1 < W2 / 4 < W1``) and so is ``W2 / 3`` where ``V > 0``; only the floor ``V = W1 / 3``
    can exceed ``W2 / 3``. NaN with fewer than two complete pairs."""
    _, within, between, _ = _split_spreads(replicates)
    return _long_variance(within, between)


def _long_variance(within: float, between: float) -> float:
    """``min(W1, W2 / 3)``, at least ``V`` (:func:`_variance`), from ``W1`` (``within``) and ``W2`` (``between``)."""
    return max(min(within, between / 3), _variance(within, between))


def t_quantile(p: float, freedom: float) -> float:
    """The p-quantile of Student's t with ``freedom`` degrees of freedom (the normal's for infinitely many)."""
    if not np.isfinite(freedom):
        return NormalDist().inv_cdf(p)
    from scipy.stats import t  # here: the workflow reads this module while parsing, without scipy

    return float(t.ppf(p, freedom))


def split_freedom(replicates: np.ndarray, n: int) -> float:
    """J - 1, J the complete splits (finite pairs of complementary half-sample replicates)."""
    return float(_split_spreads(replicates)[0] - 1)


def split_halves_interval(
    estimate: float, replicates: np.ndarray, confidence: float, n: int, long_arm: str = ""
) -> tuple[float, float]:
    """``theta ± t_{J-1, 1-alpha} sqrt(V)``, ``V`` of :func:`split_halves_variance` (module docstring) from J
    complete splits: ``V`` has a relative error of about ``sqrt(2 / J)`` (0.2 at J = 50), which the t quantile
    on J - 1 degrees of freedom carries. ``long_arm`` (``low`` or ``high``; the metric registry's
    :attr:`mrlens.metrics.registry.Metric.long_arm`): that arm takes :func:`split_halves_long_variance`
    instead, the other keeps ``V``; where the half-samples show the estimate biased away from that arm
    (:func:`split_halves_bias`: up, for a low long arm), the arm also reaches past the bias-corrected
    estimate by as much. Heavy tails make such a bias large (IsoScore on t with 8 degrees of freedom: 0.530
    against 0.522 at n = 200), and the other arm is not moved, so the interval is never narrower."""
    splits, within, between, mean = _split_spreads(replicates)  # the pairs read once: J, W1, W2, their mean
    if splits < 2:
        return float("nan"), float("nan")
    quantile = t_quantile(1 - _alpha(confidence), splits - 1)
    half = quantile * np.sqrt(_variance(within, between))
    long = half
    if long_arm:
        bias = mean - float(estimate)  # split_halves_bias
        toward = max(bias if long_arm == "low" else -bias, 0.0)  # the estimate lies beyond the truth on the other side
        long = quantile * np.sqrt(_long_variance(within, between)) + toward  # split_halves_long_variance
    return estimate - (long if long_arm == "low" else half), estimate + (long if long_arm == "high" else half)


def split_halves_bias(estimate: float, replicates: np.ndarray) -> float:
    """The half-samples' estimate of the estimator's bias: the mean of the 2J half-sample values of the complete
    splits less the estimate. A bias ``b(n) = a / n`` (a ratio of unbiased estimates, as IsoScore, the
    participation ratio and the weighted mean r^2: ``E[1 / T] > 1 / E[T]``) is twice as large at n / 2, so
    ``mean - theta ~ b(n/2) - b(n) = b(n)`` (the half-sample jackknife; Quenouille 1956, "Notes on bias in
    estimation", Biometrika 43). A degree-2 U-statistic has none: each split's two halves average to
    ``theta`` up to a zero-mean degenerate part. NaN below J = 2."""
    return _split_spreads(replicates)[3] - float(estimate)


def _split_halves_on_scale(
    estimate: float,
    replicates: np.ndarray,
    confidence: float,
    n: int,
    long_arm: str,
    forward: Callable[[np.ndarray], np.ndarray],
    inverse: Callable[[float], float],
    decreasing: bool = False,
) -> tuple[float, float]:
    """:func:`split_halves_interval` of ``forward(estimate)`` from ``forward(replicates)``, its bounds mapped
    back by ``inverse`` (swapped, and ``long_arm`` taken on the other side, for a ``decreasing`` scale); the
    raw scale's where the estimate or a finite half-sample value is not positive (a population value near 0,
    where the scale's domain ends or its slope diverges) or a bound maps back to no finite value."""
    values = np.asarray(replicates, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not estimate > 0 or (finite <= 0).any():
        return split_halves_interval(estimate, values, confidence, n, long_arm)
    arm = {"low": "high", "high": "low"}.get(long_arm, long_arm) if decreasing else long_arm
    low, high = (
        inverse(b) for b in split_halves_interval(float(forward(estimate)), forward(values), confidence, n, arm)
    )
    if not (np.isfinite(low) and np.isfinite(high)):
        return split_halves_interval(estimate, values, confidence, n, long_arm)
    return (high, low) if decreasing else (low, high)


def split_halves_log_interval(
    estimate: float, replicates: np.ndarray, confidence: float, n: int, long_arm: str = ""
) -> tuple[float, float]:
    """Split halves on the log scale, ``exp(log theta ± t_{J-1, 1-alpha} sqrt(V_log))``, ``V_log`` of
    :func:`split_halves_variance` from the logs of the half-sample values (``long_arm`` as in
    :func:`split_halves_interval`, on the log scale); the raw scale's
    :func:`split_halves_interval` where the estimate or a half-sample value is not positive (a population
    value near 0, where the log's domain ends). For a positive statistic whose sampling distribution leans
    right, a low estimate comes with a low variance and the raw interval's misses fall on one side. No
    metric takes it now: the weighted mean r^2 took it until 2026-12-04 and takes
    :func:`split_halves_rsqrt_interval`; kept for ``benchmarks/coverage.py``. The participation ratio leans
    the other way (a high estimate comes with a low variance), where the log makes it worse; it keeps the raw
    scale."""
    return _split_halves_on_scale(estimate, replicates, confidence, n, long_arm, np.log, lambda y: float(np.exp(y)))


def split_halves_rsqrt_interval(
    estimate: float, replicates: np.ndarray, confidence: float, n: int, long_arm: str = ""
) -> tuple[float, float]:
    """Split halves on the reciprocal square-root scale: ``theta^(-1/2) ± t_{J-1, 1-alpha} sqrt(V_r)`` mapped
    back by ``y -> y^(-2)``, ``V_r`` from ``theta*^(-1/2)`` of the half-sample values. The scale decreases,
    so ``long_arm`` (``low`` or ``high`` on the raw scale) lengthens the opposite arm on it; the raw scale's
    interval where the estimate or a half-sample value is not positive, or where the lower bound on that
    scale is not (no upper bound on the raw scale: a relative error near 1/2 or more). The Box-Cox power
    -1/2 (Box & Cox 1964, "An analysis of transformations", JRSS B 26), chosen by coverage from 1, 1/2, 0
    (the log), -1/2 and -1 for the weighted mean r^2, a ratio of sums of squared covariances: where the
    estimate is low its variance is lower still, more than the log allows for, and on the log scale its
    misses fell above, 4.0-4.5 % a side at 64 dimensions on Gaussian and t (12 and 30 df) populations; on
    this scale 3.1-3.6 %, 2.6-2.9 % with the long arm's bias reach, and on the trained twins' embeddings
    0.8-1.2 % above and 2.5-4.0 % below (``benchmarks/README.md``, "Scales, the gate and the long arm's bias
    reach")."""
    return _split_halves_on_scale(
        estimate, replicates, confidence, n, long_arm, lambda x: x**-0.5, _reciprocal_square, decreasing=True
    )


def _reciprocal_square(y: float) -> float:
    """``y^(-2)``, the inverse of ``theta^(-1/2)``; +inf at or below 0 (no value of theta maps there)."""
    return float(y**-2.0) if y > 0 else float("inf")


def split_halves_sqrt_interval(
    estimate: float, replicates: np.ndarray, confidence: float, n: int, long_arm: str = ""
) -> tuple[float, float]:
    """Split halves on the square-root scale, ``(sqrt(theta) ± t_{J-1, 1-alpha} sqrt(V_sqrt))^2`` (a negative
    lower bound on that scale taken as 0), ``V_sqrt`` from the square roots of the half-sample values;
    ``long_arm`` as in :func:`split_halves_interval`, and the raw scale's interval where the estimate or a
    half-sample value is not positive. For a squared norm, the average cosine ``||E u||^2`` (its estimate
    ``||mean u||^2`` less the self-pairs): the estimate's distribution is that of a noncentral chi-square,
    which leans right, and its square root, a noncentral chi, is near normal (Fisher's ``sqrt(2 chi^2)``
    approximation; Johnson, Kotz & Balakrishnan 1995, *Continuous Univariate Distributions* 2, ch. 29).
    The log over-corrects wherever the unit vectors' projections on their mean lean left, as under heavy tails
    (a point far out along its own direction has a small projection): on multivariate t its misses fell
    below, up to 4.6 % a side, on the square-root scale at most 3.7 % (``benchmarks/README.md``, "Scales, the
    gate and the long arm's bias reach")."""
    return _split_halves_on_scale(
        estimate, replicates, confidence, n, long_arm, np.sqrt, lambda y: float(max(y, 0.0) ** 2)
    )


def jackknife_variance(replicates: np.ndarray, n: int) -> float:
    """``V_J = (G - 1) / G sum_g (theta_(g) - mean)^2`` over the G (finite) leave-one-group-out values of the
    ``groups`` scheme (Tukey 1958; grouped: Efron & Tibshirani 1993, section 11.5): exact for a mean, and
    biased upwards by a statistic's degenerate (degree-2) part, which it counts about twice (Efron & Stein
    1981, "The jackknife estimate of variance", Ann. Stat. 9): at an isotropic population, where that part is
    all, ``V_J`` is twice ``Var(theta_n)``; NaN with fewer than two values."""
    groups = len(_finite(replicates))
    return bootstrap_variance(replicates, n) * (groups - 1) ** 2 / groups if groups > 1 else float("nan")


def jackknife_freedom(replicates: np.ndarray, n: int) -> float:
    """G - 1, G the finite leave-one-group-out values."""
    return float(len(_finite(replicates)) - 1)


def grouped_jackknife_interval(
    estimate: float, replicates: np.ndarray, confidence: float, n: int
) -> tuple[float, float]:
    """``theta ± t_{G-1, 1-alpha} sqrt(V_J)``, ``V_J`` of :func:`jackknife_variance`. No metric declares it: it
    is measured beside split halves in ``benchmarks/coverage.py``, where its upward bias covers a mixture of
    20 tight clusters that split halves misses, and over-covers where the statistic is degenerate
    (``benchmarks/README.md``)."""
    freedom = jackknife_freedom(replicates, n)
    if freedom < 1:
        return float("nan"), float("nan")
    half = t_quantile(1 - _alpha(confidence), freedom) * np.sqrt(jackknife_variance(replicates, n))
    return estimate - half, estimate + half


def crossed_variance(replicates: np.ndarray, n: int) -> float:
    """``V = 4 W_texts - W_pairs`` from the replicates of :func:`crossed_counts`, ``W_texts`` the variance of
    the texts' draws (even replicates), ``W_pairs`` that of the pairs' (odd); at least ``W_pairs``.

    To first order a statistic of N pairs is ``theta + sum_p psi_p / N`` with ``psi_p = f(a_p) + f(b_p) +
    e_p`` (an effect of each text, one of the pair), so ``N^2 Var(theta) = sum_w m_w^2 var f + N var e``,
    ``m_w`` the number of pairs that hold text w. With ``S_w`` the sum of ``psi`` over those pairs,
    ``E [sum_w S_w^2 - sum_p psi_p^2] = N^2 Var(theta)``: the method-of-moments variance of crossed random
    effects (Owen 2007, "The pigeonhole bootstrap", Ann. Appl. Stat. 1, for one set of units). The texts'
    draws weigh pair p by ``1 + (delta_a + delta_b) / 2``, linear in the text counts (a product ``c_a c_b``
    would add a quadratic term whose size depends on the design), so ``4 W_texts ~ sum_w S_w^2 / N^2``; the
    pairs' draws give ``W_pairs ~ sum_p psi_p^2 / N^2``. Where every text is in one pair ``V`` is the pairs'
    bootstrap variance; with all pairs among documents it is the variance over documents of a U-statistic of
    degree 2 (Hoeffding 1948). The truth is at least ``sum_p psi_p^2 / N^2`` (``m_w^2 >= m_w``), hence the
    floor. Coverage of Spearman's rho on word pairs (1,000 pairs over 300 or 1,000 words): 94-95 %, misses
    3-4 % below and 2 % above (``benchmarks/README.md``)."""
    values = np.asarray(replicates, dtype=np.float64)
    texts, pairs = _finite(values[0::2]), _finite(values[1::2])
    if len(texts) < 2 or len(pairs) < 2:
        return float("nan")
    by_pairs = float(np.var(pairs, ddof=1))
    return max(4 * float(np.var(texts, ddof=1)) - by_pairs, by_pairs)


def documents_variance(replicates: np.ndarray, n: int) -> float:
    """``4 W_texts`` (:func:`crossed_variance`): the variance over documents of a statistic of all the pairs
    among them, ``sum_w S_w^2 / N^2``, which counts the pairs' own part twice (conservative where it
    dominates). Subtracting ``W_pairs`` is right for a mean of the pairs but left Spearman's rho of all 1,225
    pairs of 50 documents 30 % short of its variance in a simulation (a rank statistic compares pairs that
    share a document, a part of higher degree); ``4 W_texts`` was 9 % above it."""
    texts = _finite(np.asarray(replicates, dtype=np.float64)[0::2])
    return 4 * float(np.var(texts, ddof=1)) if len(texts) > 1 else float("nan")


def _normal_interval(variance: Callable[[np.ndarray, int], float]):
    def formula(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
        half = NormalDist().inv_cdf(1 - _alpha(confidence)) * np.sqrt(variance(replicates, n))
        return estimate - half, estimate + half

    formula.__doc__ = f"``theta ± z_{{1-alpha}} sqrt(V)``, ``V`` of :func:`{variance.__name__}`."
    return formula


def mean_variance(replicates: np.ndarray, n: int) -> float:
    """``s^2 / n`` of a mean over ``n`` units from its bootstrap replicates: their variance times
    ``n / (n - 1)`` (the bootstrap's is ``(n - 1) / n`` of it; Efron & Tibshirani 1993, section 5.2)."""
    return bootstrap_variance(replicates, n) * n / max(n - 1, 1)


def student_t_interval(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """``theta ± t_{n-1, 1-alpha} s / sqrt(n)`` for a mean over ``n`` units, ``s^2 / n`` of
    :func:`mean_variance` (Student 1908): the paired difference of a retrieval metric."""
    half = t_quantile(1 - _alpha(confidence), max(n - 1, 1)) * np.sqrt(mean_variance(replicates, n))
    return estimate - half, estimate + half


TOP_SCORE_WEIGHT = 0.1  # the weight of the pseudo-query at the top score in Korn-Graubard's variance


def korn_graubard_interval(estimate: float, replicates: np.ndarray, confidence: float, n: int) -> tuple[float, float]:
    """For a mean ``p`` of ``n`` per-query scores in [0, 1] (nDCG, MRR, Recall@k): the Clopper-Pearson
    interval (1934) on the effective number of queries, Korn & Graubard (1998, "Confidence intervals for
    proportions with small expected number of positive counts estimated from survey data", Survey
    Methodology 24)::

        n* = p (1 - p) / v * (z_{1-alpha} / t_{n-1, 1-alpha})^2,   x* = p n*,
        [B_alpha(x*, n* - x* + 1), B_{1-alpha}(x* + 1, n* - x*)]

    ``B_q(a, b)`` the q-quantile of Beta(a, b) (0 for x* = 0, 1 for x* = n*). It stays within [0, 1] and,
    unlike ``p ± q sqrt(v)``, keeps a width where every query scores the same: ``n* = n (z / t)^2`` there
    (the binary worst case; a sample at the ceiling, every query at 1, gives ``[alpha^(1 / n*), 1]``).

    ``v``: the variance of the mean with a pseudo-query of weight ``w`` (:data:`TOP_SCORE_WEIGHT`) at the
    top score 1, ``v = (sum_i (s_i - p)^2 + w (1 - p)^2) / ((n - 1 + w) n)``. Near the floor (MRR@10 of
    0.03: a hit in one query of eight, mostly at ranks 5-10) a sample whose few hits all scored low
    underestimates both ``p`` and the sample variance, ``n*`` grows to ``n / s`` for hits of score ``s``,
    and Korn and Graubard's own interval lay below the truth 8-9 % of the time at 50 queries. The pseudo-
    query bounds ``n*`` by ``p n^2 / w`` and changes nothing where the scores spread (recall, nDCG and MRR
    away from the floor, Beta scores: the same coverage to 0.1 point in 6,000 samples). At the floor the
    interval covers 99.2-99.5 % with at most 0.7 % on a side, as Clopper-Pearson's own does for a binary
    score at ``n p ~ 0.5``; a weight of 0.05 left 3 % on one side, the geometric mean of ``n*`` and ``n``
    99.5 % for Beta scores. At n = 50 queries the basic bootstrap covered recall@100 75 % of the time,
    nearly all misses on one side; Wilson's interval on ``n*`` still missed 5.8 % on one side for a recall
    of 0.97; coverage of this one: ``benchmarks/README.md``."""
    from scipy.stats import beta  # here: the workflow reads this module while parsing, without scipy

    alpha = _alpha(confidence)
    p = min(max(float(estimate), 0.0), 1.0)
    squares = mean_variance(replicates, n) * n * (n - 1)  # sum_i (s_i - p)^2
    v = (squares + TOP_SCORE_WEIGHT * (1 - p) ** 2) / ((n - 1 + TOP_SCORE_WEIGHT) * n)
    shrink = (NormalDist().inv_cdf(1 - alpha) / t_quantile(1 - alpha, max(n - 1, 1))) ** 2
    effective = (p * (1 - p) / v if v > 0 and 0 < p < 1 else float(n)) * shrink
    x = p * effective
    low = float(beta.ppf(alpha, x, effective - x + 1)) if x > 0 else 0.0
    high = float(beta.ppf(1 - alpha, x + 1, effective - x)) if x < effective else 1.0
    return low, high


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
    paired: str | None = None  # the method of its paired differences (a key of METHODS), if another
    freedom: Callable[[np.ndarray, int], float] = lambda replicates, n: float("inf")  # of the variance estimate
    long_arm: bool = False  # its formula takes a ``long_arm`` (split halves): one arm with a conservative variance


METHODS = {
    "percentile-bootstrap": Method("bootstrap", percentile_interval, bootstrap_variance),
    "basic-bootstrap": Method("bootstrap", basic_interval, bootstrap_variance),
    "subsampling": Method("halves", subsampling_interval, subsampling_variance),
    "split-halves": Method(
        "halves", split_halves_interval, split_halves_variance, freedom=split_freedom, long_arm=True
    ),
    "split-halves-log": Method(
        "halves", split_halves_log_interval, split_halves_variance, "split-halves", split_freedom, long_arm=True
    ),
    "split-halves-sqrt": Method(
        "halves", split_halves_sqrt_interval, split_halves_variance, "split-halves", split_freedom, long_arm=True
    ),
    "split-halves-rsqrt": Method(
        "halves", split_halves_rsqrt_interval, split_halves_variance, "split-halves", split_freedom, long_arm=True
    ),
    "grouped-jackknife": Method("groups", grouped_jackknife_interval, jackknife_variance, freedom=jackknife_freedom),
    "crossed-bootstrap": Method("crossed", _normal_interval(crossed_variance), crossed_variance),
    "documents-bootstrap": Method("crossed", _normal_interval(documents_variance), documents_variance),
    "student-t": Method("bootstrap", student_t_interval, mean_variance, freedom=lambda r, n: float(n - 1)),
    "korn-graubard": Method(
        "bootstrap", korn_graubard_interval, mean_variance, "student-t", freedom=lambda r, n: float(n - 1)
    ),
}
# the resampling unit of a task (mrlens.kinds.Kind.unit) -> the method of every metric with an interval
UNIT_METHODS = {"documents": "documents-bootstrap", "words": "crossed-bootstrap"}


# a bounded method's label for a sample at an end of the metric's range [0, 1] (every query scored 1, or 0)
EDGES = {1.0: "-ceiling", 0.0: "-floor"}
BOUNDED = ("korn-graubard",)
RANGE_ORDERINGS = "range-orderings"  # the label of a spread: minimum to maximum over random orderings
HEAVY_TAILS_LABEL = "none-heavy-tails"  # no interval: the sample's tails are too heavy for the metric's method
NONE_WORDS = {"none": "no interval", HEAVY_TAILS_LABEL: "no interval (heavy tails)"}
SCALE_WORDS = {
    "-log": "log scale",
    "-rsqrt": "reciprocal square-root scale",
    "-sqrt": "square-root scale",
}  # a method's suffix: the scale of its interval


def ci_label(confidence: float, name: str) -> str:
    """A confidence interval's label: ``ci95-basic-bootstrap``, ``ci95-paired-student-t``, ``ci95-seeds-t``."""
    return f"ci{100 * confidence:g}-{name}"


def interval_label(method: str, confidence: float, low: float = 0.0, value: float = 0.5) -> str:
    """The ``interval`` column's text: ``ci95-basic-bootstrap``, or ``none`` (also for a NaN lower bound
    ``low``: an interval its replicates could not give, e.g. split halves of too few). A method of
    :data:`BOUNDED` flags an estimate ``value`` at an end of [0, 1]: ``ci95-korn-graubard-ceiling`` where every
    query scored 1 (its interval is ``[alpha^(1 / n*), 1]``, not the zero width of a resampling interval)."""
    if method == "none" or np.isnan(low):
        return "none"
    return ci_label(confidence, method) + (EDGES.get(float(value), "") if method in BOUNDED else "")


def method_of_label(label: str) -> str | None:
    """The method (a key of :data:`METHODS`) an ``interval`` label names (:func:`interval_label`), or None
    (``none``, ``range-orderings``, a paired or pooled label)."""
    if not label.startswith("ci"):
        return None
    name = label.split("-", 1)[-1]
    for edge in EDGES.values():
        name = name.removesuffix(edge)
    return name if name in METHODS else None


def label_words(label: str) -> str:
    """An ``interval`` label in words: ``ci95-basic-bootstrap`` -> "95 % CI (basic bootstrap)",
    ``ci95-split-halves-log`` -> "95 % CI (split halves, log scale)", ``range-orderings`` -> "min–max over
    random orderings", ``none-heavy-tails`` -> "no interval (heavy tails)"."""
    if label == RANGE_ORDERINGS:
        return "min–max over random orderings"
    if label in NONE_WORDS:
        return NONE_WORDS[label]
    level, _, method = label.partition("-")
    suffix = next((s for s in SCALE_WORDS if method.endswith(s)), "")
    scale = f", {SCALE_WORDS[suffix]}" if suffix else ""
    return f"{level[2:]} % CI ({method.removesuffix(suffix).replace('-', ' ')}{scale})"


def interval(
    method: str,
    estimate: float,
    replicates: np.ndarray,
    confidence: float,
    n: int,
    paired: bool = False,
    long_arm: str = "",
) -> tuple[float, float]:
    """The ``confidence`` interval of ``method`` (:data:`METHODS`) from the estimate and its replicates
    (in replicate order; each formula leaves out the non-finite ones) over ``n`` units, widened to contain
    the estimate; NaNs for ``none``, for a non-finite estimate or without finite replicates or bounds.
    ``paired``: the estimate is a paired difference (a method's :attr:`Method.paired` formula, if any; its
    arms stay equal). ``long_arm``: the metric's (:attr:`mrlens.metrics.registry.Metric.long_arm`), for a
    method that takes one (:attr:`Method.long_arm`)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    if method == "none" or not np.isfinite(replicates).any() or not np.isfinite(estimate):
        return float("nan"), float("nan")
    chosen = METHODS[(paired and METHODS[method].paired) or method]
    if chosen.long_arm and long_arm and not paired:
        low, high = chosen.formula(float(estimate), replicates, confidence, n, long_arm)  # type: ignore[call-arg]
    else:
        low, high = chosen.formula(float(estimate), replicates, confidence, n)
    if not (np.isfinite(low) and np.isfinite(high)):
        return float("nan"), float("nan")
    return min(low, float(estimate)), max(high, float(estimate))
