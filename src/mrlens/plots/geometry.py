"""The headline figure: the registry's headline metrics (IsoScore, uniformity, correlation) against the number
of dimensions kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mrlens.metrics.registry import HEADLINE_METRICS, title_of
from mrlens.metrics.truncation import INSAMPLE, STRATEGIES, strategy_of
from mrlens.plots.style import (
    BASE,
    BASE_LABEL,
    BASE_STYLE,
    band_note,
    legend_below_and_save,
    panel_title,
    variant_colours,
)

PANELS = HEADLINE_METRICS  # the registry's headline metrics, one panel each


def series(frame: pd.DataFrame) -> pd.DataFrame:
    """Per size: the mean over seeds and a band — min..max over seeds, or the table's ci_low..ci_high
    (a confidence interval or the range over random orderings, as its ``interval`` column says) when
    there is one seed."""
    grouped = frame.groupby("dim")
    out = grouped["value"].agg(mean="mean", low="min", high="max").reset_index()
    if frame["seed"].nunique() <= 1 and "ci_low" in frame and frame["ci_low"].notna().any():
        out["low"] = grouped["ci_low"].mean().to_numpy()
        out["high"] = grouped["ci_high"].mean().to_numpy()
    return out


def _strategies(data: pd.DataFrame) -> list[str]:
    """The strategies of ``data`` other than prefix, in the registry's order (in-sample fits after theirs)."""
    names = [name + suffix for name in STRATEGIES if name != "prefix" for suffix in ("", INSAMPLE)]
    return [name for name in names if name in set(data["strategy"])]


def draw_strategies(
    ax: plt.Axes, data: pd.DataFrame, variants: Sequence[str], colours: dict, reference_variants: Sequence[str]
) -> list[tuple[str, pd.DataFrame]]:
    """One line per variant against size: its prefix curve (solid, with markers) and, for the
    ``reference_variants`` (the no-MRL twins), the curve of every other strategy with rows in ``data``,
    in its registry style (:data:`mrlens.metrics.truncation.STRATEGIES`: ``random`` dashed, ``pca``
    dotted), so a metric with no PCA rows (not rotation-invariant) draws no PCA line; the base model
    dashed grey. Bands come from :func:`series` (fitted strategies' rows carry none: their basis is
    fitted once). Returns the ``(strategy, rows)`` of every line drawn, for the panel's
    :func:`~mrlens.plots.style.band_note` (the legend, taken from one panel, names no band)."""
    drawn = []
    for variant in variants:
        strategies = ["prefix"] + (_strategies(data) if variant in reference_variants else [])
        for strategy in strategies:
            rows = data[(data["variant"] == variant) & (data["strategy"] == strategy)]
            line = series(rows)
            if line.empty:
                continue
            drawn.append((strategy, rows))
            colour = BASE_STYLE["color"] if variant == BASE else colours[variant]
            style = BASE_STYLE["linestyle"] if variant == BASE else strategy_of(strategy).line_style
            seeds = data.loc[data["variant"] == variant, "seed"].nunique()
            named = strategy.replace(INSAMPLE, ", fitted in sample")
            label = (
                BASE_LABEL if variant == BASE else f"{variant} ({named})" + (f", {seeds} seeds" if seeds > 1 else "")
            )
            banded = not strategy_of(strategy).fitted and (line["high"] > line["low"]).any()
            marker = "o" if strategy == "prefix" else None
            ax.plot(
                line["dim"],
                line["mean"],
                linestyle=style,
                color=colour,
                linewidth=1.4,
                marker=marker,
                markersize=3,
                label=label,
            )
            if banded:
                ax.fill_between(line["dim"], line["low"], line["high"], color=colour, alpha=0.15, linewidth=0)
    return drawn


def geometry_figure(
    table: pd.DataFrame, paths: Sequence[str | Path], checkpoint: str = "final", dpi: int = 150
) -> None:
    """One row of three panels per corpus; one line per variant (mean over seeds; band = min..max
    over seeds, or the table's interval with one seed; each panel names its bands under its title:
    :func:`~mrlens.plots.style.band_note`), the base model dashed;
    prefix truncation. ``table`` is the tidy metric table (model, variant, seed, checkpoint, corpus,
    dim, metric, value, ci_low, ci_high, interval, n)."""
    table = table[table["checkpoint"] == checkpoint]
    if "strategy" in table:
        table = table[table["strategy"] == "prefix"]
    corpora = sorted(table["corpus"].unique())
    if not corpora:
        raise ValueError(f"no rows for checkpoint {checkpoint!r} in the metric table")
    variants = list(dict.fromkeys([BASE, *table["variant"]]))  # the config's order
    colours = variant_colours(variants)
    dims = sorted(table["dim"].unique())
    figure, axes = plt.subplots(
        len(corpora), len(PANELS), figsize=(4.4 * len(PANELS), 3.6 * len(corpora)), squeeze=False
    )
    for row, corpus in enumerate(corpora):
        for col, metric in enumerate(PANELS):
            ax = axes[row][col]
            data = table[(table["corpus"] == corpus) & (table["metric"] == metric)]
            drawn = []
            for variant in variants:
                rows = data[data["variant"] == variant]
                line = series(rows)
                if line.empty:
                    continue
                drawn.append(("prefix", rows))
                seeds = rows["seed"].nunique()
                name = BASE_LABEL if variant == BASE else f"{variant}" + (f" ({seeds} seeds)" if seeds > 1 else "")
                banded = (line["high"] > line["low"]).any()
                style = BASE_STYLE if variant == BASE else {"color": colours[variant], "linestyle": "-", "marker": "o"}
                ax.plot(line["dim"], line["mean"], label=name, markersize=4, linewidth=1.6, **style)
                if banded:
                    ax.fill_between(
                        line["dim"], line["low"], line["high"], color=style["color"], alpha=0.2, linewidth=0
                    )
            ax.set_xscale("log", base=2)
            ax.set_xticks(dims, [str(d) for d in dims])
            ax.minorticks_off()
            ax.set_xlabel("leading dimensions kept")
            panel_title(ax, title_of(metric), band_note(drawn))
            ax.grid(alpha=0.3)
            if col == 0:
                ax.set_ylabel(f"corpus: {corpus}")
    legend_below_and_save(figure, axes[0][0], paths, dpi)
