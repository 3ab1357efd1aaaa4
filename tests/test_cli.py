"""The mrlens command on an embeddings file made outside the workflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mrlens.cli import main
from mrlens.io import write_embeddings
from mrlens.metrics import isoscore
from mrlens.metrics.suite import METRICS


def test_metrics_command_writes_a_tidy_table(tmp_path: Path) -> None:
    vectors = np.random.default_rng(1).standard_normal((200, 16)).astype(np.float32)
    source = tmp_path / "api-vectors.parquet"
    write_embeddings(source, [str(i) for i in range(200)], vectors, {"model": "someone's API"})
    out = tmp_path / "table.parquet"
    args = ["metrics", str(source), "--dims", "4,16", "--out", str(out), "--strategies", "prefix,pca", "--bootstrap", "5"]
    assert main([*args, "--profiles", str(tmp_path / "profiles.parquet")]) == 0
    table = pd.read_parquet(out)
    assert (tmp_path / "table.csv").exists() and (tmp_path / "profiles.parquet").exists()
    assert set(table["dim"]) == {4, 16} and set(table["metric"]) == set(METRICS)
    assert set(table["strategy"]) == {"prefix", "pca"} and table["ci_low"].notna().any()
    value = table.query("dim == 4 and metric == 'isoscore' and strategy == 'prefix'")["value"].item()
    assert value == pytest.approx(isoscore(vectors[:, :4]), rel=1e-9)


def test_metrics_command_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    assert main(["metrics", str(bad)]) == 1
    assert "bad.parquet: not a readable Parquet file" in capsys.readouterr().err
