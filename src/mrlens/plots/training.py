"""Training dynamics: per-size losses against step, and layer x step heatmaps of gradient and update norms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mrlens.metrics.registry import HEADLINE_METRICS, title_of
from mrlens.plots.style import BASE, band_note, legend_below_and_save, panel_title, save_figure


def loss_figure(logs: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """One column per variant (first seed), rows: loss and in-batch top-1 accuracy at every size against
    step. The main lines are measured on the fixed held-out pairs (``heldout_loss``, ``heldout_accuracy``),
    the faint ones on each step's own training batch; without held-out rows the batch values are the main
    lines. Solid lines are sizes the variant trains on, dashed ones are only monitored: the no-MRL
    model's small-size loss shows what MRL buys."""
    logs = logs[logs["seed"] == logs["seed"].min()]
    variants = list(dict.fromkeys(logs["variant"]))
    sizes = sorted(logs.loc[logs["metric"] == "loss", "dim"].dropna().unique())
    heldout = bool((logs["metric"] == "heldout_loss").any())
    palette = plt.get_cmap("viridis")
    colours = {size: palette(i / max(1, len(sizes) - 1)) for i, size in enumerate(sizes)}
    figure, axes = plt.subplots(2, len(variants), figsize=(4.2 * len(variants), 6.4), squeeze=False, sharey="row")
    for col, variant in enumerate(variants):
        for row, metric in enumerate(("loss", "accuracy")):
            ax = axes[row][col]
            data = logs[logs["variant"] == variant]
            for size in sizes:
                batch = data[(data["metric"] == metric) & (data["dim"] == size)].sort_values("step")
                held = data[(data["metric"] == f"heldout_{metric}") & (data["dim"] == size)].sort_values("step")
                if batch.empty:
                    continue
                trained = bool(batch["trained"].iloc[0])
                style = {"color": colours[size], "linestyle": "-" if trained else "--"}
                label = f"{int(size)}" + ("" if trained else " (monitored)")
                if heldout:
                    ax.plot(batch["step"], batch["value"], alpha=0.25, linewidth=0.6, **style)
                main = held if heldout else batch
                ax.plot(main["step"], main["value"], linewidth=1.5 if trained else 1.0, label=label, **style)
            ax.set_title(variant if row == 0 else "", fontsize=10)
            ax.set_xlabel("step" if row == 1 else "")
            where = "held-out pairs (faint: batch)" if heldout else "the batch"
            ax.set_ylabel(f"ranking loss on {where}" if metric == "loss" else f"top-1 accuracy on {where}", fontsize=8)
            ax.grid(alpha=0.3)
        axes[0][col].legend(fontsize=7, title="size", title_fontsize=7)
    figure.tight_layout()
    save_figure(figure, paths, dpi)


def norms_figure(logs: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Heatmaps (layer group x step, log10 colour scale) of the gradient norm, the update norm and
    the drift from the base, one row per variant (first seed). Zero values are left blank."""
    logs = logs[(logs["seed"] == logs["seed"].min()) & (logs["group"].notna()) & (logs["group"] != "total")]
    variants = list(dict.fromkeys(logs["variant"]))
    metrics = [
        ("grad_norm", "gradient norm"),
        ("update_norm", "update norm ||theta_t - theta_t-1||"),
        ("drift", "drift ||theta_t - theta_0|| / ||theta_0||"),
    ]
    figure, axes = plt.subplots(
        len(variants), len(metrics), figsize=(5.0 * len(metrics), 2.6 * len(variants)), squeeze=False
    )
    for row, variant in enumerate(variants):
        for col, (metric, title) in enumerate(metrics):
            ax = axes[row][col]
            data = logs[(logs["variant"] == variant) & (logs["metric"] == metric)]
            grid = data.pivot_table(index="group", columns="step", values="value")
            if grid.empty:
                ax.axis("off")
                continue
            grid = grid[(grid > 0).any(axis=1)]  # groups that never move (an unused pooler) are left out
            values = np.log10(grid.where(grid > 0).to_numpy())  # zeros (warm-up step 1) stay blank
            image = ax.imshow(values, aspect="auto", cmap="magma", interpolation="nearest")
            ax.set_yticks(range(len(grid.index)), grid.index, fontsize=7)
            ticks = np.linspace(0, len(grid.columns) - 1, min(6, len(grid.columns))).astype(int)
            ax.set_xticks(ticks, [str(grid.columns[i]) for i in ticks], fontsize=7)
            ax.set_title(f"{variant}: {title}" if col == 0 else title, fontsize=9)
            ax.set_xlabel("step")
            figure.colorbar(image, ax=ax, label="log10")
    figure.tight_layout()
    save_figure(figure, paths, dpi)


def checkpoint_figure(
    table: pd.DataFrame,
    max_steps: int,
    paths: Sequence[str | Path],
    metrics: Sequence[str] = HEADLINE_METRICS,
    dpi: int = 150,
) -> None:
    """Geometry against training step (checkpoints ``step-N`` and ``final`` = ``max_steps``) at the
    smallest and the largest size, one line per variant (first seed), prefix truncation, first corpus;
    the base model is drawn at step 0. Bands: the table's interval (``ci_low``..``ci_high``), named under
    each panel's title (:func:`~mrlens.plots.style.band_note`)."""
    table = table[(table["strategy"] == "prefix") & (table["corpus"] == sorted(table["corpus"].unique())[0])]
    table = table[table["seed"].isna() | (table["seed"] == table["seed"].min())]
    steps = table["checkpoint"].map(lambda c: max_steps if c == "final" else int(c.split("-")[1]))
    table = table.assign(step=steps.where(table["variant"] != BASE, 0))
    sizes = sorted(table["dim"].unique())
    sizes = [sizes[0], sizes[-1]] if len(sizes) > 1 else sizes
    variants = [v for v in dict.fromkeys(table["variant"]) if v != BASE]
    palette = plt.get_cmap("tab10")
    figure, axes = plt.subplots(len(sizes), len(metrics), figsize=(4.2 * len(metrics), 3.0 * len(sizes)), squeeze=False)
    for row, size in enumerate(sizes):
        for col, metric in enumerate(metrics):
            ax = axes[row][col]
            data = table[(table["dim"] == size) & (table["metric"] == metric)]
            base = data[data["variant"] == BASE]["value"]
            drawn = [("prefix", data[data["variant"] == v]) for v in [BASE, *variants]]
            for i, variant in enumerate(variants):
                line = pd.concat([data[data["variant"] == BASE], data[data["variant"] == variant]]).sort_values("step")
                ax.plot(line["step"], line["value"], marker="o", markersize=3, color=palette(i % 10), label=variant)
                if "ci_low" in line and (line["ci_high"] > line["ci_low"]).any():
                    ax.fill_between(
                        line["step"], line["ci_low"], line["ci_high"], color=palette(i % 10), alpha=0.15, linewidth=0
                    )
            if not base.empty:
                ax.axhline(base.iloc[0], color="0.35", linestyle="--", linewidth=0.8)
            panel_title(ax, f"{title_of(metric)}, {size} dimensions", band_note(drawn))
            ax.set_xlabel("training step")
            ax.grid(alpha=0.3)
    legend_below_and_save(figure, axes[0][0], paths, dpi)
