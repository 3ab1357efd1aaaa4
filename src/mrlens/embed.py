"""Embed a corpus once, at full size, into a Parquet file (truncation happens downstream)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from mrlens.io import EmbeddingWriter
from mrlens.models import load_model, pick_device

log = logging.getLogger(__name__)


def embed_corpus(
    model_dir: str | Path,
    corpus: pd.DataFrame,
    out_path: str | Path,
    batch_size: int,
    max_seq_length: int,
    metadata: Mapping[str, Any],
    chunk_size: int = 4096,
) -> int:
    """Encode ``corpus.text`` with the model in ``model_dir`` and stream (id, embedding) rows to ``out_path``.

    Documents are encoded in chunks of ``chunk_size`` and written one row group per chunk, so memory
    stays flat in the number of documents. Returns the embedding size.
    """
    device = pick_device()
    model = load_model(model_dir, device=device)
    model.max_seq_length = max_seq_length
    dim = model.get_embedding_dimension()
    meta = {**metadata, "n": len(corpus), "dim": dim, "max_seq_length": max_seq_length}
    log.info("embedding %d documents on %s, batch %d, max %d tokens", len(corpus), device, batch_size, max_seq_length)
    with EmbeddingWriter(out_path, dim, meta) as writer, torch.inference_mode():
        for start in tqdm(range(0, len(corpus), chunk_size), desc="chunks", mininterval=5):
            chunk = corpus.iloc[start : start + chunk_size]
            vectors = model.encode(
                chunk["text"].tolist(), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
            )
            writer.write(chunk["id"].tolist(), vectors)
    return dim
