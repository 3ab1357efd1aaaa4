"""Shared look: one colour per variant, the base model dashed in grey, files in every format asked."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from mrlens.ids import BASE_MODEL_ID  # noqa: E402
from mrlens.io import atomic_path  # noqa: E402
from mrlens.metrics.registry import REGISTRY, split_name  # noqa: E402
from mrlens.metrics.truncation import strategy_of  # noqa: E402
from mrlens.resampling import label_words  # noqa: E402

BASE = BASE_MODEL_ID  # the base model is drawn under its id
BASE_LABEL = "base, before fine-tuning"  # a trained sentence encoder, before our fine-tuning
BASE_STYLE = {"color": "0.35", "linestyle": "--", "marker": None}
NOTE_SIZE = 7  # points: the band note under each panel's title


def _declared_without_interval(metrics: Iterable[str]) -> bool:
    """Whether every metric is declared without a valid interval method (the registry says ``none``)."""
    names = [split_name(m)[0] for m in metrics]
    return bool(names) and all(name in REGISTRY and REGISTRY[name].interval == "none" for name in names)


def _band_of(strategy: str, rows: pd.DataFrame) -> str:
    """What the band of one drawn line is (its rows, of one variant and strategy): the spread over
    seeds when there are several (a fitted strategy draws none), else the rows' ``interval`` kinds."""
    fitted = strategy_of(strategy).fitted
    seeds = rows["seed"].nunique() if "seed" in rows else 1
    if seeds > 1 and not fitted:
        return f"min–max over {seeds} seeds"
    if "interval" not in rows:
        return "no band"
    if fitted:
        return "no band (basis fitted once)"
    kinds = sorted(set(rows["interval"].dropna()) - {"none"})
    if kinds:
        return "; ".join(label_words(kind) for kind in kinds)
    return "no interval (none valid)" if _declared_without_interval(set(rows.get("metric", ()))) else "no interval"


def band_note(lines: Iterable[tuple[str, pd.DataFrame]]) -> str:
    """What the bands of one panel are, from the ``(strategy, rows)`` of every line it draws: the band of
    the prefix lines first ("band: 95 % CI (basic bootstrap)", "band: min–max over 3 seeds", "no interval
    (none valid)" for a metric that the registry declares without one), then, one line each, those
    that differ, named by strategy (or "base" for the base model's prefix line, which has one seed): e.g.
    "random: min–max over random orderings", "pca: no band (basis fitted once)". Empty without lines."""
    phrases: dict[str, list[str]] = {}
    for strategy, rows in lines:
        if rows.empty:
            continue
        variant = rows["variant"].iloc[0] if "variant" in rows else None
        who = strategy if strategy != "prefix" else (BASE if variant == BASE else "prefix")
        named = phrases.setdefault(_band_of(strategy, rows), [])
        if who not in named:
            named.append(who)
    if not phrases:
        return ""
    main = next((phrase for phrase, who in phrases.items() if "prefix" in who), next(iter(phrases)))
    others = [f"{', '.join(who)}: {phrase}" for phrase, who in phrases.items() if phrase != main]
    return "\n".join([main if main.startswith("no ") else f"band: {main}", *others])


TITLE_WIDTH = 48  # characters per line of a panel title: three panels side by side must not overlap


def panel_title(ax: plt.Axes, title: str, note: str, fontsize: float = 9) -> None:
    """The panel's ``title``, wrapped at :data:`TITLE_WIDTH` characters, with ``note`` (:func:`band_note`:
    what its bands are) in small grey type between it and the axes."""
    title = textwrap.fill(title, TITLE_WIDTH)
    lines = note.count("\n") + 1 if note else 0
    if note:
        ax.annotate(
            note,
            (0.5, 1.0),
            xycoords="axes fraction",
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=NOTE_SIZE,
            color="0.3",
            annotation_clip=False,
        )
    ax.set_title(title, fontsize=fontsize, pad=6 + 1.25 * NOTE_SIZE * lines)


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


def external_names(*tables: pd.DataFrame) -> set[str]:
    """The models of ``models:`` (origin ``external``: no seed) that any of ``tables`` names in its
    ``model`` column (tables with an ``origin`` column, or with ``model`` and ``seed``)."""
    from mrlens.workflow_support import with_origin

    names: set[str] = set()
    for table in tables:
        origin = with_origin(table).get("origin")
        if origin is not None:
            names |= set(table.loc[origin == "external", "model"])
    return names


def mark_external(table: pd.DataFrame, names: set[str], columns: Sequence[str]) -> pd.DataFrame:
    """``table`` with every name of ``names`` in ``columns`` (those it has) written "<name> (external)",
    for legends and tick labels."""
    marked = {name: f"{name} (external)" for name in names}
    return table.assign(**{c: table[c].replace(marked) for c in columns if c in table})


def label_external(table: pd.DataFrame, variants: Sequence[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """``table`` with each external model's ``variant`` (a model of ``models:``, origin ``external``; its
    own variant) named "<name> (external)" for the legends, and ``variants`` (names such as the reference
    variants) renamed alike."""
    names = external_names(table)
    return mark_external(table, names, ["variant"]), [f"{v} (external)" if v in names else v for v in variants]
