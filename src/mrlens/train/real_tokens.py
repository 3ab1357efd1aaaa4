"""The encoder's per-token linear layers computed on the batch's real tokens only, not on its padding.

A batch of short texts is mostly padding: WordNet lemmas and glosses padded to each column's longest
text leave about two thirds of the positions empty, and every linear layer of a transformer block
(query, key, value, attention output, feed-forward in and out) would multiply them all. Those layers
act on each token alone, so :func:`skip_padding` makes them gather the real tokens, multiply, and
scatter the result back into the padded shape (zeros at the padding). Everything else runs on the
padded shape as before, dropout included, so it draws the same masks from the same random numbers.

The real tokens' values are unchanged: padded keys have attention weight exactly zero and padding is
left out of the pooling, so neither their old nor their new (zero) values reach a real token, and
their gradients were exactly zero. Only the order of float32 sums within a matrix product changes
(the weight gradients no longer add those zeros): results equal the padded ones to float32 rounding.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_REAL: ContextVar[tuple[torch.Size, Tensor] | None] = ContextVar("real_tokens", default=None)


@contextmanager
def real_tokens(attention_mask: Tensor) -> Iterator[None]:
    """Within the block, the patched linear layers see inputs of shape ``(*attention_mask.shape, d)``
    as padded batches and compute only the rows where the mask is set (all of them if none is padding)."""
    mask = attention_mask.bool()
    token = _REAL.set(None if bool(mask.all()) else (mask.shape, mask.flatten().nonzero().squeeze(1)))
    try:
        yield
    finally:
        _REAL.reset(token)


def _real_token_linear(layer: nn.Linear, x: Tensor) -> Tensor:
    real = _REAL.get()
    if real is None or x.shape[:-1] != real[0]:
        return F.linear(x, layer.weight, layer.bias)
    shape, index = real
    rows = F.linear(x.reshape(-1, x.shape[-1]).index_select(0, index), layer.weight, layer.bias)
    return rows.new_zeros(shape.numel(), rows.shape[-1]).index_copy(0, index, rows).reshape(*shape, -1)


def skip_padding(model: nn.Module) -> None:
    """Patch ``model`` (a SentenceTransformer) in place: each Transformer module's forward runs within
    :func:`real_tokens` of its batch's attention mask, and its linear layers skip the padding.

    Parameters, their names and the saved model are untouched; only the forward of those modules changes.
    """
    for module in model.modules():
        encoder = getattr(module, "auto_model", None)
        if encoder is None:
            continue
        for layer in encoder.modules():
            if type(layer) is nn.Linear:
                layer.forward = _real_token_linear.__get__(layer)  # type: ignore[method-assign]
        module.forward = _within_real_tokens(module.forward)  # type: ignore[method-assign]


def _within_real_tokens(forward: Any) -> Any:
    def wrapped(features: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with real_tokens(features["attention_mask"]):
            return forward(features, *args, **kwargs)

    return wrapped
