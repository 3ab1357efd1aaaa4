"""Embedding Parquet files: Arrow layout, metadata, bad files, atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mrlens.errors import DataError
from mrlens.io import EmbeddingWriter, atomic_path, read_embeddings, write_embeddings


def test_round_trip_with_fixed_size_list_and_metadata(tmp_path: Path) -> None:
    vectors = np.random.default_rng(0).standard_normal((10, 6)).astype(np.float32)
    ids = [f"doc{i}" for i in range(10)]
    path = tmp_path / "e.parquet"
    with EmbeddingWriter(path, 6, {"model": "base", "seed": None}) as writer:
        writer.write(ids[:4], vectors[:4])
        writer.write(ids[4:], vectors[4:])
    schema = pq.read_schema(path)
    assert schema.field("embedding").type == pa.list_(pa.float32(), 6)
    assert pq.ParquetFile(path).num_row_groups == 2
    read_ids, read_vectors, meta = read_embeddings(path)
    assert read_ids.tolist() == ids
    np.testing.assert_array_equal(read_vectors, vectors)
    assert meta == {"model": "base", "seed": None}
    np.testing.assert_array_equal(read_embeddings(path, max_dim=2)[1], vectors[:, :2])


def test_non_finite_value_names_file_and_row(tmp_path: Path) -> None:
    vectors = np.ones((5, 3), dtype=np.float32)
    vectors[3, 1] = np.nan
    path = tmp_path / "bad.parquet"
    write_embeddings(path, list("abcde"), vectors, {})
    with pytest.raises(DataError, match=r"bad.parquet: non-finite value \(NaN or inf\) in row 3 \(id 'd'\)"):
        read_embeddings(path)


def test_corrupt_or_wrong_files_are_named(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 garbage")
    with pytest.raises(DataError, match="corrupt.parquet: not a readable Parquet file"):
        read_embeddings(corrupt)
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"id": ["a"], "vector": [[1.0]]}), wrong)
    with pytest.raises(DataError, match=r"wrong.parquet: missing column\(s\) \['embedding'\]"):
        read_embeddings(wrong)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    with pytest.raises(RuntimeError):
        with EmbeddingWriter(path, 2, {}) as writer:
            writer.write(["a"], np.ones((1, 2)))
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataError, match="no embeddings to write"):
        with EmbeddingWriter(path, 2, {}):
            pass
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_replaces_a_folder_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "weights").write_text("1")
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "weights").write_text("2")
            raise ValueError
    assert (target / "weights").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_list_and_large_list_columns_are_read_like_fixed_size_lists(tmp_path: Path) -> None:
    """What pandas, Polars or an API client write: a list<double> (or large_list) column of equal lengths."""
    import pandas as pd

    vectors = np.random.default_rng(2).standard_normal((7, 5))
    written_by_pandas = tmp_path / "pandas.parquet"
    pd.DataFrame({"id": list("abcdefg"), "embedding": list(vectors)}).to_parquet(written_by_pandas)
    assert pa.types.is_list(pq.read_schema(written_by_pandas).field("embedding").type)
    large = tmp_path / "large.parquet"
    pq.write_table(
        pa.table({"id": list("abcdefg"), "embedding": pa.array(vectors.tolist(), pa.large_list(pa.float64()))}), large
    )
    for path in (written_by_pandas, large):
        ids, read, meta = read_embeddings(path)
        assert ids.tolist() == list("abcdefg") and meta == {} and read.dtype == np.float32
        np.testing.assert_array_equal(read, vectors.astype(np.float32))
    ragged = tmp_path / "ragged.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "embedding": [[1.0, 2.0], [3.0, 4.0], [5.0]]}), ragged)
    with pytest.raises(DataError, match=r"ragged.parquet: column 'embedding' has 1 values in row 2 and 2 in row 0"):
        read_embeddings(ragged)
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({"id": ["a"], "embedding": ["1 2 3"]}), text)
    with pytest.raises(DataError, match=r"text.parquet: column 'embedding' has type string; expected a list of floats"):
        read_embeddings(text)


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC from the Parquet writer (as a 300 KB filesystem gives) while rows are written or closed."""
    import errno

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    path = tmp_path / "e.parquet"
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    with pytest.raises(DataError, match=r"e.parquet: no space left on the device while writing it") as caught:
        write_embeddings(path, ["a"], np.ones((1, 2)), {})
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(pq.ParquetWriter, "close", full)
    with pytest.raises(DataError, match=r"e.parquet: no space left"):
        write_embeddings(path, ["a"], np.ones((1, 2)), {})
    monkeypatch.undo()
    assert [p for p in tmp_path.iterdir() if p.is_file() and p.stat().st_size] == []
    arrow_error = pa.ArrowIOError("Error writing bytes to file. Detail: [errno 28] No space left on device")
    with pytest.raises(DataError, match=r"t.parquet: no space left"):
        with atomic_path(tmp_path / "t.parquet") as tmp:
            tmp.write_text("half")
            raise arrow_error
    assert not any(p.name.startswith(".t.parquet") for p in tmp_path.iterdir())
