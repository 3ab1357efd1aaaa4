"""Every metric of the suite against size for one corpus, with the truncation strategies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mrlens.metrics.registry import title_of
from mrlens.plots.geometry import draw_strategies
from mrlens.plots.style import BASE, band_note, legend_below_and_save, panel_title, variant_colours


def trivial_metrics(table: pd.DataFrame) -> dict[str, str]:
    """Metrics whose panel would say nothing, with why: one value everywhere (e.g. no outlier dimension
    at any size) or the size itself at every size (a full numerical rank)."""
    trivial = {}
    for metric, data in table.groupby("metric", sort=False):
        values = data["value"].dropna()
        if values.empty:
            trivial[metric] = "no value"
        elif np.allclose(values, values.iloc[0]):
            trivial[metric] = f"{values.iloc[0]:g} everywhere"
        elif np.allclose(values, data.loc[values.index, "dim"]):
            trivial[metric] = "equals the size"
    return trivial


def suite_figure(
    table: pd.DataFrame,
    corpus: str,
    paths: Sequence[str | Path],
    reference_variants: Sequence[str] = (),
    checkpoint: str = "final",
    dpi: int = 150,
) -> None:
    """One panel per metric; one colour per variant with its prefix curve (solid), and for the
    ``reference_variants`` (the no-MRL twins) their ``pca`` (dotted; rotation-invariant metrics only) and
    ``random`` (dashed) curves too: does an MRL prefix beat a random choice or PCA at the same size? The
    base model is dashed grey. Bands: the interval each metric declares (prefix; e.g. a 95 % split-halves CI), the
    spread over random orderings (random), or over seeds; each panel names its own under its title
    (:func:`~mrlens.plots.style.band_note`)."""
    table = table[(table["corpus"] == corpus) & (table["checkpoint"] == checkpoint)]
    trivial = trivial_metrics(table)  # dropped, and named under the title
    metrics = [m for m in dict.fromkeys(table["metric"]) if m != "duplicates" and m not in trivial]
    variants = list(dict.fromkeys([BASE, *table["variant"]]))
    colours = variant_colours(variants)
    columns = 4
    rows = int(np.ceil(len(metrics) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    dims = sorted(table["dim"].unique())
    for ax, metric in zip(axes.flat, metrics):
        data = table[table["metric"] == metric]
        drawn = draw_strategies(ax, data, variants, colours, reference_variants)
        ax.set_xscale("log", base=2)
        ax.set_xticks(dims, [str(d) for d in dims])
        ax.minorticks_off()
        panel_title(ax, title_of(metric), band_note(drawn))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    dropped = "; ".join(f"{m}: {why}" for m, why in trivial.items() if m != "duplicates")
    figure.suptitle(
        f"Geometry at every size, corpus {corpus} (checkpoint {checkpoint}); x: leading dimensions kept"
        + (f"\nnot drawn (no model differs from another): {dropped}" if dropped else ""),
        fontsize=11,
    )
    legend_below_and_save(figure, axes[0][0], paths, dpi, top=0.97)
