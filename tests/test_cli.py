"""The mrlens command on an embeddings file made outside the workflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mrlens.cli import main
from mrlens.io import write_embeddings
from mrlens.metrics import isoscore


def test_metrics_command_writes_a_tidy_table(tmp_path: Path) -> None:
    vectors = np.random.default_rng(1).standard_normal((200, 16)).astype(np.float32)
    source = tmp_path / "api-vectors.parquet"
    write_embeddings(source, [str(i) for i in range(200)], vectors, {"model": "someone's API"})
    out = tmp_path / "table.parquet"
    assert main(["metrics", str(source), "--dims", "4,16", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert (tmp_path / "table.csv").exists()
    assert set(table["dim"]) == {4, 16} and set(table["metric"]) == {"isoscore", "uniformity", "mean_abs_correlation"}
    value = table[(table["dim"] == 4) & (table["metric"] == "isoscore")]["value"].item()
    assert value == pytest.approx(isoscore(vectors[:, :4]), rel=1e-9)


def test_metrics_command_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    assert main(["metrics", str(bad)]) == 1
    assert "bad.parquet: not a readable Parquet file" in capsys.readouterr().err
