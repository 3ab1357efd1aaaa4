"""Paired twin differences, their intervals per seed and over seeds, claims and verdicts: against known
truths, hand-computed cases and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mrlens.errors import ConfigError, DataError
from mrlens.inference.claims import (
    PUBLISHED_CLAIMS,
    check_claims,
    claim_pairs,
    needed_pairs,
    parse_claims,
    reference_pairs,
)
from mrlens.inference.decisions import holm, one_sided_p, units_needed
from mrlens.inference.differences import (
    differences,
    hierarchical_bootstrap_interval,
    seeds_t_interval,
    trend_differences,
    trend_weights,
)
from mrlens.inference.findings import VERDICTS, render_markdown, verdict, verdicts
from mrlens.resampling import resampling_counts, split_halves_variance

KEYS = {"checkpoint": "final", "corpus": "wiki", "strategy": "prefix", "metric": "isoscore_star"}  # basic bootstrap


def model_tables(
    scores: dict[tuple[str, int], np.ndarray], counts: np.ndarray, dim: int = 8
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates (mean of the per-document scores) and bootstrap replicates (weighted means under
    ``counts``, n x B) of each (variant, seed)."""
    estimates, replicates = [], []
    for (variant, seed), score in scores.items():
        row = {"variant": variant, "seed": seed, "dim": dim, **KEYS}
        estimates.append(row | {"value": score.mean(), "n": len(score)})
        means = score @ counts / counts.sum(axis=0)
        replicates += [row | {"replicate": b, "value": v} for b, v in enumerate(means)]
    return pd.DataFrame(estimates), pd.DataFrame(replicates)


def bootstrap_counts(n: int, draws: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(draws)], axis=1)


@pytest.mark.parametrize("shift", [0.0, 0.25])
def test_paired_difference_covers_the_truth_and_is_narrower_than_unpaired(shift: float) -> None:
    rng = np.random.default_rng(1)
    n = 2000
    document = rng.standard_normal(n) * 3  # what both twins see: large, shared
    scores = {
        ("mrl", 0): document + shift + 0.1 * rng.standard_normal(n),
        ("no-mrl", 0): document + 0.1 * rng.standard_normal(n),
    }
    counts = bootstrap_counts(n, 400, seed=2)
    estimates, replicates = model_tables(scores, counts)
    row = differences(estimates, replicates, [("mrl", "no-mrl")]).iloc[0]
    d = scores[("mrl", 0)].mean() - scores[("no-mrl", 0)].mean()
    paired = (scores[("mrl", 0)] - scores[("no-mrl", 0)]) @ counts / n
    low, high = np.quantile(paired, [0.025, 0.975])
    assert row["difference"] == pytest.approx(d)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2 * d - high, 2 * d - low))
    assert row["ci_low"] < shift < row["ci_high"]
    assert (row["ci_low"] > 0) == (shift > 0)
    assert row["interval"] == "ci95-paired-basic-bootstrap" and row["n"] == n and row["n_seeds"] == 1
    unpaired = scores[("mrl", 0)] @ counts / n - scores[("no-mrl", 0)] @ bootstrap_counts(n, 400, seed=3) / n
    unpaired_width = np.subtract(*np.quantile(unpaired, [0.975, 0.025]))
    assert row["ci_high"] - row["ci_low"] < unpaired_width / 10  # sd 0.14/sqrt(n) against 4.2/sqrt(n)


def test_seeds_t_interval_hand_computed() -> None:
    # d_s = 1, 2, 3 (s^2 / S = 1/3); seed-averaged replicates 2 - 1 and 2 + 1 (v_doc = 2, one split);
    # Satterthwaite: nu = (1/3 + 2)^2 / ((1/3)^2 / 2 + 2^2 / 1) = 98 / 73
    per_seed = np.array([1.0, 2.0, 3.0])
    replicates = per_seed[:, None] + np.array([[-1.0, 1.0]])
    half = stats.t.ppf(0.975, 98 / 73) * np.sqrt(1 / 3 + 2)
    assert seeds_t_interval(per_seed, replicates, 0.95) == pytest.approx((2 - half, 2 + half))
    # the document noise measured by many replicates and dominant: nu large, the quantile near z
    many = 2.0 + np.array([[-1.0, 1.0] * 100]) + np.array([[0.0], [0.01], [0.02]])
    low, high = seeds_t_interval(np.array([2.0, 2.01, 2.02]), many, 0.95)
    assert (high - low) / 2 / np.sqrt(np.var(many.mean(axis=0), ddof=1)) == pytest.approx(1.97, abs=0.02)


def test_hierarchical_bootstrap_brute_force_on_two_seeds() -> None:
    # two seeds, one replicate: d* takes 1 (both seed 0), 2 (one each) or 3 (both seed 1) with chances 1/4,
    # 1/2, 1/4; its 2.5 % and 97.5 % quantiles are 1 and 3, so the basic interval is [2*2 - 3, 2*2 - 1]
    low_high = hierarchical_bootstrap_interval(np.array([1.0, 3.0]), np.array([[1.0], [3.0]]), 0.95)
    assert low_high == pytest.approx((1, 3))


def three_seeds(shift: float, n: int = 500, draws: int = 200) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4)
    document = rng.standard_normal(n)
    scores = {}
    for seed in range(3):
        scores[("mrl", seed)] = document + shift + 0.05 * seed + 0.2 * rng.standard_normal(n)
        scores[("no-mrl", seed)] = document + 0.2 * rng.standard_normal(n)
    return model_tables(scores, bootstrap_counts(n, draws, seed=5))


def test_pooled_row_is_the_mean_over_seeds_with_the_seeds_t_interval() -> None:
    estimates, replicates = three_seeds(0.5)
    table = differences(estimates, replicates, [("mrl", "no-mrl")])
    per_seed, pooled = table[table["seed"].notna()], table[table["seed"].isna()].iloc[0]
    assert list(per_seed["seed"]) == [0, 1, 2] and pooled["n_seeds"] == 3 and pooled["interval"] == "ci95-seeds-t"
    assert pooled["difference"] == pytest.approx(per_seed["difference"].mean())
    wide = replicates.pivot_table(index=["variant", "seed"], columns="replicate", values="value")
    matrix = (wide.loc["mrl"] - wide.loc["no-mrl"]).to_numpy()
    assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx(
        seeds_t_interval(per_seed["difference"].to_numpy(), matrix, 0.95)
    )
    assert pooled["ci_low"] > 0


def test_split_halves_differences_per_seed_and_pooled_use_the_complementary_pairs() -> None:
    """A metric declared ``split-halves`` (uniformity) gets, per seed, ``d ± t_{J-1} sqrt(V)`` with ``V`` from the
    paired half-sample differences, and its pooled row's shared document noise is that variance of the
    seed-averaged differences (a bootstrap variance of half-samples would count it differently)."""
    rng = np.random.default_rng(6)
    n, shift = 1000, 0.2
    document = 3 * rng.standard_normal(n)
    scores = {}
    for seed in range(3):
        scores[("mrl", seed)] = document + shift + 0.05 * seed + 0.2 * rng.standard_normal(n)
        scores[("no-mrl", seed)] = document + 0.2 * rng.standard_normal(n)
    halves = resampling_counts(n, 200, "halves", seed=4)
    estimates, replicates = (t.assign(metric="uniformity") for t in model_tables(scores, halves))
    table = differences(estimates, replicates, [("mrl", "no-mrl")])
    first, pooled = table.iloc[0], table[table["seed"].isna()].iloc[0]
    paired = {s: (scores[("mrl", s)] - scores[("no-mrl", s)]) @ halves / halves.sum(axis=0) for s in range(3)}
    half = 1.984216952 * np.sqrt(split_halves_variance(paired[0], n))  # t_{0.975} on J - 1 = 99 df
    assert first["interval"] == "ci95-paired-split-halves"
    assert (first["ci_low"], first["ci_high"]) == pytest.approx(
        (first["difference"] - half, first["difference"] + half)
    )
    assert first["ci_low"] < shift < first["ci_high"] and half < 0.05  # the shared document noise cancels
    per_seed = table.loc[table["seed"].notna(), "difference"].to_numpy()
    shared = split_halves_variance(np.mean([paired[s] for s in range(3)], axis=0), n)
    between = np.var(per_seed, ddof=1) / 3
    freedom = (between + shared) ** 2 / (between**2 / 2 + shared**2 / 100)  # Satterthwaite, 100 splits
    spread = stats.t.ppf(0.975, freedom) * np.sqrt(between + shared)
    assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx((per_seed.mean() - spread, per_seed.mean() + spread))


def test_no_replicates_no_interval_and_unpaired_replicates_refused() -> None:
    estimates, replicates = three_seeds(0.5)
    table = differences(estimates, replicates.iloc[:0], [("mrl", "no-mrl")])
    assert table["ci_low"].isna().all() and set(table["interval"]) == {"none"}
    assert len(table) == 4  # three seeds and the pooled row, each without interval
    short = replicates[(replicates["variant"] == "mrl") | (replicates["replicate"] < 100)]
    with pytest.raises(
        DataError, match=r"mrl has 200 replicates and no-mrl 100 at \{'seed': 0, .*\}, of which 100 pair up"
    ):
        differences(estimates, short, [("mrl", "no-mrl")])
    with pytest.raises(DataError, match=r"estimates: needs exactly one of the columns \['corpus', 'task'\]"):
        differences(estimates.drop(columns="corpus"), replicates, [("mrl", "no-mrl")])


def test_trend_is_the_difference_at_the_small_size_minus_at_the_large_one() -> None:
    small_est, small_rep = three_seeds(0.5)
    large_est, large_rep = three_seeds(0.1)
    estimates = pd.concat([small_est.assign(dim=8), large_est.assign(dim=64)])
    replicates = pd.concat([small_rep.assign(dim=8), large_rep.assign(dim=64)])
    pairs = [("mrl", "no-mrl")]
    trend = trend_differences(estimates, replicates, pairs, small=8, large=64)
    by_size = differences(estimates, replicates, pairs).set_index(["dim", "seed"])["difference"]
    assert list(trend["versus_dim"]) == [64] * 4 and list(trend["dim"]) == [8] * 4
    expected = [by_size[(8, s)] - by_size[(64, s)] for s in (0, 1, 2)]
    assert trend["difference"].iloc[:3].tolist() == pytest.approx(expected)
    assert trend["difference"].iloc[:3].tolist() == pytest.approx([0.4] * 3, abs=0.05)
    assert (trend["ci_low"] > 0).all()


VARIANTS = {"no-mrl": [384], "mrl-a": [384, 32], "mrl-b": [384, 128, 32]}


def row(variant: str, metric: str, dim: int, low: float, high: float, **labels) -> dict:
    base = {"variant": variant, "reference": "no-mrl", "seed": pd.NA, "checkpoint": "final", "strategy": "prefix"}
    return (
        base
        | {"dim": dim, "metric": metric, "difference": (low + high) / 2, "ci_low": low, "ci_high": high}
        | {"interval": "ci95-seeds-t", "n": 100, "n_seeds": 3}
        | labels
    )


def hand_made() -> pd.DataFrame:
    wiki = {"corpus": "wiki"}
    rows = [
        row("mrl-a", "isoscore", 32, 0.01, 0.03, **wiki),  # not judged by (a): the smallest size
        row("mrl-a", "isoscore", 384, -0.05, -0.01, **wiki),  # holds
        row("mrl-a", "isoscore", 384, 0.2, 0.3, **wiki, seed=0, n_seeds=1),  # a seed row: the pooled row wins
        row("mrl-b", "isoscore", 32, -0.01, 0.01, **wiki),
        row("mrl-b", "isoscore", 384, 0.01, 0.02, **wiki),  # reversed
        row("mrl-b", "isoscore", 384, -0.01, 0.02, **wiki, reference="mrl-a"),  # most vs fewest cuts: inconclusive
        row("mrl-a", "uniformity", 32, -0.3, -0.1, **wiki, versus_dim=384),  # trend holds
        row("mrl-b", "uniformity", 32, -0.3, 0.1, **wiki, versus_dim=384),  # trend inconclusive
        row("mrl-a", "uniformity", 32, 0.1, 0.3, **wiki),  # not a trend row
        row("mrl-a", "ndcg@10", 384, -0.005, 0.02, task="heldout"),  # no loss beyond 0.01: holds
        row("mrl-b", "ndcg@10", 384, -0.03, -0.02, task="heldout"),  # a loss beyond the margin: reversed
        row(
            "mrl-a",
            "spearman",
            384,
            -0.02,
            0.01,
            task="simlex",
            seed=0,
            n_seeds=1,
            interval="ci95-paired-basic-bootstrap",
        ),
        row("mrl-a", "alignment", 384, 0.5, 0.6, task="simlex"),  # not the main score
    ]
    return pd.DataFrame(rows).astype({"seed": "Int64"})


def judged() -> pd.DataFrame:
    claims = [c for c in parse_claims(PUBLISHED_CLAIMS) if c.name != "d_correlation"]
    pairs = reference_pairs(VARIANTS)
    return verdicts(claims, hand_made(), VARIANTS, pairs, {"heldout": "ndcg@10", "simlex": "spearman"})


def test_verdict_rule_with_bound_and_margin() -> None:
    assert [verdict(0.1, 0.2, "greater"), verdict(-0.2, -0.1, "greater"), verdict(-0.1, 0.1, "greater")] == list(
        VERDICTS
    )
    assert [verdict(-0.2, -0.1, "less"), verdict(0.1, 0.2, "less"), verdict(np.nan, np.nan, "less")] == list(VERDICTS)
    assert (
        verdict(-0.005, 0.02, "greater", bound=-0.01) == "holds" and verdict(-0.005, 0.02, "greater") == "inconclusive"
    )


def test_verdicts_on_a_hand_made_table() -> None:
    table = judged()
    got = {(r.claim, r.variant, r.reference, r.where, r.dim): r.verdict for r in table.itertuples()}
    assert got == {
        ("a_isoscore", "mrl-a", "no-mrl", "wiki", 384): "holds",
        ("a_isoscore", "mrl-b", "no-mrl", "wiki", 384): "reversed",
        ("b_isoscore_cuts", "mrl-b", "mrl-a", "wiki", 384): "inconclusive",
        ("c_uniformity_trend", "mrl-a", "no-mrl", "wiki", 32): "holds",
        ("c_uniformity_trend", "mrl-b", "no-mrl", "wiki", 32): "inconclusive",
        ("e_quality_full", "mrl-a", "no-mrl", "heldout", 384): "holds",
        ("e_quality_full", "mrl-b", "no-mrl", "heldout", 384): "reversed",
        ("e_quality_full", "mrl-a", "no-mrl", "simlex", 384): "inconclusive",
        ("f_quality_small", "mrl-a", "no-mrl", "heldout", 384): "inconclusive",
        ("f_quality_small", "mrl-b", "no-mrl", "heldout", 384): "reversed",
        ("f_quality_small", "mrl-a", "no-mrl", "simlex", 384): "inconclusive",
    }  # f: the only size a task measured is both its smallest and its largest


def test_roles_resolve_to_variants() -> None:
    pairs = reference_pairs(VARIANTS)
    assert pairs == [("mrl-a", "no-mrl"), ("mrl-b", "no-mrl")]
    assert reference_pairs(VARIANTS, {"mrl-b": "mrl-a"}) == [("mrl-a", "no-mrl"), ("mrl-b", "mrl-a")]
    claims = parse_claims(PUBLISHED_CLAIMS)
    assert needed_pairs(claims, VARIANTS, pairs) == [*pairs, ("mrl-b", "mrl-a")]
    same_cuts = {"no-mrl": [384], "mrl-a": [384, 32], "mrl-c": [384, 64]}
    assert claim_pairs(claims[1], same_cuts, reference_pairs(same_cuts)) == []  # no most/fewest cuts to compare
    with pytest.raises(ConfigError, match=r"^config findings.reference.mrl-b: 'nope' is not a variant"):
        reference_pairs(VARIANTS, {"mrl-b": "nope"})


@pytest.mark.parametrize(
    "change, message",
    [
        ({"metric": "isoscor"}, r"^config findings.claims.a_isoscore.metric: unknown metric 'isoscor'"),
        ({"model": "mrl-z"}, r"^config findings.claims.a_isoscore.model: 'mrl-z' is neither a role"),
        ({"reference": "nomrl"}, r"^config findings.claims.a_isoscore.reference: 'nomrl' is neither"),
        ({"task": "stsb"}, r"^config findings.claims.a_isoscore.task: unknown task 'stsb'; known: \['simlex'\]"),
        ({"sizes": "smallest_two"}, r"^config findings.claims.a_isoscore.sizes: 'smallest_two'"),
        ({"sizes": [48]}, r"^config findings.claims.a_isoscore.sizes: \[48\] not in analysis.dims"),
        ({"direction": "up"}, r"^config findings.claims.a_isoscore.direction: 'up'"),
        ({"colour": "red"}, r"^config findings.claims.a_isoscore.colour: unknown key"),
    ],
)
def test_check_claims_names_the_key(change: dict, message: str) -> None:
    settings = {"a_isoscore": PUBLISHED_CLAIMS["a_isoscore"] | change}
    with pytest.raises(ConfigError, match=message):
        check_claims(parse_claims(settings), ["isoscore", "uniformity"], VARIANTS, ["simlex"], dims=[32, 384])


def test_published_claims_pass_the_checks() -> None:
    claims = parse_claims(PUBLISHED_CLAIMS)
    assert [c.name for c in claims] == list(PUBLISHED_CLAIMS)
    metrics = sorted({c.metric for c in claims} - {"main"})
    check_claims(claims, metrics, VARIANTS, ["simlex"], corpora=["wiki"], dims=[32, 384])  # passes
    for missing in metrics:  # and the same check refuses each claim whose metric is not measured
        first = next(c.name for c in claims if c.metric == missing)
        with pytest.raises(ConfigError, match=rf"^config findings.claims.{first}.metric: unknown metric"):
            check_claims(claims, [m for m in metrics if m != missing], VARIANTS, ["simlex"], dims=[32, 384])


def test_render_markdown_reads_as_a_report() -> None:
    claims = parse_claims(PUBLISHED_CLAIMS)
    text = render_markdown(judged(), claims, sizes=[32, 384])
    assert text.startswith("# Findings\n\n**Decision rule.**") and "95 % confidence interval" in text
    assert "| claim | comparison | corpus / task | 32 | 384 | trend |" in text
    assert "| a_isoscore | mrl-a − no-mrl | wiki | · | holds | · |" in text
    assert "| c_uniformity_trend | mrl-a − no-mrl | wiki | · | · | holds |" in text
    assert (
        "| mrl-b − no-mrl | heldout | 384 | -0.025 | [-0.03, -0.02] | ci95-seeds-t | 100 | 3 | 1 | 1 | reversed | "
        "**reversed** |  |" in text
    )
    assert "| 32 − 384 |" in text and "Nothing to compare in this run for: d_correlation" in text
    assert "## e_quality_full: MRL costs nothing at full size" in text and "(spearman -0.01, ndcg -0.01" in text
    assert "| 0.12 | 0.36 | inconclusive | **inconclusive** | about 9 seeds |" in text  # (0.0125 / 0.0075)^2 3


def _suite_twins(embeddings: dict[str, np.ndarray], dims: list[int], bootstrap: int) -> pd.DataFrame:
    """The differences table of the suite run on each of two twins' embeddings of the same documents (the
    first the reference), prefix only, seed 0, corpus wiki."""
    from mrlens.inference.differences import twin_differences
    from mrlens.metrics.suite import SuiteSettings, measure

    settings = SuiteSettings(bootstrap=bootstrap, strategies=("prefix",))
    estimates, replicates = [], []
    for variant, x in embeddings.items():
        geometry = measure(x.astype(np.float32), dims, settings)
        labels = {"variant": variant, "seed": 0, "checkpoint": "final", "corpus": "wiki"}
        estimates.append(geometry.scalars.assign(**labels))
        replicates.append(geometry.replicates.assign(**labels))
    reference, model = embeddings
    return twin_differences(
        [(pd.concat(estimates), pd.concat(replicates), 0.95)], [(model, reference)], dims[0], dims[-1]
    )


def test_a_run_of_the_suite_on_twins_gives_paired_differences_and_verdicts() -> None:
    """Two models embedding the same documents: the second spreads its variance unevenly over the
    dimensions (lower IsoScore, known from its covariance) — measured by the suite, differenced, judged."""
    from mrlens.inference.claims import configured_claims
    from mrlens.inference.findings import main_metrics

    latent = np.random.default_rng(0).standard_normal((400, 16))
    table = _suite_twins({"no-mrl": latent, "mrl-16-4": latent * np.linspace(3.0, 0.5, 16)}, [4, 16], 60)
    iso = table[(table["metric"] == "isoscore") & (table["dim"] == 16) & table["versus_dim"].isna()].iloc[0]
    truth = (np.linspace(3.0, 0.5, 16) ** 2).sum() ** 2 / (np.linspace(3.0, 0.5, 16) ** 4).sum()
    assert iso["ci_low"] <= iso["difference"] <= iso["ci_high"] < 0
    assert iso["interval"] == "ci95-paired-split-halves" and iso["n"] == 400
    assert iso["ci_low"] < (truth - 1) / 15 - 1.0 < iso["ci_high"]  # population IsoScores: 1 and (PR - 1)/(d - 1)
    claims = [c for c in configured_claims({}) if c.name == "a_isoscore"]
    judged = verdicts(
        claims, table, {"no-mrl": [16], "mrl-16-4": [16, 4]}, [("mrl-16-4", "no-mrl")], main_metrics(table)
    )
    assert judged.set_index("dim")["verdict"].to_dict() == {16: "holds"}  # all but the smallest size
    assert "| a_isoscore | mrl-16-4 − no-mrl | wiki |" in render_markdown(judged, claims, 0.95, [4, 16])


def test_claim_d_is_judged_on_the_squared_correlations_of_a_suite_run() -> None:
    """The no-MRL twin has independent dimensions, the MRL twin mixes them (population mean rho^2 known):
    the published claim (d) holds at both sizes, on a metric with an interval, and the difference's
    interval holds the population difference."""
    from mrlens.inference.claims import configured_claims
    from mrlens.inference.findings import main_metrics

    latent = np.random.default_rng(1).standard_normal((600, 8))
    mixing = np.eye(8) + 0.4 * np.eye(8, k=1)  # neighbouring dimensions correlate
    table = _suite_twins({"no-mrl": latent, "mrl-8-4": latent @ mixing}, [4, 8], 80)
    sigma = mixing.T @ mixing
    off = ~np.eye(8, dtype=bool)
    rho2 = (sigma**2 / np.outer(np.diag(sigma), np.diag(sigma)))[off].mean()  # all 8 dims
    weighted = (sigma**2)[off].sum() / np.outer(np.diag(sigma), np.diag(sigma))[off].sum()
    rows = table[(table["dim"] == 8) & table["versus_dim"].isna()].set_index("metric")
    # Olkin-Pratt's mean r^2 has no interval (biased for heavy tails); the weighted mean r^2's paired
    # difference takes split halves on the raw scale (its own interval is on the reciprocal square-root scale)
    assert rows.loc["mean_sq_correlation", "interval"] == "none"
    assert rows.loc["mean_sq_correlation", "difference"] == pytest.approx(rho2, abs=0.01)
    row = rows.loc["weighted_sq_correlation"]
    assert row["interval"] == "ci95-paired-split-halves" and row["ci_low"] < weighted < row["ci_high"]
    claims = [c for c in configured_claims({}) if c.name == "d_correlation"]
    judged = verdicts(claims, table, {"no-mrl": [8], "mrl-8-4": [8, 4]}, [("mrl-8-4", "no-mrl")], main_metrics(table))
    assert judged.set_index("dim")["verdict"].to_dict() == {4: "holds", 8: "holds"}


def test_holm_on_a_hand_made_table() -> None:
    """Four cells of one claim at one-sided p = 0.001, 0.011, 0.02, 0.04 (normal intervals of se 1): three
    hold on their own at 2.5 %; Holm's thresholds 0.025 / 4, / 3, ... keep the first only, adjusted p =
    4 x 0.001, 3 x 0.011, max(0.033, 2 x 0.02), max(0.04, 0.04)."""
    assert holm([0.04, 0.001, 0.02, 0.011]) == pytest.approx([0.04, 0.004, 0.04, 0.033])
    z = stats.norm.ppf(0.975)
    rows = []
    for dim, p in zip((32, 64, 128, 384), (0.001, 0.011, 0.02, 0.04)):
        d = stats.norm.isf(p)  # the claim d > 0 with se 1: p = P(Z > d)
        rows.append(row("mrl-a", "isoscore", dim, d - z, d + z, corpus="wiki", freedom=np.inf))
    claim = parse_claims({"g": {"text": "t", "metric": "isoscore", "direction": "greater"}})
    table = verdicts(claim, pd.DataFrame(rows).astype({"seed": "Int64"}), VARIANTS, reference_pairs(VARIANTS))
    assert table["p_value"].tolist() == pytest.approx([0.001, 0.011, 0.02, 0.04])
    assert table["verdict"].tolist() == ["holds", "holds", "holds", "inconclusive"]
    assert table["p_holm"].tolist() == pytest.approx([0.004, 0.033, 0.04, 0.04])
    assert table["holm_verdict"].tolist() == ["holds", "inconclusive", "inconclusive", "inconclusive"]
    text = render_markdown(table, claim, sizes=[32, 64, 128, 384])
    assert "| g | mrl-a − no-mrl | wiki | holds | inconclusive (holds) | inconclusive (holds) | inconclusive |" in text


def test_one_sided_p_reads_t_intervals_and_margins() -> None:
    q = stats.t.ppf(0.975, 4)  # an interval d ± q se on 4 degrees of freedom, se = 0.01
    p = one_sided_p(0.03, 0.03 - q * 0.01, 0.03 + q * 0.01, "greater", -0.01, 0.95, 4)
    assert p == pytest.approx(stats.t.sf(4.0, 4))  # (0.03 + 0.01) / 0.01 = 4 standard errors past the bound
    assert one_sided_p(0.03, 0.01, 0.05, "less", 0.0, 0.95, np.inf) == pytest.approx(stats.norm.sf(-2.94), abs=2e-3)


def test_seeds_needed_by_hand() -> None:
    """d = 0.01 with interval [-0.02, +0.04] over 3 seeds, bound 0: the half-width 0.03 must shrink to 0.01,
    a factor 3 in standard error, 9 in count: 27 seeds."""
    assert units_needed(0.01, -0.02, 0.04, 0.0, 3) == 27
    assert units_needed(-0.004, -0.01, 0.002, -0.01, 3) == 3  # the margin bound: gap 0.006, half 0.006
    claims = [c for c in parse_claims(PUBLISHED_CLAIMS) if c.name == "f_quality_small"]
    table = verdicts(claims, hand_made(), VARIANTS, reference_pairs(VARIANTS), {"heldout": "ndcg@10"})
    by_variant = table.set_index("variant")["would_decide"]
    assert by_variant["mrl-a"] == "about 9 seeds"  # [-0.005, 0.02]: (0.0125 / 0.0075)^2 x 3 = 8.3
    assert by_variant["mrl-b"] == ""  # reversed: decided


def test_trend_over_every_size_on_a_hand_made_monotone_table() -> None:
    """d(k) at k = 8, 16, 32, 64 (no replicate noise): the least-squares trend on log2 k, as its fitted change
    from 64 to 8. Monotone d = -0.04, -0.03, -0.02, -0.01 gives -0.03 (the end points' difference too);
    d = -0.04, +0.02, +0.02, 0 gives slope 0.06 / 5 and -0.036, where the end points alone say -0.04."""
    assert trend_weights([8, 64]) == pytest.approx([1.0, -1.0])
    sizes = [8, 16, 32, 64]
    for d, expected in (([-0.04, -0.03, -0.02, -0.01], -0.03), ([-0.04, 0.02, 0.02, 0.0], -0.036)):
        estimates, replicates = [], []
        for seed in range(3):
            for dim, value in zip(sizes, d):
                base = {"seed": seed, "dim": dim, **KEYS, "n": 50}
                estimates += [{"variant": "mrl", "value": value, **base}, {"variant": "no-mrl", "value": 0.0, **base}]
                for b in range(4):
                    noise = 0.001 * (b - 1.5) * (1 + seed)
                    replicates += [{"variant": "mrl", "value": value + noise, "replicate": b, **base}]
                    replicates += [{"variant": "no-mrl", "value": 0.0, "replicate": b, **base}]
        table = trend_differences(pd.DataFrame(estimates), pd.DataFrame(replicates), [("mrl", "no-mrl")], 8, 64)
        assert table["difference"].tolist() == pytest.approx([expected] * 4)
        assert (table["dim"] == 8).all() and (table["versus_dim"] == 64).all()
