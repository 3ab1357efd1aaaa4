"""Embeddings stored at lower precision, scored as sentence-transformers' ``quantize_embeddings`` and its
search utilities (``sentence_transformers.util.quantization``) score them, and the bytes each vector takes.

The vectors quantised are the unit-length k-prefixes the float32 evaluation scores (:func:`unit_rows`).
Each precision turns them into *scoring vectors*, whose dot products are the scores:

- ``float32``: the unit vectors themselves, ``s(u, v) = u . v`` (cosine); 4 bytes per dimension.
- ``int8`` (scalar quantisation): per-dimension ranges ``[lo_j, hi_j]``, the minimum and maximum of
  *calibration* embeddings (the model's embeddings of a corpus, never of the task's own texts),
  ``step_j = (hi_j - lo_j) / 255`` (1 where ``hi_j = lo_j``) and the code
  ``c_j(x) = clip(floor((x_j - lo_j) / step_j), 0, 255) - 128``, exactly ``quantize_embeddings(x, "int8",
  ranges)``; ``s(u, v) = c(u) . c(v)``, the inner product of an int8 index (``semantic_search_usearch``'s
  ``ip`` index of ``i8``). 1 byte per dimension.
- ``binary`` (sign): ``b_j(x) = +1 if x_j > 0 else -1``, stored as the bits ``x_j > 0`` packed eight to a
  byte (``quantize_embeddings(x, "binary")``); ``s(u, v) = b(u) . b(v) = k - 2 H(u, v)`` with ``H`` the
  Hamming distance of the bits, so it ranks as a Hamming index does (faiss ``IndexBinaryFlat``, usearch
  ``hamming``). ``ceil(k / 8)`` bytes.
- ``binary-rescore``: retrieval only; the ``m K`` best documents by the binary score (``m`` =
  ``quality.rescore_multiplier``, ``K`` the deepest cut-off measured), re-ranked by the float query times
  the document's signs, ``u . b(v)``: sentence-transformers' rescoring (it multiplies the float query with
  the unpacked 0/1 bits, ``u . (b(v) + 1) / 2``, which ranks one query's documents the same). The documents
  are stored binary: ``ceil(k / 8)`` bytes. A similarity task has no query side: it gets no such rows.

References: Shakir, Aarsen & Lee 2024, "Binary and Scalar Embedding Quantization for Significantly Faster
& Cheaper Retrieval" (Hugging Face blog); Jégou, Douze & Schmid 2011 (Hamming embedding).
"""

from __future__ import annotations

import numpy as np

PRECISIONS = ("float32", "int8", "binary", "binary-rescore")
FULL = "float32"
CALIBRATED = ("int8",)  # precisions whose codes need calibration ranges
RETRIEVAL_ONLY = ("binary-rescore",)  # precisions that need a query side to rescore


def check_precisions(precisions: tuple[str, ...] | list[str]) -> list[str]:
    """The precisions as a list; a ``ValueError`` naming ``quality.precisions`` for an unknown one."""
    unknown = [p for p in precisions if p not in PRECISIONS]
    if unknown:
        raise ValueError(f"quality.precisions: unknown precision {unknown[0]!r}; use {list(PRECISIONS)}")
    return list(precisions)


def bytes_per_vector(dim: int, precision: str) -> int:
    """Bytes one stored vector of ``dim`` dimensions takes: ``4 dim`` (float32), ``dim`` (int8),
    ``ceil(dim / 8)`` (binary, with or without rescoring: the documents are stored binary)."""
    check_precisions([precision])
    if precision == FULL:
        return 4 * dim
    if precision == "int8":
        return dim
    return -(-dim // 8)


def int8_ranges(calibration: np.ndarray) -> np.ndarray:
    """``[lo; hi]`` (2 x k): each dimension's minimum and maximum over the calibration embeddings."""
    calibration = np.asarray(calibration, dtype=np.float32)
    if calibration.ndim != 2 or len(calibration) < 2:
        raise ValueError(f"int8 calibration needs at least two embeddings (rows), got shape {calibration.shape}")
    return np.vstack((calibration.min(axis=0), calibration.max(axis=0)))


def int8_codes(x: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """``clip(floor((x - lo) / step), 0, 255) - 128`` per dimension, ``step = (hi - lo) / 255`` (1 where
    ``hi = lo``), as int8; values outside the calibration range are clipped to its ends."""
    ranges = np.asarray(ranges, dtype=np.float32)
    step = (ranges[1] - ranges[0]) / 255
    step = np.where(step == 0, 1, step)
    return (np.clip(np.floor((np.asarray(x, dtype=np.float32) - ranges[0]) / step), 0, 255) - 128).astype(np.int8)


def signs(x: np.ndarray) -> np.ndarray:
    """``+1`` where ``x > 0``, else ``-1`` (float32): the binary code as a vector."""
    return np.where(np.asarray(x) > 0, 1.0, -1.0).astype(np.float32)


def scoring_vectors(u: np.ndarray, precision: str, ranges: np.ndarray | None = None) -> np.ndarray:
    """Vectors whose dot products are the precision's scores of the unit vectors ``u`` (float32, exact:
    int8 code products sum to less than 2^24 up to 1,000 dimensions). ``binary-rescore`` first ranks by
    the binary score: its vectors are the signs too. ``int8`` needs the calibration ``ranges``."""
    check_precisions([precision])
    if precision == FULL:
        return np.asarray(u, dtype=np.float32)
    if precision == "int8":
        if ranges is None:
            raise ValueError("int8 scores need calibration ranges (int8_ranges of a calibration corpus)")
        return int8_codes(u, ranges).astype(np.float32)
    return signs(u)


def rescore(queries: np.ndarray, document_signs: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best of each query's ``candidates`` (n_queries x m, document indices, best first by the
    binary score) re-ranked by ``queries[i] . document_signs[j]`` (float query, binary documents); ties
    keep the binary order. Returns document indices (n_queries x k)."""
    scores = np.einsum("ij,ikj->ik", queries.astype(np.float64), document_signs[candidates].astype(np.float64))
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(candidates, order, axis=1)
