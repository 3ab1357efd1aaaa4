"""The metric registry: one record per metric mrlens reports, the one place where its family, title,
direction, unit, interval method, rotation invariance and ``@k`` parameter are written. The geometry suite's
metric list, the quality tables' metric names, the figures' titles and panels, the workflow's interval
digest and ``docs/reference/metrics.md`` all derive from it. Light (no numpy): read while Snakemake parses.

To add a metric: compute it (a pure function with its formula and paper in the docstring) where its
family is computed (:mod:`mrlens.metrics.suite` for geometry, :mod:`mrlens.quality.evaluate` for quality),
and add its record here, in the order its rows should appear (``docs/extending.md``).

Interval methods are chosen by the coverage of ``benchmarks/coverage.py`` (tables in
``benchmarks/README.md``, summarised per metric in the reference page): a metric whose best method does not
cover 90-99 % of the time in every population there gets ``none`` (no interval, no band; a claim on it is
inconclusive).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """What mrlens declares about one metric.

    ``family``: what it measures (:data:`FAMILIES`); ``title``: what it shows, the figures' panel title;
    ``direction``: what a higher value means; ``unit``: its range or unit at ``k`` kept dimensions;
    ``interval``: its method (a key of :data:`mrlens.resampling.METHODS`) or ``none``;
    ``rotation_invariant``: whether its value is unchanged when the kept dimensions are rotated (``x -> x R``,
    R orthogonal), so that a rotating truncation strategy (``pca``) may report it: true for spectra, cosines
    and distances, false for whatever reads single coordinates (correlation between dimensions, outlier and
    rogue dimensions), which a rotation merely redistributes; ``definition``: the function whose docstring
    gives its formula and paper (``how``: how the metric is made from that function, where it is a building
    block); ``at_k``: for a quality metric with a cut-off, the quality setting that holds
    k (its rows are named ``name@k``); ``headline``: drawn in the geometry, training and zoo figures;
    ``light_tails``: its estimator and interval rest on fourth moments (tr(Sigma^2), squared covariances), so
    a sample whose excess kurtosis exceeds :data:`mrlens.metrics.kurtosis.HEAVY_TAILS` gets no interval
    (``none-heavy-tails``); ``long_arm``: for a split-halves interval, the arm (``low`` or ``high``) that
    points away from the metric's extremum, where the sampling variance is under-estimated near that
    extremum: it takes a conservative variance (:func:`mrlens.resampling.split_halves_long_variance`)."""

    name: str
    family: str
    title: str
    direction: str
    unit: str
    interval: str
    rotation_invariant: bool
    definition: str
    at_k: str | None = None
    headline: bool = False
    light_tails: bool = False
    how: str = ""  # where ``definition`` is a building block: how the metric is made from it
    long_arm: str = ""  # "low" or "high": the split-halves arm pointing away from the metric's extremum

    def label(self) -> str:
        """The panel title with its direction: "IsoScore (higher: more isotropic)"."""
        return f"{self.title} ({self.direction})" if self.direction else self.title


# what each family measures; geometry families first, then quality (the order of the tables)
FAMILIES = {
    "isotropy": "how evenly the embeddings fill the kept dimensions",
    "correlation": "redundancy between the kept dimensions",
    "spectrum": "the rank of the covariance",
    "outliers": "single dimensions that dominate variance, magnitude or the cosine",
    "intrinsic": "the dimension of the manifold the documents lie on",
    "distribution": "the shape of each dimension's distribution",
    "similarity": "agreement of cosines with human similarity scores",
    "retrieval": "ranking the relevant documents first",
}
QUALITY_FAMILIES = ("similarity", "retrieval")

_ISO = "mrlens.metrics.isotropy."
_COR = "mrlens.metrics.correlation."
_SPEC = "mrlens.metrics.spectrum."
_RET = "mrlens.quality.retrieval."
_RECORDS = (
    # isotropy; IsoScore, PR and rho^2 are bias-corrected and degenerate at isotropy: split halves; long_arm:
    # the arm pointing away from the extremum (IsoScore and PR largest at isotropy, the others least)
    Metric("isoscore", "isotropy", "IsoScore", "higher: more isotropic", "[0, 1]", "split-halves", True,
           _ISO + "isoscore_unbiased_from_covariance", headline=True, light_tails=True, long_arm="low"),
    Metric("isoscore_star", "isotropy", "IsoScore* (mini-batches shrunk to the corpus)", "higher: more isotropic",
           "[0, 1]", "basic-bootstrap", True, _ISO + "isoscore_star_unbiased_by_prefix"),
    Metric("participation_ratio", "isotropy", "participation ratio", "higher: more dimensions used", "[0, k]",
           "split-halves", True, _ISO + "participation_ratio_unbiased", light_tails=True, long_arm="low"),
    # a squared norm (right-leaning, a noncentral chi-square): split halves on the square-root scale
    Metric("average_cosine", "isotropy", "average cosine", "higher: more anisotropic", "[-1, 1]",
           "split-halves-sqrt", True, _ISO + "average_cosine", long_arm="high"),
    Metric("uniformity", "isotropy", "uniformity loss, prefixes re-normalised", "lower: more uniform",
           "(-4, 0], nats", "split-halves", True, "mrlens.metrics.uniformity.uniformity_by_prefix", headline=True,
           long_arm="high"),
    # correlation between dimensions: coordinates, not invariant to rotations
    Metric("mean_abs_correlation", "correlation", "mean |r| between dimensions", "higher: more redundant",
           "[0, 1]", "none", False, _COR + "mean_abs_correlation_from_covariance"),
    # Olkin-Pratt's rho^2 is unbiased for Gaussians only: under t (4 df) and on real embeddings its split halves
    # missed 5.5-12.5 % on one side, so no interval; the weighted mean r^2 is unbiased for any distribution
    Metric("mean_sq_correlation", "correlation", "mean r² between dimensions, bias-corrected for Gaussians",
           "higher: more redundant", "[0, 1]", "none", False, _COR + "olkin_pratt_mean_sq_correlation"),
    # a ratio of sums of squares whose variance falls faster than its value: split halves on the t^(-1/2) scale
    Metric("weighted_sq_correlation", "correlation", "variance-weighted mean r², unbiased for any distribution",
           "higher: more redundant", "[0, 1]", "split-halves-rsqrt", False, _COR + "weighted_sq_correlation_unbiased",
           headline=True, light_tails=True, long_arm="high"),
    Metric("max_abs_correlation", "correlation", "max |r| between dimensions", "higher: a more redundant pair",
           "[0, 1]", "none", False, _COR + "correlation_from_covariance", how="the largest |R_ij|, i != j, of R"),
    # spectrum: plug-in entropies, biased and maximal at isotropy, where no method covers
    Metric("effective_rank_sigma", "spectrum", "effective rank (normalised sigma)", "higher: more dimensions used",
           "[1, k]", "none", True, _SPEC + "effective_rank", how="on the singular values sigma"),
    Metric("effective_rank_sigma2", "spectrum", "effective rank (normalised sigma²)", "higher: more dimensions used",
           "[1, k]", "none", True, _SPEC + "effective_rank", how="on the covariance eigenvalues sigma²"),
    Metric("numerical_rank", "spectrum", "numerical rank", "higher: more dimensions used", "dimensions, [0, k]",
           "none", True, _SPEC + "numerical_rank"),
    # outlier and rogue dimensions
    Metric("outliers_variance_count", "outliers", "outlier dimensions by variance", "higher: more outliers",
           "dimensions", "none", False, "mrlens.metrics.outliers.outlier_dimensions",
           how="the number of dimensions whose variance is flagged"),
    Metric("outliers_variance_share", "outliers", "variance share of outlier dimensions",
           "higher: more concentrated", "[0, 1]", "none", False, "mrlens.metrics.outliers.outlier_share",
           how="for the dimensions of outliers_variance_count"),
    Metric("outliers_magnitude_count", "outliers", "outlier dimensions by mean |value|", "higher: more outliers",
           "dimensions", "none", False, "mrlens.metrics.outliers.outlier_dimensions",
           how="the number of dimensions whose mean |value| is flagged"),
    Metric("rogue_top_share", "outliers", "share of the expected cosine, top dimensions",
           "higher: a few dimensions decide the cosine", "[0, 1]", "none", False, "mrlens.metrics.rogue.cosine_contributions",
           how="the sum of the analysis.rogue_top largest shares C_i / sum_j C_j"),
    Metric("rogue_count", "outliers", "rogue dimensions (share of the cosine)", "higher: more rogue dimensions",
           "dimensions", "none", False, "mrlens.metrics.rogue.rogue_count"),
    # intrinsic dimension: biased below the truth at these n, even on half-samples
    Metric("twonn", "intrinsic", "intrinsic dimension (TwoNN)", "", "dimensions", "none", True,
           "mrlens.metrics.intrinsic.twonn_dimension"),
    Metric("mle", "intrinsic", "intrinsic dimension (MLE)", "", "dimensions", "none", True,
           "mrlens.metrics.intrinsic.mle_dimension"),
    Metric("duplicates", "intrinsic", "near-duplicate documents merged", "", "documents", "none", True,
           "mrlens.metrics.duplicates.near_duplicates", how="documents minus clusters"),
    Metric("excess_kurtosis", "distribution", "excess kurtosis, mean over dimensions", "0: Gaussian",
           "[-2, inf)", "none", False, "mrlens.metrics.kurtosis.excess_kurtosis"),
    # quality (by the name before "@"); the unit of a task kind may change the method (mrlens.kinds)
    Metric("spearman", "similarity", "Spearman of cosine vs human scores", "higher: better", "[-1, 1]",
           "split-halves", True, "mrlens.quality.similarity.spearman"),
    Metric("ndcg", "retrieval", "nDCG", "higher: better", "[0, 1]", "korn-graubard", True, _RET + "ndcg_at_k",
           at_k="ndcg_at"),
    Metric("mrr", "retrieval", "MRR", "higher: better", "[0, 1]", "korn-graubard", True, _RET + "mrr_at_k",
           at_k="mrr_at"),
    Metric("recall", "retrieval", "Recall", "higher: better", "[0, 1]", "korn-graubard", True, _RET + "recall_at_k",
           at_k="recall_at"),
    Metric("alignment", "retrieval", "alignment E‖f(q) − f(d)‖²", "lower: closer", "[0, 4]", "basic-bootstrap",
           True, _RET + "alignment_terms"),
)  # fmt: skip
REGISTRY: dict[str, Metric] = {m.name: m for m in _RECORDS}
INTERVAL_METHODS = {name: m.interval for name, m in REGISTRY.items()}  # metric -> method: the workflow's digest
GEOMETRY_METRICS = tuple(name for name, m in REGISTRY.items() if m.family not in QUALITY_FAMILIES)
QUALITY_METRICS = tuple(name for name, m in REGISTRY.items() if m.family in QUALITY_FAMILIES)
HEADLINE_METRICS = tuple(name for name, m in REGISTRY.items() if m.headline)
LIGHT_TAILED_METRICS = tuple(name for name, m in REGISTRY.items() if m.light_tails)
# each quality family's main score: its first metric (spearman for similarity, ndcg for retrieval)
MAIN_METRICS = {family: next(m for m in QUALITY_METRICS if REGISTRY[m].family == family) for family in QUALITY_FAMILIES}
MTEB_PREFIX = "mteb:"  # an MTEB task's score, named mteb:<task> (mrlens.quality.mteb)


def split_name(metric: str) -> tuple[str, str]:
    """A reported name and its cut-off: ``ndcg@10`` -> ("ndcg", "10"), ``isoscore`` -> ("isoscore", "")."""
    name, _, k = metric.partition("@")
    return name, k


def record_of(metric: str) -> Metric:
    """The record of ``metric`` (by its name before "@"); a ``KeyError`` names an unknown one."""
    name = split_name(metric)[0]
    if name not in REGISTRY:
        raise KeyError(f"metric {metric!r} is not declared in mrlens.metrics.registry")
    return REGISTRY[name]


def method_of(metric: str) -> str:
    """The interval method of ``metric``; a ``KeyError`` names an unknown one."""
    return record_of(metric).interval


def title_of(metric: str) -> str:
    """The panel title of a reported name, its cut-off kept: ``ndcg@10`` -> "nDCG@10 (higher: better)";
    an unknown name is its own title."""
    name, k = split_name(metric)
    if name not in REGISTRY:
        return metric
    record = REGISTRY[name]
    return f"{record.title}@{k} ({record.direction})" if k else record.label()


def quality_names(cutoffs: Mapping[str, int]) -> list[str]:
    """The names of the quality tables' metrics, ``name@k`` with k from ``cutoffs`` (quality settings:
    ``ndcg_at``, ...) for a metric with a cut-off."""
    return [f"{m}@{cutoffs[REGISTRY[m].at_k]}" if REGISTRY[m].at_k else m for m in QUALITY_METRICS]


def main_metric(metrics: Iterable[str]) -> str | None:
    """A task's main score among its reported names ``metrics``: the main metric of the first quality family
    present (``spearman``, else ``ndcg@k``; :data:`MAIN_METRICS`), else an MTEB task's ``mteb:`` score."""
    names = sorted(set(metrics))
    for main in MAIN_METRICS.values():
        found = next((m for m in names if split_name(m)[0] == main), None)
        if found:
            return found
    return next((m for m in names if m.startswith(MTEB_PREFIX)), None)


def order_key(metric: str) -> tuple[int, str]:
    """Sorts reported names in the registry's order (unknown names last)."""
    names = list(REGISTRY)
    name = split_name(metric)[0]
    return (names.index(name) if name in REGISTRY else len(names), metric)
