"""Outlier ("rogue") dimensions: dimensions far above the average in variance or in magnitude."""

from __future__ import annotations

import numpy as np


def outlier_dimensions(values: np.ndarray, k: float = 5.0) -> np.ndarray:
    """Indices ``i`` with ``values[i] > k * mean(values)``, ascending.

    With per-dimension variances this finds the rogue dimensions of Timkey & van Schijndel 2021
    ("All Bark and No Bite", EMNLP) and the outliers of Kovaleva et al. 2021 ("BERT Busters",
    Findings of ACL); with per-dimension mean |value| the magnitude outliers of Puccetti et al. 2022.
    ``k`` is the threshold (a parameter, not a law of nature).
    """
    values = np.asarray(values, dtype=np.float64)
    return np.flatnonzero(values > k * values.mean())


def outlier_share(variances: np.ndarray, indices: np.ndarray) -> float:
    """Share of the total variance held by the dimensions ``indices``."""
    total = float(np.sum(variances))
    return 0.0 if total == 0 else float(np.sum(np.asarray(variances)[indices]) / total)
