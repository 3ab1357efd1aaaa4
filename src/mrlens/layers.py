"""Which layer group a parameter of an encoder belongs to: shared by the training dynamics and the
weight diffing, and free of torch (a regex over parameter names)."""

from __future__ import annotations

import re

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
