"""Resolving the base checkpoint: embedded, local folders and the hub code path on a local cache."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer

from mrlens.checkpoints import base_model_dim, checkpoint_dim, embedded_model_path, resolve_source, weights_sha256
from mrlens.errors import ConfigError
from mrlens.models import load_model, resolve_base

# SHA-256 of model.safetensors of sentence-transformers/all-MiniLM-L6-v2 as the hub lists it
ALL_MINILM_L6_V2_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_embedded_model_is_all_minilm() -> None:
    path = embedded_model_path()
    assert base_model_dim("embedded") == 384
    assert hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest() == ALL_MINILM_L6_V2_SHA256
    config = json.loads((path / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["vocab_size"]) == (6, 384, 30522)


def test_plain_encoder_gets_pooling_and_is_saved_as_sentence_transformer(tiny_model: Path, tmp_path: Path) -> None:
    assert checkpoint_dim(tiny_model) == 32
    info = resolve_base(str(tiny_model), None, "mean", tmp_path / "base")
    assert info["weights_sha256"] == weights_sha256(tiny_model)
    assert info["dim"] == 32
    model = SentenceTransformer(str(tmp_path / "base"), device="cpu")
    assert [type(m).__name__ for m in model] == ["Transformer", "Pooling"]
    cls = load_model(tiny_model, pooling="cls", device="cpu")
    assert cls[1].get_config_dict()["pooling_mode"] == "cls"


def test_folder_without_weights_is_named(tmp_path: Path, tiny_model: Path) -> None:
    empty = tmp_path / "ckpt"
    shutil.copytree(tiny_model, empty)
    (empty / "model.safetensors").unlink()
    with pytest.raises(ConfigError, match=r"checkpoint .*ckpt: no weights"):
        load_model(empty)


def test_hub_id_offline_without_cache_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match=r"'some-org/some-model' is not a local folder and could not be fetched"):
        resolve_source("some-org/some-model")


def test_hub_id_resolves_from_the_local_hub_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_model: Path
) -> None:
    """The hub path (huggingface_hub.snapshot_download) on files laid out as the hub cache keeps them."""
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--mrlens-test--tiny-bert"
    shutil.copytree(tiny_model, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    assert resolve_source("mrlens-test/tiny-bert") == repo / "snapshots" / revision
    info = resolve_base("mrlens-test/tiny-bert", None, "mean", tmp_path / "base")
    assert info["weights_sha256"] == weights_sha256(tiny_model)
