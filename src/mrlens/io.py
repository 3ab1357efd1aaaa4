"""Files mrlens reads and writes: embedding Parquet files and tidy tables, always written atomically.

An embeddings file has an ``id`` column (string) and an ``embedding`` column of Arrow type
``fixed_size_list<float32>[dim]`` holding the full-size vectors; its schema metadata key
``mrlens`` holds a JSON object describing what produced it (model, variant, seed, checkpoint, ...).
Truncation happens when reading (``dims``), never by re-embedding. Files written by others (pandas,
Polars, an API client) are read too when their ``embedding`` column is a ``list`` or ``large_list``
of floats whose rows all have one length.

A full disk while writing is one :class:`~mrlens.errors.DataError` naming the file, and the
partly written temporary is removed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mrlens.errors import DataError

if TYPE_CHECKING:  # pandas only types write_table: the embed and tokenize jobs start without it
    import pandas as pd

METADATA_KEY = b"mrlens"
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


def _out_of_space(error: OSError) -> bool:
    """Whether ``error`` says the disk or the quota is full (pyarrow's errors carry the text only)."""
    return error.errno in _NO_SPACE or "No space left on device" in str(error) or "Disk quota exceeded" in str(error)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside ``path``; move it into place only if the block succeeds.

    A killed or failing job therefore never leaves a file that looks complete; a full disk is a
    :class:`DataError` naming ``path`` instead of the writer's traceback.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except OSError as error:
        if _out_of_space(error):
            raise DataError(f"{path}: no space left on the device while writing it; nothing was kept") from None
        raise
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def embedding_schema(dim: int, metadata: Mapping[str, Any]) -> pa.Schema:
    return pa.schema(
        [("id", pa.string()), ("embedding", pa.list_(pa.float32(), dim))],
        metadata={METADATA_KEY: json.dumps(dict(metadata), sort_keys=True, default=str)},
    )


class EmbeddingWriter:
    """Stream batches of embeddings into a Parquet file, one row group per batch, atomically.

    >>> with EmbeddingWriter("e.parquet", dim=384, metadata={"model": "base"}) as writer:
    ...     writer.write(ids, vectors)   # doctest: +SKIP
    """

    def __init__(self, path: str | Path, dim: int, metadata: Mapping[str, Any]):
        self.path = Path(path)
        self.dim = dim
        self.schema = embedding_schema(dim, metadata)
        self.rows = 0

    def __enter__(self) -> EmbeddingWriter:
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        self._writer = pq.ParquetWriter(tmp, self.schema)
        return self

    def write(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(ids) != len(vectors):
            raise ValueError(f"expected {len(ids)} vectors of size {self.dim}, got shape {vectors.shape}")
        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), self.dim)
        self._writer.write_table(pa.table([pa.array(ids, pa.string()), column], schema=self.schema))
        self.rows += len(ids)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            self._writer.close()  # flushes the last pages: a full disk may show here first
        except OSError as error:
            if exc_type is None:
                exc_type, exc, traceback = type(error), error, error.__traceback__
        if exc_type is None and self.rows == 0:
            exc_type, exc = DataError, DataError(f"{self.path}: no embeddings to write")
        self._atomic.__exit__(exc_type, exc, traceback)  # moves into place, or removes the temporary
        if exc_type is DataError and self.rows == 0:
            raise exc


def write_embeddings(path: str | Path, ids: Sequence[str], vectors: np.ndarray, metadata: Mapping[str, Any]) -> None:
    """Write ``vectors`` (n x dim) with their ``ids`` in one go."""
    with EmbeddingWriter(path, vectors.shape[1], metadata) as writer:
        writer.write(ids, vectors)


def read_metadata(path: str | Path) -> dict[str, Any]:
    raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
    return json.loads(raw) if raw else {}


def read_embeddings(path: str | Path, max_dim: int | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Return ``(ids, vectors, metadata)``; ``vectors`` is float32 (n x dim), or its first ``max_dim`` columns.

    Raises :class:`DataError` naming the file for an unreadable file, a missing column, or a
    non-finite value (with the first bad row's index and id).
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    missing = {"id", "embedding"} - set(table.column_names)
    if missing:
        raise DataError(f"{path}: missing column(s) {sorted(missing)}; expected 'id' and 'embedding'")
    vectors = _vectors(path, table.column("embedding"))
    if max_dim is not None:
        vectors = np.ascontiguousarray(vectors[:, :max_dim])
    ids = np.asarray(table.column("id").to_pylist(), dtype=object)
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise DataError(f"{path}: non-finite value (NaN or inf) in row {row} (id {ids[row]!r})")
    meta = json.loads(table.schema.metadata[METADATA_KEY]) if METADATA_KEY in (table.schema.metadata or {}) else {}
    return ids, vectors, meta


def _vectors(path: str | Path, column: pa.ChunkedArray) -> np.ndarray:
    """The ``embedding`` column as float32 (n x dim): a fixed-size list, or a list or large list of
    floats whose rows all have one length (as pandas writes a column of arrays or lists)."""
    kind = column.type
    expected = "expected a list of floats per row (fixed_size_list<float32>[dim], list<float> or large_list<float>)"
    is_list = pa.types.is_fixed_size_list(kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind)
    if not is_list or not (pa.types.is_floating(kind.value_type) or pa.types.is_integer(kind.value_type)):
        raise DataError(f"{path}: column 'embedding' has type {kind}; {expected}")
    if column.null_count:
        row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
        raise DataError(f"{path}: column 'embedding' is empty (null) in row {row}")
    array = pa.concat_arrays(column.chunks) if column.num_chunks else pa.array([], pa.list_(pa.float32()))
    if pa.types.is_fixed_size_list(kind):
        dim = kind.list_size
    else:
        lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
        dim = int(lengths[0]) if len(lengths) else 0
        if len(lengths) and (lengths != dim).any():
            row = int(np.argmax(lengths != dim))
            raise DataError(f"{path}: column 'embedding' has {lengths[row]} values in row {row} and {dim} in row 0")
    if dim == 0 and len(array):
        raise DataError(f"{path}: column 'embedding' holds empty vectors")
    flat = array.flatten()
    if flat.null_count:
        raise DataError(f"{path}: column 'embedding' holds a null value")
    return flat.to_numpy(zero_copy_only=False).astype(np.float32, copy=False).reshape(len(array), dim)


def write_table(frame: pd.DataFrame, parquet: str | Path, csv: str | Path | None = None) -> None:
    """Write a tidy table to Parquet (and CSV), each atomically."""
    with atomic_path(parquet) as tmp:
        frame.to_parquet(tmp, index=False)
    if csv is not None:
        with atomic_path(csv) as tmp:
            frame.to_csv(tmp, index=False)


def write_json(data: Mapping[str, Any], path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(dict(data), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
