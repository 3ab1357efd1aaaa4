"""Verdicts of claims (:mod:`mrlens.inference.claims`) on a table of paired twin differences
(:mod:`mrlens.inference.differences`), and the findings report in markdown.

Decision rule, the same for every claim: at each size, with ``[low, high]`` the interval of the difference
``model - reference`` and ``b`` the claim's bound (0, or the non-inferiority margin),

- ``holds`` when the interval lies entirely on the claimed side of ``b`` (``low > b`` for ``greater``,
  ``high < b`` for ``less``);
- ``reversed`` when it lies entirely on the other side;
- ``inconclusive`` when it contains ``b``, or there is no interval.

The difference judged is the mean over seeds with its pooled interval when the twins have two or more
seeds, otherwise the one seed's paired interval over documents (no training-run variance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mrlens.inference.claims import MAIN, Claim, claim_pairs

VERDICTS = ("holds", "reversed", "inconclusive")
COLUMNS = ["claim", "variant", "reference", "where", "dim", "versus_dim", "metric", "difference", "ci_low", "ci_high"]
COLUMNS += ["interval", "n", "n_seeds", "verdict"]


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
    keep &= table["versus_dim"].notna() if claim.kind == "trend" else table["versus_dim"].isna()
    if claim.metric == MAIN:
        keep &= table["task"].notna() & (table["metric"] == table["task"].map(dict(main)))
    else:
        keep &= table["metric"] == claim.metric
    for column in ("corpus", "task"):
        if getattr(claim, column) is not None:
            keep &= table[column] == getattr(claim, column)
    rows = table[keep]
    index = pd.MultiIndex.from_frame(rows[["variant", "reference", "where", "dim", "metric"]])
    is_pooled = rows["seed"].isna().to_numpy()
    return rows[is_pooled | ~index.isin(index[is_pooled])]  # the pooled row where there is one


def main_metrics(differences: pd.DataFrame) -> dict[str, str]:
    """Each task's main score among the metrics of its rows: ``spearman`` (similarity), else ``ndcg@k``
    (retrieval), else an MTEB task's ``mteb:`` score."""
    if "task" not in differences:
        return {}
    rows = differences[differences["task"].notna()]
    main = {}
    for task, metrics in rows.groupby("task")["metric"]:
        names = sorted(set(metrics))
        ranked = [m for prefix in ("spearman", "ndcg@", "mteb:") for m in names if m.startswith(prefix)]
        if ranked:
            main[str(task)] = ranked[0]
    return main


def verdicts(
    claims: Sequence[Claim],
    differences: pd.DataFrame,
    variants: Mapping[str, Sequence[int]],
    pairs: Sequence[tuple[str, str]],
    main_metrics: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per (claim, compared pair, corpus or task, size): the difference, its interval and the
    verdict. ``differences`` holds rows of :func:`~mrlens.inference.differences.differences` and of
    :func:`~mrlens.inference.differences.trend_differences` (``versus_dim`` set), geometry and quality
    together; ``pairs`` are the reference pairs (:func:`~mrlens.inference.claims.reference_pairs`);
    ``main_metrics`` maps a task to its main score, for ``metric: main``."""
    table = differences.assign(where=_where(differences))
    if "versus_dim" not in table:
        table["versus_dim"] = pd.NA
    for column in ("corpus", "task"):
        if column not in table:
            table[column] = pd.NA
    out = []
    for claim in claims:
        rows = _claim_rows(claim, table, claim_pairs(claim, variants, pairs), main_metrics or {})
        if claim.kind == "difference":
            sizes = claimed_sizes(claim.sizes, rows["dim"].unique())
            rows = rows[rows["dim"].isin(sizes)]
        judged = [verdict(r.ci_low, r.ci_high, claim.direction, claim.bound) for r in rows.itertuples()]
        out.append(rows.assign(claim=claim.name, verdict=judged))
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(out, ignore_index=True)[COLUMNS]


def family_verdicts(
    claims: Sequence[Claim],
    differences: pd.DataFrame,
    families: Sequence[tuple[Mapping[str, Sequence[int]], Sequence[tuple[str, str]]]],
    main_metrics: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """:func:`verdicts` for each family of ``(variants, reference pairs)`` — the trained twins, the external
    models of ``models:`` — whose roles (``mrl``, ``no-mrl``, ...) are resolved within the family only; a
    comparison that two families name (a claim naming both models) is judged once."""
    judged = [verdicts(claims, differences, variants, pairs, main_metrics) for variants, pairs in families]
    table = pd.concat([j for j in judged if not j.empty] or judged[:1], ignore_index=True)
    return table.drop_duplicates(["claim", "variant", "reference", "where", "dim", "versus_dim", "metric"])


def _number(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x:+.3g}"


def _size(row: pd.Series) -> str:
    return f"{int(row['dim'])} − {int(row['versus_dim'])}" if pd.notna(row["versus_dim"]) else str(int(row["dim"]))


def _claimed(claim: Claim) -> str:
    sign = ">" if claim.direction == "greater" else "<"
    what = "(d at the smallest size) − (d at the largest)" if claim.kind == "trend" else "d"
    metric = "each task's main score" if claim.metric == MAIN else f"`{claim.metric}`"
    return f"{what} {sign} {claim.bound + 0:g}, d = model − reference of {metric}"


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
        f"variance. A trend claim "
        f"judges d at the smallest size minus d at the largest, from the same paired replicates. "
        f'"Inconclusive" is not evidence of no difference.'
    )


def render_markdown(
    verdicts: pd.DataFrame, claims: Sequence[Claim], confidence: float = 0.95, sizes: Sequence[int] | None = None
) -> str:
    """``findings.md``: the decision rule, a summary (one row per claim, comparison and corpus or task,
    a verdict per size: ``sizes``, by default those judged), then per claim the difference, its interval,
    n and the number of seeds."""
    lines = ["# Findings", "", decision_rule(confidence), "", "## Summary", ""]
    sizes = sorted(sizes or {int(d) for d in verdicts.loc[verdicts["versus_dim"].isna(), "dim"]})
    trend = bool(verdicts["versus_dim"].notna().any())
    header = ["claim", "comparison", "corpus / task", *map(str, sizes), *(["smallest vs largest"] if trend else [])]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for claim in claims:
        for (variant, reference, where), rows in verdicts[verdicts["claim"] == claim.name].groupby(
            ["variant", "reference", "where"], sort=False
        ):
            cells = {_size(r): r["verdict"] for _, r in rows.iterrows()}
            by_size = [cells.get(str(s), "·") for s in sizes]
            trend_cell = [next((v for k, v in cells.items() if "−" in k), "·")] if trend else []
            cells_text = " | ".join([*by_size, *trend_cell])
            lines.append(f"| {claim.name} | {variant} − {reference} | {where} | {cells_text} |")
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
        lines += [
            "| comparison | corpus / task | size | d | interval | method | n | seeds | verdict |",
            "|" + " --- |" * 9,
        ]
        for _, r in rows.iterrows():
            interval = f"[{_number(r['ci_low'])}, {_number(r['ci_high'])}]"
            lines.append(
                f"| {r['variant']} − {r['reference']} | {r['where']} | {_size(r)} | {_number(r['difference'])} | "
                f"{interval} | {r['interval']} | {r['n']} | {r['n_seeds']} | **{r['verdict']}** |"
            )
    return "\n".join(lines) + "\n"
