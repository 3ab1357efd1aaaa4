"""Verdicts of claims (:mod:`mrlens.inference.claims`) on a table of paired twin differences
(:mod:`mrlens.inference.differences`), and the findings report in markdown.

Decision rule, the same for every claim: at each size, with ``[low, high]`` the interval of the difference
``model - reference`` and ``b`` the claim's bound (0, or the non-inferiority margin),

- ``holds`` when the interval lies entirely on the claimed side of ``b`` (``low > b`` for ``greater``,
  ``high < b`` for ``less``);
- ``reversed`` when it lies entirely on the other side;
- ``inconclusive`` when it contains ``b``, or there is no interval.

Each such verdict is a one-sided test at ``alpha = (1 - confidence) / 2``; ``holm_verdict`` is the verdict
after Holm's adjustment over each claim's cells (:func:`holm_verdicts`, :mod:`mrlens.inference.decisions`),
the one the summary leads with.

The difference judged is the mean over seeds with its pooled interval when the twins have two or more
seeds, otherwise the one seed's paired interval over documents (no training-run variance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mrlens.inference.claims import MAIN, Claim, claim_pairs
from mrlens.inference.decisions import holm, one_sided_p, units_needed
from mrlens.metrics.registry import main_metric
from mrlens.quantize import FULL, bytes_per_vector

VERDICTS = ("holds", "reversed", "inconclusive")
COLUMNS = ["claim", "variant", "reference", "where", "precision", "dim", "versus_dim", "versus_precision", "metric"]
COLUMNS += ["difference", "ci_low", "ci_high"]
COLUMNS += ["interval", "n", "n_seeds", "verdict"]
COLUMNS += ["freedom", "bound", "p_value", "p_holm", "holm_verdict", "would_decide"]


def verdict(low: float, high: float, direction: str, bound: float = 0.0) -> str:
    """``holds``, ``reversed`` or ``inconclusive`` for the interval ``[low, high]`` (see the module docstring)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive"
    above, below = low > bound, high < bound
    if direction == "greater":
        return "holds" if above else "reversed" if below else "inconclusive"
    return "holds" if below else "reversed" if above else "inconclusive"


def claimed_sizes(sizes: str | Sequence[int], measured: Sequence[int]) -> list[int]:
    """The sizes a claim speaks of among the ``measured`` ones: a list, or all, all_but_smallest, smallest, largest."""
    measured = sorted(measured)
    if not isinstance(sizes, str):
        return [s for s in measured if s in set(sizes)]
    words = {"all": measured, "all_but_smallest": measured[1:], "smallest": measured[:1], "largest": measured[-1:]}
    return words[sizes]


def _where(differences: pd.DataFrame) -> pd.Series:
    """The corpus or task of each row (a table may hold geometry rows, with a corpus, and quality rows, with a task)."""
    corpus = differences["corpus"] if "corpus" in differences else pd.Series(pd.NA, index=differences.index)
    task = differences["task"] if "task" in differences else pd.Series(pd.NA, index=differences.index)
    return corpus.where(corpus.notna(), task)


def _claim_rows(
    claim: Claim, table: pd.DataFrame, pairs: list[tuple[str, str]], main: Mapping[str, str]
) -> pd.DataFrame:
    pair_of = list(zip(table["variant"], table["reference"]))
    keep = pd.Series([p in set(pairs) for p in pair_of], index=table.index)
    keep &= (table["checkpoint"] == claim.checkpoint) & (table["strategy"] == claim.strategy)
    keep &= table["precision"] == claim.precision
    contrast = table["versus_precision"].notna()  # equal-bytes rows: a model at two (size, precision) points
    if claim.kind == "equal_bytes":
        keep &= (
            contrast & (table["versus_dim"] == claim.versus_dim) & (table["versus_precision"] == claim.versus_precision)
        )
    else:
        keep &= table["versus_dim"].notna() & ~contrast if claim.kind == "trend" else table["versus_dim"].isna()
    if claim.metric == MAIN:
        keep &= table["task"].notna() & (table["metric"] == table["task"].map(dict(main)))
    else:
        keep &= table["metric"] == claim.metric
    for column in ("corpus", "task"):
        if getattr(claim, column) is not None:
            keep &= table[column] == getattr(claim, column)
    rows = table[keep]
    index = pd.MultiIndex.from_frame(rows[["variant", "reference", "where", "dim", "metric"]])  # one claim: one point
    is_pooled = rows["seed"].isna().to_numpy()
    return rows[is_pooled | ~index.isin(index[is_pooled])]  # the pooled row where there is one


def main_metrics(differences: pd.DataFrame) -> dict[str, str]:
    """Each task's main score among the metrics of its rows (:func:`mrlens.metrics.registry.main_metric`)."""
    if "task" not in differences:
        return {}
    rows = differences[differences["task"].notna()]
    found = {str(task): main_metric(metrics) for task, metrics in rows.groupby("task")["metric"]}
    return {task: metric for task, metric in found.items() if metric}


def verdicts(
    claims: Sequence[Claim],
    differences: pd.DataFrame,
    variants: Mapping[str, Sequence[int]],
    pairs: Sequence[tuple[str, str]],
    main_metrics: Mapping[str, str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per (claim, compared pair, corpus or task, size): the difference, its interval, the
    verdict, and the tests of :func:`holm_verdicts` at the intervals' ``confidence``. ``differences`` holds
    rows of :func:`~mrlens.inference.differences.differences` and of
    :func:`~mrlens.inference.differences.trend_differences` (``versus_dim`` set), geometry and quality
    together; ``pairs`` are the reference pairs (:func:`~mrlens.inference.claims.reference_pairs`);
    ``main_metrics`` maps a task to its main score, for ``metric: main``."""
    table = differences.assign(where=_where(differences))
    for column in ("versus_dim", "versus_precision", "corpus", "task"):
        if column not in table:
            table[column] = pd.NA
    if "precision" not in table:
        table["precision"] = FULL
    out = []
    for claim in claims:
        rows = _claim_rows(claim, table, claim_pairs(claim, variants, pairs), main_metrics or {})
        if claim.kind != "trend":
            sizes = claimed_sizes(claim.sizes, rows["dim"].unique())
            rows = rows[rows["dim"].isin(sizes)]
        bounds = [claim.bound_for(metric) for metric in rows["metric"]]
        judged = [verdict(r.ci_low, r.ci_high, claim.direction, b) for r, b in zip(rows.itertuples(), bounds)]
        out.append(rows.assign(claim=claim.name, verdict=judged, bound=bounds))
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return holm_verdicts(pd.concat(out, ignore_index=True), claims, confidence)[COLUMNS]


def holm_verdicts(table: pd.DataFrame, claims: Sequence[Claim], confidence: float = 0.95) -> pd.DataFrame:
    """``table`` (rows of :func:`verdicts`) with each cell's one-sided p-value (``p_value``, of the claim
    against its bound), Holm's adjusted p-value over the claim's cells (``p_holm``) and the verdict at that
    adjustment (``holm_verdict``: ``holds`` when ``p_holm <= alpha``, ``reversed`` when the Holm-adjusted
    test of the other direction rejects, else ``inconclusive``); for an inconclusive cell with an interval,
    ``would_decide``: about how many seeds (pooled rows) or units (one seed's rows) would decide it if the
    observed difference were true (:func:`mrlens.inference.decisions.units_needed`).
    :mod:`mrlens.inference.decisions` has the formulas."""
    alpha = (1 - confidence) / 2
    freedom = table["freedom"] if "freedom" in table else pd.Series(np.inf, index=table.index)
    table = table.assign(freedom=freedom.astype(float), p_value=np.nan, p_holm=np.nan, holm_verdict="inconclusive")
    table["would_decide"] = ""
    other = {"greater": "less", "less": "greater"}
    for claim in claims:
        rows = table.index[table["claim"] == claim.name]
        if rows.empty:
            continue
        cells = table.loc[rows]
        tests = {
            side: [
                one_sided_p(r.difference, r.ci_low, r.ci_high, side, r.bound, confidence, r.freedom)
                for r in cells.itertuples()
            ]
            for side in (claim.direction, other[claim.direction])
        }
        holds, reverse = (holm(tests[side]) for side in (claim.direction, other[claim.direction]))
        table.loc[rows, "p_value"] = tests[claim.direction]
        table.loc[rows, "p_holm"] = holds
        adjusted = np.where(holds <= alpha, "holds", np.where(reverse <= alpha, "reversed", "inconclusive"))
        table.loc[rows, "holm_verdict"] = adjusted
        table.loc[rows, "would_decide"] = [_would_decide(r) for r in table.loc[rows].itertuples()]
    return table


def _would_decide(row) -> str:
    """``about N seeds`` (or ``about n = N``) for an inconclusive cell with an interval, else empty."""
    if row.verdict != "inconclusive":
        return ""
    seeds = pd.notna(row.n_seeds) and int(row.n_seeds) > 1
    needed = units_needed(row.difference, row.ci_low, row.ci_high, row.bound, int(row.n_seeds if seeds else row.n))
    if not np.isfinite(needed):
        return ""
    return f"about {int(needed):,} seeds" if seeds else f"about n = {int(needed):,}"


def family_verdicts(
    claims: Sequence[Claim],
    differences: pd.DataFrame,
    families: Sequence[tuple[Mapping[str, Sequence[int]], Sequence[tuple[str, str]]]],
    main_metrics: Mapping[str, str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`verdicts` for each family of ``(variants, reference pairs)`` — the trained twins, the external
    models of ``models:`` — whose roles (``mrl``, ``no-mrl``, ...) are resolved within the family only; a
    comparison that two families name (a claim naming both models) is judged once. Holm's adjustment runs
    over each claim's cells in every family together."""
    judged = [verdicts(claims, differences, variants, pairs, main_metrics, confidence) for variants, pairs in families]
    table = pd.concat([j for j in judged if not j.empty] or judged[:1], ignore_index=True)
    table = table.drop_duplicates(["claim", "variant", "reference", "where", "dim", "versus_dim", "metric"])
    return holm_verdicts(table.reset_index(drop=True), claims, confidence)[COLUMNS]


def _both(row: pd.Series) -> str:
    """A summary cell: the verdict after Holm's adjustment, the cell's own in brackets where it differs."""
    own, adjusted = row["verdict"], row["holm_verdict"]
    return adjusted if own == adjusted else f"{adjusted} ({own})"


def _p(p: float) -> str:
    return "–" if not np.isfinite(p) else f"{p:.2g}"


def _number(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x:+.3g}"


def _size(row: pd.Series) -> str:
    if pd.notna(row.get("versus_precision")):  # equal bytes: a size and precision against another
        return f"{int(row['dim'])} {row['precision']} − {int(row['versus_dim'])} {row['versus_precision']}"
    return f"{int(row['dim'])} − {int(row['versus_dim'])}" if pd.notna(row["versus_dim"]) else str(int(row["dim"]))


def _comparison(claim: Claim, variant: str, reference: str) -> str:
    if claim.kind == "equal_bytes":
        return f"{variant}: {claim.precision} − {claim.versus_dim} {claim.versus_precision}"
    return f"{variant} − {reference}"


def _summary_size(row: pd.Series) -> str:
    """The summary column of a verdict: its size, or for a trend its two sizes."""
    return str(int(row["dim"])) if pd.notna(row.get("versus_precision")) else _size(row)


def _claimed(claim: Claim) -> str:
    sign = ">" if claim.direction == "greater" else "<"
    what = "the fitted change of d from the largest size to the smallest (trend over every size)"
    what = what if claim.kind == "trend" else "d"
    metric = "each task's main score" if claim.metric == MAIN else f"`{claim.metric}`"
    if claim.kind == "equal_bytes":
        size, point = claim.sizes[0], f"{claim.versus_dim} {claim.versus_precision}"
        return (
            f"d {sign} {claim.bound + 0:g}, d = (model at {size} {claim.precision}) − (the same model at {point}) "
            f"of {metric}, {bytes_per_vector(size, claim.precision)} bytes per vector each"
        )
    at = "" if claim.precision == FULL else f" at {claim.precision}"
    return f"{what} {sign} {_bound_text(claim)}, d = model − reference of {metric}{at}"


def _bound_text(claim: Claim) -> str:
    """The bound, or each metric's (a margin per metric on its own scale)."""
    if not isinstance(claim.margin, Mapping):
        return f"{claim.bound + 0:g}"
    sign = -1 if claim.direction == "greater" else 1
    return "the margin of each metric (" + ", ".join(f"{m} {sign * v + 0:g}" for m, v in claim.margin.items()) + ")"


def decision_rule(confidence: float) -> str:
    """The paragraph stated once at the top of the report."""
    level = f"{100 * confidence:g} %"
    return (
        f"**Decision rule.** Every claim is about a paired difference d = model − reference between twins "
        f"trained with the same seed and measured on the same documents, queries or pairs. At each size the "
        f"claim **holds** when the {level} confidence interval of d lies entirely on the claimed side of its "
        f'bound (0, or −margin for a non-inferiority claim such as "costs nothing"), is **reversed** when it '
        f"lies entirely on the other side, and is **inconclusive** when it contains the bound or there is no "
        f"interval. With two or more seeds d is the mean over seeds and its interval (`seeds-t`) carries the "
        f"training-run variance and the document noise every seed shares; with one seed it is the metric's "
        f"paired interval over documents (the `method` column), which says nothing about training-run "
        f"variance. A trend claim judges the least-squares trend of d over every size (on log2 size), as "
        f"its fitted change from the largest size to the smallest, from the same paired replicates. Margins "
        f"are declared per claim on each metric's own scale.\n\n"
        f"**Multiplicity.** Each cell is a one-sided test at {100 * (1 - confidence) / 2:g} %; a claim judged "
        f"in many cells (sizes, tasks, comparisons) would hold somewhere by chance. The summary shows the "
        f"verdict after Holm's adjustment over each claim's cells (Holm 1979: the chance of one or more false "
        f"**holds** among them stays below {100 * (1 - confidence) / 2:g} %), with the cell's own verdict in "
        f"brackets where they differ; the tables below give both, with the p-values. An inconclusive cell "
        f'says about how many seeds (or documents, queries, pairs: "n") would decide it if the observed '
        f'difference were true. "Inconclusive" is not evidence of no difference.'
    )


def render_markdown(
    verdicts: pd.DataFrame, claims: Sequence[Claim], confidence: float = 0.95, sizes: Sequence[int] | None = None
) -> str:
    """``findings.md``: the decision rule, a summary (one row per claim, comparison and corpus or task,
    a verdict per size: ``sizes``, by default those judged), then per claim the difference, its interval,
    n and the number of seeds."""
    lines = ["# Findings", "", decision_rule(confidence), "", "## Summary", ""]
    is_trend = verdicts["versus_dim"].notna() & verdicts["versus_precision"].isna()
    sizes = sorted(sizes or {int(d) for d in verdicts.loc[~is_trend, "dim"]})
    trend = bool(is_trend.any())
    header = ["claim", "comparison", "corpus / task", *map(str, sizes), *(["trend"] if trend else [])]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for claim in claims:
        for (variant, reference, where), rows in verdicts[verdicts["claim"] == claim.name].groupby(
            ["variant", "reference", "where"], sort=False
        ):
            cells = {_summary_size(r): _both(r) for _, r in rows.iterrows()}
            by_size = [cells.get(str(s), "·") for s in sizes]
            trend_cell = [next((v for k, v in cells.items() if "−" in k), "·")] if trend else []
            cells_text = " | ".join([*by_size, *trend_cell])
            lines.append(f"| {claim.name} | {_comparison(claim, variant, reference)} | {where} | {cells_text} |")
    missing = [c.name for c in claims if not (verdicts["claim"] == c.name).any()]
    if missing:
        lines += ["", f"Nothing to compare in this run for: {', '.join(missing)} (no such variants, tasks or sizes)."]
    for claim in claims:
        rows = verdicts[verdicts["claim"] == claim.name]
        lines += [
            "",
            f"## {claim.name}: {claim.text}",
            "",
            f"Claimed: {_claimed(claim)}; strategy `{claim.strategy}`, checkpoint `{claim.checkpoint}`.",
            "",
        ]
        if rows.empty:
            lines.append("Nothing to compare in this run.")
            continue
        header = "| comparison | corpus / task | size | d | interval | method | n | seeds | p | Holm p | verdict | "
        lines += [header + "Holm verdict | would decide |", "|" + " --- |" * 13]
        for _, r in rows.iterrows():
            interval = f"[{_number(r['ci_low'])}, {_number(r['ci_high'])}]"
            tests = f"{_p(r['p_value'])} | {_p(r['p_holm'])}"
            decided = f"**{r['holm_verdict']}** | {r['would_decide']}"
            lines.append(
                f"| {_comparison(claim, r['variant'], r['reference'])} | {r['where']} | {_size(r)} | {_number(r['difference'])} | "
                f"{interval} | {r['interval']} | {r['n']} | {r['n_seeds']} | {tests} | {r['verdict']} | {decided} |"
            )
    return "\n".join(lines) + "\n"
