"""Load checkpoints as SentenceTransformer models and resolve the base checkpoint once.

sentence-transformers is imported only where a function needs it: importing it costs seconds per job
(scikit-learn and SciPy through its utilities; ``benchmarks/startup.py``), and the embed rule's encoder
(:func:`load_encoder`) builds the usual layout from ``transformers`` alone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from mrlens.checkpoints import checkpoint_dim, resolve_source, weight_files, weights_sha256
from mrlens.errors import ConfigError
from mrlens.io import atomic_path

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)


def use_threads(threads: int) -> None:
    """Let torch use ``threads`` CPU threads (the job's share of the machine)."""
    torch.set_num_threads(max(1, int(threads)))


def pick_device() -> str:
    """``cuda`` when a GPU is visible, else ``cpu``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(
    path: str | Path,
    pooling: str = "mean",
    device: str | None = None,
    trust_remote_code: bool = False,
    code_revision: str | None = None,
) -> SentenceTransformer:
    """A SentenceTransformer from a folder in its format (its own modules: pooling, normalisation, prompts),
    or a plain Hugging Face encoder plus pooling. ``trust_remote_code`` runs the modelling code the folder
    ships (``auto_map``); without it such a folder fails to load. ``code_revision``: the commit of the
    repository an ``auto_map`` takes its code from, when that is another one (:func:`remote_code_repositories`)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    path = Path(path)
    weight_files(path)  # a clear error for a folder without weights
    device = device or pick_device()
    code = {"code_revision": code_revision} if code_revision else {}
    if (path / "modules.json").exists() or pooling == "mean":  # a plain encoder gets mean pooling
        return SentenceTransformer(
            str(path), device=device, local_files_only=True, trust_remote_code=trust_remote_code,
            model_kwargs=code or None, config_kwargs=code or None,
        )  # fmt: skip
    log.info("%s has no modules.json: adding %s pooling to the plain encoder", path, pooling)
    offline = {"local_files_only": True, "trust_remote_code": trust_remote_code}
    encoder = Transformer(
        str(path), model_kwargs=offline | code, processor_kwargs=offline, config_kwargs=offline | code
    )
    head = Pooling(encoder.get_embedding_dimension(), pooling_mode=pooling)
    return SentenceTransformer(modules=[encoder, head], device=device)


def with_dedicated_head(model: SentenceTransformer, size: int) -> SentenceTransformer:
    """``model`` with a linear head of ``size`` outputs after its pooling (before a Normalize module, if
    any): ``h(x) = W x`` with ``W`` (size x width), no bias and no activation (sentence-transformers'
    ``Dense``). The embedding becomes ``size``-dimensional: a model dedicated to that size, the "fixed
    feature" FF-k baseline of Kusupati et al. 2022 ("Matryoshka Representation Learning", NeurIPS).

    ``W`` starts as the prefix projection ``[I_size 0]``, so before training the dedicated model's
    embedding is the base model's ``size``-prefix, where the twins start too; training may then move it to
    any linear map of the pooled vector, of which the MRL prefix is one. No bias: cosine similarity gains
    nothing from a shift shared by every text (it only makes vectors less isotropic), and the prefix it is
    compared with has none.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize

    width = model.get_embedding_dimension()
    if not 1 <= size <= width:
        raise ConfigError(f"config train.variants: dedicated size {size} is not within the model's size {width}")
    modules = list(model)
    at = next((i for i, m in enumerate(modules) if isinstance(m, Normalize)), len(modules))
    weight = torch.eye(size, width, dtype=torch.float32)
    head = Dense(width, size, bias=False, activation_function=None, init_weight=weight)
    return SentenceTransformer(modules=[*modules[:at], head, *modules[at:]], device=str(model.device))


class TokenEmbeddings(torch.nn.Module):
    """A Hugging Face encoder as a SentenceTransformer's first module: adds ``token_embeddings`` to the
    features (``input_ids``, ``attention_mask``, ``token_type_ids``)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        features["token_embeddings"] = self.model(**features, return_dict=True).last_hidden_state
        return features


class TokenPooling(torch.nn.Module):
    """Mean (over the attention mask) or CLS pooling into ``sentence_embedding``, in the arithmetic of
    sentence-transformers' Pooling module (sums accumulated in float32 for half-precision tokens), so
    the vectors are bit-identical to its own."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        tokens = features["token_embeddings"]
        mask = features.get("attention_mask")
        if mask is None:
            mask = torch.ones(tokens.shape[:-1], device=tokens.device, dtype=torch.int64)
        if self.mode == "cls":
            first = mask.to(torch.int).argmax(dim=1)
            features["sentence_embedding"] = tokens[torch.arange(len(tokens), device=tokens.device), first]
            return features
        weights = mask.unsqueeze(-1).to(tokens.dtype)
        accumulate = torch.float32 if tokens.dtype in (torch.float16, torch.bfloat16) else tokens.dtype
        total = (tokens * weights).sum(dim=1, dtype=accumulate)
        count = torch.clamp(weights.sum(dim=1, dtype=accumulate), min=1e-9)
        features["sentence_embedding"] = (total / count).to(tokens.dtype)
        return features


class UnitLength(torch.nn.Module):
    """Scale ``sentence_embedding`` to unit length (sentence-transformers' Normalize module)."""

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        features["sentence_embedding"] = torch.nn.functional.normalize(features["sentence_embedding"], p=2, dim=-1)
        return features


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _pooling_mode(config: dict[str, Any]) -> str | None:
    """``mean`` or ``cls`` from a Pooling config (current or pre-v5 format); None for anything else."""
    if "pooling_mode" in config:
        return config["pooling_mode"] if config["pooling_mode"] in ("mean", "cls") else None
    modes = [key for key, on in config.items() if key.startswith("pooling_mode_") and on]
    legacy = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
    return legacy.get(modes[0]) if len(modes) == 1 else None


def _plain_transformer(config: dict[str, Any]) -> bool:
    """Whether a Transformer module's config asks for nothing but the encoder's last hidden state."""
    text = config.get("modality_config", {}).get(
        "text", {"method": "forward", "method_output_name": "last_hidden_state"}
    )
    return (
        not any(config.get(key) for key in ("model_args", "config_args", "processor_kwargs", "model_kwargs"))
        and config.get("transformer_task", "feature-extraction") == "feature-extraction"
        and text == {"method": "forward", "method_output_name": "last_hidden_state"}
        and config.get("module_output_name", "token_embeddings") == "token_embeddings"
    )


def _encoder_modules(path: Path) -> list[tuple[str, Any]] | None:
    """The modules of a SentenceTransformer folder laid out as Transformer, mean or CLS Pooling and an
    optional Normalize, as (kind, folder or pooling mode); None for any other layout."""
    if not (path / "modules.json").exists():
        return None
    kinds: list[tuple[str, Any]] = []
    for module in _read(path / "modules.json"):
        kind, folder = module.get("type", "").rpartition(".")[2], path / module.get("path", "")
        if kind == "Transformer" and not kinds and _plain_transformer(_read(folder / "sentence_bert_config.json")):
            kinds.append((kind, folder))
        elif kind == "Pooling" and len(kinds) == 1 and (mode := _pooling_mode(_read(folder / "config.json"))):
            kinds.append((kind, mode))
        elif kind == "Normalize" and len(kinds) == 2:
            kinds.append((kind, None))
        else:
            return None
    return kinds if len(kinds) >= 2 else None


def load_encoder(
    path: str | Path, device: str | None = None, trust_remote_code: bool = False
) -> torch.nn.Sequential | SentenceTransformer:
    """The modules the embed rule runs on token ids: for the usual SentenceTransformer layout
    (Transformer, mean or CLS pooling, optional Normalize) built from ``transformers`` directly, seconds
    cheaper to start than ``SentenceTransformer`` and bit-identical to it (``tests/test_embed.py``); any
    other layout, or a folder without ``modules.json``, through :func:`load_model`. ``trust_remote_code``
    as in :func:`load_model`."""
    path = Path(path)
    weight_files(path)  # a clear error for a folder without weights
    modules = _encoder_modules(path)
    if modules is None:
        return load_model(path, device=device, trust_remote_code=trust_remote_code)
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(modules[0][1]), local_files_only=True, trust_remote_code=trust_remote_code)
    layers = [TokenEmbeddings(encoder), TokenPooling(modules[1][1]), *([UnitLength()] if len(modules) == 3 else [])]
    return torch.nn.Sequential(*layers).to(device or pick_device())


def remote_code_repositories(path: str | Path) -> list[str]:
    """The other repositories a checkpoint's ``auto_map`` takes modelling code from (entries written
    ``"other/repo--module.Class"``), which its own commit does not pin."""
    auto_map = _read(Path(path) / "config.json").get("auto_map", {})
    refs = [r for value in auto_map.values() for r in (value if isinstance(value, list) else [value]) if r]
    return sorted({r.split("--")[0] for r in refs if "--" in r})


def _fetch_remote_code(path: Path, code_revision: str | None, key: str) -> None:
    """Refuse (before any code runs) a checkpoint whose code comes from another repository unless
    ``code_revision`` pins it; fetch that code at that commit into the Hugging Face cache."""
    repositories = remote_code_repositories(path)
    if not repositories:
        return
    if code_revision is None:
        raise ConfigError(
            f"config {key}.code_revision: {path} runs modelling code from {', '.join(repositories)}, which its "
            "revision does not pin; give that repository's full 40-hex commit"
        )
    from huggingface_hub import snapshot_download

    for repository in repositories:
        snapshot_download(repo_id=repository, revision=code_revision, allow_patterns=["*.py", "*.json"])


def resolve_base(
    source: str,
    revision: str | None,
    pooling: str,
    out_dir: str | Path,
    key: str = "base_model.source",
    trust_remote_code: bool = False,
    code_revision: str | None = None,
) -> dict[str, Any]:
    """Save the base checkpoint (or an external model of ``models:``, ``key`` naming its source in
    errors) in SentenceTransformer format to ``out_dir``, with its own modules and prompts (and, with
    ``trust_remote_code``, its modelling code); return where it came from.

    Every twin starts from this copy, so all of them start from identical weights.
    """
    path = resolve_source(source, revision, key)
    if trust_remote_code:
        _fetch_remote_code(path, code_revision, key.rpartition(".")[0])
    model = load_model(path, pooling, device="cpu", trust_remote_code=trust_remote_code, code_revision=code_revision)
    with atomic_path(out_dir) as tmp:
        model.save(str(tmp))
    dim = checkpoint_dim(Path(out_dir))
    return {
        "source": source,
        "revision": revision,
        "trust_remote_code": trust_remote_code,
        "code_revision": code_revision,
        "resolved_path": str(path),
        "weights_sha256": weights_sha256(path),
        "dim": dim,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def check_sizes(model: SentenceTransformer, sizes: list[int], key: str) -> None:
    dim = model.get_embedding_dimension()
    if dim is not None and max(sizes) > dim:
        raise ConfigError(f"config {key}: size {max(sizes)} exceeds the model's embedding size {dim}")
