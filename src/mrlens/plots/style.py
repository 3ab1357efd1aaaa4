"""Shared look: one colour per variant, the base model dashed in grey, files in every format asked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from mrlens.io import atomic_path  # noqa: E402

BASE = "base"
BASE_LABEL = "base, before fine-tuning"  # a trained sentence encoder, before our fine-tuning
BASE_STYLE = {"color": "0.35", "linestyle": "--", "marker": None}


def band_text(frame: pd.DataFrame) -> str:
    """What the band of one line is, for its legend entry: the spread over seeds when there are several,
    else the tables' ``interval`` column in words (``ci95-basic-bootstrap`` -> "95 % CI, basic
    bootstrap"; ``range-orderings`` -> "min-max over random orderings"); empty without band."""
    seeds = frame["seed"].nunique() if "seed" in frame else 1
    if seeds > 1:
        return f"band: min-max over {seeds} seeds"
    kinds = sorted(set(frame["interval"]) - {"none"}) if "interval" in frame else []
    words = []
    for kind in kinds:
        level, _, method = kind.partition("-")
        words.append(
            "min-max over random orderings"
            if kind == "range-orderings"
            else f"{level[2:]} % CI, {method.replace('-', ' ')}"
        )
    return "band: " + "; ".join(words) if words else ""


def variant_colours(variants: Sequence[str]) -> dict[str, tuple]:
    palette = plt.get_cmap("tab10")
    trained = [v for v in variants if v != BASE]
    return {v: palette(i % 10) for i, v in enumerate(trained)}


def save_figure(figure: plt.Figure, paths: Sequence[str | Path], dpi: int = 150) -> None:
    """Write the figure to each path (format from the suffix), atomically, then close it."""
    for path in paths:
        with atomic_path(path) as tmp:
            figure.savefig(tmp, dpi=dpi, bbox_inches="tight", format=Path(path).suffix.lstrip("."))
    plt.close(figure)


def legend_below_and_save(
    figure: plt.Figure, ax: plt.Axes, paths: Sequence[str | Path], dpi: int = 150, top: float = 1.0
) -> None:
    """One legend (the entries of ``ax``) centred under the panels, then :func:`save_figure`."""
    handles, labels = ax.get_legend_handles_labels()
    columns = min(4, len(labels))
    figure.legend(handles, labels, loc="lower center", ncol=columns, frameon=False, fontsize=8)
    lines = -(-len(labels) // max(columns, 1)) * max((label.count("\n") + 1 for label in labels), default=1)
    bottom = max(0.08, min(0.45, (0.3 + 0.17 * lines) / figure.get_size_inches()[1]))  # ~0.17 in per 8-pt line
    figure.tight_layout(rect=(0, bottom, 1, top))
    save_figure(figure, paths, dpi)
