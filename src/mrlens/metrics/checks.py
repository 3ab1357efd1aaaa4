"""Input checks shared by the metrics (scikit-learn style: clear messages, at the top)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def as_points(x: np.ndarray, min_points: int = 2) -> np.ndarray:
    """Validate an (n x d) array of finite values with n >= ``min_points``; return it as float32 or float64."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array (documents x dimensions), got shape {x.shape}")
    if x.shape[0] < min_points:
        raise ValueError(f"need at least {min_points} documents, got {x.shape[0]}")
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        raise ValueError(f"non-finite value (NaN or inf) in row {int(np.argmin(finite))}")
    return x


def as_sizes(dims: Sequence[int], d: int) -> list[int]:
    """Sorted unique truncation sizes, each in [1, d]."""
    sizes = sorted({int(k) for k in dims})
    if not sizes or sizes[0] < 1 or sizes[-1] > d:
        raise ValueError(f"truncation sizes must lie in [1, {d}], got {list(dims)}")
    return sizes
