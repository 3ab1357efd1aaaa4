"""A model dedicated to one size: a linear head of k outputs on the base, trained with MNRL at k; its config
form; left out of the no-MRL references."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import load_file
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import Dense
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from test_loss import ANCHORS, NEGATIVES, POSITIVES, features, gradients
from test_training import SETTINGS, base_and_pairs, train  # noqa: F401 (a fixture)

from mrlens.config import dedicated_variants, model_sizes, validate_config
from mrlens.errors import ConfigError
from mrlens.inference.claims import reference_pairs
from mrlens.models import load_model, with_dedicated_head
from mrlens.train.loss import MatryoshkaRankingLoss
from mrlens.train.trainer import train_variant

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def test_the_head_has_k_outputs_no_bias_and_starts_at_the_prefix(tiny_model: Path) -> None:
    base = load_model(tiny_model, device="cpu").eval()
    model = with_dedicated_head(load_model(tiny_model, device="cpu"), 8).eval()
    heads = [m for m in model if isinstance(m, Dense)]
    assert len(heads) == 1 and heads[0].linear.weight.shape == (8, 32) and heads[0].linear.bias is None
    assert model.get_embedding_dimension() == 8
    texts = ANCHORS + POSITIVES
    dedicated = model.encode(texts, convert_to_tensor=True)
    assert dedicated.shape == (len(texts), 8)
    torch.testing.assert_close(dedicated, base.encode(texts, convert_to_tensor=True)[:, :8])  # [I_8 0] at start


@pytest.mark.parametrize("columns", [(ANCHORS, POSITIVES), (ANCHORS, POSITIVES, NEGATIVES)])
def test_its_loss_is_mnrl_at_k(tiny_model: Path, columns) -> None:  # type: ignore[no-untyped-def]
    model = with_dedicated_head(load_model(tiny_model, device="cpu"), 8).eval()
    with torch.no_grad():  # a head that is no longer the prefix: MNRL must see the head's output
        next(m for m in model if isinstance(m, Dense)).linear.weight.normal_(generator=torch.Generator().manual_seed(0))
    ours = MatryoshkaRankingLoss(model, [8], scale=20.0)
    value = ours(features(model, *columns), None)
    value.backward()
    our_grads = gradients(model)
    model.zero_grad()
    expected = MultipleNegativesRankingLoss(model, scale=20.0)(features(model, *columns), None)
    expected.backward()
    assert float(value.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    assert len(our_grads) == len(gradients(model))  # the head's weight is trained too
    for a, b in zip(our_grads, gradients(model)):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-5)


def test_a_dedicated_model_trains_on_the_twins_batches_and_saves_k_dimensions(base_and_pairs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, pairs = base_and_pairs
    folder = tmp_path / "dedicated"
    log = train_variant(
        base, pairs, [8], [1.0], SETTINGS, folder / "final", folder / "states", folder / "log.parquet", dedicated=8
    )
    twin = train(base_and_pairs, tmp_path / "twin", [32])
    batches = lambda t: t.loc[t["metric"] == "batch", ["step", "note"]].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(batches(log), batches(twin))  # same data order as the twins
    assert sorted(log.loc[log["metric"] == "loss", "dim"].unique()) == [8]  # no size above its own
    saved = SentenceTransformer(str(folder / "final"), device="cpu")
    assert saved.get_embedding_dimension() == 8
    head = load_file(next((folder / "final").rglob("*Dense*/model.safetensors")))["linear.weight"]
    assert head.shape == (8, 32) and not torch.equal(head, torch.eye(8, 32))  # trained


def config_with(variants: dict) -> dict:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["train"]["variants"] = variants
    config.pop("findings")  # its claims name the default variants
    return config


def test_the_config_form_and_its_errors() -> None:
    config = validate_config(
        config_with({"no-mrl": [384], "mrl": [384, 32], "dedicated-32": {"dedicated": 32}}), SCHEMA
    )
    assert config["train"]["variants"]["dedicated-32"] == {"dims": [32], "weights": [1.0], "dedicated": 32}
    assert list(config["train"]["variants"]) == ["no-mrl", "mrl", "dedicated-32"]  # dedicated last
    assert dedicated_variants(config) == {"dedicated-32": 32}
    assert validate_config(copy.deepcopy(config), SCHEMA)["train"]["variants"] == config["train"]["variants"]
    with pytest.raises(ConfigError, match=r"^config train\.variants\.d\.dedicated: size 48 is not one of analysis"):
        validate_config(config_with({"no-mrl": [384], "d": {"dedicated": 48}}), SCHEMA)
    with pytest.raises(ConfigError, match=r"^config train\.variants\.d: a dedicated variant takes its size alone"):
        validate_config(config_with({"no-mrl": [384], "d": {"dedicated": 32, "weights": [2.0]}}), SCHEMA)
    with pytest.raises(ConfigError, match=r"^config train\.variants\.d: give cut points"):
        validate_config(config_with({"no-mrl": [384], "d": {}}), SCHEMA)
    with pytest.raises(ConfigError, match=r"^config train\.variants\.d: size 512 exceeds"):
        validate_config(config_with({"no-mrl": [384], "d": {"dedicated": 512}}), SCHEMA)


def test_a_dedicated_model_is_no_reference_and_has_no_size_above_its_own() -> None:
    variants = {"no-mrl": [384], "mrl": [384, 32], "dedicated-32": [32]}
    assert reference_pairs(variants) == [("mrl", "no-mrl"), ("mrl", "dedicated-32")]
    assert reference_pairs(variants, dedicated=["dedicated-32"]) == [("mrl", "no-mrl")]
    assert model_sizes([32, 64, 128], 32) == [32] and model_sizes([32, 64], 384) == [32, 64]
