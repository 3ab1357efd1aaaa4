"""Trainer callbacks: the training log (losses, accuracy and norms at every size and layer group),
the marker of a complete resumable state, and stopping at a given step."""

from __future__ import annotations

import hashlib
import resource
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from transformers import TrainerCallback

from mrlens.train.dynamics import group_norms
from mrlens.train.heldout import HeldoutEvaluation
from mrlens.train.loss import MatryoshkaRankingLoss

COLUMNS = ["step", "metric", "dim", "group", "trained", "value", "note"]
COMPLETE = "mrlens-complete.json"  # written into a resumable state once everything else is saved
LOG_SO_FAR = "mrlens-train-log.parquet"


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
    - ``heldout_loss`` and ``heldout_accuracy``, the same on fixed held-out pairs (``heldout``, a
      :class:`HeldoutEvaluation`), before training (step 0), at every ``heldout_every``-th logging step
      and at the last step; ``heldout_seconds`` the time it took (left out of ``step_seconds``);
    - ``train_loss`` (the trainer's weighted total, averaged over the logging window), ``learning_rate``;
    - ``grad_norm`` per layer group and ``total``, before clipping (the trainer clips all groups by
      one factor, so each group is rescaled by the trainer's own pre-clipping total);
    - ``update_norm`` ``||theta_t - theta_{t-1}||`` and ``drift`` ``||theta_t - theta_0|| / ||theta_0||``
      per layer group;
    - ``batch``: a fingerprint of the batch's anchor token ids (in ``note``);
    - ``logging_seconds``: time this callback spent on the step (its share of the step time);
    - ``step_seconds``: wall time per optimizer step since the previous logging step, ``tokens``:
      non-padding tokens in the logged step's batch, ``peak_memory_mb``: peak GPU memory allocated
      (on a GPU) or peak resident memory of the process (on the CPU).

    At every resumable state it writes the rows so far into the state, so a resumed run logs the
    same table as an uninterrupted one (:meth:`restore`).
    """

    def __init__(
        self,
        loss: MatryoshkaRankingLoss,
        model: torch.nn.Module,
        heldout: HeldoutEvaluation | None = None,
        heldout_every: int = 1,
    ):
        self.loss = loss
        self.heldout = heldout
        self.heldout_every = heldout_every
        self.rows: list[dict[str, Any]] = []
        trained = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self.names = [name for name, _ in trained]
        self.parameters = [p for _, p in trained]
        self.initial = [p.detach().clone() for p in self.parameters]
        self.initial_norms = group_norms(zip(self.names, self.initial))
        # one buffer for theta_{t-1}, then theta_t - theta_0: no allocation per logged step
        self.scratch: list[torch.Tensor] = []
        self.pending = False
        self.gradients: dict[str, float] = {}
        self.seconds = 0.0
        self.heldout_seconds = 0.0  # since the last logging step, kept out of its step_seconds
        self.last_log: tuple[int, float] | None = None

    def _add(
        self,
        step: int,
        metric: str,
        value: float | None,
        dim: int | None = None,
        group: str | None = None,
        trained: bool | None = None,
        note: str | None = None,
    ) -> None:
        self.rows.append(
            {
                "step": step,
                "metric": metric,
                "dim": dim,
                "group": group,
                "trained": trained,
                "value": value,
                "note": note,
            }
        )

    def _log_heldout(self, step: int) -> None:
        start = time.perf_counter()
        losses, accuracy = self.heldout()  # type: ignore[misc]
        for dim, value in losses.items():
            trained = dim in self.loss.dims
            self._add(step, "heldout_loss", value, dim=dim, trained=trained)
            self._add(step, "heldout_accuracy", accuracy[dim], dim=dim, trained=trained)
        seconds = time.perf_counter() - start
        self._add(step, "heldout_seconds", seconds)
        self.heldout_seconds += seconds

    def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if self.heldout and state.global_step == 0 and state.is_world_process_zero:
            self._log_heldout(0)

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not self.heldout or not state.is_world_process_zero:
            return
        if state.global_step % (args.logging_steps * self.heldout_every) == 0 or state.global_step == state.max_steps:
            self._log_heldout(state.global_step)

    def on_pre_optimizer_step(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not is_logging_step(state.global_step + 1, args):
            return
        start = time.perf_counter()
        self.gradients = group_norms(zip(self.names, (p.grad for p in self.parameters)))
        if not self.scratch:
            self.scratch = [torch.empty_like(p) for p in self.parameters]
        torch._foreach_copy_(self.scratch, [p.detach() for p in self.parameters])
        self.pending = True
        self.seconds += time.perf_counter() - start

    def on_optimizer_step(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not self.pending:
            return
        start = time.perf_counter()
        step = state.global_step + 1
        now = [p.detach() for p in self.parameters]
        torch._foreach_sub_(self.scratch, now)  # theta_{t-1} - theta_t: the update, negated
        updates = group_norms(zip(self.names, self.scratch))
        torch._foreach_copy_(self.scratch, now)
        torch._foreach_sub_(self.scratch, self.initial)  # theta_t - theta_0
        drifts = group_norms(zip(self.names, self.scratch))
        for group, value in updates.items():
            self._add(step, "update_norm", value, group=group)
            self._add(
                step,
                "drift",
                drifts[group] / self.initial_norms[group] if self.initial_norms[group] else None,
                group=group,
            )
        self.pending = False
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
            scale = (
                float(logs["grad_norm"]) / self.gradients["total"]
                if logs.get("grad_norm") and self.gradients["total"]
                else 1.0
            )
            for group, value in self.gradients.items():
                self._add(step, "grad_norm", value * scale, group=group)
            self.gradients = {}
        for dim, value in sorted(self.loss.last_losses.items()):
            trained = dim in self.loss.dims
            self._add(step, "loss", float(value), dim=dim, trained=trained)
            self._add(step, "accuracy", float(self.loss.last_accuracy[dim]), dim=dim, trained=trained)
        if self.loss.last_anchor_ids is not None:
            self._add(step, "batch", None, note=batch_fingerprint(self.loss.last_anchor_ids))
        if self.loss.last_tokens is not None:
            self._add(step, "tokens", float(self.loss.last_tokens))
        self._add(step, "peak_memory_mb", _peak_memory_mb())
        self.seconds += time.perf_counter() - start
        self._add(step, "logging_seconds", self.seconds)
        self.seconds = 0.0
        now = time.perf_counter()
        if self.last_log is not None and step > self.last_log[0]:
            self._add(step, "step_seconds", (now - self.last_log[1] - self.heldout_seconds) / (step - self.last_log[0]))
        self.last_log = (step, now)
        self.heldout_seconds = 0.0

    def on_save(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if not state.is_world_process_zero:
            return
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        self.table().to_parquet(folder / LOG_SO_FAR)
        (folder / COMPLETE).write_text('{"complete": true}')

    def restore(self, state_dir: str | Path) -> None:
        """Start from the rows logged up to the resumable state in ``state_dir``."""
        self.rows = pd.read_parquet(Path(state_dir) / LOG_SO_FAR).to_dict("records")

    def table(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=COLUMNS)
        return frame.astype(
            {
                "step": "int64",
                "dim": "Int64",
                "group": "string",
                "trained": "boolean",
                "value": "float64",
                "note": "string",
            }
        )


class StopAtStep(TrainerCallback):
    """Stops training after optimizer step ``step``."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if state.global_step >= self.step:
            control.should_training_stop = True


def _peak_memory_mb() -> float:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
