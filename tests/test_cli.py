"""The mrlens command: embeddings and their geometry outside the workflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mrlens.cli import main
from mrlens.io import read_embeddings, write_embeddings
from mrlens.metrics.isotropy import isoscore_unbiased
from mrlens.metrics.suite import METRICS
from mrlens.models import load_model


def test_metrics_command_writes_a_tidy_table(tmp_path: Path) -> None:
    vectors = np.random.default_rng(1).standard_normal((200, 16)).astype(np.float32)
    source = tmp_path / "api-vectors.parquet"
    write_embeddings(source, [str(i) for i in range(200)], vectors, {"model": "someone's API"})
    out = tmp_path / "table.parquet"
    args = [
        "metrics",
        str(source),
        "--dims",
        "4,16",
        "--out",
        str(out),
        "--strategies",
        "prefix,pca",
        "--bootstrap",
        "5",
    ]
    assert main([*args, "--profiles", str(tmp_path / "profiles.parquet")]) == 0
    table = pd.read_parquet(out)
    assert (tmp_path / "table.csv").exists() and (tmp_path / "profiles.parquet").exists()
    assert set(table["dim"]) == {4, 16} and set(table["metric"]) == set(METRICS)
    assert set(table["strategy"]) == {"prefix", "pca"} and table["ci_low"].notna().any()
    value = table.query("dim == 4 and metric == 'isoscore' and strategy == 'prefix'")["value"].item()
    assert value == pytest.approx(isoscore_unbiased(vectors[:, :4]), rel=1e-9)  # the suite's bias-corrected IsoScore


def test_metrics_command_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    assert main(["metrics", str(bad)]) == 1
    assert "bad.parquet: not a readable Parquet file" in capsys.readouterr().err


def test_embed_command_matches_sentence_transformer_encode(tiny_model: Path, tmp_path: Path) -> None:
    texts = ["a cat sat on the mat", "dogs", "a much longer document " * 20, "dogs", "Ünïcödé & symbols"]
    source = tmp_path / "docs.jsonl"
    pd.DataFrame({"key": [f"k{i}" for i in range(5)], "body": texts}).to_json(source, orient="records", lines=True)
    out = tmp_path / "out" / "docs.parquet"
    args = ["embed", str(tiny_model), str(source), "--out", str(out), "--text-column", "body", "--id-column", "key"]
    assert main([*args, "--max-seq-length", "16", "--batch-size", "2", "--device", "cpu"]) == 0
    ids, vectors, meta = read_embeddings(out)
    peer = load_model(tiny_model, device="cpu")
    peer.max_seq_length = 16
    np.testing.assert_allclose(vectors, peer.encode(texts, batch_size=2), rtol=0, atol=1e-5)
    assert list(ids) == [f"k{i}" for i in range(5)] and meta["n"] == 5 and meta["max_seq_length"] == 16
    assert [p.name for p in out.parent.iterdir()] == ["docs.parquet"]  # the token scratch files are gone


def test_embed_command_names_the_bad_file(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "docs.csv"
    pd.DataFrame({"id": ["a", "a"], "text": ["one", "two"]}).to_csv(source, index=False)
    out = tmp_path / "docs.parquet"
    assert main(["embed", str(tiny_model), str(source), "--out", str(out)]) == 1
    assert "texts: duplicate document id 'a'" in capsys.readouterr().err and not out.exists()
    assert main(["embed", str(tiny_model), str(tmp_path / "docs.jsonl"), "--out", str(out)]) == 1
    assert f"texts: file {tmp_path / 'docs.jsonl'} not found" in capsys.readouterr().err
    source.write_text("id,text\na,one\n", encoding="utf-8")
    assert main(["embed", str(tmp_path / "no-model"), str(source), "--out", str(out)]) == 1
    assert f"checkpoint {tmp_path / 'no-model'}: no such folder" in capsys.readouterr().err and not out.exists()


def test_metrics_command_reads_a_file_written_by_pandas(tmp_path: Path) -> None:
    """A column of arrays as pandas writes it (list<double>), not only mrlens's fixed-size lists."""
    vectors = np.random.default_rng(3).standard_normal((120, 8))
    source = tmp_path / "from-pandas.parquet"
    pd.DataFrame({"id": [f"d{i}" for i in range(120)], "embedding": list(vectors)}).to_parquet(source)
    out = tmp_path / "table.parquet"
    assert (
        main(["metrics", str(source), "--dims", "4,8", "--strategies", "prefix", "--bootstrap", "0", "--out", str(out)])
        == 0
    )
    value = pd.read_parquet(out).query("dim == 8 and metric == 'isoscore'")["value"].item()
    assert value == pytest.approx(isoscore_unbiased(vectors.astype(np.float32)), rel=1e-6)
