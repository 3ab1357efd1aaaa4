"""Isotropy: participation ratio, IsoScore, IsoScore* and the average cosine; the published plug-in forms and
the bias-corrected forms the suite reports (an unbiased estimate of tr(Sigma^2); for IsoScore* also C0
without the mini-batch)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mrlens.metrics.checks import as_points, as_sizes
from mrlens.metrics.covariance import covariance, weighted_fourth_moments


def participation_ratio(cov: np.ndarray) -> float:
    """``PR = (tr C)^2 / tr(C^2) = (sum_i l_i)^2 / sum_i l_i^2`` over the eigenvalues l_i of the covariance C.

    PR counts the dimensions the variance is spread over: d for isotropic data, 1 for rank-1 data.
    ``tr(C^2)`` is the squared Frobenius norm of the symmetric C, so no eigendecomposition is needed.
    Reference: Gao et al. 2017, "A theory of multineuronal dimensionality, dynamics and measurement".
    """
    trace = float(np.trace(cov))
    squares = float(np.sum(cov * cov))
    if squares == 0.0:
        return 0.0
    return trace * trace / squares


def isoscore_from_covariance(cov: np.ndarray) -> float:
    """IsoScore of points whose covariance is ``cov``: ``(PR - 1) / (d - 1)``.

    Rudman et al. 2022 ("IsoScore: Measuring the Uniformity of Embedding Space Utilization", ACL
    Findings) define it from the PCA variances l (normalised to ||l|| = sqrt(d)) through the isotropy
    defect; expanding their steps gives exactly (PR - 1)/(d - 1) with PR the participation ratio.
    It is 1 for isotropic data and 0 for data on a line. With n points the covariance has rank at
    most n - 1, which caps the score at (n - 2)/(d - 1) when n <= d: report n beside it.
    Points with no variance at all get 0.
    """
    d = cov.shape[0]
    if d < 2:
        raise ValueError("IsoScore needs at least 2 dimensions")
    pr = participation_ratio(cov)
    return 0.0 if pr == 0.0 else (pr - 1.0) / (d - 1.0)


def isoscore(x: np.ndarray) -> float:
    """IsoScore of the (n x d) points ``x``; see :func:`isoscore_from_covariance`."""
    return isoscore_from_covariance(covariance(x))


def isoscore_star_from_covariance(cov: np.ndarray, zeta: float, c0: np.ndarray) -> float:
    """IsoScore of the shrunk covariance ``(1 - zeta) C + zeta C0`` (Rudman & Eickhoff 2024, "Stable
    Anisotropic Regularization", ICLR; the ``IsoScore`` package's ``IsoScore_star`` with the same C0 and
    zeta). ``C`` is the covariance of a small sample, ``C0`` that of a larger sample of the same space;
    ``zeta = 0`` gives IsoScore of ``C``, ``zeta = 1`` that of ``C0``. See :func:`isoscore_star`.
    """
    if not 0.0 <= zeta <= 1.0:
        raise ValueError(f"zeta must lie in [0, 1], got {zeta}")
    if c0.shape != cov.shape:
        raise ValueError(f"C0 must have the covariance's shape {cov.shape}, got {c0.shape}")
    return isoscore_from_covariance((1.0 - zeta) * cov + zeta * c0)


def trace_square_unbiased(cov: np.ndarray, n: int, fourth: float) -> float:
    """Unbiased estimate of ``tr(Sigma^2)`` from n points with sample covariance ``cov`` (divisor n - 1) and
    ``fourth = sum_i ||x_i - mean||^4`` (Himeno & Yamada 2014, "Estimations for some functions of covariance
    matrix in high dimension under non-normality and its applications", J. Multivariate Anal. 130, eq. 2.4)::

        T = (n - 1) / (n (n - 2) (n - 3)) [(n - 1)(n - 2) tr(S^2) + (tr S)^2 - n Q],   Q = fourth / (n - 1)

    It equals the U-statistic ``mean over distinct i, j, k, l of ((x_i - x_j)^T (x_k - x_l))^2 / 4`` (Chen,
    Zhang & Zhong 2010, "Tests for high-dimensional covariance matrices", JASA 105), so it is unbiased for
    every distribution with finite fourth moments, not only the Gaussian. The plug-in ``tr(S^2)`` is biased
    up by about ``((tr Sigma)^2 + tr(Sigma^2)) / n``: for isotropic data in d dimensions a relative d / n.
    It may come out below 0 or below ``(tr S)^2 / d`` (the least tr(Sigma^2) a trace allows); callers clip.
    Needs n >= 4."""
    if n < 4:
        raise ValueError(f"the unbiased tr(Sigma^2) needs at least 4 points, got {n}")
    trace = float(np.trace(cov))
    squares = float(np.sum(cov * cov))
    return (n - 1) / (n * (n - 2) * (n - 3)) * ((n - 1) * (n - 2) * squares + trace * trace - n * fourth / (n - 1))


def participation_ratio_unbiased(cov: np.ndarray, n: int, fourth: float, in_range: bool = True) -> float:
    """``(tr S)^2 / T``, the participation ratio with the unbiased ``T`` of :func:`trace_square_unbiased` for
    ``tr(Sigma^2)`` (a ratio-consistent estimator; Bai & Saranadasa 1996, Stat. Sinica 6, use the same ratio
    idea). ``(tr S)^2`` keeps a relative bias ``Var(tr S) / (tr Sigma)^2``, about 2 / (n PR): 1e-5 to 2e-4
    at n = 1,500. The plug-in :func:`participation_ratio` (the published definition) is biased down by
    about PR^2 / n (117.9 instead of 128 for 1,500 isotropic points in 128 dimensions). Clipped to the
    range of the parameter, [1, d] (T to [(tr S)^2 / d, (tr S)^2]); 0 for points without variance. With
    ``in_range=False`` to [1, 2 d] only, which keeps the ratio finite: the raw value that resampling
    intervals need, whose spread is not cut at the maximum (an isotropic population's PR is d, and its
    estimate falls on either side of it)."""
    d = cov.shape[0]
    trace = float(np.trace(cov))
    if trace <= 0.0:
        return 0.0
    least = trace * trace / (d if in_range else 2 * d)
    squares = min(max(trace_square_unbiased(cov, n, fourth), least), trace * trace)
    return trace * trace / squares


def isoscore_unbiased_from_covariance(cov: np.ndarray, n: int, fourth: float, in_range: bool = True) -> float:
    """IsoScore with the unbiased participation ratio: ``(PR_u - 1) / (d - 1)``
    (:func:`participation_ratio_unbiased`, :func:`isoscore_from_covariance`), in [0, 1] (with
    ``in_range=False`` in [0, (2 d - 1) / (d - 1)], the raw value for resampling). Unlike the
    published plug-in, which is capped at (n - 2)/(d - 1) when n <= d, it estimates the population's
    IsoScore at any n >= 4 (with a large error when n is small)."""
    d = cov.shape[0]
    if d < 2:
        raise ValueError("IsoScore needs at least 2 dimensions")
    pr = participation_ratio_unbiased(cov, n, fourth, in_range)
    return 0.0 if pr == 0.0 else (pr - 1.0) / (d - 1.0)


def isoscore_unbiased(x: np.ndarray) -> float:
    """Bias-corrected IsoScore of the (n x d) points ``x``; see :func:`isoscore_unbiased_from_covariance`."""
    x = as_points(x)
    fourth = weighted_fourth_moments(x, np.ones((len(x), 1)), [x.shape[1]])[0, 0]
    return isoscore_unbiased_from_covariance(covariance(x), len(x), fourth)


def minibatches(
    population: np.ndarray, sample_size: int, samples: int, seed: int | Sequence[int] | np.random.SeedSequence
) -> np.ndarray:
    """``samples`` mini-batches (a samples x sample_size array of rows), each drawn without replacement
    from ``population``, a 1-D array of row indices in which a row appears once per document it stands
    for (so a batch never holds one document twice). Seeded (an int, a sequence such as (seed,
    replicate), or a ``SeedSequence`` such as the suite's
    :func:`mrlens.resampling.seed_sequence`): the same seed gives the same batches."""
    population = np.asarray(population)
    if not 2 <= sample_size <= len(population):
        raise ValueError(f"sample_size must lie in [2, {len(population)}] (the documents), got {sample_size}")
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(population, sample_size, replace=False) for _ in range(samples)])


def isoscore_star_by_prefix(
    x: np.ndarray, dims: Sequence[int], c0: np.ndarray, zeta: float, batches: np.ndarray
) -> dict[int, float]:
    """IsoScore* at every prefix size k in ``dims``, as Rudman & Eickhoff (2024) use it: the mean over
    mini-batches b (rows of ``batches``, indices into ``x``) of::

        IsoScore((1 - zeta) C_b[:k, :k] + zeta C0[:k, :k])

    with ``C_b`` the sample covariance of batch b and ``C0`` the covariance of the larger sample (the
    whole corpus: ``covariance(x)``); a prefix's covariance is the leading block of the full one, so each
    batch's covariance is computed once. A batch of m < k points has covariance rank m - 1 and an IsoScore
    capped at (m - 2)/(k - 1); the shrunk matrix has full rank, so the cap no longer binds, and the score
    moves from the batches' IsoScore (zeta = 0) to the corpus's (zeta = 1). It reads isotropy as a
    mini-batch sees it, anchored on the corpus; it need not vary less over batches than IsoScore does.
    It is not a function of the corpus IsoScore alone: it depends on how the batches scatter around C0.
    """
    x = as_points(x)
    sizes = as_sizes(dims, x.shape[1])
    if c0.shape[0] < sizes[-1]:
        raise ValueError(f"C0 covers {c0.shape[0]} dimensions, the largest size is {sizes[-1]}")
    scores = np.zeros((len(batches), len(sizes)))
    for b, rows in enumerate(batches):
        cov = np.cov(x[rows][:, : sizes[-1]].astype(np.float64), rowvar=False)
        scores[b] = [isoscore_star_from_covariance(cov[:k, :k], zeta, c0[:k, :k]) for k in sizes]
    return dict(zip(sizes, scores.mean(axis=0).tolist(), strict=True))


def isoscore_star_unbiased_by_prefix(
    x: np.ndarray,
    dims: Sequence[int],
    c0: np.ndarray,
    mean: np.ndarray,
    n: int,
    fourth: Sequence[float],
    zeta: float,
    batches: np.ndarray,
) -> dict[int, float]:
    """IsoScore* at every prefix size k in ``dims`` as an estimate of its population value, the mean over
    mini-batches b of the population of IsoScore((1 - zeta) C_b + zeta Sigma): :func:`isoscore_star_by_prefix`
    (the published form: ``C0`` in place of Sigma) with the two biases of ``C0`` removed. With
    ``M = (1 - zeta) C_b + zeta Sigma``, IsoScore(M) = ((tr M)^2 / tr(M^2) - 1) / (k - 1) and::

        tr(M^2) = (1 - zeta)^2 tr(C_b^2) + 2 zeta (1 - zeta) tr(C_b Sigma) + zeta^2 tr(Sigma^2)

    - ``tr M`` and ``tr(C_b Sigma)`` from ``C0'``, the covariance of the n - m rows behind ``C0`` without the
      batch's m rows (``C0`` holds them, which biases the cross term up by about (tr Sigma)^2 / n): with ``Y``
      the centred batch and ``delta`` its mean minus ``mean``, ``(n - m - 1) C0' = (n - 1) C0 - Y^T Y -
      (m n / (n - m)) delta delta^T``, so only traces of products with the rank-m ``Y^T Y`` are needed;
    - ``tr(Sigma^2)`` from the unbiased :func:`trace_square_unbiased` of the n rows behind ``C0`` (mean
      ``mean``, ``fourth[i] = sum ||x - mean||^4`` at size ``dims[i]``), not ``tr(C0^2)``.

    ``x``: the rows the batches index (drawn from the n rows behind ``C0``). Clipped to [0, 1]. At
    n = 1,500 in 32 dimensions of an isotropic population this removes a bias of -0.003 (one standard
    error) from the published form."""
    x = as_points(x)
    sizes = as_sizes(dims, x.shape[1])
    if c0.shape[0] < sizes[-1]:
        raise ValueError(f"C0 covers {c0.shape[0]} dimensions, the largest size is {sizes[-1]}")
    if sizes[0] < 2:
        raise ValueError("IsoScore needs at least 2 dimensions")
    top, index = sizes[-1], np.array(sizes) - 1
    points = x[np.asarray(batches)][:, :, :top].astype(np.float64)  # batches x m x top
    m = points.shape[1]
    centred = points - points.mean(axis=1, keepdims=True)
    delta = points.mean(axis=1) - np.asarray(mean, dtype=np.float64)[:top]
    batch_trace = np.cumsum((centred**2).sum(axis=1), axis=1)[:, index] / (m - 1)
    along = np.cumsum(centred * delta[:, None, :], axis=2)[:, :, index]  # y_i[:k] . delta[:k]
    spread = (along**2).sum(axis=1) / (m - 1)  # delta^T C_b delta
    gram = np.zeros((len(points), m, m))
    batch_squares, cross = np.zeros((len(points), len(sizes))), np.zeros((len(points), len(sizes)))
    quadratic, start = np.zeros(len(points)), 0
    for j, k in enumerate(sizes):  # sum_i y_i[:k]^T C0[:k, :k] y_i[:k], one new block of dimensions at a time
        block = centred[:, :, start:k]
        gram += block @ block.transpose(0, 2, 1)
        batch_squares[:, j] = (gram**2).sum(axis=(1, 2)) / (m - 1) ** 2  # tr(C_b^2) = ||Y Y^T||^2 / (m - 1)^2
        within = ((block @ c0[start:k, start:k]) * block).sum(axis=(1, 2))
        quadratic += 2 * ((centred[:, :, :k] @ c0[:k, start:k]) * block).sum(axis=(1, 2)) - within
        cross[:, j] = quadratic / (m - 1)  # tr(C_b C0)
        start = k
    weight = m * n / (n - m)
    rest_trace = (
        (n - 1) * np.cumsum(np.diag(c0))[index] - (m - 1) * batch_trace - weight * np.cumsum(delta**2, axis=1)[:, index]
    ) / (n - m - 1)
    rest_cross = ((n - 1) * cross - (m - 1) * batch_squares - weight * spread) / (n - m - 1)
    shrunk = np.array([trace_square_unbiased(c0[:k, :k], n, f) for k, f in zip(sizes, fourth, strict=True)])
    trace = (1 - zeta) * batch_trace + zeta * rest_trace
    squares = (1 - zeta) ** 2 * batch_squares + 2 * zeta * (1 - zeta) * rest_cross + zeta**2 * shrunk
    ratio = np.divide(trace**2, squares, out=np.zeros_like(trace), where=squares > 0)
    scores = np.clip((np.minimum(ratio, sizes) - 1) / (np.array(sizes) - 1.0), 0.0, 1.0)
    return dict(zip(sizes, scores.mean(axis=0).tolist(), strict=True))


def isoscore_star(
    x: np.ndarray, zeta: float, sample_size: int, samples: int, seed: int, c0: np.ndarray | None = None
) -> float:
    """IsoScore* of the (n x d) points ``x``: :func:`isoscore_star_by_prefix` at the full size over
    ``samples`` seeded mini-batches of ``sample_size`` rows, with ``C0`` the covariance of all of ``x``
    unless given."""
    x = as_points(x)
    c0 = covariance(x) if c0 is None else c0
    batches = minibatches(np.arange(len(x)), sample_size, samples, seed)
    return isoscore_star_by_prefix(x, [x.shape[1]], c0, zeta, batches)[x.shape[1]]


def average_cosine(x: np.ndarray) -> float:
    """Mean cosine similarity over ordered pairs i != j (anisotropy; Ethayarajh 2019, "How Contextual
    are Contextualized Word Representations?", EMNLP). With unit vectors u_i and ``s = sum_i u_i``::

        mean_{i != j} cos(x_i, x_j) = (||s||^2 - n) / (n (n - 1))
    """
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    n = len(u)
    s = u.sum(axis=0, dtype=np.float64)
    return float((s @ s - n) / (n * (n - 1.0)))
