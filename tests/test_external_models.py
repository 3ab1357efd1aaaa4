"""Models you already have (``models:``): validated before any job, analysed without training (embeddings,
geometry, quality, diffing, differences, figures), mixed with trained twins, and added to a finished run
rerunning only their own jobs and the tables and figures that collect them."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import LOCAL_RUN, ROOT, SNAKEMAKE, build_tiny_model, snakemake, tiny_config, write_config
from test_workflow import planned_outputs

from mrlens.config import check_embedding_size, model_ids, validate_config
from mrlens.errors import ConfigError
from mrlens.inference.claims import claim_settings, parse_claims, twin_of_pairs
from mrlens.inference.differences import twin_differences
from mrlens.inference.findings import family_verdicts
from mrlens.plots.style import external_names, label_external, mark_external
from mrlens.workflow_support import with_origin

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
EXTERNAL = ["ext-mrl", "ext-std"]


def external_models(folder: Path) -> dict:
    """Two small random encoders saved locally, sharing the tiny base's architecture and tokenizer: one
    labelled MRL (cut points 32 and 16) with the other, a standard model, as its twin."""
    for name, seed in (("ext-mrl", 1), ("ext-std", 2)):
        if not (folder / name).exists():
            build_tiny_model(folder / name, seed=seed)
    return {
        "ext-mrl": {"source": str(folder / "ext-mrl"), "dims": [32, 16], "twin_of": "ext-std", "base": "base"},
        "ext-std": {"source": str(folder / "ext-std"), "dims": [], "base": "base"},
    }


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return external_models(tmp_path_factory.mktemp("external"))


def analysis_only(config: dict, models: dict) -> dict:
    config = copy.deepcopy(config)
    del config["train"]
    config.get("findings", {}).pop("claims", None)  # the tiny config's own claims name trained variants
    return config | {"models": copy.deepcopy(models)}


# ---- validation ----------------------------------------------------------------------------------


def test_models_are_validated_into_one_written_form(tiny_config_dict: dict, models: dict) -> None:
    config = validate_config(analysis_only(tiny_config_dict, models) | {"findings": {}}, SCHEMA)
    assert config["train"] is None and model_ids(config) == ["base", *EXTERNAL]
    assert config["models"]["ext-std"] == {
        "kind": "checkpoint",
        "source": models["ext-std"]["source"],
        "revision": None,
        "trust_remote_code": False,
        "code_revision": None,
        "prompts": {"document": None, "query": None, "similarity": None},  # the model's own
        "pooling": "mean",
        "dim": 32,  # read from the folder
        "dims": [],
        "twin_of": None,
        "base": "base",
        "embeddings": {},
    }
    reordered = analysis_only(tiny_config_dict, models)
    reordered["models"]["ext-mrl"]["dims"] = [16, 32]
    reordered["models"] = dict(reversed(reordered["models"].items()))
    assert validate_config(reordered, SCHEMA)["models"]["ext-mrl"]["dims"] == [32, 16]
    assert list(validate_config(reordered, SCHEMA)["models"]) == EXTERNAL  # by name, however written
    mixed = validate_config(tiny_config_dict | {"models": models}, SCHEMA)
    assert model_ids(mixed) == [*model_ids(validate_config(tiny_config_dict, SCHEMA)), *EXTERNAL]
    hub = validate_config(
        analysis_only(tiny_config_dict, {"hub": {"source": "some-org/model", "revision": "v1"}}), SCHEMA
    )
    assert hub["models"]["hub"]["source"] == "some-org/model"  # checked by its first job


def _entry(name: str, **changes: object):  # type: ignore[no-untyped-def]
    def edit(config: dict, folder: Path) -> None:
        config["models"][name].update(changes)

    return edit


def _weightless(config: dict, folder: Path) -> None:
    empty = folder / "no-weights"
    empty.mkdir(exist_ok=True)
    (empty / "config.json").write_text('{"hidden_size": 32}')
    config["models"]["ext-std"]["source"] = str(empty)


def _renamed(old: str, new: str):  # type: ignore[no-untyped-def]
    def edit(config: dict, folder: Path) -> None:
        config["models"][new] = config["models"].pop(old)
        config["models"]["ext-mrl"]["twin_of"] = new if old == "ext-std" else "ext-std"

    return edit


def _small_model(config: dict, folder: Path) -> None:
    narrow = folder / "narrow"
    if not narrow.exists():
        build_tiny_model(narrow, hidden=4)
    config["models"]["ext-std"]["source"] = str(narrow)


BAD = [
    ("missing folder", _entry("ext-std", source="./no/such/folder"), r"config models\.ext-std\.source: folder .* does not exist"),
    ("no weights", _weightless, r"config models\.ext-std\.source: checkpoint .*no-weights: no weights"),
    ("narrower than analysis.dims", _small_model, r"config models\.ext-std: embedding size 4 is smaller than every size of analysis\.dims"),
    ("cut point too large", _entry("ext-mrl", dims=[64, 16]), r"config models\.ext-mrl\.dims: size 64 exceeds the model's embedding size 32"),
    ("named like a variant", _renamed("ext-std", "no-mrl"), r"config models\.no-mrl: the name is taken by a trained variant or model id"),
    ("named like a trained model", _renamed("ext-std", "mrl-32-8_s0"), r"config models\.mrl-32-8_s0: the name is taken"),
    ("named base", _renamed("ext-std", "base"), r"config models\.base: the name is taken by the base checkpoint"),
    ("unknown twin", _entry("ext-mrl", twin_of="ext-other"), r"config models\.ext-mrl\.twin_of: 'ext-other' is not another model"),
    ("unknown base", _entry("ext-mrl", base="ext-other"), r"config models\.ext-mrl\.base: 'ext-other' is not another model"),
    ("revision of a folder", _entry("ext-std", revision="main"), r"config models\.ext-std\.revision: only for hub ids"),
    ("unknown key", _entry("ext-std", cuts=[32]), r"config models\.ext-std: unknown key 'cuts'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "edit", "message"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.workflow
def test_a_bad_models_entry_is_refused_with_one_line(
    tiny_config_dict: dict, models: dict, tmp_path: Path, name: str, edit, message: str
) -> None:  # type: ignore[no-untyped-def]
    config = tiny_config_dict | {"models": copy.deepcopy(models)}
    edit(config, tmp_path)
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)
    configfile = write_config(tmp_path, config)
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(configfile), "--dry-run"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0 and re.search(message, output), output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_a_hub_model_while_offline_fails_at_its_first_job_with_one_line(tiny_config_dict: dict, tmp_path: Path) -> None:
    config = analysis_only(tiny_config_dict, {"hub": {"source": "some-org/a-model-that-is-not-cached"}})
    configfile = write_config(tmp_path, config)
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(configfile), "--cores", "1",
         "--show-failed-logs", "results/models/hub/source.json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    output = result.stdout + result.stderr
    message = r"config models\.hub\.source: 'some-org/a-model-that-is-not-cached' is not a local folder and could not be fetched"
    assert result.returncode != 0 and re.search(message, output), output[-3000:]
    assert "Traceback" not in output and not (tmp_path / "results" / "models" / "hub" / "final").exists()


def test_a_hub_model_narrower_than_the_sizes_is_refused_by_its_first_measuring_job() -> None:
    check_embedding_size([8, 32], 32, "hub")
    with pytest.raises(
        ConfigError, match=r"^config analysis\.dims: size 64 exceeds the embedding size 32 of model hub$"
    ):
        check_embedding_size([8, 64], 32, "hub")


def test_no_train_needs_models(tiny_config_dict: dict) -> None:
    config = copy.deepcopy(tiny_config_dict)
    config["train"] = None
    with pytest.raises(ConfigError, match=r"^config train: empty; a run that trains nothing needs checkpoints"):
        validate_config(config, SCHEMA)


# ---- tables: origin, paired differences and verdicts of models without a seed -------------------


def _measured(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates and replicates of isoscore at sizes 8 and 32: two trained twins (seed 0), two external
    models and the base (no seed)."""
    rows, replicates = [], []
    for model, variant, seed in [("no-mrl_s0", "no-mrl", 0), ("mrl_s0", "mrl", 0), ("base", "base", pd.NA)] + [
        (m, m, pd.NA) for m in EXTERNAL
    ]:
        for dim in (8, 32):
            key = dict(model=model, variant=variant, seed=seed, checkpoint="final", corpus="wiki", strategy="prefix")
            key |= dict(dim=dim, metric="isoscore")
            rows.append(key | dict(value=rng.random(), n=50))
            replicates += [key | dict(replicate=b, value=rng.random()) for b in range(20)]
    return tuple(pd.DataFrame(t).astype({"seed": "Int64"}) for t in (rows, replicates))  # type: ignore[return-value]


def test_tables_say_where_each_model_comes_from() -> None:
    estimates, _ = _measured(np.random.default_rng(0))
    labelled = with_origin(estimates)
    assert list(labelled.columns[:3]) == ["model", "origin", "variant"]
    assert dict(labelled[["model", "origin"]].drop_duplicates().values) == {
        "no-mrl_s0": "trained",
        "mrl_s0": "trained",
        "base": "base",
        "ext-mrl": "external",
        "ext-std": "external",
    }
    relabelled, references = label_external(labelled, ["no-mrl", "ext-std"])
    assert references == ["no-mrl", "ext-std (external)"]
    assert set(relabelled["variant"]) == {"no-mrl", "mrl", "base", "ext-mrl (external)", "ext-std (external)"}


def test_diffing_tables_mark_external_models_wherever_they_are_named() -> None:
    """The diffing figures' tables: external models found from an ``origin`` column or from a missing
    seed, and renamed in every column that names a model (a CKA pair has no seed of its own)."""
    layers = pd.DataFrame(
        {"model": ["mrl_s0", "ext-mrl"], "origin": ["trained", "external"], "reference": ["base", "ext-std"]}
    )
    truncation = pd.DataFrame({"model": ["base", "ext-std"], "variant": ["base", "ext-std"], "seed": [np.nan] * 2})
    external = external_names(layers, truncation)
    assert external == {"ext-mrl", "ext-std"}
    marked = mark_external(layers, external, ["model", "reference", "reference_variant"])
    assert list(marked["model"]) == ["mrl_s0", "ext-mrl (external)"]
    assert list(marked["reference"]) == ["base", "ext-std (external)"]
    cka = mark_external(
        pd.DataFrame({"model_a": ["ext-mrl"], "model_b": ["no-mrl_s0"]}), external, ["model_a", "model_b"]
    )
    assert cka.iloc[0].tolist() == ["ext-mrl (external)", "no-mrl_s0"]


def test_external_models_are_paired_with_their_twin_and_judged_among_themselves() -> None:
    estimates, replicates = _measured(np.random.default_rng(1))
    models = {"ext-mrl": {"dims": [32, 16], "twin_of": "ext-std"}, "ext-std": {"dims": [], "twin_of": None}}
    pairs = [("mrl", "no-mrl"), *twin_of_pairs(models)]
    table = twin_differences([(estimates, replicates, 0.95)], pairs, 8, 32)
    external = table[table["variant"] == "ext-mrl"]
    assert len(external) == 3 and external["seed"].isna().all() and (external["reference"] == "ext-std").all()
    assert table.loc[table["variant"] == "mrl", "seed"].eq(0).all()
    at_8 = estimates.set_index(["model", "dim"])["value"]
    row = external[(external["dim"] == 8) & external["versus_dim"].isna()].iloc[0]
    assert row["difference"] == pytest.approx(at_8[("ext-mrl", 8)] - at_8[("ext-std", 8)])
    assert row["interval"] == "ci95-paired-split-halves" and row["ci_low"] <= row["difference"] <= row["ci_high"]
    claims = parse_claims(claim_settings({}))
    families = [
        ({"no-mrl": [32], "mrl": [32, 8]}, [("mrl", "no-mrl")]),
        ({m: s["dims"] for m, s in models.items()}, twin_of_pairs(models)),
    ]
    judged = family_verdicts(claims, table, families)
    assert set(zip(judged["variant"], judged["reference"])) == {("mrl", "no-mrl"), ("ext-mrl", "ext-std")}
    assert not judged.duplicated(["claim", "variant", "reference", "dim", "versus_dim"]).any()


# ---- an analysis-only run ------------------------------------------------------------------------


PROMPTS = {"document": "passage: ", "query": "query: ", "similarity": "sts: "}
TEXT_SETS = ("wiki", "lee50", "simlex999", "wordnet-heldout")


def precomputed_files(workdir: Path) -> dict:
    """Embeddings "made elsewhere" (random, 32 wide) for every text set of the run, ids from its texts, as an
    API user would write them; the models entry that names them, a near-twin of ext-std (docs/zoo.md)."""
    results, files = workdir / "results" / "data", {}
    for i, name in enumerate(TEXT_SETS):
        texts = results / ("corpora/wiki.parquet" if name == "wiki" else f"tasks/{name}/texts.parquet")
        ids = pd.read_parquet(texts, columns=["id"])["id"].tolist()[::-1]  # in another order than the texts'
        vectors = np.random.default_rng(i).normal(size=(len(ids), 32)).astype(np.float32)
        files[name] = str(workdir / f"api-{name}.parquet")
        pd.DataFrame({"id": ids, "embedding": list(vectors)}).to_parquet(files[name], index=False)
    return {"kind": "precomputed", "dim": 32, "dims": [32, 16], "twin_of": "ext-std", "embeddings": files}


@pytest.fixture(scope="session")
def external_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A complete tiny run of two external models (the MRL one with prompts), embeddings made elsewhere
    (ext-api, precomputed) and the base, nothing trained: read it, do not change it. The texts are prepared
    first, so that the precomputed files can hold their ids."""
    from conftest import write_tiny_wordnet

    workdir = tmp_path_factory.mktemp("external-run")
    config = tiny_config(build_tiny_model(workdir / "tiny-bert"), write_tiny_wordnet(workdir / "wordnet"))
    config = analysis_only(config, external_models(workdir))
    config["models"]["ext-mrl"]["prompts"] = PROMPTS
    texts = ["results/data/corpora/wiki.parquet", *(f"results/data/tasks/{t}/texts.parquet" for t in TEXT_SETS[1:])]
    result = snakemake(workdir, write_config(workdir, config), *LOCAL_RUN, "--nolock", *texts)  # a flag, then targets
    assert result.returncode == 0, result.stderr[-5000:]
    config["models"]["ext-api"] = precomputed_files(workdir)
    result = snakemake(workdir, write_config(workdir, config), *LOCAL_RUN)
    assert result.returncode == 0, result.stderr[-5000:]
    assert "models.ext-api is precomputed (no weights): left out of model diffing" in result.stderr
    return workdir, config


@pytest.mark.workflow
def test_external_models_are_analysed_without_training(external_run: tuple[Path, dict]) -> None:
    workdir, _ = external_run
    results = workdir / "results"
    assert not any((results / "models").glob("*_s*")) and not (results / "metrics" / "training.parquet").exists()
    for model in EXTERNAL:
        assert (results / "models" / model / "final" / "modules.json").exists()
        assert (results / "tokens" / model / "wiki.parquet").exists()  # its own tokenizer's ids
    geometry = pd.read_csv(results / "metrics" / "geometry.csv")
    assert list(geometry.columns[:4]) == ["model", "origin", "variant", "seed"]
    origins = dict(geometry[["model", "origin"]].drop_duplicates().values)
    assert origins == {"base": "base", "ext-mrl": "external", "ext-std": "external", "ext-api": "external"}
    assert geometry.loc[geometry["origin"] == "external", "seed"].isna().all()
    assert set(geometry["variant"]) == {"base", *EXTERNAL, "ext-api"}
    quality = pd.read_csv(results / "metrics" / "quality.csv")
    assert set(quality["model"]) == {"base", *EXTERNAL, "ext-api"} and set(quality["origin"]) == {"base", "external"}
    differences = pd.read_csv(results / "metrics" / "differences.csv")
    assert {tuple(p) for p in differences[["variant", "reference"]].drop_duplicates().values} == {
        ("ext-mrl", "ext-std"),
        ("ext-api", "ext-std"),
    }
    assert differences["seed"].isna().all() and set(differences["pairing"]) == {"near-twin"}
    iso = differences.query(
        "variant == 'ext-mrl' and metric == 'isoscore' and strategy == 'prefix' and versus_dim != versus_dim"
    )
    assert len(iso) == 3 and iso["interval"].eq("ci95-paired-split-halves").all()
    by_model = geometry.query("metric == 'isoscore' and strategy == 'prefix' and dim == 16").set_index("model")["value"]
    assert iso.set_index("dim").loc[16, "difference"] == pytest.approx(by_model["ext-mrl"] - by_model["ext-std"])
    verdicts = pd.read_csv(results / "findings.csv")
    assert {"a_isoscore", "e_quality_full"} <= set(verdicts["claim"])
    assert set(zip(verdicts["variant"], verdicts["reference"])) == {("ext-mrl", "ext-std"), ("ext-api", "ext-std")}
    assert set(verdicts["pairing"]) == {"near-twin"}
    findings = (results / "findings.md").read_text()
    assert "ext-mrl − ext-std" in findings and "ext-api − ext-std" in findings
    assert "**Near-twins** (ext-api − ext-std, ext-mrl − ext-std)" in findings
    weights = pd.read_csv(results / "diffing" / "weights_layers.csv")
    assert {"ext-mrl", "ext-std"} <= set(weights["model"]) and "ext-api" not in set(weights["model"])
    assert {("ext-mrl", "ext-std")} <= set(zip(weights["model"], weights["reference"]))
    cka = pd.read_csv(results / "diffing" / "cka_layers.csv")
    assert {"base", *EXTERNAL} == set(cka["model_a"]) | set(cka["model_b"])  # precomputed: no layers
    for name in ("geometry", "suite_wiki", "collapse", "outliers", "quality", "diffing_weights", "diffing_cka", "zoo"):
        assert (results / "figures" / f"{name}.png").stat().st_size > 10_000
    for name in ("training_loss", "cost", "checkpoints"):
        assert not (results / "figures" / f"{name}.png").exists()


@pytest.mark.workflow
def test_an_analysis_only_rerun_does_nothing(external_run: tuple[Path, dict]) -> None:
    workdir, config = external_run
    assert planned_outputs(workdir, config) == set()


# ---- beside trained twins -----------------------------------------------------------------------


@pytest.mark.workflow
def test_adding_an_external_model_to_a_finished_run_makes_only_its_jobs(
    finished_run: tuple[Path, dict], tmp_path: Path
) -> None:
    """Planned on a copy of the finished tiny run (mtimes and Snakemake's records kept), then run: the twins
    and the external models side by side in every table and figure."""
    original, config = finished_run
    workdir = tmp_path / "run"
    shutil.copytree(original, workdir, symlinks=True)
    config = copy.deepcopy(config)
    config["base_model"]["source"] = str(workdir / Path(config["base_model"]["source"]).name)
    config["data"]["pairs"]["wordnet"]["path"] = str(workdir / Path(config["data"]["pairs"]["wordnet"]["path"]).name)
    assert planned_outputs(workdir, config) == set()  # the copy is up to date

    model = external_models(workdir)["ext-std"]
    planned = planned_outputs(workdir, config | {"models": {"ext-std": model}})
    own = {f for f in planned if "/ext-std/" in f or "ext-std." in f}
    assert "results/models/ext-std/final" in own and "results/embeddings/ext-std/final/wiki.parquet" in own
    assert len({f for f in own if f.startswith("results/embeddings/")}) == 4  # wiki and three tasks
    collectors = {f"results/metrics/{t}.{e}" for t in ("geometry", "quality") for e in ("parquet", "csv")}
    collectors |= {"results/metrics/profiles.parquet", "results/provenance.json"}
    collectors |= {f"results/diffing/{t}.{e}" for t in ("cka_layers", "cka_truncation") for e in ("parquet", "csv")}
    collectors |= {f"results/diffing/weights_{t}.{e}" for t in ("tensors", "layers", "spectra", "layernorm") for e in ("parquet", "csv")}  # fmt: skip
    collectors |= {f"results/metrics/differences.{e}" for e in ("parquet", "csv")} | {
        "results/findings.md",
        "results/findings.csv",
    }
    collectors |= {
        f"results/diffing/weights/from-base/{t}.parquet" for t in ("tensors", "layers", "spectra", "layernorm")
    }
    others = {f for f in planned - own - collectors if not f.startswith("results/figures/")}
    assert others == set()
    assert not any(f.startswith("results/figures/training") or f.startswith("results/figures/cost") for f in planned)

    result = snakemake(workdir, write_config(workdir, config | {"models": {"ext-std": model}}), *LOCAL_RUN)
    assert result.returncode == 0, result.stderr[-5000:]
    geometry = pd.read_csv(workdir / "results" / "metrics" / "geometry.csv")
    assert set(geometry["origin"]) == {"base", "trained", "external"}
    assert {"no-mrl", "mrl-32-8", "mrl-32-16-8", "ext-std"} <= set(geometry["variant"])
    differences = pd.read_csv(workdir / "results" / "metrics" / "differences.csv")
    twins = differences[differences["variant"] != differences["reference"]]  # equal-bytes rows pair a model with itself
    assert "ext-std" not in set(twins["variant"]) | set(twins["reference"])  # no twin_of: not paired


# ---- the published pair --------------------------------------------------------------------------


def plan_with_slurm_profile(tmp_path: Path, configfile: Path) -> tuple[dict[str, str], subprocess.CompletedProcess]:
    """A dry run of ``configfile`` through profiles/slurm, offline: the job count of each rule, and the run."""
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(tmp_path), "--configfile", str(configfile),
         "--workflow-profile", str(ROOT / "profiles" / "slurm"), "--dry-run"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout, flags=re.MULTILINE)), result


@pytest.mark.workflow
def test_published_config_plans_the_expected_jobs_offline(tmp_path: Path) -> None:
    published = yaml.safe_load((ROOT / "config" / "published.yaml").read_text())
    config = validate_config(published, SCHEMA)
    assert config["train"] is None
    assert config["models"]["mpnet-base-nli-matryoshka"]["dims"] == [768, 512, 256, 128, 64]
    assert config["models"]["mpnet-base-nli-matryoshka"]["twin_of"] == "mpnet-base-nli"
    counts, result = plan_with_slurm_profile(tmp_path, ROOT / "config" / "published.yaml")
    tasks = len(config["quality"]["tasks"])
    assert counts["resolve_model"] == "2" and counts["resolve_base"] == "1"
    assert "train" not in counts and "collect_training" not in counts and "cost_table" not in counts
    assert int(counts["embed"]) == 3 * (1 + tasks)  # base and the two models, on the corpus and every task
    assert int(counts["quality"]) == 3 * tasks and counts["differences"] == "1" and counts["findings"] == "1"
    assert counts["diff_external_weights"] == "1"
    embed_jobs = [j for j in result.stdout.split("\nrule ") if j.startswith("embed:")]
    assert all("slurm_partition=gpu" in j for j in embed_jobs)


@pytest.mark.workflow
def test_external_embeddings_carry_their_prompts_and_precomputed_ones_their_file(
    external_run: tuple[Path, dict],
) -> None:
    """ext-mrl's stored embeddings equal SentenceTransformer.encode with the prompt of each text's role;
    ext-api's are the file's vectors, in the texts' order."""
    from mrlens.io import read_embeddings, read_metadata
    from mrlens.models import load_model
    from mrlens.precomputed import file_sha256
    from mrlens.tokens import read_token_metadata

    workdir, config = external_run
    results = workdir / "results"
    assert read_token_metadata(results / "tokens" / "ext-mrl" / "wordnet-heldout.parquet")["prompts"] == PROMPTS
    assert read_token_metadata(results / "tokens" / "ext-std" / "wordnet-heldout.parquet")["prompts"] == {
        "document": "", "query": "", "similarity": ""
    }  # fmt: skip
    texts = pd.read_parquet(results / "data" / "tasks" / "wordnet-heldout" / "texts.parquet")
    ids, stored, _ = read_embeddings(results / "embeddings" / "ext-mrl" / "final" / "wordnet-heldout.parquet")
    assert list(ids) == list(texts["id"])
    peer = load_model(results / "models" / "ext-mrl" / "final", device="cpu")
    peer.max_seq_length = config["embed"]["max_seq_length"]
    for role, prompt in (("query", "query: "), ("document", "passage: ")):
        rows = (texts["role"] == role).to_numpy()
        expected = peer.encode(texts.loc[rows, "text"].tolist(), prompt=prompt)
        np.testing.assert_allclose(stored[rows], expected, atol=1e-5)
    ids, vectors, _ = read_embeddings(results / "embeddings" / "ext-api" / "final" / "lee50.parquet")
    given = pd.read_parquet(config["models"]["ext-api"]["embeddings"]["lee50"]).set_index("id")
    np.testing.assert_array_equal(vectors, np.stack(given.loc[list(ids), "embedding"]).astype(np.float32))
    meta = read_metadata(results / "embeddings" / "ext-api" / "final" / "lee50.parquet")
    source = config["models"]["ext-api"]["embeddings"]["lee50"]
    assert Path(meta["precomputed"]).name == Path(source).name and meta["precomputed_sha256"] == file_sha256(source)
