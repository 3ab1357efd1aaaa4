"""The MRL zoo (issue 26, docs/zoo.md): prompts per role, trust_remote_code behind a pinned commit, embeddings
made elsewhere (precomputed), and config/zoo.yaml planned offline. Local stand-ins only: nothing reaches the
network."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, build_tiny_model

from mrlens.config import validate_config
from mrlens.embed import embed_tokens
from mrlens.errors import ConfigError, DataError
from mrlens.io import read_embeddings, write_embeddings
from mrlens.models import load_model, resolve_base
from mrlens.precomputed import import_embeddings
from mrlens.prompts import model_prompts, resolve_prompts
from mrlens.tokens import read_token_metadata, tokenize_corpus

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # 40 hex digits: the form, not a real commit
NO_PROMPTS = {"document": None, "query": None, "similarity": None}

CUSTOM_CODE = """from transformers import BertConfig, BertModel


class TinyCustomConfig(BertConfig):
    model_type = "mrlens-tiny-custom"


class TinyCustomModel(BertModel):
    config_class = TinyCustomConfig
"""


def custom_code_model(folder: Path) -> Path:
    """A tiny BERT whose config names modelling code of its own (``auto_map``, a model type transformers
    does not know), as nomic-embed-text's nomic_bert does: it loads only with trust_remote_code."""
    build_tiny_model(folder, seed=3)
    (folder / "modeling_tiny.py").write_text(CUSTOM_CODE)
    config = json.loads((folder / "config.json").read_text())
    config |= {
        "model_type": "mrlens-tiny-custom",
        "architectures": ["TinyCustomModel"],
        "auto_map": {"AutoConfig": "modeling_tiny.TinyCustomConfig", "AutoModel": "modeling_tiny.TinyCustomModel"},
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def prompted_model(folder: Path, plain: Path, prompts: dict[str, str], default: str | None = None) -> Path:
    """A SentenceTransformer folder (mean pooling, normalised) whose configuration carries ``prompts``."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize

    model = load_model(plain, device="cpu")
    SentenceTransformer(modules=[*model, Normalize()], prompts=prompts, default_prompt_name=default, device="cpu").save(
        str(folder)
    )
    return folder


def task_texts() -> pd.DataFrame:
    """A retrieval task's texts and a similarity task's, with their roles, in mixed order."""
    rows = [
        ("q:1", "which river runs past the stone bridge", "query"),
        ("d:1", "the river runs past the old stone bridge in winter", "document"),
        ("t0", "a candle lit the window", "text"),
        ("q:2", "music in the garden", "query"),
        ("d:2", "an island market sells bread and silver", "document"),
        ("t1", "the mirror shows a planet of clouds", "text"),
    ]
    return pd.DataFrame(rows, columns=["id", "text", "role"])


def analysis_only(tiny_config_dict: dict, models: dict) -> dict:
    config = copy.deepcopy(tiny_config_dict)
    del config["train"]
    return config | {"models": models, "findings": {}}


# ---- trust_remote_code -----------------------------------------------------------------------------


def test_custom_modelling_code_loads_only_with_trust_remote_code(tmp_path: Path) -> None:
    folder = custom_code_model(tmp_path / "custom")
    with pytest.raises(ValueError, match="trust_remote_code"):
        load_model(folder, device="cpu")
    with pytest.raises(ValueError, match="trust_remote_code"):
        resolve_base(str(folder), None, "mean", tmp_path / "refused", "models.custom.source")
    assert not (tmp_path / "refused").exists()
    info = resolve_base(str(folder), None, "mean", tmp_path / "saved", "models.custom.source", trust_remote_code=True)
    assert info["trust_remote_code"] is True and info["dim"] == 32
    assert (tmp_path / "saved" / "modeling_tiny.py").exists()  # the code travels with the saved copy
    texts = task_texts()
    texts.to_parquet(tmp_path / "texts.parquet", index=False)
    tokenize_corpus(tmp_path / "saved", tmp_path / "texts.parquet", tmp_path / "tokens.parquet", 32)
    with pytest.raises(ValueError, match="trust_remote_code"):
        embed_tokens(tmp_path / "saved", tmp_path / "tokens.parquet", tmp_path / "e.parquet", 4, 32, {}, device="cpu")
    embed_tokens(
        tmp_path / "saved", tmp_path / "tokens.parquet", tmp_path / "e.parquet", 4, 32, {}, device="cpu",
        trust_remote_code=True,
    )  # fmt: skip
    expected = load_model(folder, device="cpu", trust_remote_code=True).encode(texts["text"].tolist())
    np.testing.assert_allclose(read_embeddings(tmp_path / "e.parquet")[1], expected, atol=1e-5)


def test_code_from_another_repository_needs_its_own_commit(tmp_path: Path) -> None:
    """nomic-embed-text's auto_map takes its code from nomic-ai/nomic-bert-2048, which the model's commit does
    not pin: refused before any code runs unless code_revision pins it."""
    folder = custom_code_model(tmp_path / "custom")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {k: f"other-org/code--{v}" for k, v in config["auto_map"].items()}
    (folder / "config.json").write_text(json.dumps(config))
    message = r"^config models\.custom\.code_revision: .* runs modelling code from other-org/code"
    with pytest.raises(ConfigError, match=message):
        resolve_base(str(folder), None, "mean", tmp_path / "out", "models.custom.source", trust_remote_code=True)
    assert not (tmp_path / "out").exists()


def test_a_code_revision_is_a_full_commit_with_trust_remote_code(tiny_config_dict: dict) -> None:
    entry = {"source": "some-org/model", "revision": COMMIT, "trust_remote_code": True, "code_revision": COMMIT}
    assert validate_config(analysis_only(tiny_config_dict, {"m": dict(entry)}), SCHEMA)["models"]["m"]["code_revision"]
    for bad in ({"code_revision": "main"}, {"trust_remote_code": False}):
        with pytest.raises(ConfigError, match=r"^config models\.m\.code_revision: only with trust_remote_code"):
            validate_config(analysis_only(tiny_config_dict, {"m": entry | bad}), SCHEMA)


@pytest.mark.parametrize(
    ("revision", "refused"),
    [(None, True), ("main", True), ("v1.5", True), (COMMIT[:12], True), (COMMIT.upper(), True), (COMMIT, False)],
)
def test_trust_remote_code_from_the_hub_needs_a_full_commit(
    tiny_config_dict: dict, revision: str | None, refused: bool
) -> None:
    models = {"nomic": {"source": "some-org/custom-model", "revision": revision, "trust_remote_code": True}}
    config = analysis_only(tiny_config_dict, models)
    if refused:
        message = r"^config models\.nomic\.revision: trust_remote_code runs code from some-org/custom-model"
        with pytest.raises(ConfigError, match=message + r".*full 40-hex commit"):
            validate_config(config, SCHEMA)
    else:
        assert validate_config(config, SCHEMA)["models"]["nomic"]["trust_remote_code"] is True
    models["nomic"]["trust_remote_code"] = False  # without code of its own, any revision (or none) will do
    assert validate_config(analysis_only(tiny_config_dict, models), SCHEMA)["models"]["nomic"]["revision"] == revision


def test_code_of_a_model_runs_only_where_mrlens_passes_the_opt_in(tiny_config_dict: dict) -> None:
    """Model diffing and MTEB tasks load models without it: a model with trust_remote_code is refused there."""
    entry = {"source": "some-org/custom-model", "revision": COMMIT, "trust_remote_code": True}
    with pytest.raises(ConfigError, match=r"^config models\.m\.base: model diffing does not run a model's own code"):
        validate_config(analysis_only(tiny_config_dict, {"m": entry | {"base": "base"}}), SCHEMA)
    config = analysis_only(tiny_config_dict, {"m": entry})
    config["quality"]["tasks"]["sts"] = {"kind": "mteb", "name": "STSBenchmark"}
    with pytest.raises(ConfigError, match=r"^config models\.m: the MTEB task sts \(quality\.tasks\.sts\) does not run"):
        validate_config(config, SCHEMA)


def test_trust_remote_code_is_never_on_by_default(tiny_config_dict: dict, tmp_path: Path) -> None:
    folder = custom_code_model(tmp_path / "custom")
    config = validate_config(analysis_only(tiny_config_dict, {"local": {"source": str(folder)}}), SCHEMA)
    assert config["models"]["local"]["trust_remote_code"] is False
    # a local folder may opt in without a commit: its code is already on this machine (docs/zoo.md)
    opted = {"local": {"source": str(folder), "trust_remote_code": True}}
    assert validate_config(analysis_only(tiny_config_dict, opted), SCHEMA)["models"]["local"]["trust_remote_code"]


@pytest.mark.workflow
def test_an_unpinned_hub_model_with_code_stops_the_run_before_any_job(tiny_config_dict: dict, tmp_path: Path) -> None:
    from conftest import write_config

    models = {"nomic": {"source": "some-org/custom-model", "revision": "main", "trust_remote_code": True}}
    configfile = write_config(tmp_path, analysis_only(tiny_config_dict, models))
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(configfile), "--dry-run"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "config models.nomic.revision: trust_remote_code runs code" in output
    assert "Traceback" not in output and not (tmp_path / "results").exists()


# ---- prompts -----------------------------------------------------------------------------------------


def test_a_models_own_prompts_are_picked_as_sentence_transformers_picks_them(tiny_model: Path, tmp_path: Path) -> None:
    nomic_like = prompted_model(tmp_path / "nomic", tiny_model, {})
    settings = nomic_like / "config_sentence_transformers.json"  # as an older sentence-transformers saved it
    own = {"search_query": "search_query: ", "passage": "search_document: ", "corpus": "c: ", "query": "q: "}
    settings.write_text(json.dumps(json.loads(settings.read_text()) | {"prompts": own}))
    assert model_prompts(nomic_like) == {"document": "search_document: ", "query": "q: ", "similarity": ""}
    with_default = prompted_model(tmp_path / "default", tiny_model, {"query": "Represent: ", "sts": "sts: "}, "sts")
    # sentence-transformers 6 saves an empty document prompt, which encode_document then takes over the default
    assert model_prompts(with_default) == {"document": "", "query": "Represent: ", "similarity": "sts: "}
    settings = with_default / "config_sentence_transformers.json"
    settings.write_text(json.dumps(json.loads(settings.read_text()) | {"prompts": {"q": "q: ", "sts": "sts: "}}))
    assert model_prompts(with_default) == {"document": "sts: ", "query": "sts: ", "similarity": "sts: "}
    assert model_prompts(tiny_model) == {"document": "", "query": "", "similarity": ""}  # a plain encoder
    configured = {"document": "", "query": None, "similarity": "classification: "}
    assert resolve_prompts(configured, nomic_like) == {"document": "", "query": "q: ", "similarity": "classification: "}


def _tokenize_and_embed(model: Path, texts: pd.DataFrame, tmp_path: Path, prompts: dict | None) -> np.ndarray:
    texts.to_parquet(tmp_path / "texts.parquet", index=False)
    tokenize_corpus(model, tmp_path / "texts.parquet", tmp_path / "tokens.parquet", 32, prompts=prompts)
    embed_tokens(model, tmp_path / "tokens.parquet", tmp_path / "e.parquet", 4, 32, {}, device="cpu")
    ids, vectors, _ = read_embeddings(tmp_path / "e.parquet")
    assert list(ids) == list(texts["id"])
    return vectors


def test_stored_embeddings_equal_encode_with_the_same_prompt(tiny_model: Path, tmp_path: Path) -> None:
    """Configured prompts: each text after the prompt of its role, as SentenceTransformer.encode(prompt=...)."""
    model = prompted_model(tmp_path / "model", tiny_model, {})
    texts = task_texts()
    prompts = resolve_prompts({"document": "passage: ", "query": "query: ", "similarity": "sts: "}, model)
    stored = _tokenize_and_embed(model, texts, tmp_path, prompts)
    peer = load_model(model, device="cpu")
    peer.max_seq_length = 32
    for role, prompt in (("query", "query: "), ("document", "passage: "), ("text", "sts: ")):
        rows = (texts["role"] == role).to_numpy()
        expected = peer.encode(texts.loc[rows, "text"].tolist(), prompt=prompt)
        np.testing.assert_allclose(stored[rows], expected, atol=1e-5)
        assert not np.allclose(stored[rows], peer.encode(texts.loc[rows, "text"].tolist()), atol=1e-3)  # changed
    assert read_token_metadata(tmp_path / "tokens.parquet")["prompts"] == prompts


def test_a_model_whose_configuration_carries_prompts_gets_them_without_any_config(
    tiny_model: Path, tmp_path: Path
) -> None:
    """No prompts configured (every key null): documents as encode_document, queries as encode_query and
    similarity texts as encode embed them, with the model's own prompts."""
    model = prompted_model(tmp_path / "model", tiny_model, {"query": "search_query: ", "document": "search_document: "})
    texts = task_texts()
    stored = _tokenize_and_embed(model, texts, tmp_path, resolve_prompts(NO_PROMPTS, model))
    peer = load_model(model, device="cpu")
    peer.max_seq_length = 32
    for role, encode in (("query", peer.encode_query), ("document", peer.encode_document), ("text", peer.encode)):
        rows = (texts["role"] == role).to_numpy()
        np.testing.assert_allclose(stored[rows], encode(texts.loc[rows, "text"].tolist()), atol=1e-5)
    corpus = texts.drop(columns="role")  # a corpus has no roles: its texts are documents
    np.testing.assert_allclose(
        _tokenize_and_embed(model, corpus, tmp_path, resolve_prompts(NO_PROMPTS, model)),
        peer.encode_document(corpus["text"].tolist()),
        atol=1e-5,
    )


def test_prompts_are_refused_for_a_pooling_that_leaves_them_out(tiny_model: Path, tmp_path: Path) -> None:
    model = prompted_model(tmp_path / "model", tiny_model, {"query": "query: "})
    pooling = model / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps(json.loads(pooling.read_text()) | {"include_prompt": False}))
    task_texts().to_parquet(tmp_path / "texts.parquet", index=False)
    with pytest.raises(DataError, match=r"include_prompt: false"):
        tokenize_corpus(model, tmp_path / "texts.parquet", tmp_path / "t.parquet", 32, prompts=model_prompts(model))
    assert not (tmp_path / "t.parquet").exists()


# ---- precomputed embeddings --------------------------------------------------------------------------


def _precomputed(path: Path, ids: list[str], dim: int = 8) -> Path:
    vectors = np.random.default_rng(0).normal(size=(len(ids), dim)).astype(np.float32)
    pd.DataFrame({"id": ids, "embedding": list(vectors)}).to_parquet(path, index=False)  # as an API client might
    return path


def test_precomputed_embeddings_are_imported_in_the_texts_order(tmp_path: Path) -> None:
    texts = task_texts()
    texts.to_parquet(tmp_path / "texts.parquet", index=False)
    shuffled = list(texts["id"][::-1])
    source = _precomputed(tmp_path / "api.parquet", shuffled)
    assert import_embeddings(source, tmp_path / "texts.parquet", tmp_path / "out.parquet", {"model": "api"}) == 8
    ids, vectors, meta = read_embeddings(tmp_path / "out.parquet")
    _, given, _ = read_embeddings(source)
    assert list(ids) == list(texts["id"])
    np.testing.assert_array_equal(vectors, given[::-1])
    assert meta["model"] == "api" and meta["precomputed"] == str(source) and len(meta["precomputed_sha256"]) == 64


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["q:1", "d:1", "t0", "q:2", "d:2"], r"no embedding for 1 id\(s\) of .*texts\.parquet \('t1'\)"),
        (["q:1", "d:1", "t0", "q:2", "d:2", "t1", "t9"], r"1 id\(s\) are not texts of .*texts\.parquet \('t9'\)"),
        (["q:1", "d:1", "t0", "q:2", "d:2", "t1", "d:1"], r"1 id\(s\) appear more than once \('d:1'\)"),
    ],
    ids=["missing", "extra", "duplicate"],
)
def test_precomputed_embeddings_with_wrong_ids_are_refused_naming_the_file(
    tmp_path: Path, ids: list[str], message: str
) -> None:
    task_texts().to_parquet(tmp_path / "texts.parquet", index=False)
    source = _precomputed(tmp_path / "api.parquet", ids)
    with pytest.raises(DataError, match="^" + re.escape(str(source)) + ": " + message):
        import_embeddings(source, tmp_path / "texts.parquet", tmp_path / "out.parquet", {})
    assert not (tmp_path / "out.parquet").exists()


def _precomputed_entry(folder: Path, names: list[str]) -> dict:
    write = {n: write_embeddings(folder / f"{n}.parquet", ["a"], np.ones((1, 32)), {}) for n in names}
    return {"kind": "precomputed", "dim": 32, "embeddings": {n: str(folder / f"{n}.parquet") for n in write}}


TEXT_SETS = ["wiki", "lee50", "simlex999", "wordnet-heldout"]


def _drop(name: str):  # type: ignore[no-untyped-def]
    def edit(entry: dict) -> None:
        del entry["embeddings"][name]

    return edit


def _set(key: str, value: object):  # type: ignore[no-untyped-def]
    def edit(entry: dict) -> None:
        entry[key] = value

    return edit


BAD_PRECOMPUTED = [
    ("a text set without a file", _drop("lee50"), r"config models\.api\.embeddings: no file for lee50"),
    ("a file for nothing", lambda e: e["embeddings"].update(other=e["embeddings"]["wiki"]), r"config models\.api\.embeddings\.other: not a corpus"),
    ("a missing file", lambda e: e["embeddings"].update(wiki="/no/a.pq"), r"config models\.api\.embeddings\.wiki: file /no/a\.pq does not exist"),
    ("a source", _set("source", "some-org/model"), r"config models\.api\.source: not for kind: precomputed"),
    ("code", _set("trust_remote_code", True), r"config models\.api\.trust_remote_code: not for kind: precomputed"),
    ("a base", _set("base", "base"), r"config models\.api\.base: not for kind: precomputed"),
    ("prompts", _set("prompts", {"query": "q: "}), r"config models\.api\.prompts: not for kind: precomputed"),
    ("cut points beyond its size", _set("dims", [64, 32]), r"config models\.api\.dims: size 64 exceeds the model's embedding size 32"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "message"), BAD_PRECOMPUTED, ids=[b[0] for b in BAD_PRECOMPUTED])
def test_a_bad_precomputed_entry_is_refused_naming_the_key(
    tiny_config_dict: dict, tmp_path: Path, name: str, edit, message: str
) -> None:  # type: ignore[no-untyped-def]
    entry = _precomputed_entry(tmp_path, TEXT_SETS)
    assert validate_config(analysis_only(tiny_config_dict, {"api": copy.deepcopy(entry)}), SCHEMA)["models"]["api"]
    edit(entry)
    with pytest.raises(ConfigError, match="^" + message):
        validate_config(analysis_only(tiny_config_dict, {"api": entry}), SCHEMA)


def test_a_checkpoint_needs_a_source(tiny_config_dict: dict) -> None:
    with pytest.raises(ConfigError, match=r"^config models\.x\.source: missing"):
        validate_config(analysis_only(tiny_config_dict, {"x": {"dims": [32]}}), SCHEMA)


# ---- config/zoo.yaml ----------------------------------------------------------------------------------

PLACEHOLDER = "UNPINNED-find-the-commit"  # where no commit could be found offline: fails at its first job


@pytest.mark.workflow
def test_zoo_config_plans_offline_through_the_slurm_profile(tmp_path: Path) -> None:
    zoo = yaml.safe_load((ROOT / "config" / "zoo.yaml").read_text())
    config = validate_config(zoo, SCHEMA, [ROOT / "config" / "zoo.yaml"])
    models = config["models"]
    assert config["train"] is None and len(models) == 8
    near_twins = {name: m["twin_of"] for name, m in models.items() if m["twin_of"]}
    assert near_twins == {
        "mpnet-base-nli-matryoshka": "mpnet-base-nli",
        "nomic-embed-text-v1.5": "nomic-embed-text-v1",
        "snowflake-arctic-embed-m-v1.5": "snowflake-arctic-embed-m",
    }
    assert all(len(models[m]["dims"]) > 1 and models[t]["dims"] == [] for m, t in near_twins.items())
    mrl_only = [n for n, m in models.items() if len(m["dims"]) > 1 and n not in near_twins]
    assert len(mrl_only) >= 2 and all(models[n]["twin_of"] is None for n in mrl_only)
    assert [n for n, m in models.items() if m["trust_remote_code"]] == ["nomic-embed-text-v1", "nomic-embed-text-v1.5"]
    pinned = [m["revision"] for m in [*models.values(), config["base_model"]]]
    assert all(re.fullmatch(r"[0-9a-f]{40}", r) or r == PLACEHOLDER for r in pinned)
    unpinned = sorted(n for n, m in models.items() if m["revision"] == PLACEHOLDER)
    assert unpinned == ["mpnet-base-nli", "mpnet-base-nli-matryoshka"]  # no commit found offline: see the file
    assert models["nomic-embed-text-v1.5"]["prompts"]["query"] == "search_query: "
    assert models["snowflake-arctic-embed-m-v1.5"]["prompts"]["query"].startswith("Represent this sentence")
    from test_external_models import plan_with_slurm_profile

    counts, result = plan_with_slurm_profile(tmp_path, ROOT / "config" / "zoo.yaml")
    texts = 1 + len(config["quality"]["tasks"])  # the corpus and every task
    assert counts["resolve_model"] == "8" and int(counts["tokenize_external"]) == 8 * texts
    assert int(counts["embed"]) == 9 * texts and int(counts["quality"]) == 9 * len(config["quality"]["tasks"])
    assert counts["differences"] == "1" and counts["findings"] == "1" and "train" not in counts
    embed_jobs = [j for j in result.stdout.split("\nrule ") if j.startswith("embed:")]
    assert all("slurm_partition=gpu" in j for j in embed_jobs)


# ---- near-twins in tables, findings and the zoo figure --------------------------------------------------


def test_external_pairs_are_labelled_near_twins_and_trained_pairs_twins() -> None:
    from mrlens.near_twins import near_twin_note, with_pairing

    table = pd.DataFrame(
        {"variant": ["mrl", "ext-mrl", "ext-mrl"], "reference": ["no-mrl", "ext-std", "ext-mrl"], "dim": [8, 8, 8]}
    )
    labelled = with_pairing(table, [["ext-mrl", "ext-std"]])
    assert list(labelled.columns) == ["variant", "reference", "pairing", "dim"]
    assert labelled["pairing"].tolist() == ["twin", "near-twin", pd.NA]  # the last: one model at two points
    assert near_twin_note([]) == ""
    note = near_twin_note([("ext-mrl", "ext-std")])
    assert "(ext-mrl − ext-std)" in note and "not that MRL caused it" in note


def test_the_zoo_figure_draws_near_twins_as_pairs(tmp_path: Path) -> None:
    from mrlens.plots.zoo import model_styles, zoo_figure

    models = {"a-mrl": {"twin_of": "a", "dims": [32, 8]}, "a": {"twin_of": None, "dims": []}}
    models |= {"solo": {"twin_of": None, "dims": [64, 8]}}
    styles = model_styles(models)
    assert styles["a-mrl"]["color"] == styles["a"]["color"] != styles["solo"]["color"]
    assert (styles["a-mrl"]["linestyle"], styles["a"]["linestyle"], styles["solo"]["linestyle"]) == ("-", "--", "-")
    rng = np.random.default_rng(0)
    rows = [
        {"model": m, "checkpoint": "final", "strategy": "prefix", "corpus": "wiki", "dim": d, "metric": k,
         "value": rng.random()}
        for m in models for d in ((8, 32, 64) if m == "solo" else (8, 32))
        for k in ("isoscore", "uniformity", "mean_sq_correlation")
    ]  # fmt: skip
    quality = pd.DataFrame(
        [{**r, "task": "sts", "metric": "spearman"} for r in rows if r["metric"] == "isoscore"]
        + [{**r, "task": "ret", "metric": "ndcg@10"} for r in rows if r["metric"] == "isoscore"]
    ).drop(columns="corpus")
    paths = [tmp_path / "zoo.png", tmp_path / "zoo.pdf"]
    zoo_figure(pd.DataFrame(rows), quality, models, paths, dpi=60)
    assert all(p.stat().st_size > 5_000 for p in paths)
