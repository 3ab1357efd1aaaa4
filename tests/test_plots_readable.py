"""Figures that read well: panels that say nothing are named instead of drawn, CKA is averaged over seeds
and keeps its size at 12 models, and the cost figure's labels sit above its whiskers, which it names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mrlens.plots.quality as quality_plots
from mrlens.plots.diffing import cka_matrices, cka_over_seeds
from mrlens.plots.suite import trivial_metrics


def test_constant_panels_and_panels_equal_to_the_size_are_trivial() -> None:
    dims = [8, 16, 32]
    rows = [
        *({"metric": "rogue_count", "dim": d, "value": 0.0} for d in dims for _ in range(2)),
        *({"metric": "numerical_rank", "dim": d, "value": float(d)} for d in dims),
        *({"metric": "isoscore", "dim": d, "value": v} for d, v in zip(dims, [0.2, 0.3, 0.5])),
        {"metric": "twonn", "dim": 8, "value": np.nan},
    ]
    assert trivial_metrics(pd.DataFrame(rows)) == {
        "rogue_count": "0 everywhere",
        "numerical_rank": "equals the size",
        "twonn": "no value",
    }


def _cka(pairs: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame([{"layer": 1, "model_a": a, "model_b": b, "cka": v, "n": 50} for (a, b), v in pairs.items()])


def test_cka_is_the_mean_over_seeds_of_twins_that_share_a_seed() -> None:
    table = _cka(
        {
            ("base", "a_s0"): 0.90,
            ("base", "a_s1"): 0.80,
            ("a_s0", "b_s0"): 0.70,
            ("a_s1", "b_s1"): 0.50,
            ("a_s0", "b_s1"): 0.10,  # different seeds and variants: not a twin pair, left out
            ("a_s0", "a_s1"): 0.96,  # two seeds of one variant: the diagonal
        }
    )
    averaged = cka_over_seeds(table).set_index(["variant_a", "variant_b"])
    assert averaged.loc[("base", "a"), "cka"] == pytest.approx(0.85)
    assert averaged.loc[("a", "b"), "cka"] == pytest.approx(0.60) and averaged.loc[("a", "b"), "pairs"] == 2
    assert averaged.loc[("a", "a"), "cka"] == pytest.approx(0.96)
    assert len(averaged) == 3


def test_cka_figure_at_twelve_models(tmp_path: Path) -> None:
    models = [f"v{i}_s{s}" for i in range(6) for s in (0, 1)]
    rng = np.random.default_rng(0)
    pairs = {(a, b): float(rng.uniform(0.5, 1)) for i, a in enumerate(models) for b in models[i + 1 :]}
    table = pd.concat([_cka(pairs).assign(layer=layer) for layer in range(7)])
    cka_matrices(table, [tmp_path / "cka.png"], dpi=40)
    assert (tmp_path / "cka.png").stat().st_size > 0
    assert set(cka_over_seeds(table)["variant_a"]) == {f"v{i}" for i in range(6)}


def test_cost_labels_sit_above_the_whiskers(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = []
    monkeypatch.setattr(quality_plots, "save_figure", lambda figure, paths, dpi: figures.append(figure))
    cost = pd.DataFrame({"variant": ["a", "a", "a", "b"], "seconds_per_step": [1.0, 2.0, 3.0, 1.5]})
    quality_plots.cost_figure(cost, [], dpi=40)
    ax = figures[0].axes[0]
    labels = {text.get_text(): text.xy[1] for text in ax.texts}
    assert labels == {"2": 3.0, "1.5": 1.5}  # the mean, written at the top of its whisker (max over seeds)
    assert "whiskers: min to max over seeds" in figures[0]._suptitle.get_text()
