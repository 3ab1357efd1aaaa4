"""Trainer callbacks: the training log (losses, accuracy and norms at every size and layer group)
and intermediate checkpoints."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from transformers import TrainerCallback

from mrlens.io import atomic_path
from mrlens.train.dynamics import group_norms
from mrlens.train.loss import MatryoshkaRankingLoss

COLUMNS = ["step", "metric", "dim", "group", "trained", "value", "note"]


def batch_fingerprint(input_ids: torch.Tensor) -> str:
    """First 16 hex digits of SHA-256 over a batch's token ids: equal across twins iff the data order is."""
    return hashlib.sha256(input_ids.detach().cpu().numpy().tobytes()).hexdigest()[:16]


def is_logging_step(step: int, args: Any) -> bool:
    """Whether the trainer logs after optimizer step ``step`` (1-based)."""
    return step % args.logging_steps == 0 or (step == 1 and args.logging_first_step)


class TrainingLog(TrainerCallback):
    """A tidy table (step, metric, dim, group, trained, value, note), filled at each logging step:

    - ``loss`` and ``accuracy`` (in-batch top-1 retrieval) at every size, on the current batch,
      trained on (``trained``) or only monitored;
    - ``train_loss`` (the trainer's weighted total, averaged over the logging window), ``learning_rate``;
    - ``grad_norm`` per layer group and ``total``, before clipping (the trainer clips all groups by
      one factor, so each group is rescaled by the trainer's own pre-clipping total);
    - ``update_norm`` ``||theta_t - theta_{t-1}||`` and ``drift`` ``||theta_t - theta_0|| / ||theta_0||``
      per layer group;
    - ``batch``: a fingerprint of the batch's anchor token ids (in ``note``);
    - ``logging_seconds``: time this callback spent on the step (its share of the step time).
    """

    def __init__(self, loss: MatryoshkaRankingLoss, model: torch.nn.Module):
        self.loss = loss
        self.rows: list[dict[str, Any]] = []
        self.parameters = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self.initial = {name: p.detach().clone() for name, p in self.parameters}
        self.initial_norms = group_norms(self.initial.items())
        self.before: dict[str, torch.Tensor] = {}
        self.gradients: dict[str, float] = {}
        self.seconds = 0.0

    def _add(self, step: int, metric: str, value: float | None, dim: int | None = None, group: str | None = None,
             trained: bool | None = None, note: str | None = None) -> None:
        self.rows.append({"step": step, "metric": metric, "dim": dim, "group": group, "trained": trained, "value": value, "note": note})

    def on_pre_optimizer_step(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not is_logging_step(state.global_step + 1, args):
            return
        start = time.perf_counter()
        self.gradients = group_norms((name, p.grad) for name, p in self.parameters)
        self.before = {name: p.detach().clone() for name, p in self.parameters}
        self.seconds += time.perf_counter() - start

    def on_optimizer_step(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not self.before:
            return
        start = time.perf_counter()
        step = state.global_step + 1
        updates = group_norms((name, p.detach() - self.before[name]) for name, p in self.parameters)
        drifts = group_norms((name, p.detach() - self.initial[name]) for name, p in self.parameters)
        for group, value in updates.items():
            self._add(step, "update_norm", value, group=group)
            self._add(step, "drift", drifts[group] / self.initial_norms[group] if self.initial_norms[group] else None, group=group)
        self.before = {}
        self.seconds += time.perf_counter() - start

    def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
        if not logs or "train_runtime" in logs:  # the closing summary repeats the last step
            return
        start = time.perf_counter()
        step = state.global_step
        if "loss" in logs:
            self._add(step, "train_loss", float(logs["loss"]))
        if "learning_rate" in logs:
            self._add(step, "learning_rate", float(logs["learning_rate"]))
        if self.gradients:
            scale = float(logs["grad_norm"]) / self.gradients["total"] if logs.get("grad_norm") and self.gradients["total"] else 1.0
            for group, value in self.gradients.items():
                self._add(step, "grad_norm", value * scale, group=group)
            self.gradients = {}
        for dim, value in sorted(self.loss.last_losses.items()):
            trained = dim in self.loss.dims
            self._add(step, "loss", float(value), dim=dim, trained=trained)
            self._add(step, "accuracy", float(self.loss.last_accuracy[dim]), dim=dim, trained=trained)
        if self.loss.last_anchor_ids is not None:
            self._add(step, "batch", None, note=batch_fingerprint(self.loss.last_anchor_ids))
        self.seconds += time.perf_counter() - start
        self._add(step, "logging_seconds", self.seconds)
        self.seconds = 0.0

    def table(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=COLUMNS)
        return frame.astype(
            {"step": "int64", "dim": "Int64", "group": "string", "trained": "boolean", "value": "float64", "note": "string"}
        )


class SaveAtSteps(TrainerCallback):
    """Saves the model in SentenceTransformer format at the listed steps, as ``{folder}/step-{N}``."""

    def __init__(self, steps: Sequence[int], folder: Path):
        self.steps = set(steps)
        self.folder = folder

    def on_step_end(self, args, state, control, model=None, **kwargs):  # type: ignore[no-untyped-def]
        if state.global_step in self.steps:
            with atomic_path(self.folder / f"step-{state.global_step}") as tmp:
                model.save(str(tmp))
