"""Model diffing: CKA against a direct HSIC formula and its invariances; weight deltas of identical,
copied and locally perturbed tiny BERTs; delta spectra against numpy; layer states against the
SentenceTransformer embedding; the figures draw."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from mrlens.diffing import (
    cka_pairs,
    diff_weights,
    layer_cka,
    layer_states,
    linear_cka,
    load_states,
    mean_pool,
    probe_documents,
    robust_z,
    save_states,
    singular_values,
    stable_rank,
    truncation_cka,
)
from mrlens.diffing.weights import is_layernorm, module_name
from mrlens.errors import DataError

TEXTS = [
    "the river runs past the old stone bridge",
    "a candle in the window",
    "teachers and doctors met in the market of the city to talk about the winter",
    "silver clouds over the island",
    "the engine sent a signal",
    "bread",
]


def direct_cka(x: np.ndarray, y: np.ndarray) -> float:
    """HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with HSIC = tr(K H L H) / (n - 1)^2, K = X X^T, L = Y Y^T."""
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    k, l_ = x @ x.T, y @ y.T

    def hsic(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.trace(a @ h @ b @ h)) / (n - 1) ** 2

    return hsic(k, l_) / np.sqrt(hsic(k, k) * hsic(l_, l_))


# ---- CKA ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p", "q"), [(60, 5, 8), (12, 40, 25)])  # features fewer / more than documents
def test_linear_cka_matches_the_hsic_formula(n: int, p: int, q: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, p))
    y = x[:, :1] @ rng.normal(size=(1, q)) + rng.normal(size=(n, q))
    assert linear_cka(x, y) == pytest.approx(direct_cka(x, y), rel=1e-10)
    assert linear_cka(x, y) == pytest.approx(linear_cka(y, x), rel=1e-12)


def test_linear_cka_is_one_under_orthogonal_maps_and_isotropic_scaling() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 16)) * np.linspace(0.1, 5, 16)
    q, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    assert linear_cka(x, x) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(x, x @ q) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(x, 1e-3 * x) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(x, -7.5 * (x @ q) + 3.0) == pytest.approx(1.0, abs=1e-12)  # a shift is centred away
    assert linear_cka(x, x * np.linspace(1, 10, 16)) < 0.99  # not invariant to anisotropic scaling


def test_linear_cka_is_sound_at_extreme_scales_and_undefined_for_constants() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 6)), rng.normal(size=(30, 4))
    assert linear_cka(1e-200 * x, 1e200 * y) == pytest.approx(direct_cka(x, y), rel=1e-10)
    assert np.isnan(linear_cka(x, np.ones((30, 4))))
    with pytest.raises(ValueError, match="different documents"):
        linear_cka(x, y[:10])


def test_cka_pairs_and_layer_cka_agree_with_linear_cka() -> None:
    rng = np.random.default_rng(3)
    hidden = {name: rng.normal(size=(3, 20, 8)) for name in ("base", "a", "b")}
    hidden["b"][1] = hidden["a"][1] @ np.linalg.qr(rng.normal(size=(8, 8)))[0]
    table = layer_cka(hidden)
    assert len(table) == 3 * 3 and set(table["n"]) == {20}
    for row in table.itertuples():
        expected = linear_cka(hidden[row.model_a][row.layer], hidden[row.model_b][row.layer])
        assert row.cka == pytest.approx(expected, rel=1e-10)
    assert table.query("layer == 1 and model_a == 'a' and model_b == 'b'")["cka"].item() == pytest.approx(1.0)
    assert list(cka_pairs({"x": hidden["a"][0], "y": hidden["b"][0]}).columns) == ["model_a", "model_b", "cka", "n"]


def test_truncation_cka_is_the_cka_of_normalised_prefixes() -> None:
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(40, 12))
    table = truncation_cka(vectors, [3, 6, 12])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    prefix = vectors[:, :3] / np.linalg.norm(vectors[:, :3], axis=1, keepdims=True)
    assert table["cka"].iloc[-1] == pytest.approx(1.0)
    assert table["cka"].iloc[0] == pytest.approx(direct_cka(prefix, unit), rel=1e-10)
    raw = truncation_cka(vectors, [3], normalise=False)["cka"].item()
    assert raw == pytest.approx(direct_cka(vectors[:, :3], vectors), rel=1e-10)


# ---- spectra and robust z -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(40, 7), (7, 40)])
def test_singular_values_and_stable_rank_match_numpy(shape: tuple[int, int]) -> None:
    matrix = np.random.default_rng(5).normal(size=shape)
    expected = np.linalg.svd(matrix, compute_uv=False)
    np.testing.assert_allclose(singular_values(matrix), expected, rtol=1e-9)
    assert stable_rank(singular_values(matrix)) == pytest.approx(np.sum(matrix**2) / expected[0] ** 2, rel=1e-9)
    rank_one = np.outer(np.arange(1.0, 6.0), np.ones(4))
    assert stable_rank(singular_values(rank_one)) == pytest.approx(1.0)
    assert np.isnan(stable_rank(np.zeros(3)))


def test_robust_z() -> None:
    z = robust_z(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
    assert z[2] == 0.0 and z[-1] == pytest.approx(97 / 1.4826)
    np.testing.assert_array_equal(robust_z(np.array([0.0, 0.0, 0.0, 2.0])), [0, 0, 0, np.inf])


def test_parameter_names() -> None:
    assert is_layernorm("encoder.layer.3.attention.output.LayerNorm.weight")
    assert is_layernorm("h.0.ln_1.bias") and not is_layernorm("encoder.layer.3.output.dense.weight")
    assert module_name("encoder.layer.3.attention.self.query.weight") == "attention.self.query.weight"
    assert module_name("embeddings.word_embeddings.weight") == "embeddings.word_embeddings.weight"


# ---- weight deltas of tiny BERTs ----------------------------------------------------------------


def _variant(source: Path, target: Path, change=None) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the checkpoint folder, its tensors passed through ``change(tensors)`` when given."""
    shutil.copytree(source, target)
    if change is not None:
        file = target / "model.safetensors"
        tensors = load_file(file)
        change(tensors)
        save_file(tensors, file, metadata={"format": "pt"})
    return target


def _noise(tensors: dict[str, torch.Tensor]) -> None:
    generator = torch.Generator().manual_seed(0)
    for tensor in tensors.values():
        tensor += 0.01 * torch.randn(tensor.shape, generator=generator)


def _quantity(table: pd.DataFrame, comparison: str, quantity: str, model: str) -> pd.Series:
    rows = table[(table["comparison"] == comparison) & (table["quantity"] == quantity) & (table["model"] == model)]
    key = "tensor" if "tensor" in table else "group"
    return rows.set_index(key)["value"]


def test_identical_models_give_zero_deltas_and_twin_cosine_one(tiny_model: Path, tmp_path: Path) -> None:
    same = _variant(tiny_model, tmp_path / "same")
    moved = _variant(tiny_model, tmp_path / "moved", _noise)
    twin = _variant(moved, tmp_path / "twin")
    diff = diff_weights(tiny_model, {"same": same, "moved": moved, "twin": twin}, pairs=[("twin", "moved")])
    for table in (diff.tensors, diff.layers):
        assert (_quantity(table, "base", "relative_change", "same") == 0).all()
        assert (_quantity(table, "base", "relative_change", "moved") > 0).all()
        np.testing.assert_allclose(_quantity(table, "twin", "task_cosine", "twin"), 1.0, rtol=1e-12)
        assert (_quantity(table, "twin", "relative_distance", "twin") == 0).all()
    assert "total" in set(diff.layers["group"])
    assert diff.layernorm.query("model == 'same'")["outlier_delta"].sum() == 0


def test_a_perturbed_layer_changes_alone_with_the_planted_spectrum(tiny_model: Path, tmp_path: Path) -> None:
    name = "encoder.layer.1.attention.self.query.weight"
    u, v = torch.arange(1.0, 33.0) / 32, torch.ones(32)

    def plant(tensors: dict[str, torch.Tensor]) -> None:
        tensors[name] += 0.5 * torch.outer(u, v)  # rank one, singular value 0.5 |u| |v|
        tensors["encoder.layer.1.output.LayerNorm.weight"][7] += 5.0

    perturbed = _variant(tiny_model, tmp_path / "perturbed", plant)
    diff = diff_weights(tiny_model, {"perturbed": perturbed}, top_singular=3, layernorm_k=5.0)
    change = _quantity(diff.tensors, "base", "relative_change", "perturbed")
    assert set(change[change > 0].index) == {name, "encoder.layer.1.output.LayerNorm.weight"}
    groups = _quantity(diff.layers, "base", "relative_change", "perturbed")
    assert set(groups[groups > 0].index) == {"layer.01", "total"}
    spectrum = diff.spectra.query("tensor == @name")
    assert spectrum["singular_value"].iloc[0] == pytest.approx(0.5 * float(u.norm() * v.norm()), rel=1e-5)
    assert spectrum["singular_value"].iloc[1] < 1e-3
    assert _quantity(diff.tensors, "base", "stable_rank", "perturbed")[name] == pytest.approx(1.0, rel=1e-4)
    outliers = diff.layernorm.query("model == 'perturbed' and outlier_delta")
    assert outliers[["tensor", "index"]].values.tolist() == [["encoder.layer.1.output.LayerNorm.weight", 7]]
    assert outliers["delta"].item() == pytest.approx(5.0, rel=1e-5)


def test_models_with_other_tensors_are_refused(tiny_model: Path, tmp_path: Path) -> None:
    def drop(tensors: dict[str, torch.Tensor]) -> None:
        del tensors["pooler.dense.bias"]

    other = _variant(tiny_model, tmp_path / "other", drop)
    with pytest.raises(DataError, match="tensors differ"):
        diff_weights(tiny_model, {"other": other})
    with pytest.raises(DataError, match="no \\*.safetensors"):
        diff_weights(tmp_path / "empty", {"other": other})


# ---- layer states -------------------------------------------------------------------------------


def test_mean_pool_ignores_padding() -> None:
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    pooled = mean_pool(hidden, torch.tensor([[1, 1, 0]]))
    torch.testing.assert_close(pooled, torch.tensor([[2.0, 3.0]]))


def test_layer_states_end_in_the_sentence_embedding(tiny_model: Path, tmp_path: Path) -> None:
    from mrlens.models import load_model

    states = layer_states(tiny_model, TEXTS, batch_size=4, max_seq_length=32, device="cpu")
    assert states.shape == (3, len(TEXTS), 32) and states.dtype == np.float32
    model = load_model(tiny_model, device="cpu")
    model.max_seq_length = 32
    embedding = model.encode(TEXTS, convert_to_numpy=True)
    last = states[-1] / np.linalg.norm(states[-1], axis=1, keepdims=True)
    embedding = embedding / np.linalg.norm(embedding, axis=1, keepdims=True)
    np.testing.assert_allclose(last, embedding, atol=1e-5)
    alone = layer_states(tiny_model, TEXTS[-1:], batch_size=1, max_seq_length=32, device="cpu")
    np.testing.assert_allclose(alone[:, 0], states[:, -1], atol=1e-5)  # padding in a batch changes nothing
    save_states(states, [f"d{i}" for i in range(len(TEXTS))], tmp_path / "states.npz")
    loaded, ids = load_states(tmp_path / "states.npz")
    np.testing.assert_array_equal(loaded, states)
    assert ids.tolist()[0] == "d0"


def test_layer_states_start_without_sentence_transformers_and_match_it(tiny_model: Path, tmp_path: Path) -> None:
    """A SentenceTransformer folder of the usual layout is read by transformers alone; the states equal,
    to the bit, those of the same weights read through SentenceTransformer (a plain folder)."""
    from mrlens.models import TokenEmbeddings, load_encoder, load_model

    load_model(tiny_model, device="cpu").save(str(tmp_path / "st"))
    assert isinstance(load_encoder(tmp_path / "st", device="cpu")[0], TokenEmbeddings)
    light = layer_states(tmp_path / "st", TEXTS, batch_size=4, max_seq_length=32, device="cpu")
    through_st = layer_states(tiny_model, TEXTS, batch_size=4, max_seq_length=32, device="cpu")
    np.testing.assert_array_equal(light, through_st)


def test_probe_documents_are_a_seeded_sample_in_corpus_order() -> None:
    corpus = pd.DataFrame({"id": [str(i) for i in range(50)], "text": ["t"] * 50})
    probe = probe_documents(corpus, 10, seed=1)
    assert len(probe) == 10 and probe["id"].astype(int).is_monotonic_increasing
    assert probe["id"].tolist() == probe_documents(corpus, 10, seed=1)["id"].tolist()
    assert probe["id"].tolist() != corpus["id"].head(10).tolist()
    assert len(probe_documents(corpus, 500)) == 50


# ---- figures ------------------------------------------------------------------------------------


def test_diffing_figures_draw(tiny_model: Path, tmp_path: Path) -> None:
    from mrlens.plots.diffing import cka_matrices, task_cosine_figure, truncation_cka_figure, weight_heatmaps

    moved = _variant(tiny_model, tmp_path / "moved", _noise)
    diff = diff_weights(tiny_model, {"b_s0": tiny_model, "a_s0": moved}, pairs=[("a_s0", "b_s0")])
    variants = {"base": "base", "a_s0": "a", "b_s0": "b"}
    layers = diff.layers.assign(
        seed=0, variant=diff.layers["model"].map(variants), reference_variant=diff.layers["reference"].map(variants)
    )
    weight_heatmaps(layers, [tmp_path / "weights.png"], dpi=40)
    task_cosine_figure(layers, [tmp_path / "cosine.png"], dpi=40)
    rng = np.random.default_rng(0)
    cka = layer_cka({m: rng.normal(size=(3, 10, 4)) for m in variants})
    cka_matrices(cka, [tmp_path / "cka.png", tmp_path / "cka.pdf"], dpi=40)
    truncation = pd.concat(
        [truncation_cka(rng.normal(size=(10, 8)), [2, 4, 8]).assign(model=m, variant=v) for m, v in variants.items()]
    )
    truncation_cka_figure(truncation, [tmp_path / "truncation.png"], dpi=40)
    for name in ("weights.png", "cosine.png", "cka.png", "cka.pdf", "truncation.png"):
        assert (tmp_path / name).stat().st_size > 0
