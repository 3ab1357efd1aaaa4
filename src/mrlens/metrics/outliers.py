"""Outlier dimensions: dimensions far above the average in variance or in magnitude (rogue dimensions,
defined by their share of the cosine similarity, are in :mod:`mrlens.metrics.rogue`)."""

from __future__ import annotations

import numpy as np


def outlier_dimensions(values: np.ndarray, k: float = 5.0) -> np.ndarray:
    """Indices ``i`` with ``values[i] > k * mean(values)``, ascending.

    With per-dimension variances this is the rule of Rudman et al. 2023 ("Outlier Dimensions Encode
    Task-Specific Knowledge", EMNLP): a dimension is an outlier when its variance exceeds k times the
    average variance. With per-dimension mean |value| it flags magnitude outliers, the kind found in
    LayerNorm weights and activations by Kovaleva et al. 2021 ("BERT Busters", Findings of ACL) and
    Puccetti et al. 2022 ("Outlier Dimensions that Disrupt Transformers are Driven by Frequency",
    Findings of EMNLP). The rogue dimensions of Timkey & van Schijndel 2021 are a different definition
    (a share of the expected cosine): see :func:`mrlens.metrics.rogue.cosine_contributions`.
    ``k`` is the threshold (a parameter, not a law of nature).
    """
    values = np.asarray(values, dtype=np.float64)
    return np.flatnonzero(values > k * values.mean())


def outlier_share(variances: np.ndarray, indices: np.ndarray) -> float:
    """Share of the total variance held by the dimensions ``indices``."""
    total = float(np.sum(variances))
    return 0.0 if total == 0 else float(np.sum(np.asarray(variances)[indices]) / total)
