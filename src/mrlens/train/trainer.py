"""Train one twin: the base checkpoint fine-tuned with :class:`MatryoshkaRankingLoss` at given cut points.

All variants of one seed see the same pairs in the same order with the same hyper-parameters:
the data order depends only on ``seed`` and the pairs file, never on the variant.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import datasets
import pandas as pd
import torch
from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.base.training_args import BatchSamplers

from mrlens.io import atomic_path, write_table
from mrlens.train.callbacks import SaveAtSteps, TrainingLog
from mrlens.models import check_sizes, load_model, pick_device
from mrlens.train.loss import MatryoshkaRankingLoss

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters shared by every variant (``train.*`` in the config)."""

    max_steps: int
    batch_size: int
    learning_rate: float
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    scale: float = 20.0
    max_seq_length: int = 64
    logging_steps: int = 5
    checkpoint_steps: Sequence[int] = field(default_factory=tuple)
    monitor_dims: Sequence[int] | None = None
    precision: str = "auto"
    seed: int = 0


def default_monitor_dims(full: int) -> list[int]:
    """Every power of two from 8 below the full size, and the full size."""
    sizes, size = [full], 8
    while size < full:
        sizes.append(size)
        size *= 2
    return sorted(sizes)


def _mixed_precision(precision: str, device: str) -> dict[str, bool]:
    if precision == "auto":
        precision = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision != "fp32" and device != "cuda":
        log.warning("precision %s needs a GPU; training in fp32 on %s", precision, device)
        precision = "fp32"
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def _dataset(pairs: pd.DataFrame) -> datasets.Dataset:
    columns = [c for c in ("anchor", "positive", "negative") if c in pairs.columns]
    return datasets.Dataset.from_pandas(pairs[columns].reset_index(drop=True), preserve_index=False)


def train_variant(
    base_dir: str | Path,
    pairs: pd.DataFrame,
    dims: Sequence[int],
    weights: Sequence[float],
    settings: TrainSettings,
    out_dir: str | Path,
    checkpoints_dir: str | Path,
    log_table: str | Path,
) -> pd.DataFrame:
    """Fine-tune the base model at cut points ``dims``; save the final model, checkpoints and the log.

    Returns the training log (also written to ``log_table``).
    """
    device = pick_device()
    model = load_model(base_dir, device=device)
    model.max_seq_length = settings.max_seq_length
    full = model.get_embedding_dimension()
    monitor = settings.monitor_dims or default_monitor_dims(full)
    check_sizes(model, list(dims), "train.variants")
    check_sizes(model, list(monitor), "train.monitor_dims")
    loss = MatryoshkaRankingLoss(model, dims, weights, scale=settings.scale, monitor_dims=monitor)
    history = TrainingLog(loss, model)
    checkpoints_dir = Path(checkpoints_dir)
    checkpoints_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mrlens-trainer-") as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch,
            max_steps=settings.max_steps,
            per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate,
            warmup_steps=settings.warmup_ratio,
            weight_decay=settings.weight_decay,
            logging_steps=settings.logging_steps,
            logging_first_step=True,
            save_strategy="no",
            report_to="none",
            seed=settings.seed,
            data_seed=settings.seed,
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            dataloader_drop_last=True,
            use_cpu=device == "cpu",
            **_mixed_precision(settings.precision, device),
        )
        trainer = SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=_dataset(pairs),
            loss=loss,
            callbacks=[history, SaveAtSteps(settings.checkpoint_steps, checkpoints_dir)],
        )
        log.info("training %s on %d pairs with cut points %s (settings %s)", device, len(pairs), list(dims), asdict(settings))
        trainer.train()
    with atomic_path(out_dir) as tmp:
        model.save(str(tmp))
    table = history.table()
    write_table(table, log_table)
    return table
