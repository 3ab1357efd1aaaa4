"""Mean-pooled hidden states of every layer of an encoder, for the probe documents of CKA.

For layer l (0 = the output of the embedding layer, L = the last transformer block) and document
i with tokens t and attention mask m_t, the pooled state is ``h_i^l = sum_t m_t h_{i,t}^l / sum_t m_t``:
padding never counts. The last layer's pooled state, L2-normalised, is the embedding of a
mean-pooling SentenceTransformer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from mrlens.errors import DataError
from mrlens.io import atomic_path
from mrlens.models import TokenEmbeddings, load_encoder, pick_device

log = logging.getLogger(__name__)


def probe_documents(corpus: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` documents drawn without replacement with ``seed`` (all of them when the corpus is
    smaller), kept in corpus order. Corpora are stored article by article, so the first n would
    come from a few articles only."""
    if n < 2:
        raise ValueError(f"a probe set needs at least 2 documents, got n={n}")
    if len(corpus) < 2:
        raise DataError(f"the probe corpus has {len(corpus)} document(s); CKA needs at least 2")
    if len(corpus) <= n:
        return corpus.reset_index(drop=True)
    picked = np.sort(np.random.default_rng(seed).choice(len(corpus), size=n, replace=False))
    return corpus.iloc[picked].reset_index(drop=True)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of ``hidden`` (batch x tokens x d) over the tokens where ``mask`` (batch x tokens) is 1."""
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _transformer(model_dir: str | Path, device: str) -> tuple[torch.nn.Module, Any]:
    """The Hugging Face encoder inside a model folder and its tokenizer: built by ``transformers`` alone for
    the usual SentenceTransformer layout (:func:`mrlens.models.load_encoder`, seconds cheaper to start),
    otherwise taken from the SentenceTransformer."""
    model = load_encoder(model_dir, device=device)
    if isinstance(model[0], TokenEmbeddings):
        from transformers import AutoTokenizer

        encoder = model[0].model
        return encoder, AutoTokenizer.from_pretrained(encoder.name_or_path, local_files_only=True)
    return model[0].auto_model, model.tokenizer


@torch.inference_mode()
def layer_states(
    model_dir: str | Path,
    texts: Sequence[str],
    batch_size: int = 32,
    max_seq_length: int = 128,
    device: str | None = None,
) -> np.ndarray:
    """Mean-pooled hidden states of every layer: float32 array (layers + 1) x n x d.

    The encoder inside the SentenceTransformer folder (or plain Hugging Face folder) runs with its
    own tokenizer, truncating to ``max_seq_length`` tokens; padding is masked out of the mean.
    """
    if not texts:
        raise ValueError("no texts to encode")
    device = device or pick_device()
    encoder, tokenizer = _transformer(model_dir, device)
    encoder.eval()
    batches = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            list(texts[start : start + batch_size]),
            padding=True,
            truncation=True,
            max_length=max_seq_length,
            return_tensors="pt",
        ).to(device)
        output = encoder(**batch, output_hidden_states=True)
        pooled = [mean_pool(h.float(), batch["attention_mask"]) for h in output.hidden_states]
        batches.append(torch.stack(pooled).cpu().numpy())
    states = np.concatenate(batches, axis=1).astype(np.float32, copy=False)
    log.info("%s: %d layers x %d documents x %d dimensions", model_dir, *states.shape)
    return states


def save_states(states: np.ndarray, ids: Sequence[str], path: str | Path) -> None:
    """Write layer states and their document ids to an ``.npz`` file, atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, states=states, ids=np.asarray(list(ids), dtype=str))


def load_states(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(states, ids)`` from :func:`save_states`."""
    with np.load(path, allow_pickle=False) as data:
        return data["states"], data["ids"]
