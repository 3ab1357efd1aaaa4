"""The zoo figure: every external model (``models:``) on one panel per metric, geometry and quality against
the number of leading dimensions kept, each near-twin drawn as a pair (one colour: the MRL model solid, its
``twin_of`` dashed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mrlens.metrics.registry import MAIN_METRICS, split_name, title_of
from mrlens.plots.geometry import PANELS
from mrlens.plots.style import legend_below_and_save, panel_title

NOTE = "{what}; points, no band"  # the intervals: the geometry and quality figures and tables


def _prefix(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of prefix truncation at full precision, final checkpoint."""
    keep = table["checkpoint"] == "final"
    for column, value in (("strategy", "prefix"), ("precision", "float32")):
        if column in table:
            keep &= table[column] == value
    return table[keep]


def model_styles(models: Mapping[str, Mapping]) -> dict[str, dict]:
    """Line style of each model: a near-twin pair (a model and its ``twin_of``) shares a colour, the MRL
    model solid with filled markers, its twin dashed with open ones; every other model its own colour."""
    palette = plt.get_cmap("tab10")
    styles: dict[str, dict] = {}
    twins = {spec.get("twin_of") for spec in models.values()}
    for name, spec in sorted(models.items(), key=lambda item: item[0] in twins):  # MRL models first
        if name in styles:
            continue
        colour = palette(len({s["color"] for s in styles.values()}) % 10)
        styles[name] = {"color": colour, "linestyle": "-", "marker": "o"}
        twin = spec.get("twin_of")
        if twin:
            styles[twin] = {"color": colour, "linestyle": "--", "marker": "o", "markerfacecolor": "none"}
    return styles


def _label(name: str, models: Mapping[str, Mapping]) -> str:
    twin = models[name].get("twin_of")
    pairs_with = [m for m, s in models.items() if s.get("twin_of") == name]
    if twin:
        return f"{name} (MRL, near-twin of {twin})"
    if pairs_with:
        return f"{name} (no MRL, near-twin of {pairs_with[0]})"
    return f"{name} ({'MRL' if len(models[name].get('dims', [])) > 1 else 'no MRL'})"


def zoo_figure(
    geometry: pd.DataFrame,
    quality: pd.DataFrame | None,
    models: Mapping[str, Mapping],
    paths: Sequence[str | Path],
    dpi: int = 150,
) -> None:
    """Panels: the geometry figure's metrics on the first corpus by name, then Spearman ρ (mean over
    similarity tasks) and nDCG (mean over retrieval tasks) where the run has them; in each, one line per
    model of ``models`` (name -> its ``models:`` entry), styled by :func:`model_styles`."""
    geometry = _prefix(geometry[geometry["model"].isin(list(models))])
    corpus = min(geometry["corpus"].unique())
    panels = [(geometry[(geometry["corpus"] == corpus) & (geometry["metric"] == m)], title_of(m), f"corpus {corpus}")
              for m in PANELS]  # fmt: skip
    if quality is not None and not quality.empty:
        quality = _prefix(quality[quality["model"].isin(list(models))])
        for family, name in MAIN_METRICS.items():  # one panel per quality family: its main score
            rows = quality[quality["metric"].map(lambda m: split_name(m)[0]) == name]
            if not rows.empty:
                metric = rows["metric"].iloc[0]
                title = f"{title_of(metric)}, {family} tasks"
                panels.append((rows[rows["metric"] == metric], title, f"mean of {rows['task'].nunique()} task(s)"))
    styles = model_styles(models)
    figure, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.8), squeeze=False)
    dims = sorted(geometry["dim"].unique())
    for ax, (rows, title, what) in zip(axes[0], panels):
        for name in models:
            line = rows[rows["model"] == name].groupby("dim")["value"].mean()
            if not line.empty:
                ax.plot(line.index, line.to_numpy(), label=_label(name, models), markersize=4, linewidth=1.6,
                        **styles[name])  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_xticks(dims, [str(d) for d in dims])
        ax.minorticks_off()
        ax.set_xlabel("leading dimensions kept")
        ax.grid(alpha=0.3)
        panel_title(ax, title, NOTE.format(what=what))
    legend_below_and_save(figure, axes[0][0], paths, dpi)
