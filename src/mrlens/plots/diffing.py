"""Model-diffing figures: layer x quantity heatmaps of the weight deltas, CKA matrices per layer,
the task-vector cosine per layer, and the CKA of each truncated embedding with the full one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mrlens.ids import parse_model_id
from mrlens.plots.style import BASE, BASE_STYLE, legend_below_and_save, save_figure, variant_colours

WEIGHT_PANELS = (
    ("base", "relative_change", "relative change ||W - W0|| / ||W0||", "viridis"),
    ("base", "stable_rank_median", "stable rank of W - W0 (median over matrices)", "cividis"),
    ("twin", "task_cosine", "task-vector cosine cos(W_a - W0, W_b - W0)", "RdBu_r"),
    ("twin", "relative_distance", "twin distance ||W_a - W_b|| / ||W0||", "magma"),
)


def _first_seed(table: pd.DataFrame) -> pd.DataFrame:
    if "seed" not in table or not table["seed"].notna().any():
        return table
    return table[(table["seed"] == table["seed"].min()) | table["seed"].isna()]  # external models have none


def _group_order(groups: Sequence[str]) -> list[str]:
    """embeddings, layer.00, layer.01, ..., head, total."""
    rank = {"embeddings": 0, "head": 2, "total": 3}
    return sorted(set(groups), key=lambda g: (rank.get(g, 1), g))


def _moving_groups(layers: pd.DataFrame) -> list[str]:
    """Layer groups, in order, that some model changed (an unused pooler never moves: left out)."""
    change = layers[(layers["comparison"] == "base") & (layers["quantity"] == "relative_change")]
    moved = set(change.loc[change["value"] > 0, "group"]) if not change.empty else set(layers["group"])
    return _group_order([g for g in layers["group"].unique() if g in moved])


def _column(row: pd.Series) -> str:
    return row["model"] if row["comparison"] == "base" else f"{row['model']}\nvs {row['reference']}"


def _annotate(ax: plt.Axes, values: np.ndarray, fmt: str) -> None:
    if values.size > 120:
        return
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(
                j,
                i,
                format(value, fmt),
                ha="center",
                va="center",
                fontsize=6,
                color="white" if value < middle else "black",
            )


def weight_heatmaps(layers: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Layer group x model heatmaps, one panel per quantity (first seed): the relative change from
    the base and the stable rank of the delta for each model; the task-vector cosine and the
    distance for each pair of twins. The ``total`` row is the whole model; groups that never move
    are left out."""
    layers = _first_seed(layers)
    panels = [
        p for p in WEIGHT_PANELS if not layers[(layers["comparison"] == p[0]) & (layers["quantity"] == p[1])].empty
    ]
    groups = _moving_groups(layers)
    figure, axes = plt.subplots(
        1, max(1, len(panels)), figsize=(3.6 * max(1, len(panels)), 0.32 * len(groups) + 2.4), squeeze=False
    )
    for ax, (comparison, quantity, title, cmap) in zip(axes[0], panels):
        data = layers[(layers["comparison"] == comparison) & (layers["quantity"] == quantity)]
        data = data.assign(column=data.apply(_column, axis=1))
        grid = data.pivot_table(index="group", columns="column", values="value", sort=False).reindex(groups)
        values = grid.to_numpy(dtype=float)
        limits = {"vmin": -1.0, "vmax": 1.0} if quantity == "task_cosine" else {}
        image = ax.imshow(values, aspect="auto", cmap=cmap, interpolation="nearest", **limits)
        _annotate(ax, values, {"task_cosine": ".3f", "stable_rank_median": ".1f"}.get(quantity, ".3g"))
        ax.set_yticks(range(len(groups)), groups, fontsize=7)
        ax.set_xticks(range(len(grid.columns)), grid.columns, fontsize=6, rotation=30, ha="right")
        ax.set_title(title, fontsize=8)
        figure.colorbar(image, ax=ax, shrink=0.8)
    if not panels:
        axes[0][0].axis("off")
    figure.tight_layout()
    save_figure(figure, paths, dpi)


def _variant_and_seed(model: str) -> tuple[str, int | None]:
    """A trained model's (variant, seed); any other model (base, external) is its own variant."""
    try:
        return parse_model_id(model)
    except ValueError:
        return model, None


def cka_over_seeds(cka: pd.DataFrame) -> pd.DataFrame:
    """Layer CKA per pair of variants, the mean over seeds: twins of one seed against each other (the
    pairs that share data order), and on the diagonal two seeds of one variant (absent with one seed:
    then 1). Columns layer, variant_a, variant_b, cka, pairs (how many model pairs were averaged)."""
    a = cka["model_a"].map(_variant_and_seed)
    b = cka["model_b"].map(_variant_and_seed)
    seed_a, seed_b = a.str[1], b.str[1]
    same_variant = a.str[0] == b.str[0]
    keep = same_variant | seed_a.isna() | seed_b.isna() | (seed_a == seed_b)
    rows = cka.assign(variant_a=a.str[0], variant_b=b.str[0])[keep].copy()
    order = list(dict.fromkeys(_variant_and_seed(m)[0] for m in [*cka["model_a"], *cka["model_b"]]))
    swap = rows["variant_a"].map(order.index) > rows["variant_b"].map(order.index)
    rows.loc[swap, ["variant_a", "variant_b"]] = rows.loc[swap, ["variant_b", "variant_a"]].to_numpy()
    grouped = rows.groupby(["layer", "variant_a", "variant_b"], sort=False)["cka"]
    return grouped.agg(cka="mean", pairs="size").reset_index()


def cka_matrices(cka: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """One variant x variant matrix of linear CKA per layer (layer 0: the embedding layer's output),
    each cell the mean over seeds (:func:`cka_over_seeds`; the diagonal: between seeds of one variant),
    with a colour scale shared by every panel so that layers can be compared. Cells and labels keep
    their size however many models there are: the panels wrap to fewer columns instead."""
    averaged = cka_over_seeds(cka)
    variants = list(dict.fromkeys([*averaged["variant_a"], *averaged["variant_b"]]))
    layer_ids = sorted(averaged["layer"].unique())
    size = 0.5 * len(variants) + 2.0
    columns = max(1, min(4, len(layer_ids), int(18 // size)))
    rows = int(np.ceil(len(layer_ids) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(size * columns + 1.2, size * rows), squeeze=False)
    low = float(np.nanmin(averaged["cka"])) if averaged["cka"].notna().any() else 0.0
    position = {v: i for i, v in enumerate(variants)}
    image = None
    for index, (ax, layer) in enumerate(zip(axes.flat, layer_ids)):
        matrix = np.eye(len(variants))
        for row in averaged[averaged["layer"] == layer].itertuples():
            i, j = position[row.variant_a], position[row.variant_b]
            matrix[i, j] = matrix[j, i] = row.cka
        image = ax.imshow(matrix, cmap="viridis", vmin=low, vmax=1.0, interpolation="nearest")
        if len(variants) <= 12:
            for (i, j), value in np.ndenumerate(matrix):
                ax.text(
                    j,
                    i,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value < (low + 1) / 2 else "black",
                )
        ax.set_xticks(range(len(variants)), variants, fontsize=8, rotation=90)
        ax.set_yticks(range(len(variants)), variants if index % columns == 0 else [], fontsize=8)
        ax.set_title("embedding layer" if layer == 0 else f"after block {layer}", fontsize=9)
    for ax in list(axes.flat)[len(layer_ids) :]:
        ax.axis("off")
    seeds = cka["model_a"].map(_variant_and_seed).str[1].nunique()
    figure.suptitle(
        f"Linear CKA between variants per layer, mean over {seeds} seed(s) (twins of one seed; diagonal: "
        "between seeds of one variant, 1 with one seed)",
        fontsize=10,
    )
    figure.tight_layout()
    if image is not None:
        n = int(cka["n"].iloc[0]) if len(cka) else 0
        figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.7, label=f"linear CKA (n = {n} documents)")
    save_figure(figure, paths, dpi)


def task_cosine_figure(layers: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Left: the task-vector cosine per layer group for each pair of twins (one marker per seed, the
    line through the mean). Right: each model's relative change from the base per layer group
    (one marker per seed, the line through the mean per variant)."""
    groups = [g for g in _moving_groups(layers) if g != "total"]
    position = {g: i for i, g in enumerate(groups)}
    figure, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    panels = (("twin", "task_cosine", "task-vector cosine"), ("base", "relative_change", "||W - W0|| / ||W0||"))
    palette = plt.get_cmap("tab10")
    for ax, (comparison, quantity, label) in zip(axes, panels):
        data = layers[
            (layers["comparison"] == comparison) & (layers["quantity"] == quantity) & layers["group"].isin(groups)
        ]
        key = data["variant"] + ("" if comparison == "base" else " vs " + data["reference_variant"])
        for i, (name, part) in enumerate(data.assign(key=key).groupby("key", sort=False)):
            x = part["group"].map(position)
            ax.scatter(x, part["value"], s=10, color=palette(i % 10), alpha=0.6)
            mean = part.groupby("group")["value"].mean().reindex(groups).dropna()
            ax.plot(
                [position[g] for g in mean.index], mean.to_numpy(), color=palette(i % 10), label=name, linewidth=1.4
            )
        if data.empty:
            ax.text(0.5, 0.5, "no twins of the same seed", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks(range(len(groups)), groups, fontsize=7, rotation=30, ha="right")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    figure.tight_layout()
    save_figure(figure, paths, dpi)


def truncation_cka_figure(table: pd.DataFrame, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Linear CKA between each model's truncated embedding (first k dimensions, re-normalised) and
    its full embedding, against k; one line per model, the base dashed in grey."""
    variants = list(dict.fromkeys([BASE, *table["variant"]]))
    colours = variant_colours(variants)
    figure, ax = plt.subplots(figsize=(5.2, 3.8))
    for model, part in table.groupby("model", sort=False):
        part = part.sort_values("dim")
        variant = part["variant"].iloc[0]
        style = (
            {**BASE_STYLE, "marker": "o"}
            if variant == BASE
            else {"color": colours[variant], "linestyle": "-", "marker": "o"}
        )
        ax.plot(part["dim"], part["cka"], markersize=3, label=model, **style)
    ax.set_xscale("log", base=2)
    sizes = sorted(table["dim"].unique())
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set_xlabel("leading dimensions kept")
    n = int(table["n"].iloc[0]) if len(table) else 0
    ax.set_ylabel(f"CKA(truncated, full), n = {n}")
    ax.grid(alpha=0.3)
    legend_below_and_save(figure, ax, paths, dpi)
