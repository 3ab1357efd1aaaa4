"""Embed a corpus once, at full size, from its cached token ids (truncation happens downstream).

The model path, and why it is fast (compare ``benchmarks/embed_throughput.py``):

- no tokeniser in the loop: ids come from the token file of :mod:`mrlens.tokens`, made once per
  corpus and shared by every model and checkpoint with the base model's tokenizer;
- length-bucketed batches: each chunk of documents is sorted by token count and cut into batches of
  ``batch_size``, each padded only to its own longest document; a batch without padding runs without
  an attention mask, so PyTorch's attention takes its mask-free (flash) kernels;
- the SentenceTransformer's modules (transformer, pooling, normalisation) under ``torch.inference_mode``,
  built by :func:`mrlens.models.load_encoder` without importing sentence-transformers (seconds of
  start-up per job);
- on CUDA, the transformer in half precision (bf16 where supported, else fp16; pooling and later
  modules stay float32), pinned host memory and non-blocking copies, and one copy back per chunk,
  so the host prepares the next batch while the GPU runs; on CPU, float32 on the job's threads;
- optionally (``compile=True``), the transformer compiled by ``torch.compile`` with dynamic shapes
  (batch widths vary), every batch with its attention mask: fused kernels for a start-up cost,
  worth it on large corpora;
- chunks of ``chunk_size`` documents are written as one row group each, back in corpus order, so
  memory stays flat in the number of documents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from mrlens.checkpoints import checkpoint_dim
from mrlens.errors import ConfigError
from mrlens.io import EmbeddingWriter
from mrlens.models import load_encoder, pick_device
from mrlens.tokens import check_token_file, iter_token_chunks

log = logging.getLogger(__name__)

PRECISIONS = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def transformer_dtype(device: str | torch.device, precision: str = "auto") -> torch.dtype:
    """The dtype the transformer runs in: ``auto`` is bf16 on a GPU that has it, fp16 on other GPUs,
    float32 on CPU; or one of ``float32``, ``float16``, ``bfloat16``."""
    if precision == "auto":
        if torch.device(device).type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r}: expected auto or one of {sorted(PRECISIONS)}")
    return PRECISIONS[precision]


class TokenEncoder:
    """Encode pre-tokenised documents with a SentenceTransformer's modules (a SentenceTransformer, or
    :func:`mrlens.models.load_encoder`'s sequence), batch by length.

    >>> encoder = TokenEncoder(model, batch_size=64)          # doctest: +SKIP
    >>> vectors = encoder.encode(offsets, flat_ids)            # doctest: +SKIP

    Document ``i`` has token ids ``flat_ids[offsets[i]:offsets[i + 1]]`` (special tokens included);
    ``encode`` returns float32 vectors in the documents' order.
    """

    def __init__(
        self,
        model: torch.nn.Sequential,
        batch_size: int,
        precision: str = "auto",
        pad_token_id: int = 0,
        input_names: tuple[str, ...] | list[str] | None = None,
        compile: bool = False,
    ):
        if batch_size < 1:
            raise ConfigError(f"embed.batch_size must be at least 1, got {batch_size}")
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self.batch_size = batch_size
        self.dtype = transformer_dtype(self.device, precision)
        model[0].to(self.dtype)  # the transformer; pooling and normalisation stay float32
        self.transformer = torch.compile(model[0], dynamic=True) if compile else model[0]
        # Compiled, every batch carries its mask: one graph instead of two, and on an H200 the
        # mask-free graph ran at 0.61 of eager where the masked one ran at 1.06 (benchmarks/README.md).
        self.always_mask = compile
        self.pad_token_id = pad_token_id
        tokenizer = getattr(model, "tokenizer", None)
        names = input_names or getattr(tokenizer, "model_input_names", ("input_ids", "attention_mask"))
        self.token_types = "token_type_ids" in names
        self.cuda = self.device.type == "cuda"

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(array)
        if self.cuda:
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor

    def _features(self, rows: np.ndarray, offsets: np.ndarray, flat: np.ndarray) -> dict[str, torch.Tensor]:
        """Inputs of one batch, right-padded to its longest document."""
        lengths = offsets[rows + 1] - offsets[rows]
        width = int(lengths.max())
        positions = np.arange(width)
        gather = np.minimum(offsets[rows, None] + positions, len(flat) - 1)
        real = positions < lengths[:, None]
        ids = np.where(real, flat[gather], self.pad_token_id).astype(np.int64)
        input_ids = self._to_device(ids)
        features = {"input_ids": input_ids}
        if self.token_types:
            features["token_type_ids"] = torch.zeros_like(input_ids)
        if self.always_mask or lengths.min() < width:  # without padding, eager needs no mask
            features["attention_mask"] = self._to_device(real.astype(np.int64))
        return features

    def _forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        features = self.transformer(features)
        features["token_embeddings"] = features["token_embeddings"].float()
        for module in list(self.model)[1:]:
            features = module(features)
        return features["sentence_embedding"]

    @torch.inference_mode()
    def encode(self, offsets: np.ndarray, flat: np.ndarray, progress: Any = None) -> np.ndarray:
        offsets = np.asarray(offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        if (lengths < 1).any():
            raise ValueError(f"document {int(np.argmin(lengths))} has no tokens")
        order = np.argsort(-lengths, kind="stable")
        outputs = []
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            outputs.append(self._forward(self._features(rows, offsets, flat)))
            if progress is not None:
                progress.update(len(rows))
        in_length_order = torch.cat(outputs).float().cpu().numpy()  # the one wait for the GPU per chunk
        vectors = np.empty_like(in_length_order)
        vectors[order] = in_length_order
        return vectors


def embed_tokens(
    model_dir: str | Path,
    tokens_path: str | Path,
    out_path: str | Path,
    batch_size: int,
    max_seq_length: int,
    metadata: Mapping[str, Any],
    chunk_size: int = 16384,
    precision: str = "auto",
    device: str | None = None,
    compile: bool = False,
    trust_remote_code: bool = False,
) -> int:
    """Encode the token file ``tokens_path`` with the model in ``model_dir``; stream (id, embedding)
    rows to ``out_path`` in the token file's (the corpus's) order. Returns the embedding size.

    Refuses, with a :class:`~mrlens.errors.DataError` naming the token file, a model whose tokenizer
    fingerprint differs from the one the file was made with, or another ``max_seq_length``.
    ``compile`` runs the transformer through ``torch.compile`` (see :class:`TokenEncoder`);
    ``trust_remote_code`` runs the modelling code the checkpoint ships (:func:`mrlens.models.load_model`).
    """
    tokens = check_token_file(tokens_path, model_dir, max_seq_length)
    device = device or pick_device()
    model = load_encoder(model_dir, device=device, trust_remote_code=trust_remote_code)
    dim = checkpoint_dim(Path(model_dir))
    encoder = TokenEncoder(model, batch_size, precision, tokens["pad_token_id"], tokens["model_input_names"], compile)
    meta = {**metadata, "n": tokens["n"], "dim": dim, "max_seq_length": max_seq_length, "compile": compile}
    meta |= {
        "tokenizer_fingerprint": tokens["tokenizer_fingerprint"],
        "precision": str(encoder.dtype).removeprefix("torch."),
    }
    log.info(
        "embedding %d documents on %s (%s%s), batch %d, max %d tokens, %d threads",
        tokens["n"], device, meta["precision"], ", compiled" if compile else "", batch_size, max_seq_length,
        torch.get_num_threads(),
    )  # fmt: skip
    with (
        EmbeddingWriter(out_path, dim, meta) as writer,
        tqdm(total=tokens["n"], unit="doc", desc="embed", mininterval=10) as progress,
    ):
        for ids, offsets, flat in iter_token_chunks(tokens_path, chunk_size):
            writer.write(ids, encoder.encode(offsets, flat, progress))
    return dim
