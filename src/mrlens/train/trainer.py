"""Train one twin: the base checkpoint fine-tuned with :class:`MatryoshkaRankingLoss` at given cut points.

All variants of one seed see the same pairs in the same order with the same hyper-parameters:
the data order depends only on ``seed`` and the pairs file, never on the variant.

Training keeps resumable states (model, optimizer, scheduler, RNG, position in the data) every
``state_every`` steps in a states folder beside the model. A run that was killed resumes from the
last complete state and ends with the weights of an uninterrupted run; an intermediate checkpoint
at any step is replayed from the last state before it (:func:`replay_checkpoint`), so asking for
new checkpoints never retrains a whole model.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import datasets
import pandas as pd
import torch
from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.base.training_args import BatchSamplers

from mrlens.errors import ConfigError
from mrlens.io import atomic_path, write_table
from mrlens.models import check_sizes, load_model, pick_device, with_dedicated_head
from mrlens.provenance import settings_hash
from mrlens.train.callbacks import COMPLETE, StopAtStep, TrainingLog
from mrlens.train.heldout import HeldoutEvaluation, heldout_sample
from mrlens.train.loss import MatryoshkaRankingLoss
from mrlens.train.real_tokens import skip_padding

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
    state_every: int | None = None
    monitor_dims: Sequence[int] | None = None
    precision: str = "auto"
    heldout_pairs: int = 128
    heldout_every: int = 6
    seed: int = 0

    @property
    def state_interval(self) -> int:
        """Steps between resumable states: ``state_every``, or a quarter of the run by default."""
        return self.state_every or max(1, self.max_steps // 4)


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


def run_fingerprint(
    pairs: pd.DataFrame,
    dims: Sequence[int],
    weights: Sequence[float],
    settings: TrainSettings,
    dedicated: int | None = None,
) -> str:
    """What a resumable state belongs to: the settings, cut points, weights, dedicated head and the pairs'
    content."""
    content = int(pd.util.hash_pandas_object(pairs, index=False).sum() % 2**63)
    recipe = {"settings": asdict(settings), "dims": list(dims), "weights": list(weights), "pairs": content}
    return settings_hash(recipe | ({"dedicated": dedicated} if dedicated is not None else {}))


def complete_states(states_dir: str | Path) -> dict[int, Path]:
    """Step -> folder of every complete resumable state (those a kill interrupted have no marker)."""
    folder = Path(states_dir)
    found = {}
    for state in folder.glob("checkpoint-*") if folder.is_dir() else []:
        if (state / COMPLETE).is_file() and state.name.removeprefix("checkpoint-").isdigit():
            found[int(state.name.removeprefix("checkpoint-"))] = state
    return dict(sorted(found.items()))


def _claim_states(states_dir: Path, fingerprint: str) -> None:
    """Keep the states in ``states_dir`` only if they belong to this run; otherwise start afresh."""
    stamp = states_dir / "fingerprint.json"
    if stamp.is_file() and json.loads(stamp.read_text())["fingerprint"] != fingerprint:
        log.info("states in %s belong to other settings: removing them", states_dir)
        shutil.rmtree(states_dir)
    states_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"fingerprint": fingerprint}))


def _trainer(
    base_dir: str | Path,
    pairs: pd.DataFrame,
    dims: Sequence[int],
    weights: Sequence[float],
    settings: TrainSettings,
    output_dir: str | Path,
    save_states: bool,
    heldout: pd.DataFrame | None = None,
    dedicated: int | None = None,
) -> tuple[SentenceTransformerTrainer, TrainingLog]:
    """The trainer of one twin, or with ``dedicated`` of a model dedicated to that size (a linear head on
    the base, :func:`mrlens.models.with_dedicated_head`, trained at ``dims = [dedicated]``: MNRL at that
    size). Every run of the same arguments takes the same steps, with or without ``heldout`` pairs to follow
    in the log (``settings.heldout_pairs`` of them)."""
    device = pick_device()
    model = load_model(base_dir, device=device)
    if dedicated is not None:
        model = with_dedicated_head(model, dedicated)
    model.max_seq_length = settings.max_seq_length
    if device == "cpu":  # mostly padding: skip it in the linear layers (same values to float32 rounding)
        skip_padding(model)
    width = model.get_embedding_dimension()
    monitor = settings.monitor_dims or default_monitor_dims(width)
    if dedicated is not None:  # a dedicated model has no size above its own
        monitor = [d for d in monitor if d <= width]
    check_sizes(model, list(dims), "train.variants")
    check_sizes(model, list(monitor), "train.monitor_dims")
    processes = int(os.environ.get("WORLD_SIZE", "1"))
    if settings.batch_size % processes:
        raise ConfigError(f"config train.batch_size: {settings.batch_size} pairs do not split over {processes} devices")
    args = SentenceTransformerTrainingArguments(
        output_dir=str(output_dir),
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size // processes,
        learning_rate=settings.learning_rate,
        warmup_steps=settings.warmup_ratio,
        weight_decay=settings.weight_decay,
        logging_steps=settings.logging_steps,
        logging_first_step=True,
        save_strategy="steps" if save_states else "no",
        save_steps=settings.state_interval,
        report_to="none",
        seed=settings.seed,
        data_seed=settings.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        dataloader_drop_last=True,
        use_cpu=device == "cpu",
        **_mixed_precision(settings.precision, device),
    )
    loss = MatryoshkaRankingLoss(
        model, dims, weights, scale=settings.scale, monitor_dims=monitor, gather_across_devices=args.world_size > 1
    )
    history = TrainingLog(loss, model, _heldout_evaluation(loss, heldout, settings), settings.heldout_every)
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=_dataset(pairs), loss=loss, callbacks=[history]
    )
    log.info("%s: %d pairs, cut points %s, settings %s", device, len(pairs), list(dims), asdict(settings))
    return trainer, history


def _heldout_evaluation(
    loss: MatryoshkaRankingLoss, heldout: pd.DataFrame | None, settings: TrainSettings
) -> HeldoutEvaluation | None:
    """The held-out pairs the log follows: the same ones for every variant and seed, in chunks of a batch."""
    if heldout is None or not settings.heldout_pairs or not settings.heldout_every:
        return None
    chosen = heldout_sample(heldout, settings.heldout_pairs, settings.batch_size)
    if chosen.empty:
        log.warning("%d held-out pairs make no chunk of %d: no held-out loss", len(heldout), settings.batch_size)
        return None
    log.info("held-out loss on %d pairs every %d logging steps", len(chosen), settings.heldout_every)
    return HeldoutEvaluation(loss, chosen, settings.batch_size)


def train_variant(
    base_dir: str | Path,
    pairs: pd.DataFrame,
    dims: Sequence[int],
    weights: Sequence[float],
    settings: TrainSettings,
    out_dir: str | Path,
    states_dir: str | Path,
    log_table: str | Path,
    heldout: pd.DataFrame | None = None,
    dedicated: int | None = None,
) -> pd.DataFrame:
    """Fine-tune the base model at cut points ``dims`` (with a head of ``dedicated`` outputs: a model
    dedicated to that size, see :func:`_trainer`); save the final model and the training log.

    Resumable states go to ``states_dir`` every ``settings.state_interval`` steps; a run finding
    complete states of the same settings there resumes from the last one. With ``heldout`` pairs the
    log also follows every size's loss on ``settings.heldout_pairs`` of them. Returns the training log
    (also written to ``log_table``).
    """
    states_dir = Path(states_dir)
    trainer, history = _trainer(
        base_dir, pairs, dims, weights, settings, states_dir, save_states=True, heldout=heldout, dedicated=dedicated
    )
    if trainer.is_world_process_zero():
        _claim_states(states_dir, run_fingerprint(pairs, dims, weights, settings, dedicated))
    trainer.accelerator.wait_for_everyone()
    states = complete_states(states_dir)
    resume = states[max(states)] if states else None
    if resume is not None:
        log.info("resuming from %s", resume)
        history.restore(resume)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    table = history.table()
    if not trainer.is_world_process_zero():
        return table
    with atomic_path(out_dir) as tmp:
        trainer.model.save(str(tmp))
    for step, state in complete_states(states_dir).items():
        if step >= settings.max_steps:  # the final model is kept; its state would only take disk
            shutil.rmtree(state)
    write_table(table, log_table)
    return table


def replay_checkpoint(
    base_dir: str | Path,
    pairs: pd.DataFrame,
    dims: Sequence[int],
    weights: Sequence[float],
    settings: TrainSettings,
    states_dir: str | Path,
    step: int,
    out_dir: str | Path,
    dedicated: int | None = None,
) -> None:
    """The model as it was after ``step`` optimizer steps of :func:`train_variant`.

    Copied from a state saved at exactly that step, otherwise replayed from the last state before it
    (from the base model when there is none), with the same learning-rate schedule, data order and
    RNG, so it equals the checkpoint an uninterrupted run would have saved.
    """
    if not 0 < step < settings.max_steps:
        raise ValueError(f"checkpoint step {step} is not within (0, {settings.max_steps})")
    states = complete_states(states_dir)
    fingerprint = Path(states_dir) / "fingerprint.json"
    if states and json.loads(fingerprint.read_text())["fingerprint"] != run_fingerprint(
        pairs, dims, weights, settings, dedicated
    ):
        log.warning("states in %s belong to other settings; replaying from the base model", states_dir)
        states = {}
    if step in states:
        log.info("step %d is a saved state: copying its model", step)
        if int(os.environ.get("RANK", "0")) == 0:
            with atomic_path(out_dir) as tmp:
                load_model(states[step], device="cpu").save(str(tmp))
        return
    earlier = [s for s in states if s < step]
    resume = states[max(earlier)] if earlier else None
    log.info("replaying steps %d..%d from %s", max(earlier, default=0) + 1, step, resume or "the base model")
    with tempfile.TemporaryDirectory(prefix="mrlens-replay-") as scratch:
        trainer, _ = _trainer(base_dir, pairs, dims, weights, settings, scratch, save_states=False, dedicated=dedicated)
        trainer.add_callback(StopAtStep(step))
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if trainer.is_world_process_zero():
        with atomic_path(out_dir) as tmp:
            trainer.model.save(str(tmp))
