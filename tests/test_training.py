"""Training twins: same data order across variants, deterministic on CPU, the log equal to direct
recomputations, resumable after a kill, checkpoints replayed exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT, build_tiny_model
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer

from mrlens.data import prepare_pairs
from mrlens.models import load_model, resolve_base
from mrlens.train.callbacks import batch_fingerprint
from mrlens.train.dynamics import group_norms, layer_group
from mrlens.train.heldout import HeldoutEvaluation, heldout_sample
from mrlens.train.loss import MatryoshkaRankingLoss
from mrlens.train.trainer import (
    TrainSettings,
    _trainer,
    complete_states,
    default_monitor_dims,
    replay_checkpoint,
    train_variant,
)

SETTINGS = TrainSettings(max_steps=3, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=1, seed=7)
TIMED = ["logging_seconds", "step_seconds", "peak_memory_mb", "heldout_seconds"]  # differ from run to run


def wordnet_pairs(tiny_wordnet: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return prepare_pairs({"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.1, "seed": 0}, "wn")


@pytest.fixture(scope="module")
def base_and_pairs(
    tiny_model: Path, tiny_wordnet: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pd.DataFrame]:
    base = tmp_path_factory.mktemp("base") / "final"
    resolve_base(str(tiny_model), None, "mean", base)
    return base, wordnet_pairs(tiny_wordnet)[0]


def train(base_and_pairs, folder: Path, dims, settings=SETTINGS, heldout=None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    base, pairs = base_and_pairs
    return train_variant(
        base,
        pairs,
        dims,
        [1.0] * len(dims),
        settings,
        folder / "final",
        folder / "states",
        folder / "log.parquet",
        heldout,
    )


def state_model(folder: Path, step: int) -> Path:
    return complete_states(folder / "states")[step]


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(next(folder.rglob("model.safetensors")))


def deterministic(log: pd.DataFrame, leave_out: tuple[str, ...] = ()) -> pd.DataFrame:
    """The log without its timings (and the metrics in ``leave_out``), in a fixed order."""
    kept = log[~log["metric"].isin([*TIMED, *leave_out])]
    return kept.sort_values(["step", "metric", "dim", "group"]).reset_index(drop=True)


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


def test_training_is_deterministic_and_checkpoints_are_replayed_exactly(base_and_pairs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    train(base_and_pairs, tmp_path / "one", [32, 16, 8])  # a resumable state after every step
    sparse = TrainSettings(max_steps=3, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=2, seed=7)
    train(base_and_pairs, tmp_path / "two", [32, 16, 8], sparse)  # one state, at step 2
    first, second = weights(tmp_path / "one" / "final"), weights(tmp_path / "two" / "final")
    assert first.keys() == second.keys()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)
    base = weights(base_and_pairs[0])
    assert any(not torch.equal(first[n], base[n]) for n in first)  # training changed the weights
    assert sorted(complete_states(tmp_path / "one" / "states")) == [1, 2]  # the state at max_steps is dropped

    base_dir, pairs = base_and_pairs
    for step in (1, 2):  # step 1 replayed from the base model, step 2 copied from its state
        out = tmp_path / "replayed" / f"step-{step}"
        replay_checkpoint(base_dir, pairs, [32, 16, 8], [1.0] * 3, sparse, tmp_path / "two" / "states", step, out)
        expected = weights(state_model(tmp_path / "one", step))
        for name, value in weights(out).items():
            torch.testing.assert_close(value, expected[name], rtol=0, atol=1e-6)
        assert SentenceTransformer(str(out), device="cpu").get_embedding_dimension() == 32
    assert not torch.equal(
        weights(tmp_path / "replayed" / "step-1")["embeddings.word_embeddings.weight"],
        weights(tmp_path / "replayed" / "step-2")["embeddings.word_embeddings.weight"],
    )


KILLED_RUN = """
import sys, time
import pandas as pd
from transformers import TrainerCallback
from mrlens.train import trainer
from mrlens.train.trainer import TrainSettings, train_variant

class Slow(TrainerCallback):  # gives the test time to kill the run between two states
    def on_step_end(self, args, state, control, **kwargs):
        time.sleep(0.4)

make = trainer._trainer
def slow_trainer(*args, **kwargs):
    built, history = make(*args, **kwargs)
    built.add_callback(Slow())
    return built, history
trainer._trainer = slow_trainer
base, pairs, folder = sys.argv[1], pd.read_parquet(sys.argv[2]), sys.argv[3]
settings = TrainSettings(max_steps=8, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=2, seed=5)
train_variant(base, pairs, [32, 8], [1.0, 1.0], settings, folder + "/final", folder + "/states", folder + "/log.parquet",
              pd.read_parquet(sys.argv[4]))
"""


def test_a_killed_run_resumes_and_ends_with_the_uninterrupted_weights(
    base_and_pairs, tiny_wordnet: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import signal
    import subprocess
    import sys
    import time

    base, pairs = base_and_pairs
    heldout = wordnet_pairs(tiny_wordnet)[1]
    pairs.to_parquet(tmp_path / "pairs.parquet")
    heldout.to_parquet(tmp_path / "heldout.parquet")
    killed = tmp_path / "killed"
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT / "tests")}
    files = [str(base), str(tmp_path / "pairs.parquet"), str(killed), str(tmp_path / "heldout.parquet")]
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, *files], env=env)
    deadline = time.monotonic() + 300
    while not complete_states(killed / "states") and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    done = sorted(complete_states(killed / "states"))
    assert done and max(done) < 8 and not (killed / "final").exists()

    settings = TrainSettings(max_steps=8, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=2, seed=5)
    resumed = train_variant(
        base, pairs, [32, 8], [1.0, 1.0], settings, killed / "final", killed / "states", killed / "log.parquet", heldout
    )
    whole = train(base_and_pairs, tmp_path / "whole", [32, 8], settings, heldout)
    for name, value in weights(killed / "final").items():
        torch.testing.assert_close(value, weights(tmp_path / "whole" / "final")[name], rtol=0, atol=1e-6)
    assert (whole["metric"] == "heldout_loss").any()
    pd.testing.assert_frame_equal(deterministic(resumed), deterministic(whole), rtol=1e-6)


def test_logged_losses_equal_a_recomputation_from_the_saved_state(tiny_wordnet: Path, tmp_path: Path) -> None:
    """The loss logged at step k was computed on batch k by the model after k - 1 steps (no dropout)."""
    base = tmp_path / "base"
    resolve_base(str(build_tiny_model(tmp_path / "raw", dropout=0.0)), None, "mean", base)
    pairs, _ = wordnet_pairs(tiny_wordnet)
    settings = TrainSettings(max_steps=3, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=1, seed=11)
    log = train_variant(
        base, pairs, [32, 8], [1.0, 1.0], settings, tmp_path / "final", tmp_path / "states", tmp_path / "log.parquet"
    )

    trainer, _ = _trainer(base, pairs, [32, 8], [1.0, 1.0], settings, tmp_path / "scratch", save_states=False)
    batches = list(trainer.get_train_dataloader())
    states = complete_states(tmp_path / "states")
    for step in (1, 2, 3):
        features = batches[step - 1]
        columns = [
            {k.removeprefix(f"{c}_"): v for k, v in features.items() if k.startswith(f"{c}_")}
            for c in ("anchor", "positive")
        ]
        logged = log[log["step"] == step]
        assert logged.loc[logged["metric"] == "batch", "note"].item() == batch_fingerprint(columns[0]["input_ids"])
        model = load_model(base if step == 1 else states[step - 1], device="cpu")
        model.train()
        loss = MatryoshkaRankingLoss(model, [32, 8], [1.0, 1.0], monitor_dims=[8, 16, 32])
        with torch.no_grad():
            loss(columns)
        losses = logged[logged["metric"] == "loss"].set_index("dim")["value"]
        for dim in (8, 16, 32):
            assert losses[dim] == pytest.approx(float(loss.last_losses[dim]), rel=1e-5)
        tokens = logged.loc[logged["metric"] == "tokens", "value"].item()
        assert tokens == sum(int(c["attention_mask"].sum()) for c in columns)


def direct_heldout(model: SentenceTransformer, pairs: pd.DataFrame, chunk: int, dim: int) -> tuple[float, float]:
    """The oracle: in-batch ranking loss and top-1 accuracy of the ``dim``-prefix, per chunk in float64."""
    losses, hits = [], []
    for start in range(0, len(pairs), chunk):
        part = pairs.iloc[start : start + chunk]
        a, p = (
            model.encode(part[c].tolist(), convert_to_numpy=True).astype(np.float64)[:, :dim]
            for c in ("anchor", "positive")
        )
        scores = (
            20.0 * (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (p / np.linalg.norm(p, axis=1, keepdims=True)).T
        )
        top = scores.max(axis=1, keepdims=True)
        log_softmax = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
        losses.append(-np.diag(log_softmax).mean())
        hits.append((scores.argmax(axis=1) == np.arange(len(part))).mean())
    return float(np.mean(losses)), float(np.mean(hits))


def test_heldout_loss_equals_a_direct_computation_and_leaves_training_untouched(
    base_and_pairs, tiny_wordnet: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    heldout = wordnet_pairs(tiny_wordnet)[1]
    plain = TrainSettings(
        max_steps=4, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=2, seed=7, heldout_pairs=0
    )
    followed = TrainSettings(**{**plain.__dict__, "heldout_pairs": 64, "heldout_every": 2})
    without = train(base_and_pairs, tmp_path / "without", [32, 8], plain, heldout)
    with_heldout = train(base_and_pairs, tmp_path / "with", [32, 8], followed, heldout)
    # the tiny model has dropout: a disturbed RNG or mode would change the weights
    before, after = weights(tmp_path / "without" / "final"), weights(tmp_path / "with" / "final")
    for name in before:
        torch.testing.assert_close(after[name], before[name], rtol=0, atol=0)
    added = ("heldout_loss", "heldout_accuracy")
    pd.testing.assert_frame_equal(deterministic(with_heldout, added), deterministic(without), rtol=0, atol=0)
    assert not without["metric"].isin(added).any()

    losses = with_heldout[with_heldout["metric"] == "heldout_loss"]
    assert sorted(losses["step"].unique()) == [0, 2, 4]  # before training, every 2nd logging step, the last
    assert losses.set_index("dim")["trained"].groupby(level=0).first().to_dict() == {8: True, 16: False, 32: True}
    chosen = heldout_sample(heldout, 64, 8)
    assert len(chosen) == len(heldout) // 8 * 8 < 64  # the tiny held-out split has fewer: whole chunks of them
    accuracy = with_heldout[with_heldout["metric"] == "heldout_accuracy"]
    for step, folder in ((0, base_and_pairs[0]), (4, tmp_path / "with" / "final")):
        model = SentenceTransformer(str(folder), device="cpu")
        for dim in (8, 16, 32):
            expected_loss, expected_accuracy = direct_heldout(model, chosen, 8, dim)
            for table, expected in ((losses, expected_loss), (accuracy, expected_accuracy)):
                value = table.loc[(table["step"] == step) & (table["dim"] == dim), "value"].item()
                assert value == pytest.approx(expected, rel=1e-4)


def test_heldout_evaluation_keeps_the_mode_and_the_random_state(tiny_model: Path, tiny_wordnet: Path) -> None:
    model = load_model(tiny_model, device="cpu")
    model.train()
    pairs = pd.DataFrame({"anchor": ["a", "b", "a", "c", "d", "e"], "positive": ["x", "y", "z", "y", "w", "v"]})
    chosen = heldout_sample(pairs, 5, 2)  # rows 2 and 3 repeat a text: 4 left, two whole chunks of 2
    assert chosen["anchor"].tolist() == ["a", "b", "d", "e"] and chosen["positive"].tolist() == ["x", "y", "w", "v"]
    assert len(heldout_sample(pairs, 3, 2)) == 2
    pd.testing.assert_frame_equal(heldout_sample(pairs.iloc[:5], 2, 1), heldout_sample(pairs.iloc[:5], 2, 1))  # seeded
    evaluation = HeldoutEvaluation(MatryoshkaRankingLoss(model, [32, 8]), wordnet_pairs(tiny_wordnet)[1], 8)
    state = torch.get_rng_state()
    first, second = evaluation(), evaluation()
    assert first == second  # eval mode: no dropout although the model trains with it
    assert model.training and torch.equal(torch.get_rng_state(), state)
    assert evaluation.pairs == 24 and sorted(first[0]) == [8, 32]


def test_default_monitor_sizes() -> None:
    assert default_monitor_dims(384) == [8, 16, 32, 64, 128, 256, 384]
    assert default_monitor_dims(768) == [8, 16, 32, 64, 128, 256, 512, 768]


def test_dynamics_equal_a_direct_computation_from_saved_weights(base_and_pairs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = TrainSettings(max_steps=3, batch_size=8, learning_rate=1e-3, logging_steps=1, state_every=1, seed=3)
    log = train(base_and_pairs, tmp_path / "run", [32, 8], settings)
    step2 = weights(state_model(tmp_path / "run", 2))
    final = weights(tmp_path / "run" / "final")
    base = weights(base_and_pairs[0])

    def by_group(tensors: dict[str, torch.Tensor]) -> dict[str, float]:  # the oracle: sums of squares in fp64
        squares: dict[str, float] = {}
        for name, tensor in tensors.items():
            squares[layer_group(name)] = squares.get(layer_group(name), 0.0) + float(tensor.double().pow(2).sum())
        return {group: float(np.sqrt(value)) for group, value in squares.items()} | {
            "total": float(np.sqrt(sum(squares.values())))
        }

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
    for _, rows in grads.groupby("step"):
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
