"""Quality of one model's embeddings of one task at every truncation size and strategy.

Every truncation (``prefix``, ``pca``, ``random``; :mod:`mrlens.metrics.truncation`) is re-normalised
to unit length before use, so cosine similarity is a dot product. ``pca`` is fitted on all the texts of
the task (queries and documents, or both sides of the pairs).

- Similarity tasks: ``spearman``, Spearman's rho between the cosine of each pair and its human score;
  n = pairs. The bootstrap resamples pairs.
- Retrieval tasks: ``ndcg@k``, ``mrr@k``, ``recall@k`` (exact search over the task's documents, see
  :mod:`mrlens.quality.retrieval`), averaged over queries, n = queries; ``alignment``,
  ``E ||f(q) - f(d)||^alpha`` over the (query, relevant document) pairs, n = pairs. The bootstrap
  resamples queries (a query brings all its pairs), the same draws for every metric, size and strategy.

Intervals are seeded bootstrap percentile intervals; for ``random`` the value is the mean over
orderings and the interval spans their minimum and maximum, as in the geometry suite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mrlens.errors import DataError
from mrlens.metrics._checks import as_points, as_sizes
from mrlens.metrics.covariance import covariance
from mrlens.metrics.truncation import check_strategies, random_orderings, spread_over_orderings, views
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

COLUMNS = ["strategy", "dim", "metric", "value", "ci_low", "ci_high", "n"]


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
    alignment_alpha: float = 2.0

    @classmethod
    def from_mapping(cls, settings: Mapping | QualitySettings | None) -> QualitySettings:
        """Settings from a config mapping; keys that are not settings (e.g. ``tasks``) are ignored."""
        if isinstance(settings, cls):
            return settings
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in dict(settings or {}).items() if k in names})


def _percentiles(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    replicates = replicates[np.isfinite(replicates)]
    if not len(replicates):
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    return float(np.quantile(replicates, alpha)), float(np.quantile(replicates, 1 - alpha))


class _Similarity:
    def __init__(self, labels: pd.DataFrame, row_of: Mapping[str, int], settings: QualitySettings, rng: np.random.Generator):
        self.a = _rows(labels["id_a"], row_of)
        self.b = _rows(labels["id_b"], row_of)
        self.scores = labels["score"].to_numpy(dtype=np.float64)
        n = len(self.scores)
        self.draws = rng.integers(0, n, size=(settings.bootstrap, n), dtype=np.int64)
        self.score_ranks = rankdata(self.scores[self.draws], axis=1) if settings.bootstrap else None
        self.n = {"spearman": n}

    def measure(self, z: np.ndarray, k: int, bootstrap: bool) -> dict[str, tuple[float, np.ndarray]]:
        cosines = pair_cosines(z[:, :k], self.a, self.b)
        value = spearman(cosines, self.scores)
        replicates = spearman_replicates(cosines, self.score_ranks, self.draws) if bootstrap else np.empty(0)
        return {"spearman": (value, replicates)}


class _Retrieval:
    def __init__(self, texts: pd.DataFrame, labels: pd.DataFrame, row_of: Mapping[str, int], settings: QualitySettings, rng: np.random.Generator):
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
        # bootstrap: how often each query is drawn in each replicate (B x n_queries)
        draws = rng.integers(0, n_queries, size=(settings.bootstrap, n_queries))
        self.counts = np.stack([np.bincount(row, minlength=n_queries) for row in draws]).astype(np.float64) if settings.bootstrap else np.empty((0, n_queries))
        self.pair_counts = self.counts @ self.n_relevant if settings.bootstrap else np.empty(0)
        self.names = {"ndcg": f"ndcg@{settings.ndcg_at}", "mrr": f"mrr@{settings.mrr_at}", "recall": f"recall@{settings.recall_at}"}
        self.n = {**{name: n_queries for name in self.names.values()}, "alignment": len(labels)}

    def measure(self, z: np.ndarray, k: int, bootstrap: bool, device: str | None = None) -> dict[str, tuple[float, np.ndarray]]:
        s = self.settings
        queries = unit_rows(z[self.query_rows, :k])
        documents = unit_rows(z[self.document_rows, :k])
        _, ranking = top_k(queries, documents, self.k, device=device)
        ranked = ranked_relevance(ranking, self.query_index, self.doc_index, self.relevance, len(documents))
        per_query = {
            self.names["ndcg"]: ndcg_at_k(ranked, self.ideal, s.ndcg_at),
            self.names["mrr"]: mrr_at_k(ranked, s.mrr_at),
            self.names["recall"]: recall_at_k(ranked, self.n_relevant, s.recall_at),
        }
        out = {
            name: (float(values.mean()), self.counts @ values / len(values) if bootstrap else np.empty(0))
            for name, values in per_query.items()
        }
        terms = alignment_terms(queries[self.query_index], documents[self.doc_index], s.alignment_alpha)
        per_query_sum = np.bincount(self.query_index, weights=terms, minlength=len(self.query_ids))
        out["alignment"] = (float(terms.mean()), self.counts @ per_query_sum / self.pair_counts if bootstrap else np.empty(0))
        return out


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
) -> pd.DataFrame:
    """Quality of ``embeddings`` (rows named by ``ids``, e.g. from :func:`mrlens.io.read_embeddings`)
    on the task (``texts``, ``labels``; :mod:`mrlens.quality.tasks`) at every size in ``dims``.

    Returns a tidy table: strategy, dim, metric, value, ci_low, ci_high, n. Raises
    :class:`DataError` when a text of the task has no embedding.
    """
    settings = QualitySettings.from_mapping(settings)
    strategies = check_strategies(settings.strategies)
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
    rng = np.random.default_rng(settings.seed)
    kind = task_type(labels)
    task = _Similarity(labels, row_of, settings, rng) if kind == "similarity" else _Retrieval(texts, labels, row_of, settings, rng)
    orderings = random_orderings(x.shape[1], settings.random_orderings, rng) if "random" in strategies else []
    cov = covariance(x) if "pca" in strategies else None

    def measure(z: np.ndarray, k: int, bootstrap: bool) -> dict[str, tuple[float, np.ndarray]]:
        return task.measure(z, k, bootstrap, device) if kind == "retrieval" else task.measure(z, k, bootstrap)

    rows = []
    for strategy in strategies:
        if strategy == "random":
            runs = [{(k, m): v for k in sizes for m, (v, _) in measure(z, k, False).items()} for z in views(x, strategy, orderings=orderings)]
            values, low, high = spread_over_orderings(runs)
        else:
            z = next(views(x, strategy, covariance=cov))
            values, low, high = {}, {}, {}
            for k in sizes:
                for metric, (value, replicates) in measure(z, k, settings.bootstrap > 0).items():
                    values[(k, metric)] = value
                    low[(k, metric)], high[(k, metric)] = _percentiles(replicates, settings.confidence)
        rows.extend(
            {"strategy": strategy, "dim": k, "metric": m, "value": v, "ci_low": low[(k, m)], "ci_high": high[(k, m)], "n": task.n[m]}
            for (k, m), v in values.items()
        )
    return pd.DataFrame(rows, columns=COLUMNS)
