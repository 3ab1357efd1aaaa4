"""Our Matryoshka loss against sentence-transformers' MatryoshkaLoss(MultipleNegativesRankingLoss)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss

from mrlens.models import load_model
from mrlens.train.loss import MatryoshkaRankingLoss
from mrlens.train.real_tokens import skip_padding

ANCHORS = ["a river of stone", "winter bread", "the silver horse", "music in the garden", "paper window"]
POSITIVES = ["stone river", "bread in winter", "a horse of silver", "garden music", "a window of paper"]
NEGATIVES = ["an island bridge", "candle mirror", "a cloud planet", "the doctor's engine", "market letter"]


def features(model, *columns):  # type: ignore[no-untyped-def]
    return [model.preprocess(texts) for texts in columns]


def gradients(model) -> list[torch.Tensor]:  # type: ignore[no-untyped-def]
    return [p.grad.clone() for p in model.parameters() if p.grad is not None]


@pytest.mark.parametrize("dims, weights", [([32, 8], [1.0, 1.0]), ([32, 16, 8], [1.0, 0.5, 2.0]), ([32], [1.0])])
@pytest.mark.parametrize("columns", [(ANCHORS, POSITIVES), (ANCHORS, POSITIVES, NEGATIVES)])
def test_training_value_and_gradients_equal_sentence_transformers(tiny_model: Path, dims, weights, columns) -> None:  # type: ignore[no-untyped-def]
    model = load_model(tiny_model, device="cpu")
    model.eval()  # no dropout: both losses see the same embeddings
    ours = MatryoshkaRankingLoss(model, dims, weights, scale=20.0, monitor_dims=[4, 8, 16, 32])
    reference = MatryoshkaLoss(model, MultipleNegativesRankingLoss(model, scale=20.0), dims, weights)

    value = ours(features(model, *columns), None)
    value.backward()
    our_grads = gradients(model)
    model.zero_grad()
    expected = reference(features(model, *columns), None)
    expected.backward()

    assert float(value.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    for a, b in zip(our_grads, gradients(model)):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-5)  # float32 sums in another order


def test_monitored_losses_and_accuracy_equal_a_direct_computation(tiny_model: Path) -> None:
    model = load_model(tiny_model, device="cpu")
    model.eval()
    loss = MatryoshkaRankingLoss(model, [32], scale=20.0, monitor_dims=[4, 8, 16])
    loss(features(model, ANCHORS, POSITIVES), None)
    # measure() on another batch (the columns swapped) leaves the training batch's records alone
    measured, measured_accuracy = loss.measure(features(model, POSITIVES, ANCHORS))
    with torch.no_grad():
        a = model.encode(ANCHORS, convert_to_tensor=True)
        p = model.encode(POSITIVES, convert_to_tensor=True)
    for dim in (4, 8, 16, 32):
        scores = 20.0 * F.normalize(a[:, :dim], dim=-1) @ F.normalize(p[:, :dim], dim=-1).T
        batches = ((loss.last_losses, loss.last_accuracy, scores), (measured, measured_accuracy, scores.T))
        for records, accuracy, direction in batches:
            direct = F.cross_entropy(direction, torch.arange(len(ANCHORS)))
            assert float(records[dim]) == pytest.approx(float(direct), rel=1e-4)
            top1 = (direction.argmax(dim=1) == torch.arange(len(ANCHORS))).float().mean()
            assert float(accuracy[dim]) == pytest.approx(float(top1))
    assert float(loss.last_losses[4]) != pytest.approx(float(measured[4]), rel=1e-3)
    assert sorted(loss.last_losses) == [4, 8, 16, 32]
    assert loss.monitor_dims == (4, 8, 16)  # trained sizes are not monitored twice


def test_skipping_padding_keeps_loss_gradients_and_dropout(tiny_model: Path) -> None:
    """The linear layers on real tokens only (the CPU train path) against the padded batch, with dropout on:
    the same masks are drawn, so loss and gradients agree to float32 rounding."""
    results = []
    for skip in (False, True):
        model = load_model(tiny_model, device="cpu")
        model.train()
        if skip:
            skip_padding(model)
        batch = features(model, ANCHORS, POSITIVES, NEGATIVES)
        assert not all(bool(f["attention_mask"].all()) for f in batch)  # there is padding to skip
        torch.manual_seed(0)
        value = MatryoshkaRankingLoss(model, [32, 8], scale=20.0)(batch, None)
        value.backward()
        results.append((float(value.detach()), gradients(model)))
    (padded, padded_grads), (real, real_grads) = results
    assert real == pytest.approx(padded, rel=1e-6)
    assert len(real_grads) == len(padded_grads)
    for a, b in zip(real_grads, padded_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)  # the weight gradients no longer add padding's zeros
