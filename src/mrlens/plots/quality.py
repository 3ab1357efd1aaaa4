"""Does MRL cost quality? Quality against size (the Matryoshka curve), relative to each model's own
full size, and the training cost of each variant."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mrlens.metrics.registry import main_metric, order_key, title_of
from mrlens.plots.geometry import draw_strategies
from mrlens.plots.style import (
    BASE,
    BASE_STYLE,
    band_note,
    legend_below_and_save,
    panel_title,
    save_figure,
    variant_colours,
)

COSTS = (
    ("seconds_per_step", "seconds per training step"),
    ("tokens_per_second", "tokens per second"),
    ("peak_memory_mb", "peak memory (MB; GPU allocated, or process RSS on CPU)"),
    ("job_seconds", "training job wall time (s, benchmark)"),
    ("max_rss_mb", "training job max RSS (MB, benchmark)"),
)


def relative_to_full_size(table: pd.DataFrame) -> pd.DataFrame:
    """``value`` divided by the same model's prefix value at its largest size, per task and metric
    (1 at full size); intervals are dropped (the band becomes the spread over seeds)."""
    keys = [c for c in ("model", "checkpoint", "task", "metric") if c in table]
    prefix = table[table["strategy"] == "prefix"]
    full = prefix.loc[prefix.groupby(keys)["dim"].idxmax(), [*keys, "value"]].rename(columns={"value": "full"})
    out = table.merge(full, on=keys, how="inner")
    out["value"] = out["value"] / out["full"]
    return out.drop(columns=["full", "ci_low", "ci_high", "interval"], errors="ignore")


def quality_figure(
    table: pd.DataFrame,
    paths: Sequence[str | Path],
    reference_variants: Sequence[str] = (),
    metrics: Sequence[str] | None = None,
    checkpoint: str = "final",
    dpi: int = 150,
) -> None:
    """One row per (task, metric): left, the metric against the number of leading dimensions kept,
    one colour per variant (mean over seeds; band: the table's interval with one seed, min..max over
    seeds otherwise; each panel names its bands under its title), the base model dashed grey; for the
    ``reference_variants`` (the no-MRL twins) also their ``pca`` (dotted, no band) and ``random``
    (dashed, band: min..max over orderings) curves. Right, the same relative to each model's own
    full-size prefix value (bands only over seeds).

    ``table``: the quality table (model, variant, seed, checkpoint, task or corpus, strategy, dim,
    metric, value, ci_low, ci_high, interval, n); ``metrics`` keeps only those names (e.g. ``["spearman",
    "ndcg@10"]``), all by default."""
    if "task" not in table:
        table = table.rename(columns={"corpus": "task"})
    if "checkpoint" in table:
        table = table[table["checkpoint"] == checkpoint]
    if metrics is not None:
        table = table[table["metric"].isin(metrics)]
    if table.empty:
        raise ValueError(f"no quality rows for checkpoint {checkpoint!r} and metrics {metrics}")
    panels = sorted({(t, m) for t, m in zip(table["task"], table["metric"])}, key=lambda p: (p[0], order_key(p[1])))
    variants = list(dict.fromkeys([BASE, *table["variant"]]))
    colours = variant_colours(variants)
    relative = relative_to_full_size(table)
    dims = sorted(table["dim"].unique())
    figure, axes = plt.subplots(len(panels), 2, figsize=(10, 3.0 * len(panels)), squeeze=False)
    for row, (task, metric) in enumerate(panels):
        for col, frame in enumerate((table, relative)):
            ax = axes[row][col]
            drawn = draw_strategies(
                ax, frame[(frame["task"] == task) & (frame["metric"] == metric)], variants, colours, reference_variants
            )
            ax.set_xscale("log", base=2)
            ax.set_xticks(dims, [str(d) for d in dims])
            ax.minorticks_off()
            ax.grid(alpha=0.3)
            if col == 1:
                ax.axhline(1.0, color="0.6", linewidth=0.8)
            title = f"{task}: {title_of(metric)}" if col == 0 else f"{task}: {metric} / own full-size value"
            panel_title(ax, title, band_note(drawn))
            if row == len(panels) - 1:
                ax.set_xlabel("leading dimensions kept (re-normalised)")
    figure.suptitle(f"Quality at every size (checkpoint {checkpoint})", fontsize=11)
    legend_below_and_save(figure, axes[0][0], paths, dpi, top=0.98)


def cost_figure(cost: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Bars per variant for the time per step, tokens per second and peak memory of training, and the
    training job's wall time and memory from its benchmark file (mean over seeds; whiskers: min..max
    over seeds); columns without any value are left out. ``cost``: :func:`mrlens.train.cost.cost_table`."""
    panels = [(c, label) for c, label in COSTS if c in cost and cost[c].notna().any()]
    if not panels:
        raise ValueError("the cost table has no values to draw")
    variants = list(dict.fromkeys(cost["variant"]))
    colours = variant_colours(variants)
    figure, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.4), squeeze=False)
    for ax, (column, label) in zip(axes[0], panels):
        stats = cost.groupby("variant", sort=False)[column].agg(["mean", "min", "max"]).reindex(variants)
        positions = np.arange(len(variants))
        colour = [BASE_STYLE["color"] if v == BASE else colours[v] for v in variants]
        ax.bar(positions, stats["mean"].fillna(0), color=colour)
        errors = np.vstack([stats["mean"] - stats["min"], stats["max"] - stats["mean"]])
        if np.nan_to_num(errors).any():
            ax.errorbar(positions, stats["mean"], yerr=errors, fmt="none", ecolor="0.2", capsize=3, linewidth=1)
        tops = stats["max"].where(stats["max"].notna(), stats["mean"]).fillna(0)  # above the whisker
        for x, value, top in zip(positions, stats["mean"], tops):
            ax.annotate(
                "n/a" if np.isnan(value) else (f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"),
                (x, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax.margins(y=0.15)
        ax.set_xticks(positions, variants, rotation=30, ha="right", fontsize=8)
        ax.set_title(label, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    figure.suptitle(
        "Training cost per variant (training logs and benchmark files); bar and label: mean over seeds, "
        "whiskers: min to max over seeds",
        fontsize=10,
    )
    figure.tight_layout()
    save_figure(figure, paths, dpi)


def quality_bytes_figure(table: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Each task's main score against bytes per vector (:func:`mrlens.quantize.bytes_per_vector`, log2
    axis), one line per (model, precision): colour by variant, line style by precision; final checkpoint,
    prefix strategy, the mean over seeds. Points at the same x are equal bytes: truncate or quantise."""
    from mrlens.quantize import PRECISIONS, bytes_per_vector

    rows = table[(table["strategy"] == "prefix") & (table["checkpoint"] == "final")]
    if "precision" not in rows:
        rows = rows.assign(precision="float32")
    tasks = sorted(rows["task"].unique())
    variants = list(dict.fromkeys(rows["variant"]))
    colours = variant_colours(variants)
    styles = dict(zip(PRECISIONS, ("-", "--", ":", "-.")))
    figure, axes = plt.subplots(1, max(len(tasks), 1), figsize=(4.2 * max(len(tasks), 1), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        here = rows[rows["task"] == task]
        metric = main_metric(here["metric"].unique())
        here = here[here["metric"] == metric]
        means = here.groupby(["variant", "precision", "dim"], sort=False)["value"].mean().reset_index()
        for (variant, precision), line in means.groupby(["variant", "precision"], sort=False):
            line = line.assign(bytes=[bytes_per_vector(int(d), precision) for d in line["dim"]]).sort_values("bytes")
            colour = BASE_STYLE.get("color", "grey") if variant == BASE else colours.get(variant)
            ax.plot(line["bytes"], line["value"], styles.get(precision, "-"), marker="o", markersize=3, color=colour)
            ax.plot([], [], styles.get(precision, "-"), color=colour, label=f"{variant}, {precision}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bytes per vector")
        ax.set_ylabel(metric or "")
        ax.set_title(task, fontsize=9)
    legend_below_and_save(figure, axes[0][0], paths, dpi)
