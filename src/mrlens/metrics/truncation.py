"""Truncation strategies: what "keep the first k dimensions" means, shared by geometry and quality.

- ``prefix``: the first k dimensions, what Matryoshka training optimises;
- ``random``: R random orderings of the dimensions, keeping the first k of each (nested random
  subsets); a metric's value is the mean over orderings and its band spans their minimum and maximum;
- ``pca``: the top-k principal directions of a basis fitted on *other* documents than those measured
  (``analysis.pca_fit``: ``heldout``, a disjoint seeded half of the corpus, or the corpus for a quality
  task; ``insample``, fitted on the measured documents themselves, only when asked and named
  ``pca-insample``: it is optimistic). The projection ``x V_k`` is not centred, so at full size it is
  a rotation of ``x``: equal to ``prefix`` on the same documents for every rotation-invariant metric.

Each strategy turns the (n x d) embeddings into one or more (n' x d) views whose first k columns are
the k-dimensional truncation, so every size is read from the same array. :data:`STRATEGIES` is the one
registry (name -> properties, figure style, views); :func:`over_strategies` runs a measurement over the
strategies for the geometry suite and the quality evaluation alike. Adding a strategy: one entry and
its views function.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mrlens.metrics.covariance import row_blocks
from mrlens.metrics.registry import record_of
from mrlens.resampling import RANGE_ORDERINGS

COLUMNS = ["strategy", "dim", "metric", "value", "ci_low", "ci_high", "interval", "n"]
REPLICATE_COLUMNS = ["strategy", "dim", "metric", "replicate", "value"]
PCA_FITS = ("heldout", "insample")
INSAMPLE = "-insample"  # suffix of a fitted strategy's name in tables and legends when fitted in sample


@dataclass(frozen=True)
class Inputs:
    """What the views draw on: the random ``orderings``; the fitted ``basis`` (d x d, columns by
    decreasing variance), the ``rows`` of x measured under it (None: all) and whether it was fitted on
    the measured documents (``insample``)."""

    orderings: Sequence[np.ndarray] = ()
    basis: np.ndarray | None = None
    rows: np.ndarray | None = None
    insample: bool = False


def _prefix_views(x: np.ndarray, inputs: Inputs) -> Iterator[np.ndarray]:
    yield x


def _random_views(x: np.ndarray, inputs: Inputs) -> Iterator[np.ndarray]:
    if not inputs.orderings:
        raise ValueError("the random strategy needs at least one ordering")
    for ordering in inputs.orderings:
        yield x[:, ordering]


def _pca_views(x: np.ndarray, inputs: Inputs) -> Iterator[np.ndarray]:
    if inputs.basis is None:
        raise ValueError("the pca strategy needs a basis fitted on documents (analysis.pca_fit)")
    yield rotate(x if inputs.rows is None else x[inputs.rows], inputs.basis)


@dataclass(frozen=True)
class Strategy:
    """A truncation strategy. ``views(x, inputs)``: its (n' x d) arrays; ``line_style``: its curves in
    figures; ``rotating``: its views rotate the embedding, so only rotation-invariant metrics
    (:class:`mrlens.metrics.registry.Metric`) are reported; ``random``: several random views,
    reported as their mean with their range; ``fitted``: its views need a basis fitted on documents."""

    views: Callable[[np.ndarray, Inputs], Iterator[np.ndarray]]
    line_style: str
    rotating: bool = False
    random: bool = False
    fitted: bool = False

    @property
    def resampled(self) -> bool:
        """Whether its rows carry resampling intervals: a fitted basis is not refitted per replicate, and
        random views carry their range over orderings instead."""
        return not (self.random or self.fitted)


STRATEGIES = {  # in the schema's order (analysis.strategies)
    "prefix": Strategy(_prefix_views, "-"),
    "random": Strategy(_random_views, "--", random=True),
    "pca": Strategy(_pca_views, ":", rotating=True, fitted=True),
}


def check_strategies(strategies: Sequence[str]) -> list[str]:
    """The strategies as a list; a ``ValueError`` names any unknown one."""
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown truncation strategy {sorted(unknown)}; use {list(STRATEGIES)}")
    return list(strategies)


def check_pca_fit(pca_fit: str) -> str:
    """``pca_fit`` itself; a ``ValueError`` names the key when it is not one of :data:`PCA_FITS`."""
    if pca_fit not in PCA_FITS:
        raise ValueError(f"analysis.pca_fit must be one of {list(PCA_FITS)}, got {pca_fit!r}")
    return pca_fit


def strategy_of(name: str) -> Strategy:
    """The strategy of a table's ``strategy`` column (``pca-insample`` -> ``pca``)."""
    return STRATEGIES[name.removesuffix(INSAMPLE)]


def pca_basis(cov: np.ndarray) -> np.ndarray:
    """The principal directions of the covariance ``cov`` (columns), by decreasing variance."""
    return np.linalg.eigh(cov)[1][:, ::-1]


def heldout_halves(rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of ``rows`` rows into two disjoint halves (ascending): the first ``rows // 2`` fit a
    basis, the other ``rows - rows // 2`` are measured in it."""
    order = rng.permutation(rows)
    return np.sort(order[: rows // 2]), np.sort(order[rows // 2 :])


def random_orderings(d: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` random permutations of the ``d`` dimensions, drawn in turn from ``rng``."""
    return [rng.permutation(d) for _ in range(count)]


def rotate(z: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``z @ basis`` in float32, block by block."""
    out = np.empty((len(z), basis.shape[1]), dtype=np.float32)
    for rows in row_blocks(len(z)):
        out[rows] = z[rows] @ basis
    return out


def views(x: np.ndarray, strategy: str, inputs: Inputs = Inputs()) -> Iterator[np.ndarray]:
    """The arrays whose leading k columns are the k-truncation of ``x`` under ``strategy``. One array is
    in memory at a time."""
    return STRATEGIES[check_strategies([strategy])[0]].views(x, inputs)


def spread_over_orderings(runs: Sequence[Mapping[Hashable, float]]) -> tuple[dict, dict, dict]:
    """Mean, minimum and maximum of each key over the runs of the random orderings."""
    keys = list(runs[0])
    stacked = {key: np.array([run[key] for run in runs], dtype=np.float64) for key in keys}
    return (
        {key: float(v.mean()) for key, v in stacked.items()},
        {key: float(v.min()) for key, v in stacked.items()},
        {key: float(v.max()) for key, v in stacked.items()},
    )


Key = tuple[int, str]  # (size, metric)


@dataclass
class Estimates:
    """What one measurement of one view gives: ``values`` per (size, metric); ``n`` per metric (the
    units measured); for the keys with an interval, its bounds, its label (``kinds``) and its replicate
    values in the order of the draws."""

    values: dict[Key, float]
    n: Mapping[str, int]
    low: dict[Key, float] = field(default_factory=dict)
    high: dict[Key, float] = field(default_factory=dict)
    kinds: dict[Key, str] = field(default_factory=dict)
    replicates: dict[Key, np.ndarray] = field(default_factory=dict)


Measure = Callable[[np.ndarray, "np.ndarray | None", bool], Estimates]


def _over_views(strategy: Strategy, x: np.ndarray, inputs: Inputs, measure: Measure) -> Estimates:
    rows = inputs.rows if strategy.fitted else None
    runs = [measure(z, rows, strategy.resampled) for z in strategy.views(x, inputs)]
    if not strategy.random:
        return runs[0]
    values, low, high = spread_over_orderings([run.values for run in runs])
    return Estimates(values, runs[0].n, low, high, dict.fromkeys(values, RANGE_ORDERINGS))


def over_strategies(
    x: np.ndarray, strategies: Sequence[str], measure: Measure, inputs: Inputs = Inputs()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``measure(view, rows, resample)`` of every view of ``x`` under each strategy, as a table (:data:`COLUMNS`)
    and its replicate values (:data:`REPLICATE_COLUMNS`). ``rows``: the rows of ``x`` a fitted strategy's
    view holds (None: all); ``resample``: whether the strategy carries resampling intervals
    (:attr:`Strategy.resampled`). Random strategies report the mean over their views and the range
    (``range-orderings``); rotating ones only the rotation-invariant metrics; a fitted strategy is named
    ``<name>-insample`` when its basis was fitted on the measured documents."""
    rows, replicates = [], []
    for name in check_strategies(strategies):
        strategy = STRATEGIES[name]
        label = name + (INSAMPLE if strategy.fitted and inputs.insample else "")
        found = _over_views(strategy, x, inputs, measure)
        for (k, m), value in found.values.items():
            if strategy.rotating and not record_of(m).rotation_invariant:
                continue
            kind = found.kinds.get((k, m), "none")
            rows.append(
                (label, k, m, value, found.low.get((k, m), np.nan), found.high.get((k, m), np.nan), kind, found.n[m])
            )
            replicates.extend((label, k, m, r, float(v)) for r, v in enumerate(found.replicates.get((k, m), ())))
    return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(replicates, columns=REPLICATE_COLUMNS)
