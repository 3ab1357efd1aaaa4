"""Every size's loss and accuracy on a fixed set of held-out pairs, measured during training.

The loss on each training batch is measured on different pairs at every step, so its trend drowns in
batch-to-batch noise. The same pairs at every step leave only the change of the model: the held-out
loss ``L_m`` is :func:`~mrlens.train.loss.prefix_ranking_losses` (in-batch negatives) averaged over
fixed chunks of ``batch_size`` pairs, so a chunk ranks as many candidates as a training batch does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from mrlens.train.loss import MatryoshkaRankingLoss

COLUMNS = ("anchor", "positive", "negative")  # the columns a training batch has, in its order


def heldout_sample(pairs: pd.DataFrame, count: int, chunk: int, seed: int = 0) -> pd.DataFrame:
    """``count`` pairs drawn with ``seed``, rounded down to whole chunks of ``chunk`` pairs.

    Pairs repeating an earlier anchor or positive are dropped first: training batches never hold a
    text twice (a repeated positive would be a false negative), and held-out chunks should not either.
    Fewer pairs are returned when there are not enough, none when there is not one chunk.
    """
    unique = pairs[~pairs["anchor"].duplicated() & ~pairs["positive"].duplicated()]
    size = min(count, len(unique)) // chunk * chunk
    keep = np.sort(np.random.default_rng(seed).choice(len(unique), size=size, replace=False))
    return unique.iloc[keep].reset_index(drop=True)


class HeldoutEvaluation:
    """Loss and in-batch top-1 accuracy of every size of ``loss`` on fixed pairs, in chunks of ``chunk``.

    The pairs are tokenised once. A call runs the model in eval mode (no dropout) without gradient and
    with the random number generators forked, then puts the model back in the mode it found it in, so
    training takes the same steps with or without held-out evaluation.
    """

    def __init__(self, loss: MatryoshkaRankingLoss, pairs: pd.DataFrame, chunk: int):
        self.loss = loss
        columns = [c for c in COLUMNS if c in pairs.columns]
        self.chunks = [
            [loss.model.preprocess(inputs=pairs[c].iloc[start : start + chunk].tolist()) for c in columns]
            for start in range(0, len(pairs) - chunk + 1, chunk)
        ]
        self.pairs = len(self.chunks) * chunk

    def __call__(self) -> tuple[dict[int, float], dict[int, float]]:
        """Per-size mean loss and mean accuracy over the chunks (equal-sized, so means over pairs)."""
        model = self.loss.model
        device = next(model.parameters()).device
        training = model.training
        forked = [device] if device.type == "cuda" else []
        try:
            model.eval()
            with torch.random.fork_rng(devices=forked), torch.no_grad():
                measured = [self.loss.measure([_to(features, device) for features in chunk]) for chunk in self.chunks]
        finally:
            model.train(training)
        sizes = sorted(measured[0][0])
        means = torch.stack([torch.stack([part[size] for size in sizes]) for result in measured for part in result])
        losses, accuracy = means.reshape(len(measured), 2, len(sizes)).double().mean(dim=0).tolist()
        return dict(zip(sizes, losses)), dict(zip(sizes, accuracy))


def _to(features: dict[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    return {key: value.to(device) if isinstance(value, Tensor) else value for key, value in features.items()}
