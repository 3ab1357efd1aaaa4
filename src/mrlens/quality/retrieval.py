"""Exact retrieval and its metrics, per query: nDCG@k, MRR@k, Recall@k, and alignment over positive pairs.

Scores are dot products of the vectors given (pass unit vectors for cosine). Documents are ranked by
decreasing score; among equal scores the order is ``torch.topk``'s (tied scores are rare with real
embeddings; identical texts are merged before embedding).

- nDCG@k (Jarvelin & Kekalainen 2002) with linear gain ``rel`` and discount ``1 / log2(rank + 1)``,
  normalised by the DCG of the query's judged documents in their best order; this is ``ndcg_cut.k`` of
  trec_eval (and pytrec-eval, which BEIR and MTEB use).
- MRR@k: ``1 / rank`` of the first relevant document within the top k, 0 when there is none
  (trec_eval's ``recip_rank`` on a run cut at k).
- Recall@k: relevant documents within the top k over all relevant documents of the query
  (trec_eval's ``recall.k``).
- Alignment (Wang & Isola 2020): ``E ||f(x) - f(y)||^alpha`` over positive pairs (x, y).

Relevance is an integer; a document counts as relevant when its relevance is above 0.
"""

from __future__ import annotations

import numpy as np

QUERY_BLOCK = 1024
DOCUMENT_BLOCK = 32768


def top_k(
    queries: np.ndarray,
    documents: np.ndarray,
    k: int,
    query_block: int = QUERY_BLOCK,
    document_block: int = DOCUMENT_BLOCK,
    device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring documents of every query: ``(scores, indices)``, each (n_queries x k),
    best first. Exact: scores are computed block by block (at most ``query_block x document_block``
    at a time) and each block's top k merged into a running top k."""
    if queries.ndim != 2 or documents.ndim != 2 or queries.shape[1] != documents.shape[1]:
        raise ValueError(f"queries {queries.shape} and documents {documents.shape} must be 2-D with equal widths")
    if not 1 <= k <= len(documents):
        raise ValueError(f"k must lie in [1, {len(documents)}] (the number of documents), got {k}")
    import torch  # here, not at the top: the quality jobs of similarity tasks never load it

    device = device or "cpu"
    scores = np.empty((len(queries), k), dtype=np.float32)
    indices = np.empty((len(queries), k), dtype=np.int64)
    with torch.no_grad():
        doc_blocks = [
            (
                start,
                torch.from_numpy(np.ascontiguousarray(documents[start : start + document_block], dtype=np.float32)).to(
                    device
                ),
            )
            for start in range(0, len(documents), document_block)
        ]
        for q_start in range(0, len(queries), query_block):
            q = torch.from_numpy(np.ascontiguousarray(queries[q_start : q_start + query_block], dtype=np.float32)).to(
                device
            )
            best_scores = best_indices = None
            for d_start, d in doc_blocks:
                block_scores, block_indices = (q @ d.T).topk(min(k, len(d)), dim=1)
                block_indices += d_start
                if best_scores is not None:
                    block_scores = torch.cat([best_scores, block_scores], dim=1)
                    block_indices = torch.cat([best_indices, block_indices], dim=1)
                    block_scores, order = block_scores.topk(k, dim=1)
                    block_indices = block_indices.gather(1, order)
                best_scores, best_indices = block_scores, block_indices
            rows = slice(q_start, q_start + len(q))
            scores[rows] = best_scores.cpu().numpy()
            indices[rows] = best_indices.cpu().numpy()
    return scores, indices


def ranked_relevance(
    ranking: np.ndarray, query_index: np.ndarray, doc_index: np.ndarray, relevance: np.ndarray, n_documents: int
) -> np.ndarray:
    """Relevance of every ranked document (n_queries x k): ``ranking[q, r]`` is a document index; the
    judgements are the triples (``query_index``, ``doc_index``, ``relevance``); unjudged documents get 0."""
    keys = query_index.astype(np.int64) * n_documents + doc_index.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, relevance = keys[order], relevance[order]
    wanted = (np.arange(len(ranking), dtype=np.int64)[:, None] * n_documents + ranking).ravel()
    if len(keys) == 0:
        return np.zeros(ranking.shape, dtype=np.int64)
    position = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[position] == wanted
    return np.where(found, relevance[position], 0).reshape(ranking.shape).astype(np.int64)


def ideal_relevance(query_index: np.ndarray, relevance: np.ndarray, n_queries: int, k: int) -> np.ndarray:
    """Each query's judged relevances sorted decreasingly, the first ``k`` (n_queries x k, zero-padded)."""
    out = np.zeros((n_queries, k), dtype=np.int64)
    order = np.lexsort((-relevance, query_index))
    q, rel = query_index[order], relevance[order]
    starts = np.searchsorted(q, q, side="left")
    rank = np.arange(len(q)) - starts
    keep = rank < k
    out[q[keep], rank[keep]] = rel[keep]
    return out


def _dcg(relevance: np.ndarray) -> np.ndarray:
    discounts = 1.0 / np.log2(np.arange(2, relevance.shape[1] + 2))
    return relevance.astype(np.float64) @ discounts


def ndcg_at_k(ranked: np.ndarray, ideal: np.ndarray, k: int) -> np.ndarray:
    """nDCG@k per query from the ranked relevances and the ideal ones (:func:`ideal_relevance`);
    0 for a query with no relevant document."""
    ideal_dcg = _dcg(ideal[:, :k])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ideal_dcg > 0, _dcg(ranked[:, :k]) / ideal_dcg, 0.0)


def mrr_at_k(ranked: np.ndarray, k: int) -> np.ndarray:
    """Reciprocal rank of the first relevant document within the top k per query (0 if none)."""
    hits = ranked[:, :k] > 0
    first = hits.argmax(axis=1)
    return np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)


def recall_at_k(ranked: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Share of each query's relevant documents found within the top k (0 for a query with none)."""
    found = (ranked[:, :k] > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_relevant > 0, found / np.maximum(n_relevant, 1), 0.0)


def alignment_terms(x: np.ndarray, y: np.ndarray, alpha: float = 2.0) -> np.ndarray:
    """``||x_i - y_i||^alpha`` for every positive pair (rows of ``x`` and ``y``); their mean is the
    alignment loss of Wang & Isola (2020) (lower: positives closer). Pass unit vectors."""
    if x.shape != y.shape:
        raise ValueError(f"pairs need equal shapes, got {x.shape} and {y.shape}")
    return np.linalg.norm(x.astype(np.float64) - y, axis=1) ** alpha
