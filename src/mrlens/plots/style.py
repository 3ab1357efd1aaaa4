"""Shared look: one colour per variant, the base model dashed in grey, files in every format asked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mrlens.io import atomic_path  # noqa: E402

BASE = "base"
BASE_STYLE = {"color": "0.35", "linestyle": "--", "marker": None}


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


def legend_below_and_save(figure: plt.Figure, ax: plt.Axes, paths: Sequence[str | Path], dpi: int = 150, top: float = 1.0) -> None:
    """One legend (the entries of ``ax``) centred under the panels, then :func:`save_figure`."""
    handles, labels = ax.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), frameon=False, fontsize=8)
    figure.tight_layout(rect=(0, 0.08, 1, top))
    save_figure(figure, paths, dpi)
