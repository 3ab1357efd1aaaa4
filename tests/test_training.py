"""Training twins: same data order across variants, deterministic on CPU, log and checkpoints written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer

from mrlens.data import prepare_pairs
from mrlens.models import resolve_base
from mrlens.train.dynamics import group_norms, layer_group
from mrlens.train.trainer import TrainSettings, default_monitor_dims, train_variant

SETTINGS = TrainSettings(max_steps=3, batch_size=8, learning_rate=1e-3, logging_steps=1, checkpoint_steps=[2], seed=7)


@pytest.fixture(scope="module")
def base_and_pairs(tiny_model: Path, tiny_wordnet: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    base = tmp_path_factory.mktemp("base") / "final"
    resolve_base(str(tiny_model), None, "mean", base)
    train, _ = prepare_pairs({"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.1, "seed": 0}, "wn")
    return base, train


def train(base_and_pairs, folder: Path, dims, settings=SETTINGS) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    base, pairs = base_and_pairs
    return train_variant(base, pairs, dims, [1.0] * len(dims), settings, folder / "final", folder / "checkpoints", folder / "log.parquet")


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(next(folder.rglob("model.safetensors")))


def test_twins_see_the_same_batches_and_log_every_size(base_and_pairs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plain = train(base_and_pairs, tmp_path / "plain", [32])
    mrl = train(base_and_pairs, tmp_path / "mrl", [32, 8])
    batches = lambda log: log.loc[log["metric"] == "batch", ["step", "note"]].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(batches(plain), batches(mrl))
    assert batches(plain)["note"].nunique() == 3  # three different batches

    losses = mrl[mrl["metric"] == "loss"]
    assert sorted(losses["dim"].unique()) == [8, 16, 32]
    assert losses.set_index("dim")["trained"].groupby(level=0).first().to_dict() == {8: True, 16: False, 32: True}
    assert sorted(plain.loc[plain["metric"] == "loss", "dim"].unique()) == [8, 16, 32]  # no-MRL is monitored too
    # the trainer's total at step 1 is the sum of the trained sizes' losses (weights 1)
    step1 = losses[losses["step"] == 1].set_index("dim")["value"]
    total = mrl[(mrl["metric"] == "train_loss") & (mrl["step"] == 1)]["value"].item()
    assert total == pytest.approx(step1[8] + step1[32], rel=1e-4)


def test_training_is_deterministic_and_checkpoints_load(base_and_pairs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    train(base_and_pairs, tmp_path / "one", [32, 16, 8])
    train(base_and_pairs, tmp_path / "two", [32, 16, 8])
    first, second = weights(tmp_path / "one" / "final"), weights(tmp_path / "two" / "final")
    assert first.keys() == second.keys()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)
    base = weights(base_and_pairs[0])
    assert any(not torch.equal(first[n], base[n]) for n in first)  # training changed the weights

    step2 = SentenceTransformer(str(tmp_path / "one" / "checkpoints" / "step-2"), device="cpu")
    assert step2.get_embedding_dimension() == 32
    assert not torch.equal(weights(tmp_path / "one" / "checkpoints" / "step-2")["embeddings.word_embeddings.weight"],
                           first["embeddings.word_embeddings.weight"])


def test_default_monitor_sizes() -> None:
    assert default_monitor_dims(384) == [8, 16, 32, 64, 128, 256, 384]
    assert default_monitor_dims(768) == [8, 16, 32, 64, 128, 256, 512, 768]


def test_dynamics_equal_a_direct_computation_from_saved_weights(base_and_pairs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = TrainSettings(max_steps=3, batch_size=8, learning_rate=1e-3, logging_steps=1, checkpoint_steps=[2], seed=3)
    log = train(base_and_pairs, tmp_path / "run", [32, 8], settings)
    step2 = weights(tmp_path / "run" / "checkpoints" / "step-2")
    final = weights(tmp_path / "run" / "final")
    base = weights(base_and_pairs[0])

    def by_group(tensors: dict[str, torch.Tensor]) -> dict[str, float]:
        return group_norms(tensors.items())

    at3 = log[log["step"] == 3]
    update = at3[at3["metric"] == "update_norm"].set_index("group")["value"]
    expected_update = by_group({n: final[n] - step2[n] for n in final})
    drift = at3[at3["metric"] == "drift"].set_index("group")["value"]
    expected_drift = by_group({n: final[n] - base[n] for n in final})
    base_norms = by_group(base)
    moved = [g for g, v in expected_update.items() if v > 0]  # the unused pooler never moves
    assert set(moved) <= set(update.index)
    for group in moved:
        assert update[group] == pytest.approx(expected_update[group], rel=1e-4)
        assert drift[group] == pytest.approx(expected_drift[group] / base_norms[group], rel=1e-4)
    assert {"embeddings", "layer.00", "layer.01", "total"} <= set(update.index)

    grads = log[log["metric"] == "grad_norm"]
    for step, rows in grads.groupby("step"):
        parts = rows[rows["group"] != "total"]["value"]
        assert np.sqrt((parts**2).sum()) == pytest.approx(rows[rows["group"] == "total"]["value"].item(), rel=1e-5)
    accuracy = log[log["metric"] == "accuracy"]
    assert accuracy["value"].between(0, 1).all() and sorted(accuracy["dim"].unique()) == [8, 16, 32]
    assert (log[log["metric"] == "logging_seconds"]["value"] > 0).all()


def test_layer_groups_of_a_sentence_transformer() -> None:
    assert layer_group("0.auto_model.embeddings.word_embeddings.weight") == "embeddings"
    assert layer_group("0.auto_model.encoder.layer.11.attention.self.query.weight") == "layer.11"
    assert layer_group("0.auto_model.encoder.layer.3.output.LayerNorm.bias") == "layer.03"
    assert layer_group("0.auto_model.pooler.dense.weight") == "head"
    x, y = torch.ones(3), torch.full((4,), 2.0)
    norms = group_norms([("a.layer.0.w", x), ("a.layer.0.b", y), ("emb.embeddings.w", x), ("no.grad", None)])
    assert norms["layer.00"] == pytest.approx(np.sqrt(3 + 16))
    assert norms["embeddings"] == pytest.approx(np.sqrt(3))
    assert norms["total"] == pytest.approx(np.sqrt(3 + 16 + 3))
