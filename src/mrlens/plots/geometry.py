"""The headline figure: IsoScore, uniformity and correlation against the number of dimensions kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mrlens.metrics.truncation import INSAMPLE, STRATEGIES, strategy_of
from mrlens.plots.style import BASE, BASE_LABEL, BASE_STYLE, band_text, legend_below_and_save, variant_colours

PANELS = (
    ("isoscore", "IsoScore (higher: more isotropic)"),
    ("uniformity", "Uniformity loss, t = 2 (lower: more uniform)\nprefixes re-normalised to unit length"),
    ("mean_abs_correlation", "Mean |Pearson r| between dimensions\n(lower: less redundant)"),
)


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
) -> None:
    """One line per variant against size: its prefix curve (solid, with markers) and, for the
    ``reference_variants`` (the no-MRL twins), the curve of every other strategy with rows in ``data``,
    in its registry style (:data:`mrlens.metrics.truncation.STRATEGIES`: ``random`` dashed, ``pca``
    dotted), so a metric with no PCA rows (not rotation-invariant) draws no PCA line; the base model
    dashed grey. Bands come from :func:`series` (fitted strategies' rows carry none: their basis is
    fitted once); each legend entry says what its band is (:func:`band_text`)."""
    for variant in variants:
        strategies = ["prefix"] + (_strategies(data) if variant in reference_variants else [])
        for strategy in strategies:
            line = series(data[(data["variant"] == variant) & (data["strategy"] == strategy)])
            if line.empty:
                continue
            colour = BASE_STYLE["color"] if variant == BASE else colours[variant]
            style = BASE_STYLE["linestyle"] if variant == BASE else strategy_of(strategy).line_style
            seeds = data.loc[data["variant"] == variant, "seed"].nunique()
            named = strategy.replace(INSAMPLE, ", fitted in sample")
            label = (
                BASE_LABEL if variant == BASE else f"{variant} ({named})" + (f", {seeds} seeds" if seeds > 1 else "")
            )
            banded = not strategy_of(strategy).fitted and (line["high"] > line["low"]).any()
            rows = data[(data["variant"] == variant) & (data["strategy"] == strategy)]
            label += f"\n{band_text(rows)}" if banded and band_text(rows) else ""
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


def geometry_figure(
    table: pd.DataFrame, paths: Sequence[str | Path], checkpoint: str = "final", dpi: int = 150
) -> None:
    """One row of three panels per corpus; one line per variant (mean over seeds; band = min..max
    over seeds, or the table's interval with one seed, named in the legend), the base model dashed;
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
        for col, (metric, label) in enumerate(PANELS):
            ax = axes[row][col]
            data = table[(table["corpus"] == corpus) & (table["metric"] == metric)]
            for variant in variants:
                line = series(data[data["variant"] == variant])
                if line.empty:
                    continue
                seeds = data.loc[data["variant"] == variant, "seed"].nunique()
                name = BASE_LABEL if variant == BASE else f"{variant}" + (f" ({seeds} seeds)" if seeds > 1 else "")
                banded = (line["high"] > line["low"]).any()
                band = band_text(data[data["variant"] == variant]) if banded else ""
                name += f"\n{band}" if band else ""
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
            ax.set_title(label, fontsize=9)
            ax.grid(alpha=0.3)
            if col == 0:
                ax.set_ylabel(f"corpus: {corpus}")
    legend_below_and_save(figure, axes[0][0], paths, dpi)
