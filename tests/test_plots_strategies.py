"""Figures draw a strategy only where it has rows: no PCA line for a metric a rotation changes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from mrlens.metrics.truncation import STRATEGIES
from mrlens.plots.geometry import draw_strategies
from mrlens.plots.style import BASE, BASE_LABEL, variant_colours


def _table(strategies_of: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    rows = [
        {"variant": variant, "seed": 0, "strategy": strategy, "dim": dim, "metric": metric, "value": dim / 10,
         "ci_low": float("nan"), "ci_high": float("nan"), "interval": "none"}
        for metric, strategies in strategies_of.items()
        for variant in (BASE, "no-mrl")
        for strategy in (strategies if variant == "no-mrl" else ("prefix",))
        for dim in (8, 16, 32)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _lines(data: pd.DataFrame) -> dict[str, str]:
    figure, ax = plt.subplots()
    draw_strategies(ax, data, [BASE, "no-mrl"], variant_colours([BASE, "no-mrl"]), ["no-mrl"])
    lines = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    plt.close(figure)
    return lines


def test_a_panel_without_pca_rows_draws_no_pca_line_and_the_base_says_what_it_is() -> None:
    table = _table({"isoscore": ("prefix", "random", "pca"), "mean_abs_correlation": ("prefix", "random")})
    isoscore = _lines(table[table["metric"] == "isoscore"])
    assert isoscore == {
        BASE_LABEL: "--", "no-mrl (prefix)": "-", "no-mrl (random)": STRATEGIES["random"].line_style, "no-mrl (pca)": ":"
    }  # fmt: skip
    assert BASE_LABEL == "base, before fine-tuning"
    correlation = _lines(table[table["metric"] == "mean_abs_correlation"])
    assert set(correlation) == {BASE_LABEL, "no-mrl (prefix)", "no-mrl (random)"}


def test_an_in_sample_pca_is_named_so_in_the_legend() -> None:
    lines = _lines(_table({"isoscore": ("prefix", "pca-insample")}))
    assert lines["no-mrl (pca, fitted in sample)"] == ":"
