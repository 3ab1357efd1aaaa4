"""Training dynamics measured per layer group: gradient norms, update norms and drift from the base."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from mrlens.layers import layer_group


def group_norms(named: Iterable[tuple[str, torch.Tensor | None]]) -> dict[str, float]:
    """``sqrt(sum ||t||^2)`` over the tensors of each layer group, plus ``total``; ``None`` tensors
    (parameters without a gradient) are skipped. The per-tensor norms come from one fused call
    (``torch._foreach_norm``, accumulated in fp32) and reach the host in one transfer."""
    present = [(name, tensor.detach()) for name, tensor in named if tensor is not None]
    if not present:
        return {}
    norms = torch._foreach_norm([tensor for _, tensor in present], 2, dtype=torch.float32)
    squares: dict[str, float] = {}
    for (name, _), norm in zip(present, torch.stack(norms).double().pow(2).tolist()):
        group = layer_group(name)
        squares[group] = squares.get(group, 0.0) + norm
    result = {group: math.sqrt(value) for group, value in sorted(squares.items())}
    result["total"] = math.sqrt(sum(squares.values()))
    return result
