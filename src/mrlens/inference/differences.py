"""Paired differences of twins: a variant minus its reference, for every metric, size, strategy, corpus or
task and checkpoint, per training seed and pooled over seeds.

Inputs are two long tables of the measured models: ``estimates`` (columns ``variant``, ``seed``,
``checkpoint``, ``corpus`` or ``task``, ``strategy``, ``dim``, ``metric``, ``value``, ``n``) and
``replicates`` (the same keys, ``replicate`` and ``value``: each model's statistic on resampled documents,
queries or pairs). Their resampling draws depend only on (number of units, replicates, seed)
(:func:`mrlens.resampling.resampling_counts`), so replicate b of every model and every size uses
the same units, and a replicate-by-replicate difference of two models is a *paired* resample: the
document noise the twins share cancels.

Per seed s, ``d_s = theta(variant, s) - theta(reference, s)`` with replicates ``D_sb`` (the same b for
both). Its interval is the metric's method of :mod:`mrlens.resampling` applied to ``D_sb``,
e.g. basic bootstrap ``[2 d - q_{1-a/2}(D), 2 d - q_{a/2}(D)]`` (Efron & Tibshirani 1993, section 13.4),
labelled ``ci95-paired-basic-bootstrap``. No replicates for a metric, or method ``none``: no interval.

Over S >= 2 seeds: ``d = mean_s d_s`` with an interval of a :class:`PooledMethod` that carries both the
training-run variance (between seeds) and the document noise shared by all seeds (the same documents
are measured for every seed, so it does not average out over seeds); see :data:`POOLED_METHODS` and
``benchmarks/coverage_differences.py`` for their coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from mrlens.errors import DataError
from mrlens.metrics.registry import method_of
from mrlens.quantize import FULL
from mrlens.resampling import METHODS, Method, bootstrap_variance, ci_label, interval, method_of_label

PLACES = ("corpus", "task")
KEYS = ("checkpoint", "strategy", "precision", "dim", "metric")
Variance = Callable[[np.ndarray], float]  # a sampling variance from replicates in replicate order
NO_SEED = -1  # an external model's missing seed while pairing (a missing key is not found in an index)


def seeds_t_interval(
    per_seed: np.ndarray, replicates: np.ndarray, confidence: float, variance: Variance | None = None
) -> tuple[float, float]:
    """``d ± t_{nu, 1-a/2} sqrt(s^2 / S + v_doc)``: ``d`` and ``s^2`` the mean and sample variance of the S
    per-seed differences, ``v_doc`` the sampling variance of the seed-averaged paired replicates
    ``mean_s D_sb``, i.e. of the document noise that every seed shares (the t-interval over seeds, Student
    1908, widened by the shared sampling variance as in a two-stage design, Cochran 1977, ch. 10).
    ``variance`` estimates it from replicates in the metric's scheme (its method's
    :attr:`mrlens.resampling.Method.variance`); by default their variance, the bootstrap's.
    The degrees of freedom are Satterthwaite's (1946, "An approximate distribution of estimates of variance
    components", Biometrics Bulletin 2) for the sum of the two variance estimates::

        nu = (s^2 / S + v_doc)^2 / ((s^2 / S)^2 / (S - 1) + v_doc^2 / (B // 2))

    (``v_doc`` counted with the degrees of freedom of the J = B / 2 splits of split halves, fewer than a
    bootstrap's): S - 1 where the seeds dominate, many where the document noise does, which the B
    replicates measure well (a t quantile with S - 1 = 2 on it made intervals twice too wide: 100 %
    coverage in ``benchmarks/coverage_differences.py``). ``s^2`` also holds each seed's own document
    noise, which ``v_doc`` counts again divided by S: the interval errs on the wide side."""
    centre, total, freedom = seeds_t_parts(per_seed, replicates, variance)
    half = stats.t.ppf((1 + confidence) / 2, freedom) * np.sqrt(total)
    return centre - half, centre + half


def seeds_t_parts(
    per_seed: np.ndarray, replicates: np.ndarray, variance: Variance | None = None
) -> tuple[float, float, float]:
    """``(d, s^2 / S + v_doc, nu)`` of :func:`seeds_t_interval`: its centre, variance and degrees of freedom."""
    s = len(per_seed)
    seed_averaged = replicates.mean(axis=0)
    shared = (variance or _bootstrap_variance)(seed_averaged)
    between = np.var(per_seed, ddof=1) / s
    splits = max(int(np.isfinite(seed_averaged).sum()) // 2, 1)
    total = between + shared
    freedom = total**2 / (between**2 / (s - 1) + shared**2 / splits) if total > 0 else s - 1
    return float(np.mean(per_seed)), float(total), float(freedom)


def _bootstrap_variance(replicates: np.ndarray) -> float:
    """The variance of the finite bootstrap replicates (:func:`mrlens.resampling.bootstrap_variance`)."""
    return bootstrap_variance(replicates, len(replicates))


def _variance(method: Method, n: int, replicates: np.ndarray) -> float:
    return method.variance(replicates, n)


def _seed_draws(seeds: int, draws: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, seeds, size=(draws, seeds))


def _basic(centre: float, resampled: np.ndarray, confidence: float) -> tuple[float, float]:
    """The basic bootstrap interval of :mod:`mrlens.resampling`, around the mean over seeds."""
    return interval("basic-bootstrap", centre, resampled, confidence, len(resampled))


def hierarchical_bootstrap_interval(
    per_seed: np.ndarray,
    replicates: np.ndarray,
    confidence: float,
    variance: Variance | None = None,
    draws: int = 4000,
    seed: int = 0,
) -> tuple[float, float]:
    """Two-stage bootstrap (Davison & Hinkley 1997, section 3.8): draw S seeds with replacement and one
    document replicate b (of those finite for every seed) for all of them, ``d* = mean_{s in draw} D_sb``;
    basic interval ``[2 d - q_{1-a/2}(d*), 2 d - q_{a/2}(d*)]`` around ``d = mean_s d_s``. Seeded, so
    deterministic. ``variance`` is not used: the replicates are taken as bootstrap draws (a split-halves
    metric's half-sample replicates spread about as its estimator does for a linear statistic, more where
    it is degenerate: conservative there)."""
    replicates = replicates[:, np.isfinite(replicates).all(axis=0)]
    chosen = _seed_draws(len(per_seed), draws, seed)
    column = np.random.default_rng([seed, 1]).integers(0, replicates.shape[1], size=draws)
    resampled = replicates[chosen, column[:, None]].mean(axis=1)
    return _basic(float(np.mean(per_seed)), resampled, confidence)


def seed_bootstrap_interval(
    per_seed: np.ndarray,
    replicates: np.ndarray,
    confidence: float,
    variance: Variance | None = None,
    draws: int = 4000,
    seed: int = 0,
) -> tuple[float, float]:
    """Seeds only: basic interval of ``mean_{s in draw} d_s`` over S seeds drawn with replacement; the
    document replicates are ignored. A baseline for ``benchmarks/coverage_differences.py``: it under-covers
    with few seeds (its variance is ``(S-1)/S`` of the sample's, with normal quantiles) and misses the
    shared document noise."""
    resampled = per_seed[_seed_draws(len(per_seed), draws, seed)].mean(axis=1)
    return _basic(float(np.mean(per_seed)), resampled, confidence)


@dataclass(frozen=True)
class PooledMethod:
    """An interval for the mean over seeds from the per-seed differences (S,), their paired replicates
    (S x B, replicate b on the same documents for every seed), the confidence and the metric's estimate of
    a sampling variance from its replicates (:data:`Variance`)."""

    name: str
    formula: Callable[[np.ndarray, np.ndarray, float, Variance | None], tuple[float, float]]
    # the degrees of freedom of its quantile (infinite: a normal or bootstrap quantile)
    freedom: Callable[[np.ndarray, np.ndarray, Variance | None], float] = lambda *_: float("inf")


POOLED_METHODS = {
    m.name: m
    for m in (
        PooledMethod("seeds-t", seeds_t_interval, lambda *parts: seeds_t_parts(*parts)[2]),
        PooledMethod("seeds-hierarchical-bootstrap", hierarchical_bootstrap_interval),
        PooledMethod("seeds-bootstrap", seed_bootstrap_interval),
    )
}


def place_column(table: pd.DataFrame, name: str) -> str:
    """``corpus`` or ``task``: the column naming what was measured; a :class:`DataError` otherwise."""
    found = [c for c in PLACES if c in table.columns]
    if len(found) != 1:
        raise DataError(f"{name}: needs exactly one of the columns {list(PLACES)}, has {found or 'neither'}")
    return found[0]


def _check_columns(table: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{name}: missing columns {missing}")


def _paired(table: pd.DataFrame, pairs: Sequence[tuple[str, str]], on: list[str]) -> pd.DataFrame:
    """Each pair's variant rows beside its reference's rows with the same ``on`` keys (seed included),
    and their ``difference``."""
    pair_frame = pd.DataFrame(list(pairs), columns=["variant", "reference"])
    left = table[["variant", *on, "value", *(["n"] if "n" in table else [])]].merge(pair_frame, on="variant")
    right = table[["variant", *on, "value"]].rename(columns={"variant": "reference", "value": "reference_value"})
    merged = left.merge(right, on=["reference", *on])
    return merged.assign(difference=merged["value"] - merged["reference_value"])


def _replicate_arrays(replicates: pd.DataFrame, pairs: Sequence[tuple[str, str]], group: list[str]) -> dict:
    """(variant, reference, seed, keys...) -> the paired replicate differences in replicate order. A
    model pair whose replicate indices disagree is a :class:`DataError` (the draws would not be paired)."""
    paired = _paired(replicates, pairs, [*group[2:], "replicate"]).sort_values([*group, "replicate"])
    counts = replicates.groupby(["variant", *group[2:]], dropna=False).size()
    sizes = paired.groupby(group, sort=False, dropna=False).size()
    for key, size in sizes.items():
        own = [int(counts.get((key[i], *key[2:]), 0)) for i in (0, 1)]
        if own != [size, size]:
            raise DataError(
                f"replicates: {key[0]} has {own[0]} replicates and {key[1]} {own[1]} at "
                f"{dict(zip(group[2:], key[2:]))}, of which {size} pair up; paired differences need the same draws"
            )
    return {key: frame.to_numpy() for key, frame in paired.groupby(group, sort=False, dropna=False)["difference"]}


def _declared_methods(estimates: pd.DataFrame, place: str, methods: Callable[[str], str]) -> Callable[[str, str], str]:
    """(corpus or task, metric) -> the method whose replicates the models drew: the one their ``interval``
    labels name (:func:`mrlens.resampling.method_of_label`; a task's unit may change it, e.g.
    Spearman's rho on Lee50 draws documents), else ``methods(metric)``."""
    named: dict[tuple[str, str], set[str | None]] = {}
    if "interval" in estimates:
        for where, metric, label in zip(estimates[place], estimates["metric"], estimates["interval"].astype(str)):
            named.setdefault((where, metric), set()).add(method_of_label(label))
    found = {key: names - {None} for key, names in named.items()}
    return lambda where, metric: next(iter(found.get((where, metric)) or [methods(metric)]))


def _per_seed(
    est: pd.DataFrame, arrays: dict, group: list[str], confidence: float, methods: Callable[[str, str], str]
) -> pd.DataFrame:
    lows, highs, labels, freedoms = [], [], [], []
    for row in est.itertuples(index=False):
        key = tuple(getattr(row, c) for c in group)
        method = methods(key[4], row.metric) if key in arrays else "none"
        replicates = arrays.get(key, np.empty(0))
        low, high = interval(method, row.difference, replicates, confidence, int(row.n), paired=True)
        lows.append(low)
        highs.append(high)
        name = METHODS[method].paired or method if method != "none" else method
        labels.append("none" if np.isnan(low) else ci_label(confidence, f"paired-{name}"))
        freedoms.append(float("nan") if np.isnan(low) else METHODS[name].freedom(replicates, int(row.n)))
    return est.assign(ci_low=lows, ci_high=highs, interval=labels, n_seeds=1, freedom=freedoms)


def _pooled(
    per_seed: pd.DataFrame,
    arrays: dict,
    group: list[str],
    confidence: float,
    method: PooledMethod,
    methods: Callable[[str, str], str],
) -> pd.DataFrame:
    rows = []
    outer = [c for c in group if c != "seed"]
    for key, frame in per_seed.groupby(outer, sort=False, dropna=False):
        if len(frame) < 2:
            continue
        values = frame["difference"].to_numpy()
        draws = [arrays.get(tuple(getattr(r, c) for c in group)) for r in frame.itertuples(index=False)]
        low = high = freedom = float("nan")
        own = methods(frame[group[4]].iloc[0], frame["metric"].iloc[0])
        if own != "none" and all(d is not None for d in draws) and len({len(d) for d in draws}) == 1:
            matrix = np.vstack(draws)  # in replicate order: split-halves reads complementary pairs
            n = int(frame["n"].min())
            if np.isfinite(matrix).all(axis=0).sum() > 1 and np.isfinite(values).all():
                variance = partial(_variance, METHODS[own], n)
                low, high = method.formula(values, matrix, confidence, variance)
                freedom = method.freedom(values, matrix, variance)
        label = "none" if np.isnan(low) else ci_label(confidence, method.name)
        rows.append(
            dict(zip(outer, key))
            | {"seed": pd.NA, "difference": float(values.mean()), "ci_low": low, "ci_high": high, "interval": label}
            | {"n": int(frame["n"].min()), "n_seeds": len(frame), "freedom": freedom}
        )
    return pd.DataFrame(rows)


def differences(
    estimates: pd.DataFrame,
    replicates: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    confidence: float = 0.95,
    methods: Callable[[str], str] = method_of,
    pooled: PooledMethod = POOLED_METHODS["seeds-t"],
) -> pd.DataFrame:
    """Paired differences ``variant - reference`` for every (variant, reference) in ``pairs``, per seed
    and, where both twins have two or more seeds in common, pooled over seeds (``seed`` missing).

    ``methods`` maps a metric to its interval method (a key of
    :data:`mrlens.resampling.METHODS`, or ``none``). Returns a tidy table: variant, reference,
    seed, checkpoint, corpus or task, strategy, precision (float32 for tables without one), dim, metric, difference, ci_low, ci_high, interval, n,
    n_seeds, freedom (the degrees of freedom of the interval's t quantile; infinite for a normal or bootstrap
    one). Models without a seed (external models, ``seed`` missing) pair with each other, their rows
    without a seed too. Raises :class:`DataError` naming a missing column or unpaired replicates."""
    place = place_column(estimates, "estimates")
    keys = ["checkpoint", place, "strategy", "precision", "dim", "metric"]
    estimates, replicates = (t if "precision" in t else t.assign(precision=FULL) for t in (estimates, replicates))
    _check_columns(estimates, "estimates", ["variant", "seed", *keys, "value", "n"])
    _check_columns(replicates, "replicates", ["variant", "seed", *keys, "replicate", "value"])
    estimates, replicates = (t.assign(seed=t["seed"].astype("Int64").fillna(NO_SEED)) for t in (estimates, replicates))
    group = ["variant", "reference", "seed", *keys]
    est = _paired(estimates, pairs, ["seed", *keys])[[*group, "difference", "n"]]
    arrays = _replicate_arrays(replicates, pairs, group)
    declared = _declared_methods(estimates, place, methods)
    per_seed = _per_seed(est, arrays, group, confidence, declared)
    pooled_rows = _pooled(per_seed, arrays, group, confidence, pooled, declared)
    table = pd.concat([per_seed, pooled_rows], ignore_index=True)
    table["seed"] = table["seed"].astype("Int64")
    table.loc[table["seed"] == NO_SEED, "seed"] = pd.NA
    columns = [*group, "difference", "ci_low", "ci_high", "interval", "n", "n_seeds", "freedom"]
    return table[columns].sort_values(group, kind="stable", na_position="last").reset_index(drop=True)


def trend_weights(sizes: Sequence[int]) -> np.ndarray:
    """Weights ``w_k`` of the least-squares trend over ``sizes`` (increasing) as its fitted change from the
    largest to the smallest: with ``x = log2 k``, ``sum_k w_k theta_k = -(x_max - x_min) * slope``, ``slope =
    sum_k (x_k - mean x) theta_k / sum_k (x_k - mean x)^2`` the least-squares slope of theta on log2 k. Two
    sizes give (+1, -1): the statistic at the smallest minus at the largest."""
    x = np.log2(np.asarray(sizes, dtype=np.float64))
    centred = x - x.mean()
    return -(x[-1] - x[0]) * centred / (centred**2).sum()


def _size_contrast(table: pd.DataFrame, small: int, large: int) -> pd.DataFrame:
    """Each model's trend over every size from ``small`` to ``large`` (:func:`trend_weights`; per replicate
    too: the same draws serve every size), labelled ``dim = small``; a model lacking one of the sizes has
    none."""
    on = [c for c in ("variant", "seed", *PLACES, *KEYS, "replicate") if c in table.columns and c != "dim"]
    carried = [c for c in ("n", "interval") if c in table]
    sizes = sorted(int(d) for d in table["dim"].unique() if small <= d <= large)
    contrast = table.loc[table["dim"] == small, [*on, "dim", *carried]].assign(value=0.0)
    for size, weight in zip(sizes, trend_weights(sizes)):
        at = table.loc[table["dim"] == size, [*on, "value"]].rename(columns={"value": "at"})
        contrast = contrast.merge(at, on=on)
        contrast = contrast.assign(value=contrast["value"] + weight * contrast["at"]).drop(columns="at")
    return contrast


def trend_differences(
    estimates: pd.DataFrame,
    replicates: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    small: int,
    large: int,
    confidence: float = 0.95,
    methods: Callable[[str], str] = method_of,
    pooled: PooledMethod = POOLED_METHODS["seeds-t"],
) -> pd.DataFrame:
    """How the paired difference changes from ``large`` to ``small`` dimensions, judged over every size
    between them: the least-squares trend of ``d`` on log2 size as its fitted change from ``large`` to
    ``small`` (:func:`trend_weights`; with two sizes ``(d at small) - (d at large)``), a linear contrast of
    differences whose paired replicates use the same documents at every size. The columns of
    :func:`differences`, with ``dim = small`` and ``versus_dim = large``."""
    contrasts = [_size_contrast(t, small, large) for t in (estimates, replicates)]
    table = differences(*contrasts, pairs, confidence, methods, pooled)
    table.insert(table.columns.get_loc("dim") + 1, "versus_dim", large)
    return table


Point = tuple[int, str]  # (size, precision)
VERSUS = "\x00versus"  # marks the rows of the second point while pairing (no variant name holds it)


def point_differences(
    estimates: pd.DataFrame,
    replicates: pd.DataFrame,
    point: Point,
    versus: Point,
    confidence: float = 0.95,
    methods: Callable[[str], str] = method_of,
    pooled: PooledMethod = POOLED_METHODS["seeds-t"],
) -> pd.DataFrame:
    """Each model's statistic at ``point`` = (size, precision) minus its statistic at ``versus``, e.g. 128
    int8 dimensions against 32 float32 ones, the same bytes per vector: ``d_s = theta(v, s, point) -
    theta(v, s, versus)``, paired (the same draws serve every size and precision), per seed and pooled as
    in :func:`differences`. The columns of :func:`differences` with ``reference`` = ``variant``, ``dim``
    and ``precision`` of ``point``, and ``versus_dim``, ``versus_precision`` of ``versus``."""

    def two_points(table: pd.DataFrame) -> pd.DataFrame:
        at = table[(table["dim"] == point[0]) & (table["precision"] == point[1])]
        there = table[(table["dim"] == versus[0]) & (table["precision"] == versus[1])]
        return pd.concat([at, there.assign(variant=there["variant"] + VERSUS, dim=point[0], precision=point[1])])

    pairs = [(v, v + VERSUS) for v in pd.unique(estimates["variant"])]
    table = differences(two_points(estimates), two_points(replicates), pairs, confidence, methods, pooled)
    table = table.assign(reference=table["variant"], versus_precision=versus[1])
    table.insert(table.columns.get_loc("dim") + 1, "versus_dim", versus[0])
    return table


def twin_differences(
    families: Sequence[tuple[pd.DataFrame, pd.DataFrame, float]],
    pairs: Sequence[tuple[str, str]],
    small: int,
    large: int,
    pooled: str = "seeds-t",
    contrasts: Sequence[tuple[Point, Point]] = (),
) -> pd.DataFrame:
    """The differences table of a run: for each family of measurements ``(estimates, replicates,
    confidence)`` (geometry over corpora, quality over tasks), :func:`differences` at every size and
    :func:`trend_differences` from ``large`` to ``small``, and for a family with a ``precision`` column the
    :func:`point_differences` of every model for each ``(point, versus)`` of ``contrasts``, in one table
    (``corpus`` or ``task`` missing where a family has the other, ``versus_dim`` missing outside trends and
    contrasts, ``versus_precision`` outside contrasts)."""
    method = POOLED_METHODS[pooled]
    parts = []
    for estimates, replicates, confidence in families:
        if estimates.empty:
            continue
        parts.append(differences(estimates, replicates, pairs, confidence, pooled=method))
        if small != large:
            parts.append(trend_differences(estimates, replicates, pairs, small, large, confidence, pooled=method))
        for point, versus in contrasts if "precision" in estimates else ():
            parts.append(point_differences(estimates, replicates, point, versus, confidence, pooled=method))
    if not parts:
        raise DataError("no geometry or quality rows to compare")
    table = pd.concat(parts, ignore_index=True)
    order = ["variant", "reference", "seed", "checkpoint", *(p for p in PLACES if p in table), "strategy", "precision"]
    order += ["dim", *(c for c in ("versus_dim", "versus_precision") if c in table)]
    return table[[*order, *(c for c in table.columns if c not in order)]]
