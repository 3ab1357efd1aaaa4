"""Training dynamics measured per layer group: gradient norms, update norms and drift from the base."""

from __future__ import annotations

import re
from collections.abc import Iterable

import torch

_LAYER = re.compile(r"(?:^|\.)(?:layer|layers|h|block|blocks)\.(\d+)\.")


def layer_group(name: str) -> str:
    """The group a parameter belongs to: ``embeddings``, ``layer.{i}`` (transformer block i), or ``head``
    (pooler, dense and normalisation modules after the encoder)."""
    match = _LAYER.search(name)
    if match:
        return f"layer.{int(match.group(1)):02d}"
    if "embed" in name:
        return "embeddings"
    return "head"


def group_norms(named: Iterable[tuple[str, torch.Tensor | None]]) -> dict[str, float]:
    """``sqrt(sum ||t||^2)`` over the tensors of each layer group, plus ``total``; ``None`` tensors
    (parameters without a gradient) are skipped."""
    squares: dict[str, torch.Tensor] = {}
    for name, tensor in named:
        if tensor is None:
            continue
        group = layer_group(name)
        value = tensor.detach().float().pow(2).sum()
        squares[group] = squares[group] + value if group in squares else value
    if not squares:
        return {}
    norms = {group: float(value.sqrt()) for group, value in sorted(squares.items())}
    norms["total"] = float(torch.stack(list(squares.values())).sum().sqrt())
    return norms
