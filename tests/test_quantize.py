"""Precision as an axis of quality: int8 and binary scores against hand-computed cases and
sentence-transformers' ``quantize_embeddings`` with exact search, calibration on other documents only,
the precision key refused when unknown, and equal-bytes comparisons."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from sentence_transformers.util import dot_score, quantize_embeddings, semantic_search

import mrlens.quality.evaluate  # noqa: F401 (the module, which mrlens.quality's evaluate function hides)
from mrlens.config import validate_config
from mrlens.errors import ConfigError, DataError
from mrlens.inference.claims import check_claims, contrasts, parse_claims
from mrlens.inference.differences import point_differences
from mrlens.quality import measure_quality
from mrlens.quality.retrieval import top_k
from mrlens.quality.similarity import spearman, unit_rows
from mrlens.quantize import bytes_per_vector, int8_codes, int8_ranges, rescore, scoring_vectors

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def test_hand_computed_codes_scores_and_bytes() -> None:
    ranges = int8_ranges(np.array([[-255.0, 0.0], [255.0, 510.0], [0.0, 1.0]]))  # step (hi - lo) / 255 = 2
    np.testing.assert_array_equal(ranges, [[-255, 0], [255, 510]])
    x, y = np.array([[1.0, 257.0]]), np.array([[255.0, 7.0]])
    np.testing.assert_array_equal(int8_codes(x, ranges), [[0, 0]])  # floor(256 / 2) - 128, floor(257 / 2) - 128
    np.testing.assert_array_equal(int8_codes(y, ranges), [[127, -125]])  # 255 - 128, floor(3.5) - 128
    np.testing.assert_array_equal(int8_codes(np.array([[-900.0, 900.0]]), ranges), [[-128, 127]])  # clipped
    score = scoring_vectors(np.array([[3.0, 5.0]]), "int8", ranges) @ scoring_vectors(y, "int8", ranges).T
    assert score.item() == 1 * 127 + (-126) * (-125)  # codes (1, -126) . (127, -125)
    a, b = np.array([[0.5, -0.2, 0.1]]), np.array([[-0.3, -0.1, 0.4]])
    assert (scoring_vectors(a, "binary") @ scoring_vectors(b, "binary").T).item() == 1  # 3 - 2 x Hamming 1
    assert [bytes_per_vector(384, p) for p in ("float32", "int8", "binary", "binary-rescore")] == [1536, 384, 48, 48]
    assert bytes_per_vector(20, "binary") == 3 and bytes_per_vector(128, "int8") == bytes_per_vector(32, "float32")
    with pytest.raises(ValueError, match="quality.precisions: unknown precision 'int4'"):
        bytes_per_vector(8, "int4")


def small_set(seed: int = 0, dim: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    queries, documents = unit_rows(rng.standard_normal((6, dim))), unit_rows(rng.standard_normal((40, dim)))
    return queries, documents, unit_rows(rng.standard_normal((200, dim)))  # calibration: other documents


def test_int8_and_binary_agree_with_quantize_embeddings_and_exact_search() -> None:
    queries, documents, calibration = small_set()
    ranges = int8_ranges(calibration)
    ours = scoring_vectors(documents, "int8", ranges)
    theirs = quantize_embeddings(documents, "int8", calibration_embeddings=calibration)
    np.testing.assert_array_equal(ours, theirs.astype(np.float32))
    q_codes = quantize_embeddings(queries, "int8", calibration_embeddings=calibration)
    hits = semantic_search(
        torch.tensor(q_codes, dtype=torch.float32),
        torch.tensor(theirs, dtype=torch.float32),
        top_k=5,
        score_function=dot_score,
    )
    ranking = top_k(scoring_vectors(queries, "int8", ranges), ours, 5)[1]
    np.testing.assert_array_equal(ranking, [[hit["corpus_id"] for hit in row] for row in hits])

    bits = lambda x: np.unpackbits(quantize_embeddings(x, "ubinary"), axis=1)[:, :16].astype(int)  # noqa: E731
    hamming = (bits(queries)[:, None, :] != bits(documents)[None, :, :]).sum(axis=2)
    binary = scoring_vectors(queries, "binary") @ scoring_vectors(documents, "binary").T
    np.testing.assert_array_equal(binary, 16 - 2 * hamming)  # ranks as a Hamming index does
    signed = quantize_embeddings(documents, "binary")  # packed bits - 128, as stored
    np.testing.assert_array_equal(
        np.unpackbits((signed.astype(np.int16) + 128).astype(np.uint8), axis=1), bits(documents)
    )

    # rescoring as sentence-transformers does it: the float query times the candidates' unpacked 0/1 bits
    candidates = np.argsort(hamming, axis=1, kind="stable")[:, :20]
    rescored = np.einsum("ij,ikj->ik", queries, bits(documents)[candidates])
    expected = np.take_along_axis(candidates, np.argsort(-rescored, axis=1)[:, :5], axis=1)
    np.testing.assert_array_equal(rescore(queries, scoring_vectors(documents, "binary"), candidates, 5), expected)


def retrieval_task(queries: np.ndarray, documents: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    ids = [f"q{i}" for i in range(len(queries))] + [f"d{i}" for i in range(len(documents))]
    texts = pd.DataFrame({"id": ids, "text": ids, "role": ["query"] * len(queries) + ["document"] * len(documents)})
    labels = pd.DataFrame(
        {"query_id": [f"q{i}" for i in range(len(queries))], "doc_id": [f"d{i}" for i in range(len(queries))]}
    )
    return texts, labels.assign(relevance=1), ids


def test_quality_at_every_precision_pairs_with_float32_and_matches_a_direct_computation() -> None:
    queries, documents, calibration = small_set(1)
    documents[: len(queries)] = unit_rows(queries + 0.6 * documents[: len(queries)])  # relevant: near their query
    texts, labels, ids = retrieval_task(queries, documents)
    x = np.vstack([queries, documents])
    precisions = ("float32", "int8", "binary", "binary-rescore")
    settings = {"bootstrap": 30, "ndcg_at": 3, "mrr_at": 3, "recall_at": 5, "precisions": precisions}
    quality = measure_quality(texts, labels, ids, x, [8, 16], settings, calibration=calibration)
    table = quality.table.set_index(["precision", "dim", "metric"])
    assert set(quality.table["precision"]) == set(precisions) and list(quality.table.columns)[:3] == [
        "strategy",
        "precision",
        "dim",
    ]
    assert ("int8", 8, "alignment") not in table.index and ("float32", 8, "alignment") in table.index
    for precision in ("int8",):  # recall@5 from a direct search (binary: too many ties at 8 bits)
        ranges = int8_ranges(unit_rows(calibration[:, :8]))
        q, d = (scoring_vectors(unit_rows(v[:, :8]), precision, ranges) for v in (queries, documents))
        found = (np.argsort(-(q @ d.T), axis=1, kind="stable")[:, :5] == np.arange(len(q))[:, None]).any(axis=1)
        assert table.loc[(precision, 8, "recall@5"), "value"] == pytest.approx(found.mean())
    replicates = quality.replicates.groupby(["precision", "dim", "metric"]).size()
    assert replicates[("int8", 8, "ndcg@3")] == replicates[("float32", 8, "ndcg@3")] == 30  # the same draws


def similarity_case() -> tuple[pd.DataFrame, pd.DataFrame, list[str], np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((30, 12))
    ids = [f"t{i}" for i in range(30)]
    a, b = rng.integers(0, 30, 60), rng.integers(0, 30, 60)
    labels = pd.DataFrame({"id_a": [ids[i] for i in a], "id_b": [ids[i] for i in b], "score": rng.random(60)})
    return pd.DataFrame({"id": ids, "text": ids}), labels, ids, x


def test_similarity_scores_the_pairs_at_each_precision_and_calibrates_on_other_documents_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts, labels, ids, x = similarity_case()
    calibration = np.random.default_rng(4).standard_normal((50, 12))
    seen: list[np.ndarray] = []
    original = int8_ranges
    monkeypatch.setattr(
        sys.modules["mrlens.quality.evaluate"], "int8_ranges", lambda c: seen.append(np.array(c)) or original(c)
    )
    settings = {"bootstrap": 0, "precisions": ("float32", "int8", "binary-rescore")}
    table = measure_quality(texts, labels, ids, x, [6, 12], settings, calibration=calibration).table
    assert set(table["precision"]) == {"float32", "int8"}  # no query side to rescore
    assert [len(s) for s in seen] == [50, 50]  # the calibration documents, at each size, never the task's texts
    np.testing.assert_array_equal(seen[0], unit_rows(calibration[:, :6]))
    codes = int8_codes(unit_rows(x[:, :6]), original(unit_rows(calibration[:, :6]))).astype(np.float64)
    position = {t: i for i, t in enumerate(ids)}
    a, b = labels["id_a"].map(position), labels["id_b"].map(position)
    expected = spearman((codes[a] * codes[b]).sum(axis=1), labels["score"].to_numpy())
    assert table.query("precision == 'int8' and dim == 6")["value"].item() == pytest.approx(expected)
    with pytest.raises(DataError, match="calibration corpus.*never the task's own texts"):
        measure_quality(texts, labels, ids, x, [6], settings)


def default_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_an_unknown_precision_is_refused_naming_the_key() -> None:
    config = default_config()
    config["quality"]["precisions"] = ["float32", "int4"]
    with pytest.raises(ConfigError, match=r"^config quality\.precisions\.1: 'int4' is not one of"):
        validate_config(config, SCHEMA)
    config["quality"]["precisions"] = ["int8"]
    with pytest.raises(ConfigError, match=r"^config quality\.precisions"):
        validate_config(config, SCHEMA)
    config = default_config()
    config["quality"]["calibration_corpus"] = "lee50"
    with pytest.raises(ConfigError, match=r"^config quality\.calibration_corpus: 'lee50' is not a corpus"):
        validate_config(config, SCHEMA)


EQUAL = {"text": "t", "metric": "main", "direction": "greater", "kind": "equal_bytes", "sizes": [128]}
EQUAL |= {"precision": "int8", "versus_dim": 32}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"versus_dim": 64}, r"\.versus_dim: 128 int8 take 128 bytes per vector, 64 float32 256"),
        ({"precision": "binary"}, r"\.precision: 'binary' is not one of quality\.precisions"),
        ({"sizes": "all"}, r"\.sizes: an equal_bytes claim names one size"),
    ],
)
def test_equal_bytes_claims_are_checked(change: dict, message: str) -> None:
    check_claims(
        parse_claims({"h": EQUAL}), ["spearman"], {"mrl": [384, 32]}, [], None, [32, 64, 128], ["float32", "int8"]
    )
    assert contrasts(parse_claims({"h": EQUAL, "i": EQUAL})) == [((128, "int8"), (32, "float32"))]
    with pytest.raises(ConfigError, match=r"^config findings\.claims\.h" + message):
        check_claims(
            parse_claims({"h": EQUAL | change}),
            ["spearman"],
            {"mrl": [384]},
            [],
            None,
            [32, 64, 128],
            ["float32", "int8"],
        )


def test_point_differences_are_each_models_paired_contrast() -> None:
    rows, replicates = [], []
    rng = np.random.default_rng(5)
    for variant in ("mrl", "no-mrl"):
        for seed in (0, 1, 2):
            for dim, precision in ((128, "int8"), (32, "float32"), (128, "float32")):
                value = rng.random()
                key = {"variant": variant, "seed": seed, "checkpoint": "final", "task": "t", "strategy": "prefix"}
                key |= {"precision": precision, "dim": dim, "metric": "ndcg@10"}
                rows.append(key | {"value": value, "n": 50})
                replicates += [key | {"replicate": b, "value": value + 0.01 * rng.standard_normal()} for b in range(40)]
    estimates = pd.DataFrame(rows)
    table = point_differences(estimates, pd.DataFrame(replicates), (128, "int8"), (32, "float32"))
    at = estimates.set_index(["variant", "seed", "dim", "precision"])["value"]
    one = table[(table["variant"] == "mrl") & (table["seed"] == 1)].iloc[0]
    assert one["difference"] == pytest.approx(at[("mrl", 1, 128, "int8")] - at[("mrl", 1, 32, "float32")])
    assert (table["reference"] == table["variant"]).all() and set(table["versus_dim"]) == {32}
    assert set(table["versus_precision"]) == {"float32"} and set(table["precision"]) == {"int8"}
    pooled = table[table["seed"].isna()].set_index("variant")
    assert pooled.loc["mrl", "n_seeds"] == 3 and pooled.loc["mrl", "interval"] == "ci95-seeds-t"


def test_quality_bytes_figure_draws_a_line_per_model_and_precision(tmp_path: Path) -> None:
    from mrlens.plots.quality import quality_bytes_figure

    rows = [
        {"variant": v, "seed": s, "checkpoint": "final", "task": t, "strategy": "prefix", "precision": p}
        | {"dim": d, "metric": m, "value": 0.1 * d / 32 + 0.01 * s}
        for v in ("no-mrl", "mrl") for s in (0, 1) for t, m in (("sim", "spearman"), ("ret", "ndcg@10"))
        for p in ("float32", "int8", "binary") for d in (8, 16, 32)
    ]  # fmt: skip
    paths = [tmp_path / "quality_bytes.png", tmp_path / "quality_bytes.pdf"]
    quality_bytes_figure(pd.DataFrame(rows), paths, dpi=60)
    assert all(p.stat().st_size > 5_000 for p in paths)
