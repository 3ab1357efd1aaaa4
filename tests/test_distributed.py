"""Data-parallel training: in-batch negatives gathered across processes, and the torchrun launch path
(run for real with two CPU processes over gloo)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mrlens.data import prepare_pairs
from mrlens.errors import ConfigError
from mrlens.models import load_model, resolve_base
from mrlens.train.launch import launch, torchrun_command, usable_gpus
from mrlens.train.loss import MatryoshkaRankingLoss
from mrlens.train.trainer import TrainSettings, train_variant

ANCHORS = [
    f"anchor number {i} about {w}" for i, w in enumerate("river stone light music garden winter bread horse".split())
]
POSITIVES = [
    f"a text on the {w} of item {i}"
    for i, w in enumerate("ocean mountain city forest teacher doctor engine signal".split())
]


def _loss_on(model_dir: str, anchors: list[str], positives: list[str], gather: bool) -> tuple[float, torch.Tensor]:
    model = load_model(model_dir, device="cpu")
    model.eval()  # no dropout: both sides see the same function
    loss = MatryoshkaRankingLoss(model, [32, 8], [1.0, 0.5], gather_across_devices=gather)
    value = loss([model.tokenize(anchors), model.tokenize(positives)])
    value.backward()
    grad = next(p for n, p in model.named_parameters() if "word_embeddings" in n).grad
    return float(value.detach()), grad.clone()


def _rank(rank: int, model_dir: str, store: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    half = slice(4 * rank, 4 * rank + 4)
    value, grad = _loss_on(model_dir, ANCHORS[half], POSITIVES[half], gather=True)
    torch.save({"loss": value, "grad": grad}, f"{out}/rank{rank}.pt")
    dist.destroy_process_group()


def test_gathered_loss_is_the_global_batch_loss(tiny_model: Path, tmp_path: Path) -> None:
    """Each process ranks its 4 anchors against all 8 positives; the mean of the two losses (what DDP
    optimises) and the summed gradients equal one process's loss over the whole batch of 8."""
    base = tmp_path / "base"
    resolve_base(str(tiny_model), None, "mean", base)
    mp.spawn(_rank, args=(str(base), str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    whole, grad = _loss_on(str(base), ANCHORS, POSITIVES, gather=False)
    assert (ranks[0]["loss"] + ranks[1]["loss"]) / 2 == pytest.approx(whole, rel=1e-5)
    # DDP averages gradients over processes; each process's gathered candidates carry their gradient home
    torch.testing.assert_close((ranks[0]["grad"] + ranks[1]["grad"]) / 2, grad, rtol=1e-4, atol=1e-6)
    local = [
        _loss_on(str(base), ANCHORS[4 * r : 4 * r + 4], POSITIVES[4 * r : 4 * r + 4], gather=False)[0] for r in range(2)
    ]
    assert (local[0] + local[1]) / 2 != pytest.approx(whole, rel=1e-3)  # without gathering it is another loss


def test_launch_command_and_device_count() -> None:
    command = torchrun_command(4, "/tmp/job.json")
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--nproc-per-node=4" in command
    assert command[-2:] == ["mrlens.train.launch", "/tmp/job.json"] and "--standalone" in command
    assert usable_gpus(8) == torch.cuda.device_count() and usable_gpus(0) == 0


def test_a_batch_that_does_not_split_over_devices_is_refused(
    tiny_model: Path, tiny_wordnet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "base"
    resolve_base(str(tiny_model), None, "mean", base)
    pairs, _ = prepare_pairs({"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.1, "seed": 0}, "wn")
    monkeypatch.setenv("WORLD_SIZE", "3")
    settings = TrainSettings(max_steps=2, batch_size=8, learning_rate=1e-3)
    with pytest.raises(ConfigError, match=r"train.batch_size: 8 pairs do not split over 3 devices"):
        train_variant(
            base, pairs, [32], [1.0], settings, tmp_path / "final", tmp_path / "states", tmp_path / "log.parquet"
        )


def test_two_process_training_through_torchrun(
    tiny_model: Path, tiny_wordnet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "base"
    resolve_base(str(tiny_model), None, "mean", base)
    pairs, _ = prepare_pairs({"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.1, "seed": 0}, "wn")
    pairs.to_parquet(tmp_path / "pairs.parquet")
    settings = {"max_steps": 4, "batch_size": 8, "learning_rate": 1e-3, "logging_steps": 1, "state_every": 2, "seed": 1}
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # torchrun's default; said here so it is not printed
    launch(
        "train",
        {"base_dir": str(base), "pairs": str(tmp_path / "pairs.parquet"), "dims": [32, 8], "weights": [1.0, 1.0],
         "settings": settings, "out_dir": str(tmp_path / "final"), "states_dir": str(tmp_path / "states"),
         "log_table": str(tmp_path / "log.parquet")},
        processes=2,
    )  # fmt: skip
    log = pd.read_parquet(tmp_path / "log.parquet")
    assert sorted(log["step"].unique()) == [1, 2, 3, 4]
    assert (tmp_path / "final" / "model.safetensors").is_file()
    tokens = log[log["metric"] == "tokens"]["value"]
    assert len(tokens) == 4 and (tokens > 0).all()
    assert (tmp_path / "states" / "checkpoint-2" / "mrlens-complete.json").is_file()
