"""Claims about twin differences, as config data (``findings.claims``), and the roles that name variants.

A claim is about the paired difference ``model - reference`` of one metric (:mod:`mrlens.inference.differences`).
``direction: greater`` claims ``model - reference > -margin``, ``less`` claims ``model - reference < margin``;
``margin`` (default 0; a number, or a margin per metric on its own scale: ``{spearman: 0.01, ndcg: 0.01,
default: 0}``) turns "costs nothing" into a non-inferiority claim (the loss is shown to be smaller
than the margin; Wellek 2010, *Testing Statistical Hypotheses of Equivalence and Noninferiority*). ``kind:
trend`` claims the sign of the least-squares trend of the difference over every size (on log2 size), as
its fitted change from the largest size to the smallest (with two sizes: the difference at the smallest
minus the difference at the largest), its interval from the same paired replicates.

Variants are named by role, or by their name in ``train.variants``:

- ``mrl``: every variant with two or more cut points, each compared on its own;
- ``no-mrl``: as ``reference``, each model's reference twin (``findings.reference``, by default the
  variant with a single cut point); as ``model``, every such reference;
- ``most_cuts`` / ``fewest_cuts``: the MRL variants with the most / the fewest cut points (none when
  every MRL variant has the same number).

``sizes``: ``all``, ``all_but_smallest``, ``smallest``, ``largest`` (of the sizes measured) or a list.
``precision`` (default ``float32``): the precision of ``quality.precisions`` the claim is judged at.
``kind: equal_bytes`` compares each ``model`` with itself at two points of equal bytes per vector
(:func:`mrlens.quantize.bytes_per_vector`): its one size of ``sizes`` at ``precision`` minus
``versus_dim`` at ``versus_precision`` (e.g. 128 int8 dimensions against 32 float32 ones, 128 bytes each).
``metric: main`` is each task's main score (``spearman``, ``ndcg@k``, ...). ``corpus`` / ``task``
restrict a claim to one corpus or task (default: each one on its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from mrlens.errors import ConfigError
from mrlens.metrics.registry import split_name
from mrlens.quantize import PRECISIONS, bytes_per_vector

DIRECTIONS = ("greater", "less")
KINDS = ("difference", "trend", "equal_bytes")
SIZE_WORDS = ("all", "all_but_smallest", "smallest", "largest")
ROLES = ("mrl", "no-mrl", "most_cuts", "fewest_cuts")
MAIN = "main"


@dataclass(frozen=True)
class Claim:
    """One claim: ``model - reference`` of ``metric`` is on the ``direction`` side of its bound."""

    name: str
    text: str
    metric: str
    direction: str
    model: str = "mrl"
    reference: str = "no-mrl"
    sizes: str | tuple[int, ...] = "all"
    kind: str = "difference"
    margin: float | Mapping[str, float] = 0.0
    strategy: str = "prefix"
    checkpoint: str = "final"
    corpus: str | None = None
    task: str | None = None
    precision: str = "float32"
    versus_dim: int | None = None
    versus_precision: str = "float32"

    @property
    def bound(self) -> float:
        """The value the interval must clear: ``-margin`` for ``greater``, ``+margin`` for ``less`` (a margin
        per metric: its ``default``, 0 if none)."""
        return self.bound_for("default")

    def bound_for(self, metric: str) -> float:
        """The bound of ``metric``'s difference: its margin on its own scale (``margin`` a number, or a
        mapping from the metric's name before "@" to a margin, ``default`` for the others, 0 if none)."""
        margins = self.margin if isinstance(self.margin, Mapping) else {"default": self.margin}
        margin = margins.get(split_name(metric)[0], margins.get("default", 0.0))
        return -margin if self.direction == "greater" else margin


# Non-inferiority margins of each main score, on its own scale: one point on the 0-100 scale on which the
# published note, MTEB and BEIR report Spearman's rho and nDCG@10 (x 100), the smallest change their
# tables show; docs/intervals.md says why and how to declare others.
MAIN_MARGINS = {"spearman": 0.01, "ndcg": 0.01, "mrr": 0.01, "recall": 0.01}

# The published note's claims (the defaults of findings.claims).
PUBLISHED_CLAIMS: dict[str, dict[str, Any]] = {
    "a_isoscore": {
        "text": "The no-MRL model has higher IsoScore than the MRL models at every size but the smallest",
        "metric": "isoscore",
        "direction": "less",
        "sizes": "all_but_smallest",
    },
    "b_isoscore_cuts": {
        "text": "MRL with more cut points has higher IsoScore than MRL with fewer",
        "metric": "isoscore",
        "direction": "greater",
        "model": "most_cuts",
        "reference": "fewest_cuts",
    },
    "c_uniformity_trend": {
        "text": "Uniformity: MRL moves ahead of no-MRL as the size shrinks (uniformity loss: lower is better)",
        "metric": "uniformity",
        "direction": "less",
        "kind": "trend",
    },
    "d_correlation": {
        "text": "The no-MRL model has the least correlated dimensions at every size (variance-weighted mean r²)",
        # mean |r| has no valid interval; the Olkin-Pratt mean r^2 is biased for heavy tails (75-89 % coverage
        # of the twins' difference under t, 4 df); the variance-weighted mean r^2 is unbiased for any distribution
        "metric": "weighted_sq_correlation",
        "direction": "greater",
    },
    "e_quality_full": {
        "text": "MRL costs nothing at full size: a loss of the main score larger than the margin is excluded",
        "metric": MAIN,
        "direction": "greater",
        "sizes": "largest",
        "margin": dict(MAIN_MARGINS),
    },
    "f_quality_small": {
        "text": "MRL gains at the smallest size",
        "metric": MAIN,
        "direction": "greater",
        "sizes": "smallest",
    },
}


def parse_claims(config: Mapping[str, Mapping[str, Any]]) -> list[Claim]:
    """Claims from ``findings.claims`` (name -> settings); an unknown or missing key is a :class:`ConfigError`."""
    known = {f.name for f in fields(Claim)} - {"name"}
    claims = []
    for name, settings in config.items():
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ConfigError(f"config findings.claims.{name}.{unknown[0]}: unknown key; known: {sorted(known)}")
        for key in ("text", "metric", "direction"):
            if key not in settings:
                raise ConfigError(f"config findings.claims.{name}.{key}: missing")
        sizes = settings.get("sizes", "all")
        claims.append(Claim(name=name, **{**settings, "sizes": sizes if isinstance(sizes, str) else tuple(sizes)}))
    return claims


def claim_settings(findings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The claims of the ``findings`` config section by name: the published ones (unless
    ``published_claims`` is false), each replaced by a claim of ``claims`` with its name, then the other
    ``claims``."""
    published = PUBLISHED_CLAIMS if findings.get("published_claims", True) else {}
    return {**published, **findings.get("claims", {})}


def configured_claims(findings: Mapping[str, Any]) -> list[Claim]:
    """:func:`claim_settings` parsed."""
    return parse_claims(claim_settings(findings))


def _refuse(claim: Claim, key: str, problem: str) -> None:
    raise ConfigError(f"config findings.claims.{claim.name}.{key}: {problem}")


def check_claims(
    claims: Iterable[Claim],
    metrics: Iterable[str],
    variants: Mapping[str, Sequence[int]],
    tasks: Iterable[str],
    corpora: Iterable[str] | None = None,
    dims: Iterable[int] | None = None,
    precisions: Iterable[str] = PRECISIONS,
) -> None:
    """Refuse, before any job runs, a claim naming an unknown metric, variant or role, task, corpus,
    size, precision (of ``precisions``, those measured), direction or kind, or an ``equal_bytes`` claim
    whose two points differ in bytes: a :class:`ConfigError` starting ``config findings.claims.<name>.<key>``."""
    metrics, tasks = {*metrics, MAIN}, set(tasks)
    names = {*ROLES, *variants}
    for claim in claims:
        _check_points(claim, set(precisions), dims)
        if claim.metric not in metrics:
            _refuse(claim, "metric", f"unknown metric {claim.metric!r}; known: {sorted(metrics)}")
        for key in ("model", "reference"):
            if getattr(claim, key) not in names:
                named = getattr(claim, key)
                _refuse(claim, key, f"{named!r} is neither a role {list(ROLES)} nor a variant ({', '.join(variants)})")
        if claim.task is not None and claim.task not in tasks:
            _refuse(claim, "task", f"unknown task {claim.task!r}; known: {sorted(tasks)}")
        if claim.corpus is not None and corpora is not None and claim.corpus not in set(corpora):
            _refuse(claim, "corpus", f"unknown corpus {claim.corpus!r}; known: {sorted(corpora)}")
        if claim.direction not in DIRECTIONS:
            _refuse(claim, "direction", f"{claim.direction!r}; use one of {list(DIRECTIONS)}")
        if claim.kind not in KINDS:
            _refuse(claim, "kind", f"{claim.kind!r}; use one of {list(KINDS)}")
        margins = claim.margin.values() if isinstance(claim.margin, Mapping) else [claim.margin]
        if any(m < 0 for m in margins):
            _refuse(claim, "margin", f"must be >= 0, got {claim.margin}")
        if isinstance(claim.sizes, str) and claim.sizes not in SIZE_WORDS:
            _refuse(claim, "sizes", f"{claim.sizes!r}; use one of {list(SIZE_WORDS)} or a list of sizes")
        if not isinstance(claim.sizes, str) and dims is not None and not set(claim.sizes) <= set(dims):
            _refuse(claim, "sizes", f"{sorted(set(claim.sizes) - set(dims))} not in analysis.dims {sorted(dims)}")


def _check_points(claim: Claim, precisions: set[str], dims: Iterable[int] | None) -> None:
    """The claim's precisions are measured; an ``equal_bytes`` claim names one size and a ``versus_dim`` of
    analysis.dims, at the same bytes per vector."""
    for key in ("precision", "versus_precision"):
        if getattr(claim, key) not in precisions:
            _refuse(claim, key, f"{getattr(claim, key)!r} is not one of quality.precisions {sorted(precisions)}")
    if claim.kind != "equal_bytes":
        return
    if claim.versus_dim is None or isinstance(claim.sizes, str) or len(claim.sizes) != 1:
        _refuse(claim, "sizes", "an equal_bytes claim names one size (sizes: [k]) and a versus_dim")
    if dims is not None and claim.versus_dim not in set(dims):
        _refuse(claim, "versus_dim", f"{claim.versus_dim} not in analysis.dims {sorted(dims)}")
    point = bytes_per_vector(claim.sizes[0], claim.precision)
    versus = bytes_per_vector(claim.versus_dim, claim.versus_precision)
    if point != versus:
        _refuse(
            claim,
            "versus_dim",
            f"{claim.sizes[0]} {claim.precision} take {point} bytes per vector, {claim.versus_dim} "
            f"{claim.versus_precision} {versus}: an equal_bytes claim compares equal bytes",
        )


def contrasts(claims: Iterable[Claim]) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    """The ((size, precision), (versus_dim, versus_precision)) points every ``equal_bytes`` claim compares,
    once each (the differences table computes them for every model)."""
    points = [
        ((c.sizes[0], c.precision), (c.versus_dim, c.versus_precision)) for c in claims if c.kind == "equal_bytes"
    ]
    return list(dict.fromkeys(points))  # type: ignore[arg-type]


def reference_pairs(
    variants: Mapping[str, Sequence[int]],
    references: Mapping[str, str] | None = None,
    dedicated: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """(MRL variant, its reference) for every MRL variant: ``references[variant]`` (``findings.reference``)
    or else every variant with a single cut point that is not ``dedicated`` (a model trained for one size
    alone is compared only where a claim names it)."""
    references = dict(references or {})
    for variant, reference in references.items():
        unknown = [name for name in (variant, reference) if name not in variants]
        if unknown:
            known = ", ".join(variants)
            raise ConfigError(f"config findings.reference.{variant}: {unknown[0]!r} is not a variant ({known})")
    single = [v for v, cuts in variants.items() if len(cuts) == 1 and v not in set(dedicated)]
    mrl = [v for v, cuts in variants.items() if len(cuts) > 1]
    return [(v, r) for v in mrl for r in ([references[v]] if v in references else single)]


def twin_of_pairs(models: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(model, its ``twin_of``) for every external model of ``models:`` that names a reference: the
    reference pairs of the external models, whose roles (``mrl``: two or more ``dims``) are resolved among
    them only, never mixed with the trained twins."""
    return [(name, model["twin_of"]) for name, model in models.items() if model.get("twin_of")]


def _role(role: str, variants: Mapping[str, Sequence[int]], pairs: Sequence[tuple[str, str]]) -> list[str]:
    mrl = {v: len(cuts) for v, cuts in variants.items() if len(cuts) > 1}
    spread = len(set(mrl.values())) > 1
    chosen = {
        "mrl": list(mrl),
        "no-mrl": list(dict.fromkeys(r for _, r in pairs)),
        "most_cuts": [v for v, c in mrl.items() if spread and c == max(mrl.values())],
        "fewest_cuts": [v for v, c in mrl.items() if spread and c == min(mrl.values())],
    }
    return chosen[role] if role in chosen else [role]


def claim_pairs(
    claim: Claim, variants: Mapping[str, Sequence[int]], pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The (model, reference) pairs a claim compares, given the reference ``pairs`` of :func:`reference_pairs`;
    an ``equal_bytes`` claim compares each model with itself."""
    if claim.kind == "equal_bytes":
        return [(model, model) for model in _role(claim.model, variants, pairs)]
    out = []
    for model in _role(claim.model, variants, pairs):
        if claim.reference == "no-mrl":
            references = [r for v, r in pairs if v == model]
        else:
            references = _role(claim.reference, variants, pairs)
        out += [(model, r) for r in references if r != model]
    return out


def needed_pairs(
    claims: Iterable[Claim], variants: Mapping[str, Sequence[int]], pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Every pair the differences table must hold: the reference pairs, then those the claims add."""
    claimed = [p for claim in claims for p in claim_pairs(claim, variants, pairs) if p[0] != p[1]]
    return list(dict.fromkeys([*pairs, *claimed]))
