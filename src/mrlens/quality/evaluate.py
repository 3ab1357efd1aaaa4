"""Quality of one model's embeddings of one task at every truncation size and strategy.

Every truncation (``prefix``, ``pca``, ``random``; :mod:`mrlens.metrics.truncation`) is re-normalised
to unit length before use, so cosine similarity is a dot product. ``pca`` is never fitted on the task's
own texts by default (``analysis.pca_fit: heldout``): its basis comes from embeddings of other documents
by the same model (``fit``, e.g. the model's corpus embeddings), as a user would fit it on their own
collection before deploying; a basis fitted on the task's texts (queries and documents, or both sides of
the pairs) sees the test set and is optimistic, so it is computed only when asked (``insample``) and
named ``pca-insample``.

- Similarity tasks: ``spearman``, Spearman's rho between the cosine of each pair and its human score;
  n = pairs, or texts where the task kind's unit (:data:`mrlens.kinds.UNITS`) is ``documents`` (all pairs
  among documents) or ``words`` (word pairs that repeat words): its replicates resample pairs, or texts and
  pairs (``crossed-bootstrap``, :func:`mrlens.resampling.crossed_counts`).
- Retrieval tasks: ``ndcg@k``, ``mrr@k``, ``recall@k`` (exact search over the task's documents, see
  :mod:`mrlens.quality.retrieval`), averaged over queries, n = queries; ``alignment``,
  ``E ||f(q) - f(d)||^alpha`` over the (query, relevant document) pairs, n = pairs. The bootstrap
  resamples queries (a query brings all its pairs), the same draws for every metric, size and strategy.

Intervals (prefix rows): each metric's method is declared in
:mod:`mrlens.metrics.registry` and named in the ``interval`` column; its replicates
resample pairs or queries with the seeded draws of :func:`mrlens.resampling.resampling_counts`,
which depend only on (number of pairs or queries, B, seed): two models evaluated on the same task get
the same draws, so a difference of their replicate values (:func:`measure_quality`) is a paired resample.
PCA rows carry no interval (the basis is not refitted per replicate); for ``random`` the value is the
mean over orderings and the bounds span their minimum and maximum (``range-orderings``), drawn from
their own random stream, as in the geometry suite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd

from mrlens.config import settings_from
from mrlens.errors import DataError
from mrlens.kinds import UNITS
from mrlens.metrics.checks import as_points, as_sizes
from mrlens.metrics.covariance import covariance
from mrlens.metrics.registry import QUALITY_METRICS, method_of, quality_names, split_name
from mrlens.metrics.truncation import (
    REPLICATE_COLUMNS,
    STRATEGIES,
    Estimates,
    Inputs,
    check_pca_fit,
    check_strategies,
    over_strategies,
    pca_basis,
    random_orderings,
)
from mrlens.quality.retrieval import (
    alignment_terms,
    ideal_relevance,
    mrr_at_k,
    ndcg_at_k,
    ranked_relevance,
    recall_at_k,
    top_k,
)
from mrlens.quality.similarity import pair_cosines, spearman, spearman_replicates, unit_rows
from mrlens.quality.tasks import task_type
from mrlens.quantize import (
    CALIBRATED,
    FULL,
    RETRIEVAL_ONLY,
    check_precisions,
    int8_ranges,
    rescore,
    scoring_vectors,
)
from mrlens.resampling import (
    METHODS,
    UNIT_METHODS,
    crossed_counts,
    interval,
    interval_label,
    resampling_counts,
    streams,
)


@dataclass(frozen=True)
class QualitySettings:
    """Parameters of the quality evaluation (``quality.*`` in the workflow config, with the
    truncation strategies of ``analysis``)."""

    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    ndcg_at: int = 10
    mrr_at: int = 10
    recall_at: int = 100
    strategies: Sequence[str] = ("prefix",)
    random_orderings: int = 5
    pca_fit: str = "heldout"
    alignment_alpha: float = 2.0
    precisions: Sequence[str] = (FULL,)
    rescore_multiplier: int = 4

    @classmethod
    def from_mapping(cls, settings: Mapping | QualitySettings | None) -> QualitySettings:
        """Settings from a config mapping (``quality.*`` and the shared ``analysis`` keys); a key that is
        not a setting is a :class:`~mrlens.errors.ConfigError` naming it."""
        if isinstance(settings, cls):
            return settings
        return settings_from(cls, dict(settings or {}), "quality")


@dataclass
class Quality:
    """``table``: strategy, dim, metric, value, ci_low, ci_high, interval, n; ``replicates``: strategy,
    dim, metric, replicate, value, each interval's replicate values in the order of the draws."""

    table: pd.DataFrame
    replicates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPLICATE_COLUMNS))


class _Similarity:
    """Resampling unit: the pair, or the text (``documents``, ``words``: :func:`crossed_counts`)."""

    def __init__(self, labels: pd.DataFrame, row_of: Mapping[str, int], unit: str):
        self.a = _rows(labels["id_a"], row_of)
        self.b = _rows(labels["id_b"], row_of)
        self.scores = labels["score"].to_numpy(dtype=np.float64)
        self.texts = len(row_of)
        self.units = self.texts if unit in UNIT_METHODS else len(self.scores)
        self.n = {"spearman": self.units}
        self.resample(np.empty((0, len(self.scores)), dtype=np.int64))

    def draw(self, replicates: int, scheme: str, seed: int) -> np.ndarray:
        """Counts (B x pairs) of the ``scheme``'s draws: of the pairs, or of the texts (``crossed``)."""
        if scheme == "crossed":
            return crossed_counts(self.a, self.b, self.texts, replicates, seed).T
        return resampling_counts(len(self.scores), replicates, scheme, seed).T

    def resample(self, counts: np.ndarray) -> None:
        """Replicates from now on: ``counts`` (B x pairs) says how often each pair is drawn in each."""
        self.counts = counts

    def measure(
        self, z: np.ndarray, k: int, bootstrap: bool, precision: str = FULL, ranges: np.ndarray | None = None
    ) -> dict[str, tuple[float, np.ndarray]]:
        if precision == FULL:
            cosines = pair_cosines(z[:, :k], self.a, self.b)
        else:  # the precision's score of each pair (:mod:`mrlens.quantize`)
            v = scoring_vectors(unit_rows(z[:, :k]), precision, ranges).astype(np.float64)
            cosines = np.einsum("ij,ij->i", v[self.a], v[self.b])
        value = spearman(cosines, self.scores)
        replicates = spearman_replicates(cosines, self.scores, self.counts) if bootstrap else np.empty(0)
        return {"spearman": (value, replicates)}


class _Retrieval:
    """Resampling unit: the query (a query brings all its pairs)."""

    def __init__(self, texts: pd.DataFrame, labels: pd.DataFrame, row_of: Mapping[str, int], settings: QualitySettings):
        self.settings = settings
        self.query_ids = pd.unique(labels["query_id"])
        self.query_rows = _rows(pd.Series(self.query_ids), row_of)
        document_ids = texts.loc[texts["role"] == "document", "id"]
        if document_ids.empty:
            raise DataError("the task has no text of role 'document'")
        self.document_rows = _rows(document_ids, row_of)
        document_of = {d: i for i, d in enumerate(document_ids)}
        query_of = {q: i for i, q in enumerate(self.query_ids)}
        unknown = ~labels["doc_id"].isin(document_of)
        if unknown.any():
            raise DataError(f"labels doc_id {labels['doc_id'][unknown].iloc[0]!r} is not a text of role 'document'")
        self.query_index = labels["query_id"].map(query_of).to_numpy(dtype=np.int64)
        self.doc_index = labels["doc_id"].map(document_of).to_numpy(dtype=np.int64)
        self.relevance = labels["relevance"].to_numpy(dtype=np.int64)
        if (self.relevance <= 0).any():
            raise DataError("labels relevance must be above 0 (unjudged documents count as irrelevant)")
        n_queries = len(self.query_ids)
        self.k = min(max(settings.ndcg_at, settings.mrr_at, settings.recall_at), len(self.document_rows))
        self.ideal = ideal_relevance(self.query_index, self.relevance, n_queries, settings.ndcg_at)
        self.n_relevant = np.bincount(self.query_index, minlength=n_queries)
        self.units = n_queries
        self.resample(np.empty((0, n_queries)))
        self.names = dict(zip(QUALITY_METRICS, quality_names(vars(settings))))  # ndcg -> ndcg@10, ...
        self.n = {self.names[m]: n_queries for m in ("ndcg", "mrr", "recall")} | {"alignment": len(labels)}

    def draw(self, replicates: int, scheme: str, seed: int) -> np.ndarray:
        """Counts (B x queries) of the ``scheme``'s draws."""
        return resampling_counts(self.units, replicates, scheme, seed).T

    def resample(self, counts: np.ndarray) -> None:
        """Replicates from now on: ``counts`` (B x queries) says how often each query is drawn in each."""
        self.counts = counts.astype(np.float64)
        self.pair_counts = self.counts @ self.n_relevant

    def measure(
        self,
        z: np.ndarray,
        k: int,
        bootstrap: bool,
        device: str | None = None,
        precision: str = FULL,
        ranges: np.ndarray | None = None,
    ) -> dict[str, tuple[float, np.ndarray]]:
        s = self.settings
        queries = unit_rows(z[self.query_rows, :k])
        documents = unit_rows(z[self.document_rows, :k])
        ranking = self._ranking(queries, documents, device, precision, ranges)
        ranked = ranked_relevance(ranking, self.query_index, self.doc_index, self.relevance, len(documents))
        per_query = {
            self.names["ndcg"]: ndcg_at_k(ranked, self.ideal, s.ndcg_at),
            self.names["mrr"]: mrr_at_k(ranked, s.mrr_at),
            self.names["recall"]: recall_at_k(ranked, self.n_relevant, s.recall_at),
        }
        counts = self.counts if bootstrap else self.counts[:0]
        out = {name: (float(values.mean()), counts @ values / counts.sum(axis=1)) for name, values in per_query.items()}
        if precision != FULL:  # alignment is a distance between float vectors: not a quantised index's score
            return out
        terms = alignment_terms(queries[self.query_index], documents[self.doc_index], s.alignment_alpha)
        per_query_sum = np.bincount(self.query_index, weights=terms, minlength=len(self.query_ids))
        out["alignment"] = (float(terms.mean()), counts @ per_query_sum / self.pair_counts[: len(counts)])
        return out

    def _ranking(
        self, queries: np.ndarray, documents: np.ndarray, device: str | None, precision: str, ranges: np.ndarray | None
    ) -> np.ndarray:
        """The top documents of every query by the precision's score (:mod:`mrlens.quantize`)."""
        if precision == FULL:
            return top_k(queries, documents, self.k, device=device)[1]
        q, d = scoring_vectors(queries, precision, ranges), scoring_vectors(documents, precision, ranges)
        if precision != "binary-rescore":
            return top_k(q, d, self.k, device=device)[1]
        candidates = top_k(q, d, min(self.k * self.settings.rescore_multiplier, len(d)), device=device)[1]
        return rescore(queries, d, candidates, self.k)


def _rows(ids: pd.Series, row_of: Mapping[str, int]) -> np.ndarray:
    rows = ids.map(row_of)
    if rows.isna().any():
        raise DataError(f"id {ids[rows.isna()].iloc[0]!r} of the labels is not among the texts")
    return rows.to_numpy(dtype=np.int64)


def evaluate(
    texts: pd.DataFrame,
    labels: pd.DataFrame,
    ids: Sequence[str],
    embeddings: np.ndarray,
    dims: Sequence[int],
    settings: QualitySettings | Mapping | None = None,
    device: str | None = None,
    fit: np.ndarray | None = None,
) -> pd.DataFrame:
    """Quality of ``embeddings`` (rows named by ``ids``, e.g. from :func:`mrlens.io.read_embeddings`)
    on the task (``texts``, ``labels``; :mod:`mrlens.quality.tasks`) at every size in ``dims``.

    Returns a tidy table: strategy, dim, metric, value, ci_low, ci_high, interval, n. Raises
    :class:`DataError` when a text of the task has no embedding.
    """
    return measure_quality(texts, labels, ids, embeddings, dims, settings, device, fit=fit).table


def measure_quality(
    texts: pd.DataFrame,
    labels: pd.DataFrame,
    ids: Sequence[str],
    embeddings: np.ndarray,
    dims: Sequence[int],
    settings: QualitySettings | Mapping | None = None,
    device: str | None = None,
    methods: Mapping[str, str] | None = None,
    fit: np.ndarray | None = None,
    calibration: np.ndarray | None = None,
    unit: str | None = None,
) -> Quality:
    """:func:`evaluate` with each interval's replicate values; ``methods`` overrides some metrics'
    interval methods (metric name before "@" -> a key of :data:`mrlens.resampling.METHODS` or
    ``none``), e.g. for ``benchmarks/coverage.py``. ``fit``: embeddings of other documents by the same
    model (e.g. its corpus embeddings), which the ``pca`` basis is fitted on (``pca_fit: heldout``, the
    default: required when ``pca`` is among the strategies). ``unit``: what the intervals resample
    (:data:`mrlens.kinds.UNITS`, the task kind's ``unit``; by default ``pairs`` for similarity, ``queries``
    for retrieval); with ``documents`` or ``words`` every interval is that unit's method
    (:data:`mrlens.resampling.UNIT_METHODS`).

    Every precision of ``settings.precisions`` other than float32 (:mod:`mrlens.quantize`) adds
    rows of the ``prefix`` strategy scored at that precision, with the same draws (so its replicates pair
    with float32's and with other models'); the table's ``precision`` column says which. ``int8`` takes its
    ranges from ``calibration``: embeddings of other documents by the same model (a calibration corpus),
    never the task's texts."""
    settings = QualitySettings.from_mapping(settings)
    strategies = check_strategies(settings.strategies)
    check_pca_fit(settings.pca_fit)
    x = as_points(embeddings)
    sizes = as_sizes(dims, x.shape[1])
    position = pd.Series(np.arange(len(ids)), index=pd.Index(np.asarray(ids, dtype=object)))
    if position.index.has_duplicates:
        raise DataError(f"embedding id {position.index[position.index.duplicated()][0]!r} appears twice")
    missing = ~texts["id"].isin(position.index)
    if missing.any():
        raise DataError(f"text id {texts['id'][missing].iloc[0]!r} has no embedding ({int(missing.sum())} missing)")
    x = x[position[texts["id"]].to_numpy()]  # the task's texts, in their order
    row_of = {t: i for i, t in enumerate(texts["id"])}
    kind = task_type(labels)
    unit = unit or ("pairs" if kind == "similarity" else "queries")
    if unit not in UNITS or (unit == "queries") != (kind == "retrieval"):
        raise ValueError(f"a {kind} task cannot resample {unit!r}; use one of {list(UNITS)}")
    task = _Similarity(labels, row_of, unit) if kind == "similarity" else _Retrieval(texts, labels, row_of, settings)
    chosen = {m: (methods or {}).get(split_name(m)[0]) or method_of(m) for m in task.n} if settings.bootstrap else {}
    chosen = {m: _for_unit(v, unit) for m, v in chosen.items() if v != "none"}
    schemes = {METHODS[v].scheme for v in chosen.values()}
    if len(schemes) > 1:
        raise ValueError(f"the metrics of one task must share a resampling scheme, got {chosen}")
    if schemes:
        task.resample(task.draw(settings.bootstrap, schemes.pop(), settings.seed))

    task_measure = partial(task.measure, device=device) if kind == "retrieval" else task.measure

    def one(z: np.ndarray, rows: np.ndarray | None, resample: bool, precision: str = FULL) -> Estimates:
        found = Estimates({}, task.n)
        for k in sizes:
            measured = task_measure(z, k, resample and bool(chosen), precision=precision, ranges=ranges.get(k))
            for metric, (value, reps) in measured.items():
                found.values[(k, metric)] = value
                if metric in chosen and len(reps):
                    low, high = interval(chosen[metric], value, reps, settings.confidence, task.units)
                    found.low[(k, metric)], found.high[(k, metric)] = low, high
                    found.kinds[(k, metric)] = interval_label(chosen[metric], settings.confidence, low, value)
                    found.replicates[(k, metric)] = reps
        return found

    orderings = random_orderings(x.shape[1], settings.random_orderings, streams(settings.seed).orderings)
    inputs = _fitted_inputs(x, fit, settings) if any(STRATEGIES[s].fitted for s in strategies) else Inputs()
    precisions = [p for p in check_precisions(settings.precisions) if kind == "retrieval" or p not in RETRIEVAL_ONLY]
    ranges = _calibration_ranges(calibration, x.shape[1], sizes) if set(precisions) & set(CALIBRATED) else {}
    parts = [(FULL, *over_strategies(x, strategies, one, replace(inputs, orderings=orderings)))]
    parts += [(p, *over_strategies(x, ["prefix"], partial(one, precision=p))) for p in precisions if p != FULL]
    return Quality(
        *(pd.concat([_with_precision(part[i], part[0]) for part in parts], ignore_index=True) for i in (1, 2))
    )


def _with_precision(table: pd.DataFrame, precision: str) -> pd.DataFrame:
    """``table`` with a ``precision`` column after ``strategy``."""
    table = table.copy()
    table.insert(table.columns.get_loc("strategy") + 1, "precision", precision)
    return table


def _calibration_ranges(calibration: np.ndarray | None, width: int, sizes: Sequence[int]) -> dict[int, np.ndarray]:
    """The int8 ranges at every size: each dimension's minimum and maximum over the unit k-prefixes of the
    calibration embeddings (:func:`mrlens.quantize.int8_ranges`)."""
    if calibration is None:
        raise DataError(
            "quality.precisions int8: its ranges need the model's embeddings of a calibration corpus "
            "(quality.calibration_corpus), never the task's own texts"
        )
    calibration = as_points(calibration)
    if calibration.shape[1] != width:
        raise DataError(f"the calibration embeddings have {calibration.shape[1]} dimensions, the task's {width}")
    return {k: int8_ranges(unit_rows(calibration[:, :k])) for k in sizes}


def _for_unit(method: str, unit: str) -> str:
    """The method of :data:`mrlens.resampling.UNIT_METHODS` where the unit is the text (unless
    ``method`` already draws texts), else ``method``."""
    return UNIT_METHODS[unit] if unit in UNIT_METHODS and METHODS[method].scheme != "crossed" else method


def _fitted_inputs(x: np.ndarray, fit: np.ndarray | None, settings: QualitySettings) -> Inputs:
    """The PCA basis: fitted on ``fit`` (embeddings of other documents by the same model, e.g. its corpus
    embeddings) with ``pca_fit: heldout``, on the task's own texts ``x`` with ``insample``."""
    if settings.pca_fit == "insample":
        return Inputs(basis=pca_basis(covariance(x)), insample=True)
    if fit is None:
        raise DataError(
            "analysis.pca_fit heldout: the pca strategy needs embeddings of other documents to fit its basis (fit)"
        )
    fit = as_points(fit)
    if fit.shape[1] != x.shape[1]:
        raise DataError(f"the PCA fitting embeddings have {fit.shape[1]} dimensions, the task's {x.shape[1]}")
    return Inputs(basis=pca_basis(covariance(fit)))
