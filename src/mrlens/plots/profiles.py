"""Collapse (covariance spectra) and outlier-dimension figures from the profiles table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mrlens.plots.style import BASE, BASE_STYLE, legend_below_and_save, save_figure, variant_colours


def _final(profiles: pd.DataFrame, checkpoint: str) -> pd.DataFrame:
    return profiles[(profiles["checkpoint"] == checkpoint) & (profiles["strategy"] == "prefix")]


def _style(variant: str, colours: dict) -> dict:
    return dict(BASE_STYLE) if variant == BASE else {"color": colours[variant], "linestyle": "-"}


def collapse_figure(
    profiles: pd.DataFrame, paths: Sequence[str | Path], checkpoint: str = "final", dpi: int = 150
) -> None:
    """Log eigenvalues of the covariance against their rank (Jing et al. 2022): one row per corpus,
    one column per truncation size, one line per model (first seed). A cliff marks collapsed dimensions."""
    data = _final(profiles, checkpoint)
    data = data[data["kind"] == "covariance_eigenvalue"]
    corpora = sorted(data["corpus"].unique())
    sizes = sorted(data["dim"].unique())
    variants = list(dict.fromkeys([BASE, *data["variant"]]))
    colours = variant_colours(variants)
    figure, axes = plt.subplots(len(corpora), len(sizes), figsize=(3.4 * len(sizes), 3.0 * len(corpora)), squeeze=False)
    for row, corpus in enumerate(corpora):
        for col, size in enumerate(sizes):
            ax = axes[row][col]
            for variant in variants:
                subset = data[(data["corpus"] == corpus) & (data["dim"] == size) & (data["variant"] == variant)]
                if subset.empty:
                    continue
                first = subset[subset["model"] == subset["model"].iloc[0]].sort_values("index")
                values = np.clip(first["value"].to_numpy(), 1e-12, None)
                ax.plot(first["index"] + 1, np.log10(values), label=variant, linewidth=1.3, **_style(variant, colours))
            ax.set_title(f"{size} leading dimensions" + (f" — {corpus}" if len(corpora) > 1 else ""), fontsize=9)
            ax.set_xlabel("rank of eigenvalue")
            if col == 0:
                ax.set_ylabel("log10 covariance eigenvalue")
            ax.grid(alpha=0.3)
    legend_below_and_save(figure, axes[0][0], paths, dpi)


def outlier_figure(
    profiles: pd.DataFrame, paths: Sequence[str | Path], outlier_k: float, checkpoint: str = "final", dpi: int = 150
) -> None:
    """Variance of every dimension of the full embedding, one panel per model (first seed) and
    corpus, with the outlier threshold (k times the mean) and the outliers marked."""
    data = _final(profiles, checkpoint)
    data = data[data["kind"] == "variance"]
    corpora = sorted(data["corpus"].unique())
    first_seed = data["seed"].min()
    models = list(dict.fromkeys(data.loc[data["seed"].isna() | (data["seed"] == first_seed), "model"]))
    figure, axes = plt.subplots(
        len(corpora), len(models), figsize=(3.6 * len(models), 2.6 * len(corpora)), squeeze=False, sharey="row"
    )
    for row, corpus in enumerate(corpora):
        for col, model in enumerate(models):
            ax = axes[row][col]
            subset = data[(data["corpus"] == corpus) & (data["model"] == model)].sort_values("index")
            ax.bar(subset["index"], subset["value"], width=1.0, color="0.6")
            flagged = subset[subset["outlier"]]
            ax.bar(flagged["index"], flagged["value"], width=1.0, color="tab:red")
            ax.axhline(outlier_k * subset["value"].mean(), color="tab:red", linewidth=0.8, linestyle="--")
            ax.set_title(
                f"{model}: {len(flagged)} outlier(s)" + (f" — {corpus}" if len(corpora) > 1 else ""), fontsize=9
            )
            ax.set_xlabel("dimension")
            if col == 0:
                ax.set_ylabel("variance")
    figure.suptitle(f"Per-dimension variance; dashed: {outlier_k:g} x the mean (outlier threshold)", fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    save_figure(figure, paths, dpi)
