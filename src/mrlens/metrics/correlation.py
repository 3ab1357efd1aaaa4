"""Redundancy: correlation between embedding dimensions."""

from __future__ import annotations

import warnings

import numpy as np

from mrlens.metrics.covariance import covariance

CONSTANT_SD = 1e-5  # relative to the largest standard deviation


def correlation_from_covariance(cov: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix ``R_ij = C_ij / sqrt(C_ii C_jj)``; rows and columns of constant
    dimensions are NaN (r is undefined there). A dimension counts as constant when its standard
    deviation is at most ``CONSTANT_SD`` times the largest one: float32 embeddings have "dead"
    dimensions (all-MiniLM-L6-v2 has three) whose variance is rounding noise, 1e-17 to 1e-66."""
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    constant = sd <= CONSTANT_SD * sd.max(initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[constant, :] = np.nan
    corr[:, constant] = np.nan
    return corr


def mean_abs_correlation_from_covariance(cov: np.ndarray) -> float:
    """Mean of ``|r_ij|`` over the off-diagonal pairs i != j of dimensions with non-zero variance.

    For independent dimensions it sits at the sampling floor ~ sqrt(2 / (pi n)), not 0.
    Constant dimensions are left out with a warning; fewer than two varying dimensions give NaN.
    """
    corr = correlation_from_covariance(cov)
    varying = ~np.isnan(np.diag(corr))
    if not varying.all():
        warnings.warn(f"{int((~varying).sum())} constant dimension(s) left out of the correlation", stacklevel=2)
    corr = corr[np.ix_(varying, varying)]
    k = corr.shape[0]
    if k < 2:
        return float("nan")
    return float((np.abs(corr).sum() - np.trace(np.abs(corr))) / (k * (k - 1)))


def mean_abs_correlation(x: np.ndarray) -> float:
    """Mean absolute Pearson correlation between the dimensions of ``x``; see
    :func:`mean_abs_correlation_from_covariance`."""
    return mean_abs_correlation_from_covariance(covariance(x))
