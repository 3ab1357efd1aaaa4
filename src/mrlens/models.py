"""Load checkpoints as SentenceTransformer models and resolve the base checkpoint once."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import Transformer
from sentence_transformers.sentence_transformer.modules import Pooling

from mrlens.checkpoints import checkpoint_dim, resolve_source, weight_files, weights_sha256
from mrlens.errors import ConfigError
from mrlens.io import atomic_path

log = logging.getLogger(__name__)


def use_threads(threads: int) -> None:
    """Let torch use ``threads`` CPU threads (the job's share of the machine)."""
    torch.set_num_threads(max(1, int(threads)))


def pick_device() -> str:
    """``cuda`` when a GPU is visible, else ``cpu``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(path: str | Path, pooling: str = "mean", device: str | None = None) -> SentenceTransformer:
    """A SentenceTransformer from a folder in its format, or a plain Hugging Face encoder plus pooling."""
    path = Path(path)
    weight_files(path)  # a clear error for a folder without weights
    device = device or pick_device()
    if (path / "modules.json").exists() or pooling == "mean":  # a plain encoder gets mean pooling
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    log.info("%s has no modules.json: adding %s pooling to the plain encoder", path, pooling)
    offline = {"local_files_only": True}
    encoder = Transformer(str(path), model_kwargs=offline, processor_kwargs=offline)
    head = Pooling(encoder.get_embedding_dimension(), pooling_mode=pooling)
    return SentenceTransformer(modules=[encoder, head], device=device)


def resolve_base(source: str, revision: str | None, pooling: str, out_dir: str | Path) -> dict[str, Any]:
    """Save the base checkpoint in SentenceTransformer format to ``out_dir``; return where it came from.

    Every twin starts from this copy, so all of them start from identical weights.
    """
    path = resolve_source(source, revision)
    model = load_model(path, pooling, device="cpu")
    with atomic_path(out_dir) as tmp:
        model.save(str(tmp))
    dim = checkpoint_dim(Path(out_dir))
    return {
        "source": source,
        "revision": revision,
        "resolved_path": str(path),
        "weights_sha256": weights_sha256(path),
        "dim": dim,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def check_sizes(model: SentenceTransformer, sizes: list[int], key: str) -> None:
    dim = model.get_embedding_dimension()
    if dim is not None and max(sizes) > dim:
        raise ConfigError(f"config {key}: size {max(sizes)} exceeds the model's embedding size {dim}")
