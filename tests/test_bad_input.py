"""Bad input, surveyed end to end: each mistake a user can make gets one clear error from `snakemake`
that names the config key or the file, before any job runs or within the first job, and leaves
nothing that looks complete behind."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, tiny_config

from mrlens.io import write_embeddings

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "1"]
pytestmark = pytest.mark.workflow  # every case runs snakemake in a subprocess

Setup = Callable[[Path, dict], "str | list[str] | None"]  # edits the config / writes files; returns targets


def _set(path: str, value: object) -> Setup:
    def setup(workdir: Path, config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node[key]
        node[last] = value

    return setup


def _corpus(name: str, content: bytes | None, **spec: object) -> Setup:
    """A local corpus ``bad`` read from ``name`` (not written when ``content`` is None); target: its table."""

    def setup(workdir: Path, config: dict) -> str:
        path = workdir / name
        if content is not None:
            path.write_bytes(content)
        config["data"]["corpora"]["bad"] = {"kind": "local", "path": str(path), **spec}
        return "results/data/corpora/bad.parquet"

    return setup


def _duplicate_variants(workdir: Path, config: dict) -> None:
    config["__duplicate_variant__"] = True  # the file gets a second `no-mrl:` under train.variants


def _hub_base(workdir: Path, config: dict) -> str:
    config["base_model"] = {"source": "some-org/some-model-that-is-not-cached"}
    return "results/models/base/base.json"


def _weightless_base(workdir: Path, config: dict) -> str:
    folder = workdir / "no-weights"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert", "hidden_size": 32}')
    config["base_model"]["source"] = str(folder)
    return "results/models/base/base.json"


def _unwritable_results(workdir: Path, config: dict) -> None:
    (workdir / "results").write_text("a file where the results folder should be")  # root ignores permissions


def _embeddings(workdir: Path, values: np.ndarray | None) -> list[str]:
    path = workdir / "results" / "embeddings" / "base" / "final" / "wiki.parquet"
    path.parent.mkdir(parents=True)
    if values is None:
        path.write_bytes(b"PAR1 this is not a parquet file PAR1")
    else:
        write_embeddings(path, [f"d{i}" for i in range(len(values))], values, {})
    return ["--allowed-rules", "geometry", "--", "results/metrics/base/final/wiki.parquet"]


def _nan_embeddings(workdir: Path, config: dict) -> list[str]:
    values = np.random.default_rng(0).normal(size=(20, 32)).astype(np.float32)
    values[7, 3] = np.nan
    return _embeddings(workdir, values)


def _corrupt_embeddings(workdir: Path, config: dict) -> list[str]:
    return _embeddings(workdir, None)


CASES: list[tuple[str, Setup, str]] = [
    ("unknown key", _set("train.learning_rates", 0.1), r"config train: unknown key 'learning_rates'"),
    ("wrong type", _set("train.batch_size", "big"), r"config train.batch_size: 'big' is not of type 'integer'"),
    (
        "size larger than the model",
        _set("train.variants", {"mrl": [64, 8]}),
        r"config train.variants.mrl: size 64 exceeds the base model's embedding size 32",
    ),
    ("sizes not descending", _set("train.variants", {"mrl": [8, 32]}), r"train.variants.mrl.*descending"),
    ("duplicate variant names", _duplicate_variants, r"config file .*config.yaml: key 'no-mrl' appears twice"),
    ("unknown pairs source", _set("train.pairs", "nli"), r"config train.pairs: 'nli' is not a source in data.pairs"),
    (
        "checkpoint after the end",
        _set("train.checkpoint_steps", [9]),
        r"train.checkpoint_steps: step 9 is not before train.max_steps",
    ),
    ("hub id while offline", _hub_base, r"some-org/some-model-that-is-not-cached"),
    ("checkpoint folder without weights", _weightless_base, r"no-weights.*(no weights|weights)"),
    ("unwritable results folder", _unwritable_results, r"results folder .*results is not writable"),
    (
        "missing file",
        _corpus("absent.csv", None),
        r"config data.corpora.bad.path: file or folder .*absent.csv not found",
    ),
    ("empty corpus", _corpus("empty.csv", b"id,text\n"), r"data.corpora.bad: the source has no rows"),
    (
        "empty strings",
        _corpus("blank.csv", b"id,text\na,some text\nb,   \n"),
        r"data.corpora.bad: column 'text' is empty in row 1",
    ),
    (
        "duplicate ids",
        _corpus("dup.csv", b"id,text\na,one text\na,another text\n"),
        r"data.corpora.bad: duplicate document id 'a'",
    ),
    (
        "not UTF-8",
        _corpus("latin.csv", "id,text\na,caf\u00e9 cr\u00e8me\n".encode("latin-1")),
        r"latin.csv is not UTF-8 text",
    ),
    ("unknown file format", _corpus("table.xlsx", b"x"), r"table.xlsx has an unknown format"),
    ("embeddings with NaN", _nan_embeddings, r"wiki.parquet: non-finite value \(NaN or inf\) in row 7 \(id 'd7'\)"),
    ("corrupt Parquet file", _corrupt_embeddings, r"wiki.parquet: not a readable Parquet file"),
]


@pytest.fixture(scope="module")
def base_config(tiny_model: Path, tiny_wordnet: Path) -> dict:
    config = tiny_config(tiny_model, tiny_wordnet)
    config.get("findings", {}).pop("claims", None)  # they name the tiny variants, which some cases replace
    return config


@pytest.mark.parametrize(("name", "setup", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_one_clear_error_and_leaves_nothing(
    base_config: dict, tmp_path: Path, name: str, setup: Setup, message: str
) -> None:
    config = copy.deepcopy(base_config)
    targets = setup(tmp_path, config) or []
    duplicate = config.pop("__duplicate_variant__", False)
    config_file = tmp_path / "config.yaml"
    body = yaml.safe_dump(config, sort_keys=False)
    if duplicate:  # YAML loaders keep the last of two equal keys silently
        body = body.replace("  variants:\n", "  variants:\n    no-mrl:\n    - 32\n", 1)
    config_file.write_text(body)
    before = {p for p in tmp_path.rglob("*")}
    command = [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(config_file), "--show-failed-logs"]
    result = subprocess.run(
        [*command, *([targets] if isinstance(targets, str) else targets)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert re.search(message, output), f"{name}: expected /{message}/ in\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    complete = [p for p in written if p.suffix in {".parquet", ".safetensors", ".png", ".csv"}]
    assert complete == [], f"{name}: half-written outputs {complete}"
