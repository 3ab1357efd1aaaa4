"""Tests behind the verdicts of :mod:`mrlens.inference.findings`: the one-sided p-value of a cell from its
interval, Holm's adjustment over a claim's cells, and how many seeds (or units) would decide an
inconclusive cell.

A cell's interval ``[low, high]`` at ``confidence`` is read as ``d ± q se`` with ``q`` the
``1 - alpha`` quantile of t on the interval's degrees of freedom (``freedom``; the normal's where infinite),
``alpha = (1 - confidence) / 2``: each side's ``se`` is that side's half-width over ``q`` (a bootstrap
interval need not be symmetric). The claim ``d > b`` (``greater``) has the null ``d <= b`` and
``p = 1 - F((d - b) / se_low)``; ``less`` mirrors it. ``p <= alpha`` exactly when the interval clears the
bound, so the raw verdict is the test at level ``alpha`` of each cell on its own.

Holm (1979, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6): over the m
cells of one claim, sorted by p, ``p_(i)`` is rejected while ``p_(j) <= alpha / (m - j + 1)`` for every
``j <= i``; the adjusted p-value is ``max_{j <= i} min(1, (m - j + 1) p_(j))``. It holds the chance of one
or more false "holds" among a claim's cells at ``alpha`` whatever their dependence (the cells share
documents and seeds).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats


def _quantile(confidence: float, freedom: float) -> float:
    p = (1 + confidence) / 2
    return float(stats.norm.ppf(p) if not np.isfinite(freedom) else stats.t.ppf(p, freedom))


def _tail(z: float, freedom: float) -> float:
    return float(stats.norm.sf(z) if not np.isfinite(freedom) else stats.t.sf(z, freedom))


def one_sided_p(
    difference: float, low: float, high: float, direction: str, bound: float, confidence: float, freedom: float
) -> float:
    """The p-value of the claim that ``d`` lies on the ``direction`` side of ``bound`` (``greater``: ``d >
    bound``), from ``d``'s interval (module docstring); NaN without an interval. Pass the other direction
    for the test of the reversed claim."""
    if not (np.isfinite(low) and np.isfinite(high) and np.isfinite(difference)):
        return float("nan")
    freedom = float("inf") if freedom is None or np.isnan(freedom) else freedom
    q = _quantile(confidence, freedom)
    greater = direction == "greater"
    gap, half = (difference - bound, difference - low) if greater else (bound - difference, high - difference)
    if half <= 0:
        return 0.0 if gap > 0 else 1.0
    return _tail(gap / (half / q), freedom)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's adjusted p-values (module docstring), in the order given; a NaN counts as 1 (no test)."""
    p = np.nan_to_num(np.asarray(p_values, dtype=np.float64), nan=1.0)
    order = np.argsort(p, kind="stable")
    m = len(p)
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def units_needed(difference: float, low: float, high: float, bound: float, now: int) -> float:
    """How many seeds (or documents, queries) would make the interval exclude ``bound`` if the observed
    ``difference`` were the truth: ``now (h / |d - b|)^2``, ``h`` the half-width on the bound's side, since
    the standard error shrinks as one over the square root of the count (the quantile's own change with
    the degrees of freedom is left out, and with seeds the document noise they share does not shrink: a
    lower bound, hence "about"). NaN without an interval, infinite when ``d`` equals the bound."""
    if not (np.isfinite(low) and np.isfinite(high) and np.isfinite(difference)):
        return float("nan")
    gap = abs(difference - bound)
    half = difference - low if difference >= bound else high - difference
    return float("inf") if gap == 0 else float(np.ceil(now * (half / gap) ** 2))
