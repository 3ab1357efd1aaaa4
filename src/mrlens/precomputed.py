"""Embeddings made elsewhere (``models.NAME.kind: precomputed``), e.g. by a closed API: one Parquet file
per corpus or task text set, checked against the text set's ids and written as mrlens embeddings, so they
are measured, evaluated, compared and drawn like the embeddings made here."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from mrlens.errors import DataError
from mrlens.io import read_embeddings, write_embeddings


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _some(ids: list[str], k: int = 3) -> str:
    return ", ".join(map(repr, ids[:k])) + (", ..." if len(ids) > k else "")


def matched_rows(path: str | Path, ids: list[str], expected: list[str], texts_path: str | Path) -> np.ndarray:
    """Row of ``ids`` (the file ``path``'s) for each id of ``expected`` (the text set ``texts_path``'s).
    A :class:`DataError` naming ``path`` when an id appears twice, or the ids miss or add some."""
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    if repeated:
        raise DataError(f"{path}: {len(repeated)} id(s) appear more than once ({_some(repeated)}); give each text once")
    row = {i: r for r, i in enumerate(ids)}
    missing = [i for i in expected if i not in row]
    if missing:
        raise DataError(f"{path}: no embedding for {len(missing)} id(s) of {texts_path} ({_some(missing)})")
    extra = sorted(set(ids) - set(expected))
    if extra:
        raise DataError(f"{path}: {len(extra)} id(s) are not texts of {texts_path} ({_some(extra)})")
    return np.fromiter((row[i] for i in expected), dtype=np.int64, count=len(expected))


def import_embeddings(
    path: str | Path, texts_path: str | Path, out_path: str | Path, metadata: Mapping[str, Any]
) -> int:
    """Write the embeddings of ``path`` (columns ``id`` and ``embedding``, read by
    :func:`mrlens.io.read_embeddings`) to ``out_path`` in the order of the text set ``texts_path``, after
    checking that they hold each of its ids exactly once (:func:`matched_rows`). The metadata records the
    file and its SHA-256. Returns the embedding size."""
    ids, vectors, _ = read_embeddings(path)
    ids = [str(i) for i in ids]
    expected = [str(i) for i in pq.read_table(texts_path, columns=["id"]).column("id").to_pylist()]
    rows = matched_rows(path, ids, expected, texts_path)
    meta = {**metadata, "n": len(rows), "dim": vectors.shape[1], "precomputed": str(path)}
    write_embeddings(out_path, expected, vectors[rows], meta | {"precomputed_sha256": file_sha256(path)})
    return int(vectors.shape[1])
