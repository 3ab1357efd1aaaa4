"""Every panel of the figures built from tables with an ``interval`` column says what its bands are
(``mrlens.plots.style.band_note``, under the panel's title): a confidence interval by the method its metric
declares, none where no method is valid, the spread over seeds or random orderings; legends name none."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from mrlens.metrics.registry import method_of, title_of
from mrlens.plots import checkpoint_figure, geometry_figure, suite_figure
from mrlens.plots import style as plot_style
from mrlens.plots.quality import quality_figure
from mrlens.plots.style import BASE, band_note
from mrlens.resampling import interval_label

DIMS = (8, 16, 32)


def _rows(metric: str, variants: dict[str, int], strategies: dict[str, str], **fixed: object) -> list[dict]:
    """Rows of one metric: per variant (name -> number of seeds) and strategy (name -> interval kind,
    ``declared``: the metric's own), a value with bounds around it unless the kind is ``none``."""
    rows = []
    for (variant, seeds), (strategy, kind), dim in itertools.product(variants.items(), strategies.items(), DIMS):
        if variant == BASE and strategy != "prefix":
            continue
        kind = interval_label(method_of(metric), 0.95) if kind == "declared" else kind
        for seed in [float("nan")] if variant == BASE else range(seeds):
            value = dim / 40 + (0 if variant == BASE else 0.1 + 0.01 * seed)
            spread = float("nan") if kind == "none" else 0.02
            model = variant if variant == BASE else f"{variant}_s{seed}"
            rows.append(
                {"model": model, "variant": variant, "seed": seed, "checkpoint": "final", "strategy": strategy}
                | {"dim": dim, "metric": metric, "value": value, "ci_low": value - spread, "ci_high": value + spread}
                | {"interval": kind, "n": 100}
                | fixed
            )
    return rows


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[plt.Figure]:
    """The figures the plot functions save, kept open to be read."""
    figures: list[plt.Figure] = []
    monkeypatch.setattr(plot_style, "save_figure", lambda figure, paths, dpi=150: figures.append(figure))
    return figures


def _panels(figure: plt.Figure) -> dict[str, str]:
    """Each drawn panel's title (unwrapped: a long one is drawn on several lines) -> the note under it (its
    annotations' texts)."""
    return {
        ax.get_title().replace("\n", " "): "\n".join(t.get_text() for t in ax.texts)
        for ax in figure.axes
        if ax.get_visible()
    }


def _legend(figure: plt.Figure) -> list[str]:
    return [text.get_text() for legend in figure.legends for text in legend.get_texts()]


TWINS = {BASE: 1, "no-mrl": 1, "mrl-32-8": 1}


def test_geometry_panels_name_their_own_band(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _capture(monkeypatch)
    metrics = ("isoscore", "uniformity", "weighted_sq_correlation")
    table = pd.DataFrame([r for m in metrics for r in _rows(m, TWINS, {"prefix": "declared"}, corpus="wiki")])
    geometry_figure(table, ["unused.png"])
    panels = list(_panels(figures[0]).values())
    assert panels == ["band: 95 % CI (split halves)"] * 2 + [
        "band: 95 % CI (split halves, reciprocal square-root scale)"
    ]
    assert not any("band" in label or "CI" in label for label in _legend(figures[0]))
    plt.close(figures[0])


def test_several_seeds_band_the_spread_over_seeds_and_the_base_keeps_its_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = _capture(monkeypatch)
    seeds = {BASE: 1, "no-mrl": 3, "mrl-32-8": 3}
    metrics = ("isoscore", "uniformity", "weighted_sq_correlation")
    table = pd.DataFrame([r for m in metrics for r in _rows(m, seeds, {"prefix": "declared"}, corpus="wiki")])
    geometry_figure(table, ["unused.png"])
    assert set(_panels(figures[0]).values()) == {
        "band: min–max over 3 seeds\nbase: 95 % CI (split halves)",
        "band: min–max over 3 seeds\nbase: 95 % CI (split halves, reciprocal square-root scale)",
    }
    plt.close(figures[0])


def test_suite_panels_name_each_strategys_band(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _capture(monkeypatch)
    strategies = {"prefix": "declared", "random": "range-orderings", "pca": "none"}
    rows = _rows("isoscore", TWINS, strategies, corpus="wiki")
    rows += _rows("mean_abs_correlation", TWINS, {"prefix": "declared", "random": "range-orderings"}, corpus="wiki")
    suite_figure(pd.DataFrame(rows), "wiki", ["unused.png"], reference_variants=["no-mrl"])
    panels = _panels(figures[0])
    assert panels[title_of("isoscore")] == (
        "band: 95 % CI (split halves)\nrandom: min–max over random orderings\npca: no band (basis fitted once)"
    )
    assert panels[title_of("mean_abs_correlation")] == "no interval (none valid)\nrandom: min–max over random orderings"
    assert not any("band" in label or "CI" in label for label in _legend(figures[0]))
    plt.close(figures[0])


def test_quality_panels_name_the_declared_method_and_the_ratios_have_none(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _capture(monkeypatch)
    rows = _rows("spearman", TWINS, {"prefix": "declared", "random": "range-orderings"}, task="stsb")
    rows += _rows("ndcg@10", TWINS, {"prefix": "declared"}, task="nano")
    quality_figure(pd.DataFrame(rows), ["unused.png"], reference_variants=["no-mrl"])
    panels = _panels(figures[0])
    assert panels["stsb: " + title_of("spearman")] == (
        "band: 95 % CI (split halves)\nrandom: min–max over random orderings"
    )
    assert panels["stsb: spearman / own full-size value"] == "no band"  # ratios: intervals dropped, one seed
    assert panels["nano: " + title_of("ndcg@10")] == "band: 95 % CI (korn graubard)"
    plt.close(figures[0])


def test_checkpoint_panels_draw_and_name_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = _capture(monkeypatch)
    rows = []
    for metric in ("isoscore", "mean_abs_correlation"):
        for checkpoint in ("step-5", "final"):
            step = [r for r in _rows(metric, TWINS, {"prefix": "declared"}, corpus="wiki") if r["dim"] in (8, 32)]
            rows += [r | {"checkpoint": checkpoint} for r in step if checkpoint == "final" or r["variant"] != BASE]
    checkpoint_figure(pd.DataFrame(rows), 10, ["unused.png"], metrics=("isoscore", "mean_abs_correlation"))
    panels = _panels(figures[0])
    assert (
        panels[title_of("isoscore") + ", 8 dimensions"]
        == panels[title_of("isoscore") + ", 32 dimensions"]
        == "band: 95 % CI (split halves)"
    )
    assert panels[title_of("mean_abs_correlation") + ", 8 dimensions"] == "no interval (none valid)"
    bands = {ax.get_title().replace("\n", " "): len(ax.collections) for ax in figures[0].axes}
    assert (
        bands[title_of("isoscore") + ", 8 dimensions"] == 2
        and bands[title_of("mean_abs_correlation") + ", 8 dimensions"] == 0
    )
    plt.close(figures[0])


def test_band_note_without_interval_column_or_with_intervals_off() -> None:
    rows = pd.DataFrame(_rows("isoscore", {"no-mrl": 1}, {"prefix": "none"}))
    assert band_note([("prefix", rows)]) == "no interval"  # declared, but not computed (bootstrap 0)
    assert band_note([("prefix", rows.drop(columns=["interval"]))]) == "no band"
    assert band_note([]) == ""
