"""Coverage of mrlens's intervals: repeated samples from populations whose metric values are known.

Geometry: Gaussian populations (mean mu, covariance Sigma) in d dimensions: ``isotropic`` (Sigma = I),
``anisotropic`` (eigenvalues 1/i in a random basis, so dimensions correlate) and ``low-rank`` (rank 8 plus
noise of standard deviation 0.05). The truth at size k comes from Sigma[:k, :k] in closed form (IsoScore,
participation ratio, effective ranks, numerical rank, mean and max |rho|, mean rho^2, outliers), from a Monte-Carlo
pass over 10^6 fresh points (average cosine, uniformity, rogue dimensions: E[u_i]^2 per dimension) or
over 2,000 fresh mini-batches shrunk towards Sigma (IsoScore*), or is the intrinsic dimension
(TwoNN, MLE: 8 for low-rank, k otherwise). Quality: a population of 100,000 scored pairs (Spearman) and of
20,000 queries over fixed documents (nDCG, MRR, Recall, alignment), whose full-population value is
the truth; each repetition evaluates n pairs or queries drawn from it. ``real``: the finite population of
a run's embeddings (``--embeddings``, e.g. one twin's 1,500 Wikipedia paragraphs), each repetition n of them
drawn with replacement, so the samples are i.i.d. from the empirical distribution and the truth is that
distribution's value, computed exactly (:func:`real_truth`: the covariance with divisor N, all N^2 ordered
pairs for the uniformity, the squared norm of the mean unit vector for the average cosine); with
``--without-replacement`` no document is drawn twice (as in a real corpus), the truth is the finite
population's value (:func:`finite_population_truth`) and every interval is narrowed by the finite-population
correction ``sqrt(1 - n / N)`` before it is judged.

Each repetition computes every method's interval (percentile, basic bootstrap, half-sample subsampling,
split halves on the raw, log, square-root and reciprocal square-root scales, each with the metric's long
arm; :mod:`mrlens.resampling`) from mrlens's own replicates (basic bootstrap and split
halves as the suite reports them: about the raw estimate, clipped to the parameter's range); the table gives the share of repetitions
whose interval holds the truth (95 % nominal) and the method mrlens reports (``*``). Every metric gets
replicates of both schemes here, also those whose interval is ``none`` (which the suite skips otherwise).

    .venv/bin/python benchmarks/coverage.py [--reps 100] [--n 1500] [--d 128] [--bootstrap 100] [--dims 32,128]
        [--skip geometry|quality] [--populations isotropic,...] [--metrics isoscore,...]
        [--populations real --embeddings results/embeddings/no-mrl_s0/final/wiki.parquet [--without-replacement]]
        [--populations t5,t8,t30 --jackknife 20] [--schemes halves]

``--schemes halves`` runs only the split-halves draws (half the time; the bootstrap methods' columns show –).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

from mrlens.io import read_embeddings
from mrlens.metrics.correlation import correlation_from_covariance
from mrlens.metrics.isotropy import isoscore_from_covariance, participation_ratio
from mrlens.metrics.outliers import outlier_dimensions, outlier_share
from mrlens.metrics.registry import method_of, record_of
from mrlens.metrics.spectrum import covariance_spectrum, effective_rank, numerical_rank
from mrlens.metrics.suite import METRICS, SuiteSettings, measure
from mrlens.quality.evaluate import QualitySettings, measure_quality
from mrlens.quality.similarity import pair_cosines, spearman
from mrlens.resampling import METHODS, interval

CONFIDENCE = 0.95
RANK = 8


POPULATIONS = ("isotropic", "anisotropic", "low-rank", "t4", "clusters")
REAL = "real"  # the finite population of --embeddings
REAL_METRICS = (  # those whose truth real_truth computes exactly
    "isoscore",
    "participation_ratio",
    "average_cosine",
    "uniformity",
    "mean_sq_correlation",
    "weighted_sq_correlation",
)


def t_freedom(name: str) -> int | None:
    """The degrees of freedom of a multivariate t population named ``t<df>`` (``t4``: heavy tails, finite
    variance, infinite fourth moment; excess kurtosis 6 / (df - 4) above 4), else None."""
    return int(name[1:]) if name[:1] == "t" and name[1:].isdigit() and int(name[1:]) > 2 else None


CLUSTERS = 20


def population(name: str, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """(mean, factor F with Sigma = F F^T, intrinsic dimension) of a population. ``t4`` (``t<df>``): the
    anisotropic covariance with the tails of a multivariate t on 4 (df) degrees of freedom; ``clusters``: 20 equally likely
    clusters (centres in the first 20 columns of F, times sqrt(20)) with anisotropic noise around each."""
    if name == "isotropic":
        factor, intrinsic = np.eye(d), float(d)
    elif name == "anisotropic" or t_freedom(name):
        basis = np.linalg.qr(rng.standard_normal((d, d)))[0]
        factor, intrinsic = basis * np.sqrt(1.0 / np.arange(1, d + 1)), float(d)
    elif name == "clusters":
        centres = rng.standard_normal((CLUSTERS, d)) * 0.5
        centres -= centres.mean(axis=0)
        basis = np.linalg.qr(rng.standard_normal((d, d)))[0]
        noise = basis * np.sqrt(0.5 / np.arange(1, d + 1))
        factor, intrinsic = np.hstack([centres.T / np.sqrt(CLUSTERS), noise]), float(d)
    else:
        factor, intrinsic = np.hstack([rng.standard_normal((d, RANK)), 0.05 * np.eye(d)]), float(RANK)
    direction = rng.standard_normal(d)
    mean = direction / np.linalg.norm(direction) * np.sqrt(0.3 * (factor**2).sum())
    return mean, factor, intrinsic


def draw(mean: np.ndarray, factor: np.ndarray, n: int, rng: np.random.Generator, kind: str = "") -> np.ndarray:
    """n points of covariance F F^T: Gaussian, multivariate t (``t<df>``, scaled to that covariance) or the
    ``clusters`` mixture."""
    if kind == "clusters":
        labels = rng.integers(0, CLUSTERS, n)
        noise = rng.standard_normal((n, factor.shape[1] - CLUSTERS)) @ factor[:, CLUSTERS:].T
        return mean + factor[:, labels].T * np.sqrt(CLUSTERS) + noise
    z = rng.standard_normal((n, factor.shape[1])) @ factor.T
    df = t_freedom(kind)
    if df:
        z *= np.sqrt((df - 2) / rng.chisquare(df, (n, 1)))
    return mean + z


def _expected_abs(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """E|X| for X ~ N(mu, sigma^2) (folded normal)."""
    return sigma * np.sqrt(2 / np.pi) * np.exp(-(mu**2) / (2 * sigma**2)) + mu * (1 - 2 * norm.cdf(-mu / sigma))


def geometry_truth(
    mean: np.ndarray,
    factor: np.ndarray,
    intrinsic: float,
    k: int,
    settings: SuiteSettings,
    rng: np.random.Generator,
    kind: str = "",
) -> dict[str, float]:
    """Every metric's population value at size k."""
    cov = (factor @ factor.T)[:k, :k]
    eigenvalues = covariance_spectrum(cov)
    corr = np.abs(correlation_from_covariance(cov)[~np.eye(k, dtype=bool)])
    variances = np.diag(cov)
    flagged = outlier_dimensions(variances, settings.outlier_k)
    # Monte Carlo over fresh points: E[u] and E exp(-t ||u - v||^2) for independent unit prefixes u, v
    mean_u, kernel, chunks = np.zeros(k), 0.0, 20
    for _ in range(chunks):
        u = draw(mean, factor, 50_000, rng, kind)[:, :k]
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        mean_u += u.mean(axis=0) / chunks
        kernel += np.exp(-settings.uniformity_t * ((u[:25_000] - u[25_000:]) ** 2).sum(axis=1)).mean() / chunks
    points = 50_000 * chunks
    shares = mean_u**2 / (mean_u @ mean_u)  # E[u_i v_i] = E[u_i]^2 for independent documents
    return {
        "isoscore": isoscore_from_covariance(cov),
        "isoscore_star": _isoscore_star_truth(mean, factor, k, cov, settings, rng, kind),
        "participation_ratio": participation_ratio(cov),
        "average_cosine": float(mean_u @ mean_u - (1 - mean_u @ mean_u) / points),  # E||mean||^2 bias removed
        "uniformity": float(np.log(kernel)),
        "mean_abs_correlation": float(corr.mean()),
        "mean_sq_correlation": float((corr**2).mean()),
        "weighted_sq_correlation": float(
            ((cov**2).sum() - (variances**2).sum()) / (variances.sum() ** 2 - (variances**2).sum())
        ),
        "max_abs_correlation": float(corr.max()),
        "effective_rank_sigma": effective_rank(np.sqrt(eigenvalues)),
        "effective_rank_sigma2": effective_rank(eigenvalues),
        "numerical_rank": float(numerical_rank(eigenvalues, settings.rank_rtol)),
        "outliers_variance_count": float(len(flagged)),
        "outliers_variance_share": outlier_share(variances, flagged),
        "outliers_magnitude_count": float(
            len(outlier_dimensions(_expected_abs(mean[:k], np.sqrt(variances)), settings.outlier_k))
        ),
        "rogue_top_share": float(np.sort(shares)[-min(settings.rogue_top, k) :].sum()),
        "rogue_count": float((shares > settings.rogue_factor / k).sum()),
        "twonn": min(intrinsic, k),
        "mle": min(intrinsic, k),
    }


def real_truth(x: np.ndarray, k: int, t: float) -> dict[str, float]:
    """The values of :data:`REAL_METRICS` at size k for the empirical distribution of the N rows of ``x``
    (i.i.d. draws from it are what each repetition measures)."""
    z = x[:, :k].astype(np.float64)
    cov = np.cov(z.T, ddof=0)
    variances = np.diag(cov)
    corr = correlation_from_covariance(cov)[~np.eye(k, dtype=bool)]
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    mean_u = u.mean(axis=0)
    squared = np.maximum(2 - 2 * u @ u.T, 0)  # ||u_i - u_j||^2 of unit vectors, every ordered pair
    return {
        "isoscore": isoscore_from_covariance(cov),
        "participation_ratio": participation_ratio(cov),
        "average_cosine": float(mean_u @ mean_u),
        "uniformity": float(np.log(np.exp(-t * squared).mean())),
        "mean_sq_correlation": float(np.nanmean(corr**2)),
        "weighted_sq_correlation": float(
            ((cov**2).sum() - (variances**2).sum()) / (variances.sum() ** 2 - (variances**2).sum())
        ),
    }


def finite_population_truth(x: np.ndarray, dims: list[int], metrics: list[str]) -> dict[int, dict[str, float]]:
    """The values of ``metrics`` at each size for the finite population of the N rows of ``x``, as samples
    drawn without replacement estimate them: the suite's own estimate on all N rows. Its unbiased statistics
    are U-statistics (pairs of distinct documents; Himeno & Yamada's tr(Sigma^2) over distinct rows), whose
    mean over samples without replacement is the same U-statistic of the whole population, and its ratios
    (IsoScore, the participation ratio, the weighted mean r^2) are ratios of those."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = measure(
            x, dims, SuiteSettings(bootstrap=0, strategies=("prefix",)), methods=dict.fromkeys(METRICS, "none")
        )
    values = {(r.dim, r.metric): r.value for r in result.scalars.itertuples()}
    return {k: {m: values[(k, m)] for m in metrics} for k in dims}


def _isoscore_star_truth(
    mean: np.ndarray,
    factor: np.ndarray,
    k: int,
    cov: np.ndarray,
    settings: SuiteSettings,
    rng: np.random.Generator,
    kind: str = "",
    batches: int = 2000,
) -> float:
    """Mean over fresh mini-batches of the population of IsoScore((1 - zeta) C_b + zeta Sigma), Sigma the
    population covariance (the large sample's C0 at its limit)."""
    zeta, m = settings.isoscore_star_zeta, settings.isoscore_star_sample_size
    scores = [
        isoscore_from_covariance((1 - zeta) * np.cov(draw(mean, factor, m, rng, kind)[:, :k].T) + zeta * cov)
        for _ in range(batches)
    ]
    return float(np.mean(scores))


GENERIC = (
    "percentile-bootstrap",
    "basic-bootstrap",
    "subsampling",
    "split-halves",
    "split-halves-log",
    "split-halves-sqrt",
    "split-halves-rsqrt",
    "grouped-jackknife",
)


def covered(
    estimate: float,
    replicates: dict,
    truth: float,
    n: int,
    reported: dict[str, tuple[float, float]],
    metric: str,
    fpc: float = 1.0,
) -> dict[str, float]:
    """Per method of its scheme (the generic ones and mrlens's own for ``metric``): 1 if the interval holds
    the truth, 0 if not, NaN without interval; ``below`` / ``above`` (:func:`sides`): mrlens's interval lies
    above / under the truth, and whether it gave one; the same sides of the grouped jackknife, where it ran.
    The methods in ``reported`` (those the suite ran) are judged on the suite's own bounds, as mrlens reports
    them (about the raw estimate, clipped to the parameter's range); the others are computed here from the
    replicates. ``fpc``: the finite-population correction ``sqrt(1 - n / N)`` of a sample
    drawn without replacement, applied to each bound's distance from the estimate."""
    out, own = {}, method_of(metric)
    arm = record_of(metric).long_arm  # the metric's own long arm, for every method that takes one
    for name in dict.fromkeys([*GENERIC, own]):
        values = replicates.get(METHODS[name].scheme) if name != "none" else None
        if values is None or not len(values):
            continue
        low, high = (
            reported[name] if name in reported else interval(name, estimate, values, CONFIDENCE, n, long_arm=arm)
        )
        low, high = estimate - fpc * (estimate - low), estimate + fpc * (high - estimate)
        out[name] = float(low <= truth <= high) if np.isfinite(low) else np.nan
        if name == own:
            out |= sides((low, high), truth)
        elif name == "grouped-jackknife":
            out |= {f"jackknife {side}": v for side, v in sides((low, high), truth).items() if side in SIDES}
    if own != "none" and "reported" not in out:  # no replicates: the suite gave no interval
        out |= sides(None, truth)
    return out


def sides(bounds: tuple[float, float] | None, truth: float) -> dict[str, float]:
    """Whether mrlens's interval lies above the truth (``below``: the truth is below it) or under it, and
    whether there is one (``reported``: not where the sample's tails are too heavy for it)."""
    if bounds is None or not np.isfinite(bounds[0]):
        return {"below": np.nan, "above": np.nan, "reported": 0.0}
    return {"below": float(truth < bounds[0]), "above": float(truth > bounds[1]), "reported": 1.0}


# the methods the suite runs, one call per scheme (a metric's own method where it is of that scheme); the
# others are computed from the same replicates; the grouped jackknife only with --jackknife G
SUITE_RUNS = (("bootstrap", "basic-bootstrap"), ("halves", "split-halves"), ("groups", "grouped-jackknife"))
SCHEMES = ("bootstrap", "halves")  # the schemes run unless --schemes names fewer


def _suite_method(metric: str, scheme: str, generic: str) -> str:
    own = method_of(metric)
    return own if own != "none" and METHODS[own].scheme == scheme else generic


def _per_scheme(measure_one, metrics, groups: int = 0, schemes: tuple[str, ...] = SCHEMES) -> tuple[dict, dict, dict]:
    """Estimates, replicates and the suite's bounds of each scheme of ``schemes``: one call with every metric
    on each (the grouped jackknife's ``groups`` scheme only with ``groups`` > 0, that many groups)."""
    estimates, replicates, bounds = {}, {}, {}
    for scheme, generic in SUITE_RUNS:
        if (scheme == "groups" and not groups) or (scheme != "groups" and scheme not in schemes):
            continue
        methods = {m: _suite_method(m, scheme, generic) for m in metrics}
        values, reps, table = measure_one(methods, groups if scheme == "groups" else None)
        estimates.update(values)
        for r in table.itertuples():
            bounds.setdefault((r.dim, r.metric), {})[methods.get(r.metric, "none")] = (r.ci_low, r.ci_high)
        for key, group in reps.groupby(["dim", "metric"]):
            replicates.setdefault(key, {})[scheme] = group.sort_values("replicate")["value"].to_numpy()
    return estimates, replicates, bounds


def geometry_coverage(args: argparse.Namespace) -> list[dict]:
    rows = []
    settings = SuiteSettings(bootstrap=args.bootstrap, strategies=("prefix",))
    unknown = ("duplicates", "excess_kurtosis")  # no truth here (and no interval)
    for name in args.populations:
        rng = np.random.default_rng(1)
        known = REAL_METRICS if name == REAL else METRICS
        metrics = [m for m in known if m not in unknown and (not args.metrics or m in args.metrics)]
        fpc = 1.0
        if name == REAL:
            _, real, _ = read_embeddings(args.embeddings)
            args.d = real.shape[1]  # the table's header names the population's width
            if args.without_replacement:
                truth = finite_population_truth(real, args.dims, metrics)
                fpc = float(np.sqrt(1 - args.n / len(real)))
            else:
                truth = {k: real_truth(real, k, settings.uniformity_t) for k in args.dims}
        else:
            mean, factor, intrinsic = population(name, args.d, rng)
            truth = {k: geometry_truth(mean, factor, intrinsic, k, settings, rng, name) for k in args.dims}
        started = time.time()
        for rep in range(args.reps):
            if name == REAL:
                drawn = len(real), args.n
                x = real[rng.choice(*drawn, replace=False) if args.without_replacement else rng.integers(0, *drawn)]
            else:
                x = draw(mean, factor, args.n, rng, name).astype(np.float32)

            def measure_one(methods: dict, replicates: int | None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
                rep_settings = SuiteSettings(bootstrap=replicates or args.bootstrap, seed=rep, strategies=("prefix",))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    others = dict.fromkeys(METRICS, "none")  # metrics left out are not resampled
                    result = measure(x, args.dims, rep_settings, methods=others | methods)
                values = {(r.dim, r.metric): r.value for r in result.scalars.itertuples()}
                return values, result.replicates, result.scalars

            estimates, replicates, bounds = _per_scheme(measure_one, metrics, args.jackknife, args.schemes)
            for k in args.dims:
                for m in metrics:
                    key = (k, m)
                    found = bounds.get(key, {})
                    hit = covered(estimates[key], replicates.get(key, {}), truth[k][m], args.n, found, m, fpc)
                    rows.append(
                        {
                            "side": "geometry",
                            "population": name,
                            "dim": k,
                            "metric": m,
                            "truth": truth[k][m],
                            "estimate": estimates[(k, m)],
                            "kurtosis": estimates[(k, "excess_kurtosis")],
                            **hit,
                        }
                    )
        print(f"# {name}: {args.reps} repetitions in {time.time() - started:.0f} s", flush=True)
    return rows


def similarity_population(size: int, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of vectors whose cosine carries a noisy human score: (a, b, score)."""
    a = rng.standard_normal((size, d))
    b = a * rng.uniform(0, 1, (size, 1)) + rng.standard_normal((size, d)) * 0.6
    cos = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return a, b, np.round(5 * cos + rng.normal(0, 0.6, size), 1)


def retrieval_population(
    size: int, documents: int, d: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Documents, queries near one relevant document each (relevance 1 or 2), and that document."""
    docs = rng.standard_normal((documents, d))
    target = rng.integers(0, documents, size)
    queries = docs[target] + rng.standard_normal((size, d)) * rng.uniform(0.5, 1.5, (size, 1))
    return docs, queries, target


def _similarity_task(a, b, score) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, np.ndarray]:
    """(texts, labels, ids, embeddings) of a similarity task, the arguments of ``measure_quality``."""
    n = len(score)
    ids = [f"a{i}" for i in range(n)] + [f"b{i}" for i in range(n)]
    texts = pd.DataFrame({"id": ids, "text": ids, "role": "text"})
    labels = pd.DataFrame({"id_a": ids[:n], "id_b": ids[n:], "score": score})
    return texts, labels, texts["id"], np.vstack([a, b]).astype(np.float32)


def _retrieval_task(docs, queries, target) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, np.ndarray]:
    """(texts, labels, ids, embeddings) of a retrieval task, the arguments of ``measure_quality``."""
    q = [f"q{i}" for i in range(len(queries))]
    dids = [f"d{j}" for j in range(len(docs))]
    texts = pd.DataFrame({"id": q + dids, "text": q + dids, "role": ["query"] * len(q) + ["document"] * len(dids)})
    labels = pd.DataFrame({"query_id": q, "doc_id": [dids[t] for t in target], "relevance": 1 + np.arange(len(q)) % 2})
    return texts, labels, texts["id"], np.vstack([queries, docs]).astype(np.float32)


def quality_coverage(args: argparse.Namespace) -> list[dict]:
    rows, d, dims = [], 16, [4, 16]
    rng = np.random.default_rng(2)
    a, b, score = similarity_population(100_000, d, rng)
    docs, queries, target = retrieval_population(20_000, 2_000, d, rng)
    tasks = {
        "similarity": (lambda rows_: _similarity_task(a[rows_], b[rows_], score[rows_]), len(score), ["spearman"]),
        "retrieval": (
            lambda rows_: _retrieval_task(docs, queries[rows_], target[rows_]),
            len(queries),
            ["ndcg", "mrr", "recall", "alignment"],
        ),
    }
    for name, (build, size, metrics) in tasks.items():
        full = measure_quality(*build(np.arange(size)), dims, {"bootstrap": 0})
        truth = {(r.dim, r.metric): r.value for r in full.table.itertuples()}
        started = time.time()
        for rep in range(args.reps):
            task = build(rng.choice(size, args.n, replace=False))
            settings = QualitySettings(bootstrap=args.bootstrap, seed=rep)

            def measure_one(methods: dict, _groups: int | None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
                result = measure_quality(*task, dims, settings, methods=methods)
                values = {(r.dim, r.metric): r.value for r in result.table.itertuples()}
                return values, result.replicates, result.table

            estimates, replicates, bounds = _per_scheme(measure_one, metrics, schemes=args.schemes)
            for key, value in estimates.items():
                hit = covered(value, replicates.get(key, {}), truth[key], args.n, bounds.get(key, {}), key[1])
                rows.append(
                    {
                        "side": "quality",
                        "population": name,
                        "dim": key[0],
                        "metric": key[1],
                        "truth": truth[key],
                        "estimate": value,
                        **hit,
                    }
                )
        print(f"# {name}: {args.reps} repetitions in {time.time() - started:.0f} s", flush=True)
    return rows


def _documents(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Documents with a latent meaning ``u``, an embedding ``u + noise`` and a rating bias (Lee50's design)."""
    u = rng.standard_normal((n, d))
    return u, u + 0.8 * rng.standard_normal((n, d)), 0.3 * rng.standard_normal(n)


def _ratings(rng: np.random.Generator, u: np.ndarray, bias: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A pair's human score: the cosine of the meanings, both documents' biases and noise."""
    unit = u / np.linalg.norm(u, axis=1, keepdims=True)
    return (unit[a] * unit[b]).sum(1) + bias[a] + bias[b] + 0.3 * rng.standard_normal(len(a))


def _row(design: str, key: tuple[int, str], truth: float, estimate: float, found: dict, own: str) -> dict:
    """A coverage row: each method's hit, and on which side mrlens's own interval (``own``) missed."""
    row = {"side": "design", "population": design, "dim": key[0], "metric": key[1], "truth": truth}
    row["estimate"] = estimate
    for method, (low, high) in found.items():
        row[method] = float(low <= truth <= high) if np.isfinite(low) else np.nan
    return row | sides(found[own], truth) | {"own": own}


def design_coverage(args: argparse.Namespace) -> list[dict]:
    """Two task designs of mrlens's default and published runs: all 1,225 pairs of 50 documents (Lee50),
    resampled by documents (mrlens) or as independent pairs; and retrieval over 50 queries (every NanoBEIR
    set), Korn and Graubard's interval (mrlens) against the basic bootstrap."""
    rows, d, dims = [], 16, [4, 16]
    rng = np.random.default_rng(3)
    u, x, bias = _documents(rng, 20_000, d)
    a, b = rng.integers(0, 20_000, (2, 400_000))
    a, b = a[a != b], b[a != b]
    scores = _ratings(rng, u, bias, a, b)
    truth = {(k, "spearman"): spearman(pair_cosines(x[:, :k], a, b), scores) for k in dims}
    ids = [f"t{i}" for i in range(50)]
    texts = pd.DataFrame({"id": ids, "text": ids, "role": "text"})
    a, b = np.triu_indices(50, 1)
    started = time.time()
    for rep in range(args.reps):
        u, x, bias = _documents(rng, 50, d)
        labels = pd.DataFrame({"id_a": np.take(ids, a), "id_b": np.take(ids, b), "score": _ratings(rng, u, bias, a, b)})
        settings = QualitySettings(bootstrap=args.bootstrap, seed=rep)
        tables = {
            unit: measure_quality(texts, labels, ids, x.astype(np.float32), dims, settings, unit=unit).table
            for unit in ("documents", "pairs")
        }
        for r, naive in zip(tables["documents"].itertuples(), tables["pairs"].itertuples()):
            found = {"documents-bootstrap": (r.ci_low, r.ci_high), "split-halves": (naive.ci_low, naive.ci_high)}
            key = (r.dim, r.metric)
            rows.append(_row("all pairs of 50 documents", key, truth[key], r.value, found, "documents-bootstrap"))
    print(f"# all pairs: {args.reps} repetitions in {time.time() - started:.0f} s", flush=True)
    docs, queries, target = retrieval_population(20_000, 2_000, d, rng)
    full = measure_quality(*_retrieval_task(docs, queries, target), dims, {"bootstrap": 0})
    truth = {(r.dim, r.metric): r.value for r in full.table.itertuples()}
    basic = dict.fromkeys(("ndcg", "mrr", "recall"), "basic-bootstrap")
    started = time.time()
    for rep in range(args.reps):
        chosen = rng.choice(len(queries), 50, replace=False)
        task = _retrieval_task(docs, queries[chosen], target[chosen])
        settings = QualitySettings(bootstrap=args.bootstrap, seed=rep)
        own, naive = (measure_quality(*task, dims, settings, methods=m).table for m in (None, basic))
        for r, other in zip(own.itertuples(), naive.itertuples()):
            if r.metric == "alignment":
                continue
            found = {method_of(r.metric): (r.ci_low, r.ci_high), "basic-bootstrap": (other.ci_low, other.ci_high)}
            key = (r.dim, r.metric)
            rows.append(_row("retrieval, 50 queries", key, truth[key], r.value, found, method_of(r.metric)))
    print(f"# 50 queries: {args.reps} repetitions in {time.time() - started:.0f} s", flush=True)
    return rows


SIDES = ("below", "above")  # mrlens's own interval lies above the truth (below), or under it
JACKKNIFE_SIDES = ("jackknife below", "jackknife above")


def table(rows: list[dict]) -> str:
    """Markdown: per population, metric and size, the truth, the mean estimate and each method's coverage;
    ``*`` marks the method mrlens reports (``none``: no interval); ``long arm``: the side of its
    split-halves interval that takes the conservative variance (the registry's ``long_arm``); ``two-sided``:
    its coverage to a tenth of a per cent (the method columns round to whole per cents), of the samples it
    reported an interval for, as ``below`` and ``above`` are."""
    frame = pd.DataFrame(rows)
    methods = [m for m in METHODS if m in frame]
    summary = frame.groupby(["side", "population", "metric", "dim"], sort=False).agg(
        truth=("truth", "mean"),
        estimate=("estimate", "mean"),
        kurtosis=("kurtosis", "mean") if "kurtosis" in frame else ("truth", lambda v: np.nan),
        reported=("reported", "mean") if "reported" in frame else ("truth", lambda v: np.nan),
        **{side: (side, "mean") for side in (*SIDES, *JACKKNIFE_SIDES) if side in frame},
        own=("own", "first") if "own" in frame else ("truth", "size"),
        **{m: (m, "mean") for m in methods if m in frame},
    )
    sides_ = [side for side in (*SIDES, *JACKKNIFE_SIDES) if side in frame]
    lines = [
        "| population | metric | dim | truth | mean estimate | kurtosis | "
        + " | ".join(methods)
        + " | mrlens | long arm | "
        + "reported | two-sided | "
        + " | ".join(sides_)
        + " |",
        "|" + " --- |" * (10 + len(methods) + len(sides_)),
    ]
    for (_side, population, metric, dim), r in summary.iterrows():
        chosen = r["own"] if isinstance(r["own"], str) else method_of(metric)
        cells = []
        for m in methods:
            value = r.get(m, np.nan)
            cell = "–" if pd.isna(value) else f"{100 * value:.0f} %"
            cells.append(f"**{cell}**" if m == chosen else cell)
        lines.append(
            f"| {population} | {metric} | {dim} | {r['truth']:.4g} | {r['estimate']:.4g} | {_number(r['kurtosis'])} | "
            + " | ".join(cells)
            + f" | {chosen} | {_long_arm(metric, chosen)} | {_percent(r['reported'])} | "
            + f"{_percent(1 - r.get('below', np.nan) - r.get('above', np.nan))} | "
            + " | ".join(_percent(r.get(side, np.nan)) for side in sides_)
            + " |"
        )
    return "\n".join(lines)


def _long_arm(metric: str, method: str) -> str:
    """The arm of ``metric``'s interval that takes the conservative variance, if its method has one."""
    return (record_of(metric).long_arm or "–") if method in METHODS and METHODS[method].long_arm else "–"


def _number(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.2f}"


def _percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--d", type=int, default=128)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument(
        "--dims", type=lambda s: [int(v) for v in s.split(",")], default=None, help="sizes (default: d/4,d)"
    )
    parser.add_argument("--skip", choices=["geometry", "quality", "designs"], action="append", default=[])
    parser.add_argument(
        "--metrics",
        type=lambda s: s.split(","),
        default=None,
        help="geometry metrics, comma-separated (default: all), e.g. more repetitions for a few",
    )
    parser.add_argument(
        "--populations",
        type=lambda s: s.split(","),
        default=list(POPULATIONS),
        help="geometry populations, comma-separated (each draws from its own seed: run them in parallel processes)",
    )
    parser.add_argument(
        "--schemes",
        type=lambda s: tuple(s.split(",")),
        default=SCHEMES,
        help="resampling schemes to run, comma-separated (default: bootstrap,halves); e.g. 'halves' alone, half "
        "the time, for the split-halves metrics (the bootstrap methods' columns then show –)",
    )
    parser.add_argument("--embeddings", help="a Parquet file of embeddings: the finite population 'real'")
    parser.add_argument(
        "--jackknife",
        type=int,
        default=0,
        metavar="G",
        help="geometry: also the grouped jackknife on G groups of documents (a third suite run per repetition)",
    )
    parser.add_argument(
        "--without-replacement",
        action="store_true",
        help="'real': draw each sample without replacement (no document twice), the truth the suite's estimate on "
        "the whole population and every interval narrowed by the finite-population correction sqrt(1 - n / N)",
    )
    args = parser.parse_args()
    if set(args.schemes) - set(SCHEMES):
        parser.error(f"--schemes: unknown {sorted(set(args.schemes) - set(SCHEMES))}; use some of {list(SCHEMES)}")
    args.dims = args.dims or [args.d // 4, args.d]
    rows = []
    if "geometry" not in args.skip:
        rows += geometry_coverage(args)
    if "quality" not in args.skip:
        rows += quality_coverage(args)
    if "designs" not in args.skip:
        rows += design_coverage(args)
    print(
        f"\nCoverage at 95 % nominal: {args.reps} repetitions, n = {args.n}, d = {args.d}, B = {args.bootstrap}; bold: mrlens's method\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
