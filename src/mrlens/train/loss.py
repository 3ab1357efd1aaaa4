"""Matryoshka multiple-negatives ranking loss with one forward pass and per-size monitoring."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from sentence_transformers.base.losses.merged_forward import embed_columns
from sentence_transformers.util.distributed import all_gather_with_grad, get_rank, get_world_size
from torch import Tensor, nn


def prefix_ranking_losses(
    anchors: Tensor, candidates: Tensor, dims: Sequence[int], scale: float, offset: int = 0
) -> dict[int, Tensor]:
    """In-batch ranking loss of every prefix size ``m`` in ``dims``.

    For anchors ``a_i`` and candidates ``c_j`` (the batch's positives, then any hard negatives),
    with ``u = x[:m] / ||x[:m]||``::

        L_m = -1/B sum_i log( exp(s cos(a_i, c_i)) / sum_j exp(s cos(a_i, c_j)) )

    which is MultipleNegativesRankingLoss (Henderson et al. 2017, "Efficient Natural Language
    Response Suggestion for Smart Reply") evaluated on the re-normalised ``m``-prefix, as
    Matryoshka Representation Learning (Kusupati et al. 2022) prescribes. Anchor ``i``'s positive
    is candidate ``offset + i`` (``offset`` is non-zero when candidates were gathered across devices).
    """
    labels = torch.arange(anchors.shape[0], device=anchors.device) + offset
    losses = {}
    for dim in dims:
        a = F.normalize(anchors[:, :dim], p=2, dim=-1)
        c = F.normalize(candidates[:, :dim], p=2, dim=-1)
        losses[dim] = F.cross_entropy(scale * a @ c.T, labels)
    return losses


@torch.no_grad()
def prefix_accuracy(anchors: Tensor, candidates: Tensor, dims: Sequence[int], offset: int = 0) -> dict[int, Tensor]:
    """In-batch top-1 retrieval accuracy of every prefix size: the share of anchors whose own positive
    (candidate ``offset + i`` for anchor ``i``) has the highest cosine among all candidates."""
    labels = torch.arange(anchors.shape[0], device=anchors.device) + offset
    out = {}
    for dim in dims:
        scores = F.normalize(anchors[:, :dim], dim=-1) @ F.normalize(candidates[:, :dim], dim=-1).T
        out[dim] = (scores.argmax(dim=1) == labels).float().mean()
    return out


class MatryoshkaRankingLoss(nn.Module):
    """MRL objective over in-batch negatives: ``L = sum_k w_k L_{m_k}`` from a single forward pass.

    ``L_m`` is :func:`prefix_ranking_losses` (MultipleNegativesRankingLoss on the re-normalised
    ``m``-prefix). With one cut point equal to the full size this is plain MNRL, so the no-MRL twin
    and the MRL twins share every line of code. Its training value equals sentence-transformers'
    ``MatryoshkaLoss(model, MultipleNegativesRankingLoss(model, scale), dims, weights)``, which
    re-runs the loss once per size on cached embeddings.

    It also computes, without gradient, the loss at every size in ``monitor_dims`` (trained on or
    not), so the no-MRL model's small-size loss can be followed during training. After each call
    :attr:`last_losses` maps every size to its detached loss tensor (read it only when logging, so
    no step waits for the device), :attr:`last_accuracy` the in-batch top-1 retrieval accuracy of
    every size, :attr:`last_anchor_ids` the anchors' token ids and :attr:`last_tokens` the batch's
    non-padding tokens. With ``gather_across_devices`` under data-parallel training, every anchor is
    ranked against the candidates of all devices (the global batch), not only its own device's.

    References: Kusupati et al. 2022, "Matryoshka Representation Learning", NeurIPS;
    Henderson et al. 2017 (in-batch negatives ranking loss).
    """

    def __init__(
        self,
        model: nn.Module,
        dims: Sequence[int],
        weights: Sequence[float] | None = None,
        scale: float = 20.0,
        monitor_dims: Iterable[int] = (),
        gather_across_devices: bool = False,
    ) -> None:
        super().__init__()
        if weights is None:
            weights = [1.0] * len(dims)
        if len(weights) != len(dims):
            raise ValueError(f"{len(weights)} weights for {len(dims)} cut points")
        self.model = model
        self.gather_across_devices = gather_across_devices
        self.dims = tuple(int(d) for d in dims)
        self.weights = tuple(float(w) for w in weights)
        self.scale = float(scale)
        self.monitor_dims = tuple(sorted(set(int(d) for d in monitor_dims) - set(self.dims)))
        self.last_losses: dict[int, Tensor] = {}
        self.last_accuracy: dict[int, Tensor] = {}
        self.last_anchor_ids: Tensor | None = None
        self.last_tokens: Tensor | None = None

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None = None) -> Tensor:
        sentence_features = list(sentence_features)
        self.last_anchor_ids = sentence_features[0]["input_ids"]
        self.last_tokens = sum(f["attention_mask"].sum() for f in sentence_features)  # type: ignore[assignment]
        anchors, *docs = embed_columns(self.model, sentence_features)
        offset = 0
        if self.gather_across_devices and get_world_size() > 1:
            # every device's positives and negatives become candidates of every anchor; gradients flow
            # back to the device that embedded them (as in sentence-transformers' MNRL)
            docs = [all_gather_with_grad(d) for d in docs]
            offset = get_rank() * anchors.shape[0]
        candidates = torch.cat(docs, dim=0)
        trained = prefix_ranking_losses(anchors, candidates, self.dims, self.scale, offset)
        loss = sum(w * trained[d] for d, w in zip(self.dims, self.weights))
        with torch.no_grad():
            anchors, candidates = anchors.detach(), candidates.detach()
            monitored = prefix_ranking_losses(anchors, candidates, self.monitor_dims, self.scale, offset)
            self.last_accuracy = prefix_accuracy(anchors, candidates, self.dims + self.monitor_dims, offset)
        self.last_losses = {d: v.detach() for d, v in {**trained, **monitored}.items()}
        return loss  # type: ignore[return-value]

    @torch.no_grad()
    def measure(self, sentence_features: Iterable[dict[str, Tensor]]) -> tuple[dict[int, Tensor], dict[int, Tensor]]:
        """Loss ``L_m`` and in-batch top-1 accuracy at every size (trained and monitored) of one batch,
        without gradient and on this process's batch only; :attr:`last_losses` and the other records of
        the training batch are left as they are. For held-out pairs (:mod:`mrlens.train.heldout`)."""
        anchors, *docs = embed_columns(self.model, list(sentence_features))
        candidates, sizes = torch.cat(docs, dim=0), self.dims + self.monitor_dims
        return prefix_ranking_losses(anchors, candidates, sizes, self.scale), prefix_accuracy(
            anchors, candidates, sizes
        )

    def get_config_dict(self) -> dict[str, Any]:
        return {
            "dims": self.dims,
            "weights": self.weights,
            "scale": self.scale,
            "monitor_dims": self.monitor_dims,
            "gather_across_devices": self.gather_across_devices,
        }
