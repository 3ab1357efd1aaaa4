"""Every geometry metric at every truncation size, as one tidy table."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mrlens.metrics._checks import as_points, as_sizes
from mrlens.metrics.correlation import mean_abs_correlation_from_covariance
from mrlens.metrics.covariance import covariance
from mrlens.metrics.isotropy import isoscore_from_covariance
from mrlens.metrics.uniformity import uniformity_by_prefix

METRICS = ("isoscore", "uniformity", "mean_abs_correlation")


def geometry_table(x: np.ndarray, dims: Sequence[int], uniformity_t: float = 2.0) -> pd.DataFrame:
    """Columns ``dim, metric, value, n``: each metric of the first ``dim`` dimensions of ``x``.

    IsoScore and correlation use the raw prefix; uniformity re-normalises each prefix to unit length
    (what a user of a truncated Matryoshka embedding does). The covariance is computed once: the
    covariance of a prefix is its leading block.
    """
    x = as_points(x)
    n, d = x.shape
    sizes = as_sizes(dims, d)
    if n <= sizes[-1]:
        warnings.warn(f"n = {n} <= d = {sizes[-1]}: IsoScore is capped at (n - 2)/(d - 1)", stacklevel=2)
    cov = covariance(x)
    uniformity = uniformity_by_prefix(x, sizes, uniformity_t)
    rows = []
    for k in sizes:
        block = cov[:k, :k]
        values = {
            "isoscore": isoscore_from_covariance(block),
            "uniformity": uniformity[k],
            "mean_abs_correlation": mean_abs_correlation_from_covariance(block),
        }
        rows.extend({"dim": k, "metric": m, "value": values[m], "n": n} for m in METRICS)
    return pd.DataFrame(rows)
