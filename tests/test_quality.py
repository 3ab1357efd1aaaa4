"""Quality library: metric oracles (pytrec-eval, scipy), a hand-built retrieval case, task loaders, cost."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from mrlens.data import prepare_pairs
from mrlens.errors import DataError
from mrlens.metrics.truncation import Inputs, pca_basis, views
from mrlens.quality import QualitySettings, evaluate, prepare_task
from mrlens.quality.evaluate import measure_quality
from mrlens.quality.retrieval import (
    alignment_terms,
    ideal_relevance,
    mrr_at_k,
    ndcg_at_k,
    ranked_relevance,
    recall_at_k,
    top_k,
)
from mrlens.quality.similarity import pair_cosines, spearman
from mrlens.resampling import resampling_counts
from mrlens.train.cost import cost_table

pytrec_eval = pytest.importorskip("pytrec_eval")


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _random_retrieval(seed: int = 0, queries: int = 30, documents: int = 240, dim: int = 16):
    """Random vectors and graded judgements (0-3), several relevant documents per query."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(queries + documents, dim)).astype(np.float32)
    texts = pd.DataFrame(
        {
            "id": [f"q{i}" for i in range(queries)] + [f"d{j}" for j in range(documents)],
            "text": [f"query {i}" for i in range(queries)] + [f"document {j}" for j in range(documents)],
            "role": ["query"] * queries + ["document"] * documents,
        }
    )
    rows = []
    for i in range(queries):
        for j in rng.choice(documents, size=rng.integers(1, 6), replace=False):
            rows.append((f"q{i}", f"d{j}", int(rng.integers(1, 4))))
    labels = pd.DataFrame(rows, columns=["query_id", "doc_id", "relevance"])
    return texts, labels, x


def _trec(texts: pd.DataFrame, labels: pd.DataFrame, x: np.ndarray, dim: int, cut: int | None = None) -> dict:
    """pytrec-eval's per-query measures for the cosine run of the first ``dim`` dimensions."""
    z = _unit(x[:, :dim].astype(np.float64))
    queries = texts.index[texts["role"] == "query"]
    documents = texts.index[texts["role"] == "document"]
    scores = z[queries] @ z[documents].T
    run = {}
    for row, q in zip(scores, texts["id"][queries]):
        order = np.argsort(-row)[: cut or len(row)]
        run[q] = {texts["id"][documents[j]]: float(row[j]) for j in order}
    qrels: dict[str, dict[str, int]] = {}
    for q, d, r in labels.itertuples(index=False):
        qrels.setdefault(q, {})[d] = int(r)
    return pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100", "recip_rank"}).evaluate(run)


# ---- retrieval metrics against pytrec-eval ----------------------------------------------------


@pytest.mark.parametrize("dim", [4, 16])
def test_retrieval_metrics_match_pytrec_eval(dim: int) -> None:
    texts, labels, x = _random_retrieval()
    table = evaluate(texts, labels, texts["id"], x, [dim], {"bootstrap": 0, "recall_at": 100})
    value = table.set_index("metric")["value"]
    full = _trec(texts, labels, x, dim)
    top10 = _trec(texts, labels, x, dim, cut=10)  # MRR@10: reciprocal rank on the run cut at 10
    assert value["ndcg@10"] == pytest.approx(np.mean([m["ndcg_cut_10"] for m in full.values()]), abs=1e-9)
    assert value["recall@100"] == pytest.approx(np.mean([m["recall_100"] for m in full.values()]), abs=1e-9)
    assert value["mrr@10"] == pytest.approx(np.mean([m["recip_rank"] for m in top10.values()]), abs=1e-9)


def test_per_query_metrics_match_pytrec_eval() -> None:
    texts, labels, x = _random_retrieval(seed=3)
    z = _unit(x.astype(np.float64)).astype(np.float32)
    queries, documents = z[:30], z[30:]
    _, ranking = top_k(queries, documents, 100)
    q = labels["query_id"].str[1:].astype(int).to_numpy()
    d = labels["doc_id"].str[1:].astype(int).to_numpy()
    rel = labels["relevance"].to_numpy()
    ranked = ranked_relevance(ranking, q, d, rel, len(documents))
    ndcg = ndcg_at_k(ranked, ideal_relevance(q, rel, 30, 10), 10)
    mrr = mrr_at_k(ranked, 10)
    recall = recall_at_k(ranked, np.bincount(q, minlength=30), 100)
    full, top10 = _trec(texts, labels, x, 16), _trec(texts, labels, x, 16, cut=10)
    for i in range(30):
        assert ndcg[i] == pytest.approx(full[f"q{i}"]["ndcg_cut_10"], abs=1e-9)
        assert recall[i] == pytest.approx(full[f"q{i}"]["recall_100"], abs=1e-9)
        assert mrr[i] == pytest.approx(top10[f"q{i}"]["recip_rank"], abs=1e-9)


def test_blocked_top_k_is_exact() -> None:
    rng = np.random.default_rng(1)
    queries, documents = rng.normal(size=(37, 8)).astype(np.float32), rng.normal(size=(203, 8)).astype(np.float32)
    scores, indices = top_k(queries, documents, 15, query_block=5, document_block=16)
    full = queries @ documents.T
    expected = np.argsort(-full, axis=1, kind="stable")[:, :15]
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(full, expected, axis=1), rtol=1e-5)
    with pytest.raises(ValueError, match="k must lie"):
        top_k(queries, documents, 204)


def test_hand_built_retrieval_with_known_ranks() -> None:
    """Two queries on the unit circle, documents at known angles: q1's only relevant document is
    third; q2's relevant documents (relevance 2 and 1) are first and fourth."""
    angles = {"q1": 0.0, "q2": 180.0, "a": 10.0, "b": 20.0, "c": 30.0, "d": 100.0, "e": 170.0, "f": 200.0, "g": 150.0}
    texts = pd.DataFrame({"id": list(angles), "text": list(angles), "role": ["query"] * 2 + ["document"] * 7})
    x = np.array([[np.cos(np.radians(a)), np.sin(np.radians(a)), 0.0] for a in angles.values()], dtype=np.float32)
    labels = pd.DataFrame({"query_id": ["q1", "q2", "q2"], "doc_id": ["c", "e", "d"], "relevance": [1, 2, 1]})
    # q1 ranks a, b, c, ...: c third. q2 ranks e (10 deg), f (20), g (30), d (80): e first, d fourth.
    table = evaluate(
        texts, labels, texts["id"], x, [2, 3], {"bootstrap": 0, "ndcg_at": 10, "mrr_at": 2, "recall_at": 3}
    )
    value = table[table["dim"] == 2].set_index("metric")["value"]
    ndcg_q1 = 1 / np.log2(4)
    ndcg_q2 = (2 / np.log2(2) + 1 / np.log2(5)) / (2 / np.log2(2) + 1 / np.log2(3))
    assert value["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 2)
    assert value["mrr@2"] == pytest.approx((0 + 1) / 2)  # q1's hit is beyond 2
    assert value["recall@3"] == pytest.approx((1 + 0.5) / 2)
    cos = [np.cos(np.radians(30)), np.cos(np.radians(10)), np.cos(np.radians(80))]
    assert value["alignment"] == pytest.approx(np.mean([2 - 2 * c for c in cos]), rel=1e-5)
    # the third dimension is zero: size 3 gives the same values
    np.testing.assert_allclose(
        table[table["dim"] == 3]["value"].to_numpy(), table[table["dim"] == 2]["value"].to_numpy(), rtol=1e-6
    )
    assert set(table["n"]) == {2, 3}  # queries; pairs for alignment


def test_alignment_is_mean_squared_distance_of_unit_pairs() -> None:
    rng = np.random.default_rng(2)
    x, y = _unit(rng.normal(size=(50, 6))), _unit(rng.normal(size=(50, 6)))
    np.testing.assert_allclose(alignment_terms(x, y), 2 - 2 * (x * y).sum(axis=1))
    np.testing.assert_allclose(alignment_terms(x, y, alpha=1), np.linalg.norm(x - y, axis=1))


# ---- similarity ---------------------------------------------------------------------------------


def _similarity_case(seed: int = 0, texts: int = 40, pairs: int = 120, dim: int = 12):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(texts, dim)).astype(np.float32)
    frame = pd.DataFrame(
        {"id": [f"t{i}" for i in range(texts)], "text": [f"text {i}" for i in range(texts)], "role": "text"}
    )
    a, b = np.triu_indices(texts, k=1)  # distinct pairs: equal cosines would tie only up to rounding
    chosen = rng.choice(len(a), size=pairs, replace=False)
    a, b = a[chosen], b[chosen]
    cos = pair_cosines(x, a, b)
    score = np.round(cos + rng.normal(scale=0.5, size=pairs), 1)  # ties on purpose
    labels = pd.DataFrame({"id_a": frame["id"][a].to_numpy(), "id_b": frame["id"][b].to_numpy(), "score": score})
    return frame, labels, x, a, b


def test_spearman_of_cosine_matches_scipy() -> None:
    texts, labels, x, a, b = _similarity_case()
    table = evaluate(texts, labels, texts["id"], x, [3, 12], {"bootstrap": 0})
    for dim in (3, 12):
        z = x[:, :dim].astype(np.float64)
        cos = (z[a] * z[b]).sum(1) / np.linalg.norm(z[a], axis=1) / np.linalg.norm(z[b], axis=1)
        expected = spearmanr(cos, labels["score"]).statistic
        got = table[(table["dim"] == dim) & (table["metric"] == "spearman")]["value"].item()
        assert got == pytest.approx(expected, abs=1e-9)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic)


def test_embedding_order_does_not_matter_and_missing_ids_fail() -> None:
    texts, labels, x, _, _ = _similarity_case()
    order = np.random.default_rng(0).permutation(len(x))
    first = evaluate(texts, labels, texts["id"], x, [12], {"bootstrap": 20})
    second = evaluate(texts, labels, texts["id"].to_numpy()[order], x[order], [12], {"bootstrap": 20})
    pd.testing.assert_frame_equal(first, second)
    with pytest.raises(DataError, match="has no embedding"):
        evaluate(texts, labels, texts["id"][1:], x[1:], [12])


def test_bootstrap_intervals_are_seeded_and_cover_the_value() -> None:
    texts, labels, x, _, _ = _similarity_case(pairs=300)
    settings = {"bootstrap": 200, "confidence": 0.9, "seed": 4}
    first = evaluate(texts, labels, texts["id"], x, [4, 12], settings)
    pd.testing.assert_frame_equal(first, evaluate(texts, labels, texts["id"], x, [4, 12], settings))
    assert (first["ci_low"] <= first["value"]).all() and (first["value"] <= first["ci_high"]).all()
    assert (first["ci_high"] > first["ci_low"]).all() and (first["n"] == 300).all()
    other = evaluate(texts, labels, texts["id"], x, [4, 12], {**settings, "seed": 5})
    assert not np.allclose(first["ci_low"], other["ci_low"])
    off = evaluate(texts, labels, texts["id"], x, [4, 12], {"bootstrap": 0})
    assert off["ci_low"].isna().all() and np.allclose(off["value"], first["value"])

    rtexts, rlabels, rx = _random_retrieval()
    table = evaluate(rtexts, rlabels, rtexts["id"], rx, [8], {"bootstrap": 100})
    assert (table["ci_low"] <= table["value"] + 1e-12).all() and (table["value"] <= table["ci_high"] + 1e-12).all()


def test_intervals_are_named_and_random_baseline_ignores_the_bootstrap() -> None:
    settings = {"strategies": ("prefix", "pca", "random"), "random_orderings": 3, "seed": 2}
    for texts, labels, x in (_similarity_case()[:3], _random_retrieval()):
        fit = np.random.default_rng(1).standard_normal((100, x.shape[1]))
        off, on = (
            evaluate(texts, labels, texts["id"], x, [4, 12], {**settings, "bootstrap": b}, fit=fit) for b in (0, 50)
        )
        pd.testing.assert_frame_equal(off[off["strategy"] == "random"], on[on["strategy"] == "random"])
        np.testing.assert_array_equal(off["value"], on["value"])
        assert set(off["interval"]) == {"none", "range-orderings"}
        labels_on = on.groupby("strategy")["interval"].agg(set)
        expected = {"ci95-split-halves"} if "id_a" in labels else {"ci95-korn-graubard", "ci95-basic-bootstrap"}
        assert labels_on["prefix"] == expected and labels_on["pca"] == {"none"}
        finite = on.dropna(subset=["ci_low"])
        assert (finite["ci_low"] <= finite["value"]).all() and (finite["value"] <= finite["ci_high"]).all()


def test_replicates_are_paired_draws_of_the_same_pairs() -> None:
    """Two models on one task: replicate r of each is scipy's Spearman over the pairs of draw r."""
    texts, labels, x, a, b = _similarity_case(pairs=120)
    counts = resampling_counts(len(labels), 5, "halves", seed=8)  # Spearman's method: split halves
    for z in (x, x[:, ::-1] ** 3):
        replicates = measure_quality(texts, labels, texts["id"], z, [6], {"bootstrap": 5, "seed": 8}).replicates
        u = z[:, :6].astype(np.float64)
        cos = (u[a] * u[b]).sum(1) / np.linalg.norm(u[a], axis=1) / np.linalg.norm(u[b], axis=1)
        for r in range(5):
            rows = np.repeat(np.arange(len(labels)), counts[:, r])
            expected = spearmanr(cos[rows], labels["score"].to_numpy()[rows]).statistic
            assert replicates[replicates["replicate"] == r]["value"].item() == pytest.approx(expected, abs=1e-9)


def test_strategies_agree_at_full_size() -> None:
    """At full size a rotation (pca) or a reordering (random) of the dimensions changes no cosine."""
    settings = QualitySettings(bootstrap=0, strategies=("prefix", "pca", "random"), random_orderings=3)
    for texts, labels, x in (_similarity_case()[:3], _random_retrieval()):
        fit = np.random.default_rng(1).standard_normal((100, x.shape[1])) * np.arange(1, x.shape[1] + 1)
        table = evaluate(texts, labels, texts["id"], x, [4, x.shape[1]], settings, fit=fit)
        full = table[table["dim"] == x.shape[1]].pivot(index="metric", columns="strategy", values="value")
        np.testing.assert_allclose(full["pca"], full["prefix"], atol=1e-5)
        np.testing.assert_allclose(full["random"], full["prefix"], atol=1e-5)
        small = table[(table["dim"] == 4) & (table["strategy"] == "random")]
        assert (small["ci_low"] <= small["value"]).all() and (small["value"] <= small["ci_high"]).all()


def test_views_follow_the_strategies() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 5)) * np.array([1.0, 5.0, 0.1, 2.0, 0.5])
    (prefix,) = views(x, "prefix")
    assert prefix is x
    (pca,) = views(x, "pca", Inputs(basis=pca_basis(np.cov(x, rowvar=False))))
    variances = pca.var(axis=0)
    assert np.all(np.diff(variances) <= 1e-6) and variances[0] == pytest.approx(x[:, 1].var(), rel=0.1)
    orderings = [np.array([4, 3, 2, 1, 0]), np.array([1, 0, 2, 3, 4])]
    shuffled = list(views(x, "random", Inputs(orderings=orderings)))
    np.testing.assert_array_equal(shuffled[0], x[:, ::-1])
    with pytest.raises(ValueError, match="unknown truncation strategy"):
        list(views(x, "svd"))


def test_pca_is_fitted_on_other_documents_unless_asked_in_sample() -> None:
    """The default basis comes from ``fit`` (other documents by the same model): the pca rows equal the
    prefix rows of the task's embeddings rotated by the eigenvectors of ``fit``'s covariance (by hand);
    the in-sample basis is computed only when asked, named pca-insample, and differs; without ``fit`` the
    error names the setting."""
    for texts, labels, x in (_similarity_case()[:3], _random_retrieval()):
        d = x.shape[1]
        fit = np.random.default_rng(4).standard_normal((300, d)) * np.linspace(3.0, 0.2, d)
        settings = QualitySettings(bootstrap=0, strategies=("prefix", "pca"))
        table = evaluate(texts, labels, texts["id"], x, [4], settings, fit=fit).set_index(["strategy", "metric"])[
            "value"
        ]
        basis = np.linalg.eigh(np.cov(fit.T))[1][:, ::-1]
        by_hand = evaluate(texts, labels, texts["id"], x @ basis, [4], {"bootstrap": 0}).set_index("metric")["value"]
        np.testing.assert_allclose(table["pca"].sort_index(), by_hand.sort_index(), rtol=1e-5, atol=1e-6)
        insample = evaluate(texts, labels, texts["id"], x, [4], {**vars(settings), "pca_fit": "insample"}).set_index(
            ["strategy", "metric"]
        )
        assert set(insample.index.get_level_values(0)) == {"prefix", "pca-insample"}
        assert np.abs(insample.loc["pca-insample", "value"].sort_index() - table["pca"].sort_index()).max() > 1e-3
        with pytest.raises(DataError, match="analysis.pca_fit heldout"):
            evaluate(texts, labels, texts["id"], x, [4], settings)


# ---- tasks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "pairs", "texts"), [("lee50", 1225, 50), ("simlex999", 999, None), ("wordsim353", 353, None)]
)
def test_gensim_similarity_sets(kind: str, pairs: int, texts: int | None) -> None:
    frame, labels = prepare_task({"kind": kind}, kind)
    assert len(labels) == pairs
    if texts is not None:
        assert len(frame) == texts
    assert frame["id"].is_unique and frame["text"].is_unique and (frame["role"] == "text").all()
    assert set(labels["id_a"]) | set(labels["id_b"]) <= set(frame["id"])
    if kind == "lee50":  # the upper triangle: each unordered pair once, scores in [0, 1]
        assert not (labels["id_a"] == labels["id_b"]).any()
        assert labels["score"].between(0, 1).all()
        assert len({frozenset(p) for p in zip(labels["id_a"], labels["id_b"])}) == 1225
    if kind == "simlex999":
        text = frame.set_index("id")["text"]
        first = labels.iloc[0]
        assert (text[first["id_a"]], text[first["id_b"]], first["score"]) == ("old", "new", 1.58)


def test_similarity_local_csv(tmp_path: Path) -> None:
    path = tmp_path / "sts.csv"
    pd.DataFrame(
        {
            "s1": ["a cat sits", "a dog runs", "rain falls", "a cat sits"],
            "s2": ["a cat is sitting", "a man sings", "it rains", "rain falls"],
            "gold": [4.8, 0.4, 4.5, 0.2],
        }
    ).to_csv(path, index=False)
    spec = {"kind": "similarity_local", "path": str(path), "columns": {"text_a": "s1", "text_b": "s2", "score": "gold"}}
    texts, labels = prepare_task(spec, "sts")
    assert len(labels) == 4 and len(texts) == 6  # "a cat sits" and "rain falls" appear twice, one id each
    text = texts.set_index("id")["text"]
    assert [text[i] for i in labels["id_a"]] == ["a cat sits", "a dog runs", "rain falls", "a cat sits"]
    assert labels["score"].tolist() == [4.8, 0.4, 4.5, 0.2]
    with pytest.raises(DataError, match="column 'sentence1'"):
        prepare_task({"kind": "similarity_local", "path": str(path)}, "sts")
    path.write_text("s1,s2,gold\na,b,high\nc,d,1\ne,f,2\n")
    with pytest.raises(DataError, match="non-numeric value 'high'"):
        prepare_task(spec, "sts")
    with pytest.raises(DataError, match=r"quality.tasks.sts: file .*missing.csv not found"):
        prepare_task({**spec, "path": str(tmp_path / "missing.csv")}, "sts")


def _write_beir(folder: Path, qrels_rows: list[tuple[str, str, int]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = [
        {"_id": "d1", "title": "Cats", "text": "Cats sleep a lot."},
        {"_id": "d2", "title": "", "text": "Dogs bark."},
        {"_id": "d3", "title": "Cats", "text": "Cats sleep a lot."},  # same text as d1
        {"_id": "d4", "title": "Rain", "text": "Rain is water."},
    ]
    queries = [
        {"_id": "1", "text": "why do cats sleep"},
        {"_id": "2", "text": "what is rain"},
        {"_id": "3", "text": "unjudged"},
    ]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (folder / "qrels").mkdir(exist_ok=True)
    rows = qrels_rows or [("1", "d1", 1), ("1", "d3", 2), ("2", "d4", 1), ("2", "d2", 0)]
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in rows)
    )
    return folder


def test_retrieval_local_beir_folder(tmp_path: Path) -> None:
    folder = _write_beir(tmp_path / "beir")
    texts, labels = prepare_task({"kind": "retrieval_local", "path": str(folder)}, "mini")
    assert texts["text"].is_unique and texts["id"].is_unique
    documents = texts[texts["role"] == "document"].set_index("id")["text"]
    assert documents.to_dict() == {
        "d:d1": "Cats Cats sleep a lot.",
        "d:d2": "Dogs bark.",
        "d:d4": "Rain Rain is water.",
    }
    assert set(texts.loc[texts["role"] == "query", "text"]) == {
        "why do cats sleep",
        "what is rain",
    }  # unjudged left out
    # d3 merged into d1 with the larger relevance; the relevance-0 row dropped
    assert sorted(labels.itertuples(index=False)) == [("q:1", "d:d1", 2), ("q:2", "d:d4", 1)]


def test_retrieval_local_nanobeir_layout(tmp_path: Path) -> None:
    """NanoBEIR's layout: corpus/queries/qrels tables, qrels without a score (relevance 1)."""
    folder = tmp_path / "nano"
    folder.mkdir()
    pd.DataFrame({"_id": ["a", "b", "c"], "text": ["alpha text", "beta text", "gamma text"]}).to_parquet(
        folder / "corpus.parquet"
    )
    pd.DataFrame({"_id": ["q1", "q2"], "text": ["first?", "second?"]}).to_parquet(folder / "queries.parquet")
    pd.DataFrame({"query-id": ["q1", "q2", "q2"], "corpus-id": ["b", "a", "c"]}).to_parquet(folder / "qrels.parquet")
    texts, labels = prepare_task({"kind": "retrieval_local", "path": str(folder), "split": "train"}, "nano")
    assert (labels["relevance"] == 1).all() and len(labels) == 3
    assert (texts["role"] == "document").sum() == 3
    capped, capped_labels = prepare_task(
        {"kind": "retrieval_local", "path": str(folder), "max_queries": 1, "max_documents": 1, "seed": 1}, "nano"
    )
    kept_docs = set(capped.loc[capped["role"] == "document", "id"])
    assert capped_labels["query_id"].nunique() == 1 and set(capped_labels["doc_id"]) <= kept_docs


def test_retrieval_errors_name_the_problem(tmp_path: Path) -> None:
    folder = _write_beir(tmp_path / "bad", qrels_rows=[("1", "d9", 1)])
    with pytest.raises(DataError, match=r"quality.tasks.bad: qrels doc_id 'd9' is not in the corpus"):
        prepare_task({"kind": "retrieval_local", "path": str(folder)}, "bad")
    folder = _write_beir(tmp_path / "badq", qrels_rows=[("7", "d1", 1)])
    with pytest.raises(DataError, match="qrels query_id '7' is not in the queries"):
        prepare_task({"kind": "retrieval_local", "path": str(folder)}, "badq")
    folder = _write_beir(tmp_path / "zero", qrels_rows=[("1", "d1", 0)])
    with pytest.raises(DataError, match="no qrels row has a relevance above 0"):
        prepare_task({"kind": "retrieval_local", "path": str(folder)}, "zero")
    (folder / "queries.jsonl").unlink()
    with pytest.raises(DataError, match="no queries file in"):
        prepare_task({"kind": "retrieval_local", "path": str(folder)}, "zero")
    empty = _write_beir(tmp_path / "empty")
    (empty / "corpus.jsonl").write_text("")
    with pytest.raises(DataError, match="corpus.jsonl"):
        prepare_task({"kind": "retrieval_local", "path": str(empty)}, "empty")
    with pytest.raises(DataError, match="folder .* not found"):
        prepare_task({"kind": "retrieval_local", "path": str(tmp_path / "nowhere")}, "x")
    with pytest.raises(DataError, match=r"quality.tasks.x.kind: unknown kind"):
        prepare_task({"kind": "mteb"}, "x")
    with pytest.raises(DataError, match="needs the held-out pairs"):
        prepare_task({"kind": "heldout_retrieval", "pairs": "wordnet"}, "x")


def test_heldout_split_shares_no_synset_with_training(tiny_wordnet: Path) -> None:
    train, heldout = prepare_pairs(
        {"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.25, "seed": 0}, "data.pairs.wordnet"
    )
    assert len(heldout) > 10 and not set(heldout["group"]) & set(train["group"])
    texts, labels = prepare_task({"kind": "heldout_retrieval", "pairs": "wordnet"}, "heldout", heldout)
    assert not set(texts["text"]) & set(train["anchor"]) - set(heldout["anchor"])
    assert set(texts.loc[texts["role"] == "document", "text"]) == set(heldout["positive"])
    query_groups = {q.removeprefix("q:") for q in labels["query_id"] if q.startswith("q:")}
    assert query_groups <= set(heldout["group"]) and not query_groups & set(train["group"])
    text = texts.set_index("id")["text"]
    relevant = {(text[q], text[d]) for q, d in zip(labels["query_id"], labels["doc_id"])}
    assert relevant == set(zip(heldout["anchor"], heldout["positive"]))  # every pair, nothing else

    capped, capped_labels = prepare_task(
        {"kind": "heldout_retrieval", "pairs": "wordnet", "max_queries": 5, "max_documents": 12, "seed": 3},
        "heldout",
        heldout,
    )
    documents = set(capped.loc[capped["role"] == "document", "id"])
    assert capped_labels["query_id"].nunique() <= 5 and len(documents) == 12
    assert set(capped_labels["doc_id"]) <= documents  # the relevant documents are always kept
    again, _ = prepare_task(
        {"kind": "heldout_retrieval", "pairs": "wordnet", "max_queries": 5, "max_documents": 12, "seed": 3},
        "heldout",
        heldout,
    )
    pd.testing.assert_frame_equal(capped, again)


# ---- cost ---------------------------------------------------------------------------------------


def test_cost_table(tmp_path: Path) -> None:
    rows = []
    for model, variant, seconds in (("no-mrl_s0", "no-mrl", 1.0), ("mrl-64_s0", "mrl-64", 1.2)):
        for step in (1, 5, 10):
            rows.append((model, variant, 0, step, "logging_seconds", 0.01))
            rows.append((model, variant, 0, step, "tokens", 600.0))
            rows.append((model, variant, 0, step, "peak_memory_mb", 1000.0 + step))
            if step > 1:  # 4 steps at `seconds`, then 5 steps at twice that
                rows.append((model, variant, 0, step, "step_seconds", seconds * (1 if step == 5 else 2)))
    log = pd.DataFrame(rows, columns=["model", "variant", "seed", "step", "metric", "value"])
    bench = tmp_path / "no-mrl_s0.tsv"
    bench.write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n176.6\t0:02:56\t1764.56\t4013\t1742\t1768\t2.6\t174.8\t180.4\t319.17\n"
    )
    table = cost_table([log[log["model"] == "no-mrl_s0"], log[log["model"] == "mrl-64_s0"]], [bench]).set_index("model")
    assert table.loc["no-mrl_s0", "seconds_per_step"] == pytest.approx((4 * 1 + 5 * 2) / 9)
    assert table.loc["mrl-64_s0", "seconds_per_step"] == pytest.approx(1.2 * 14 / 9)
    assert table.loc["no-mrl_s0", "tokens_per_second"] == pytest.approx(600 / (14 / 9))
    assert table.loc["no-mrl_s0", "peak_memory_mb"] == 1010.0
    assert table.loc["no-mrl_s0", "job_seconds"] == pytest.approx(176.6)
    assert table.loc["no-mrl_s0", "max_rss_mb"] == pytest.approx(1764.56)
    assert np.isnan(table.loc["mrl-64_s0", "job_seconds"])
    with pytest.raises(DataError, match="benchmark file .* not found"):
        cost_table(log, {"no-mrl_s0": tmp_path / "missing.tsv"})
    old = log[~log["metric"].isin(["step_seconds", "tokens", "peak_memory_mb"])]
    assert cost_table(old)[["seconds_per_step", "tokens_per_second", "peak_memory_mb"]].isna().all().all()


# ---- figures ------------------------------------------------------------------------------------


def _quality_table() -> pd.DataFrame:
    rows = []
    rng = np.random.default_rng(0)
    models = [
        ("base", "base", None),
        ("no-mrl_s0", "no-mrl", 0),
        ("no-mrl_s1", "no-mrl", 1),
        ("mrl-32_s0", "mrl-32", 0),
    ]
    for model, variant, seed in models:
        for task, metrics in (("simlex", ["spearman"]), ("heldout", ["ndcg@10", "alignment"])):
            for strategy in ("prefix", "pca", "random") if variant == "no-mrl" else ("prefix",):
                for dim in (8, 16, 32):
                    for metric in metrics:
                        value = dim / 40 + rng.uniform(0, 0.05)
                        rows.append(
                            (
                                model,
                                variant,
                                seed,
                                "final",
                                task,
                                strategy,
                                dim,
                                metric,
                                value,
                                value - 0.05,
                                value + 0.05,
                                100,
                            )
                        )
    columns = [
        "model",
        "variant",
        "seed",
        "checkpoint",
        "task",
        "strategy",
        "dim",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "n",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(interval=np.where(frame["strategy"] == "random", "range-orderings", "ci95-basic-bootstrap"))


def test_relative_to_full_size_is_one_at_full_size() -> None:
    from mrlens.plots.quality import relative_to_full_size

    relative = relative_to_full_size(_quality_table())
    full = relative[(relative["dim"] == 32) & (relative["strategy"] == "prefix")]
    np.testing.assert_allclose(full["value"], 1.0)
    assert "ci_low" not in relative


def test_quality_and_cost_figures(tmp_path: Path) -> None:
    from mrlens.plots.quality import cost_figure, quality_figure

    paths = [tmp_path / "quality.png", tmp_path / "quality.pdf"]
    quality_figure(_quality_table(), paths, reference_variants=["no-mrl"])
    cost = pd.DataFrame(
        {
            "model": ["no-mrl_s0", "no-mrl_s1", "mrl-32_s0"],
            "variant": ["no-mrl", "no-mrl", "mrl-32"],
            "seed": [0, 1, 0],
            "seconds_per_step": [1.0, 1.1, 1.2],
            "tokens_per_second": [500.0, 480.0, np.nan],
            "peak_memory_mb": [900.0, 910.0, 950.0],
        }
    )
    cost_figure(cost, [tmp_path / "cost.png"])
    assert all(p.stat().st_size > 1000 for p in [*paths, tmp_path / "cost.png"])
    with pytest.raises(ValueError, match="no quality rows"):
        quality_figure(_quality_table(), paths, metrics=["mrr@10"])


def test_mteb_tasks_are_evaluated_at_every_size_through_truncate_dim(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mteb is not installed here (nor reachable): a stand-in module records what mrlens asks of it."""
    import sys
    import types

    from mrlens.models import resolve_base
    from mrlens.quality.mteb import mteb_scores

    calls = []

    class Result:
        def __init__(self, name: str, dim: int) -> None:
            self.task_name, self.dim = name, dim

        def get_score(self) -> float:
            return self.dim / 100

    def evaluate(model, tasks, cache="default"):  # type: ignore[no-untyped-def]
        calls.append((model.truncate_dim, cache))
        dim = len(model.encode(["a short text"])[0])
        return types.SimpleNamespace(task_results=[Result(tasks[0], dim)])

    fake = types.SimpleNamespace(get_task=lambda name: name, evaluate=evaluate)
    monkeypatch.setitem(sys.modules, "mteb", fake)
    resolve_base(str(tiny_model), None, "mean", tmp_path / "model")
    table = mteb_scores(tmp_path / "model", "NanoSciFactRetrieval", [16, 8, 32])
    assert calls == [(8, None), (16, None), (32, None)]  # every size, never from MTEB's cache
    assert table["metric"].eq("mteb:NanoSciFactRetrieval").all()
    assert table["value"].tolist() == [0.08, 0.16, 0.32]  # the model really was truncated
    monkeypatch.setitem(sys.modules, "mteb", None)
    with pytest.raises(DataError, match=r"mteb package is not installed"):
        mteb_scores(tmp_path / "model", "NanoSciFactRetrieval", [8])


def _all_pairs_population(rng: np.random.Generator, documents: int, dim: int = 6):
    """Documents with a latent meaning ``u``, an embedding ``u + noise`` and a rating bias; a pair's human
    score is the cosine of the meanings plus both biases plus noise (Lee50's design: every pair rated)."""
    u = rng.standard_normal((documents, dim))
    return u, u + 0.8 * rng.standard_normal((documents, dim)), 0.3 * rng.standard_normal(documents)


def _pair_scores(rng, u, bias, a, b):
    unit = u / np.linalg.norm(u, axis=1, keepdims=True)
    return (unit[a] * unit[b]).sum(1) + bias[a] + bias[b] + 0.3 * rng.standard_normal(len(a))


def test_all_pairs_of_fifty_documents_resample_documents() -> None:
    """All 1,225 pairs of 50 documents drawn from a population whose Spearman's rho (over pairs of distinct
    documents) is known from 20,000 documents: resampling documents covers it, resampling pairs as if they
    were independent does not (the audit measured 68-70 %)."""
    rng = np.random.default_rng(3)
    u, x, bias = _all_pairs_population(rng, 20_000)
    a, b = rng.integers(0, 20_000, (2, 400_000))
    keep = a != b
    truth = spearman(pair_cosines(x, a[keep], b[keep]), _pair_scores(rng, u, bias, a[keep], b[keep]))
    n = 50
    ids = [f"t{i}" for i in range(n)]
    texts = pd.DataFrame({"id": ids, "text": ids, "role": "text"})
    a, b = np.triu_indices(n, 1)
    hits = {"documents": [], "pairs": []}
    for rep in range(80):
        u, x, bias = _all_pairs_population(rng, n)
        labels = pd.DataFrame(
            {"id_a": np.take(ids, a), "id_b": np.take(ids, b), "score": _pair_scores(rng, u, bias, a, b)}
        )
        for unit in hits:
            row = _evaluate_unit(texts, labels, x, unit, rep)
            hits[unit].append(row["ci_low"] <= truth <= row["ci_high"])
            assert row["interval"] == ("ci95-documents-bootstrap" if unit == "documents" else "ci95-split-halves")
            assert row["n"] == (50 if unit == "documents" else 1225)
    coverage = {unit: np.mean(hit) for unit, hit in hits.items()}
    assert coverage["documents"] >= 0.9 and coverage["pairs"] <= 0.88, coverage


def _evaluate_unit(texts: pd.DataFrame, labels: pd.DataFrame, x: np.ndarray, unit: str, seed: int) -> pd.Series:
    settings = {"bootstrap": 200, "seed": seed}
    return measure_quality(texts, labels, texts["id"], x, [x.shape[1]], settings, unit=unit).table.iloc[0]


def test_fifty_queries_at_the_ceiling_get_a_flagged_interval_within_the_range() -> None:
    """50 queries that each find their one relevant document first: nDCG, MRR and recall are 1 with no
    spread; the interval is Korn and Graubard's ``[alpha^(1 / n*), 1]``, labelled ``-ceiling``."""
    rng = np.random.default_rng(0)
    documents = rng.standard_normal((200, 8))
    queries = documents[:50] + 0.01 * rng.standard_normal((50, 8))
    q, d = [f"q{i}" for i in range(50)], [f"d{j}" for j in range(200)]
    texts = pd.DataFrame({"id": q + d, "text": q + d, "role": ["query"] * 50 + ["document"] * 200})
    labels = pd.DataFrame({"query_id": q, "doc_id": d[:50], "relevance": 1})
    x = np.vstack([queries, documents]).astype(np.float32)
    table = evaluate(texts, labels, texts["id"], x, [8], {"bootstrap": 100, "recall_at": 10}).set_index("metric")
    shrink = (1.959963984540054 / 2.009575237129235) ** 2
    for metric in ("ndcg@10", "mrr@10", "recall@10"):
        row = table.loc[metric]
        assert row["value"] == 1.0 and row["interval"] == "ci95-korn-graubard-ceiling"
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.025 ** (1 / (50 * shrink)), 1.0))
    with pytest.raises(ValueError, match="cannot resample 'documents'"):
        measure_quality(texts, labels, texts["id"], x, [8], {"bootstrap": 10}, unit="documents")
