"""How far from Gaussian the embeddings are: the excess kurtosis of each dimension.

``g2 = m4 / m2^2 - 3`` with ``m_p`` the p-th central moment of one dimension (Pearson 1905; the plug-in
``g2`` of Joanes & Gill 1998, "Comparing measures of sample skewness and kurtosis", The Statistician 47):
0 for a Gaussian, 6 / (nu - 4) for Student's t on nu > 4 degrees of freedom (infinite at nu <= 4), -1.2 for
a uniform. The bias-corrected metrics of mrlens (the Olkin-Pratt mean r^2, IsoScore's tr(Sigma^2)) assume
finite fourth or eighth moments or Gaussian data; this column says how far a model's embeddings are from
that. No interval: a sample kurtosis of heavy-tailed data converges slowly and is biased low.

Where it exceeds :data:`HEAVY_TAILS` at a size, the metrics that rest on fourth moments (registry:
``light_tails``) report no interval there (``none-heavy-tails``).
"""

from __future__ import annotations

import numpy as np

from mrlens.metrics.covariance import row_blocks

# The largest mean excess kurtosis at which the fourth-moment metrics keep an interval: that of Student's t on
# 8 degrees of freedom (6 / (8 - 4) = 1.5), the boundary of finite eighth moments (t has them on more than 8
# df): their estimators are unbiased for finite fourth moments (more than 4 df), and their variance is
# estimated well for finite eighth moments. A sample's kurtosis is biased low under heavy tails, so the
# gate cannot tell t on 8 df from t on 12 at n = 200; it withholds the interval from t on 4 df (samples of 200
# in 64 dimensions: 99 % above 1.55), and the samples it passes from a heavier-tailed population are those
# that look light, whose variance estimate is too small: at 1 it passed 38-44 % of samples from t on 8 df, which
# missed 4.8-5.3 % below (IsoScore) against 3.9-4.2 % for all samples; at 1.5 it passes 80 % of them, which
# miss 2.9-3.6 % with the long arm's bias reach (benchmarks/README.md, "Scales, the gate and the long arm's
# bias reach").
# Gaussian samples lie at -0.12 to 0.07, trained encoders' embeddings at -0.1 to 0.
HEAVY_TAILS = 1.5


def excess_kurtosis(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The excess kurtosis ``g2`` of every column of ``x`` (n x d), its rows counted ``weights`` times
    (default once); NaN for a constant column."""
    x = np.asarray(x)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    total = w.sum()
    mean = np.zeros(x.shape[1])
    for rows in row_blocks(len(x)):
        mean += w[rows] @ x[rows].astype(np.float64)
    mean /= total
    second, fourth = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for rows in row_blocks(len(x)):
        squares = (x[rows].astype(np.float64) - mean) ** 2
        second += w[rows] @ squares
        fourth += w[rows] @ squares**2
    second, fourth = second / total, fourth / total
    scale = second.max(initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(second > 1e-10 * scale, fourth / second**2 - 3.0, np.nan)
