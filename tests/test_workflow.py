"""The whole workflow on the tiny config: outputs, reruns of only what a change makes stale, SLURM
profile, report, lint and formatting."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, snakemake, write_config
from snakemake.api import SnakemakeApi, WorkflowApi
from snakemake.common import FUNC_OVERWRITE_PARAMS_ATTR
from snakemake.settings.enums import Quietness
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

from mrlens.metrics import registry
from mrlens.metrics.registry import record_of
from mrlens.metrics.suite import METRICS

pytestmark = pytest.mark.workflow
MODELS = ["base", "no-mrl_s0", "mrl-32-8_s0", "mrl-32-16-8_s0", "dedicated-8_s0"]


@contextmanager
def parsed_workflow(workdir: Path, configfile: Path) -> Iterator[WorkflowApi]:
    """The workflow with ``configfile``, parsed through Snakemake's API, working in ``workdir``."""
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        yield api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=[configfile]),
            snakefile=ROOT / "Snakefile",
            workdir=workdir,
        )


def planned_outputs(workdir: Path, config: dict | str) -> set[str]:
    """What a run with ``config`` (a mapping, or a config file's text) would (re)make, from Snakemake's
    API (``updated_files`` of a dry run)."""
    updated: list[str] = []
    if isinstance(config, str):
        configfile = workdir / "scenario.yaml"
        configfile.write_text(config)
    else:
        configfile = write_config(workdir, config, "scenario.yaml")
    with parsed_workflow(workdir, configfile) as workflow:
        workflow.dag().execute_workflow(executor="dryrun", updated_files=updated)
    return {str(f) for f in updated}


def test_outputs_of_a_complete_run(finished_run: tuple[Path, dict]) -> None:
    workdir, _ = finished_run
    results = workdir / "results"
    for name in ("geometry", "suite_wiki", "collapse", "outliers", "training_loss", "training_norms", "checkpoints"):
        for ext in ("png", "pdf"):
            assert (results / "figures" / f"{name}.{ext}").stat().st_size > 10_000
    profiles = pd.read_parquet(results / "metrics" / "profiles.parquet")
    assert set(profiles["kind"]) == {"covariance_eigenvalue", "variance", "mean_abs"}
    table = pd.read_csv(results / "metrics" / "geometry.csv")
    assert list(table.columns) == [
        "model",
        "origin",
        "variant",
        "seed",
        "checkpoint",
        "corpus",
        "strategy",
        "dim",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "interval",
        "n",
    ]
    units = {(m, "final") for m in MODELS} | {(m, "step-3") for m in MODELS[1:]}
    assert set(map(tuple, table[["model", "checkpoint"]].drop_duplicates().values)) == units
    invariant = sum(record_of(m).rotation_invariant for m in METRICS)  # only these get PCA rows
    sizes = 3 * (len(units) - 2) + 2  # 8, 16 and 32, and for the dedicated model's 2 units 8 alone
    assert len(table) == sizes * (2 * len(METRICS) + invariant)  # sizes x metrics x strategies
    assert set(table.loc[table["variant"] == "dedicated-8", "dim"]) == {8}
    assert set(table.loc[table["strategy"] == "pca", "metric"]) == {
        m for m in METRICS if record_of(m).rotation_invariant
    }
    assert table.query("strategy == 'prefix' and metric == 'isoscore'")["ci_low"].notna().all()
    assert table.loc[table["strategy"] != "pca", "n"].eq(120).all()
    assert table.loc[table["strategy"] == "pca", "n"].eq(60).all()  # the other half fitted the basis
    assert table.loc[table["model"] == "base", "seed"].isna().all()
    assert set(zip(table["model"] == "base", table["origin"])) == {(True, "base"), (False, "trained")}
    uniformity = table[table["metric"] == "uniformity"]["value"]  # n = 120, t = 2
    assert (uniformity >= -4 * 120 / 119).all() and (uniformity <= 0).all()

    from mrlens.io import read_embeddings

    ids, vectors, meta = read_embeddings(results / "embeddings" / "mrl-32-8_s0" / "final" / "wiki.parquet")
    assert vectors.shape == (120, 32)
    from sentence_transformers import SentenceTransformer

    corpus = pd.read_parquet(results / "data" / "corpora" / "wiki.parquet").set_index("id").loc[ids, "text"]
    final = SentenceTransformer(str(results / "models" / "mrl-32-8_s0" / "final"), device="cpu")
    final.max_seq_length = 32
    direct = final.encode(corpus.tolist(), convert_to_numpy=True)
    assert abs(vectors - direct).max() < 1e-5  # the final checkpoint's embeddings are the final model's
    assert meta["variant"] == "mrl-32-8" and meta["seed"] == 0 and meta["checkpoint"] == "final"
    assert len(meta["base_weights_sha256"]) == 64
    log = pd.read_parquet(results / "models" / "mrl-32-8_s0" / "train_log.parquet")
    assert sorted(log.loc[log["metric"] == "loss", "dim"].unique()) == [8, 16, 32]
    training = pd.read_csv(results / "metrics" / "training.csv")
    assert set(training["variant"]) == {"no-mrl", "mrl-32-8", "mrl-32-16-8", "dedicated-8"}
    dedicated = read_embeddings(results / "embeddings" / "dedicated-8_s0" / "step-3" / "wiki.parquet")[1]
    assert dedicated.shape == (120, 8)
    assert {"grad_norm", "update_norm", "drift", "accuracy", "loss"} <= set(training["metric"])
    differences = pd.read_csv(results / "metrics" / "differences.csv")
    assert {tuple(p) for p in differences[["variant", "reference"]].drop_duplicates().values} >= {
        ("mrl-32-8", "no-mrl"),
        ("mrl-32-16-8", "no-mrl"),
        ("mrl-32-16-8", "mrl-32-8"),
    }
    iso = differences.query(
        "metric == 'isoscore' and strategy == 'prefix' and checkpoint == 'final' and versus_dim != versus_dim"
        " and reference != 'dedicated-8'"  # claim (g)'s pairs, at size 8 only
    )
    assert len(iso) == 3 * 3 and iso["interval"].eq("ci95-paired-split-halves").all()  # 3 pairs x 3 sizes, one seed
    assert ((iso["ci_low"] <= iso["difference"]) & (iso["difference"] <= iso["ci_high"])).all()
    geometry = table.set_index(["model", "checkpoint", "strategy", "dim", "metric"])["value"]
    row = iso[(iso["variant"] == "mrl-32-8") & (iso["dim"] == 8)].iloc[0]
    expected = (
        geometry[("mrl-32-8_s0", "final", "prefix", 8, "isoscore")]
        - geometry[("no-mrl_s0", "final", "prefix", 8, "isoscore")]
    )
    assert row["difference"] == pytest.approx(expected, abs=1e-12)
    assert differences["task"].dropna().isin(["lee50", "simlex999", "wordnet-heldout"]).all()
    findings = (results / "findings.md").read_text()
    assert findings.startswith("# Findings") and "a_isoscore" in findings and "wordnet-heldout" in findings
    verdicts = pd.read_csv(results / "findings.csv")
    assert set(verdicts["verdict"]) <= {"holds", "reversed", "inconclusive"} and len(verdicts) > 0
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["packages"]["torch"].startswith("2.13") and len(provenance["config_hash"]) == 16
    assert provenance["base_model"]["dim"] == 32


def test_no_op_rerun_does_nothing(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    assert planned_outputs(workdir, config) == set()


def changed(config: dict, edit) -> dict:  # type: ignore[no-untyped-def]
    config = copy.deepcopy(config)
    edit(config)
    return config


def test_changing_one_variant_reruns_only_that_variant(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    planned = planned_outputs(workdir, changed(config, lambda c: c["train"]["variants"].update({"mrl-32-8": [32, 4]})))
    assert "results/models/mrl-32-8_s0/final" in planned
    assert "results/embeddings/mrl-32-8_s0/final/wiki.parquet" in planned
    assert "results/metrics/mrl-32-8_s0/step-3/wiki.parquet" in planned
    assert "results/figures/geometry.png" in planned
    others = [f for f in planned if "no-mrl" in f or "mrl-32-16-8" in f or "/base/" in f or "/data/" in f]
    assert others == []


def test_changing_analysis_sizes_reruns_metrics_and_figures_only(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    planned = planned_outputs(workdir, changed(config, lambda c: c["analysis"].update({"dims": [4, 8, 32]})))
    kinds = {f.split("/")[1] for f in planned}
    assert (
        {"metrics", "figures", "quality"}
        <= kinds
        <= {"metrics", "figures", "quality", "diffing", "provenance.json", "findings.md", "findings.csv"}
    )
    per_unit = [f for f in planned if f.startswith("results/metrics/") and f.count("/") == 4]
    assert len(per_unit) == 9 * 3  # scalars, profiles, replicates of base + 4 variants x 2 checkpoints


def test_changing_a_metrics_interval_method_reruns_the_measurements_not_training(
    finished_run: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry's methods are a param of the measuring rules: a method changed in the package reruns
    geometry and quality and what follows them, never training or embedding."""
    workdir, config = finished_run
    monkeypatch.setitem(registry.INTERVAL_METHODS, "uniformity", "basic-bootstrap")
    planned = planned_outputs(workdir, config)
    kinds = {f.split("/")[1] for f in planned}
    assert (
        {"metrics", "quality", "findings.md"}
        <= kinds
        <= {"metrics", "figures", "quality", "findings.md", "findings.csv"}
    )
    assert len([f for f in planned if f.startswith("results/metrics/") and f.count("/") == 4]) == 9 * 3


def test_adding_a_corpus_embeds_only_that_corpus(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    planned = planned_outputs(
        workdir,
        changed(
            config, lambda c: c["data"]["corpora"].update({"wiki2": {"kind": "gensim_wiki", "max_docs": 40, "seed": 1}})
        ),
    )
    embedded = {f for f in planned if f.startswith("results/embeddings/")}
    assert embedded and all(f.endswith("/wiki2.parquet") for f in embedded)
    assert len(embedded) == 9
    assert not any(f.startswith("results/models/") for f in planned)


def rewritten(config: dict, edit=None) -> str:  # type: ignore[no-untyped-def]
    """The same values written another way: keys sorted at every depth, flow style, no comments, numbers
    re-spelled (``1e-3``, which PyYAML reads as a string; integers as ``4.0``), variants, seeds and
    strategies listed in another order, paths spelled with ``/./`` and a trailing separator."""
    config = changed(config, edit or (lambda c: None))
    config["train"]["variants"] = dict(reversed(list(config["train"]["variants"].items())))
    config["train"]["max_steps"] = float(config["train"]["max_steps"])
    config["analysis"]["bootstrap"] = float(config["analysis"]["bootstrap"])
    config["analysis"]["strategies"] = ["pca", "random", "prefix"]
    model = Path(config["base_model"]["source"])
    config["base_model"]["source"] = f"{model.parent}/./{model.name}/"
    text = yaml.safe_dump(config, sort_keys=True, default_flow_style=True)
    assert "learning_rate: 0.001" in text
    return text.replace("learning_rate: 0.001", "learning_rate: 1e-3")


def test_the_same_values_written_another_way_rerun_nothing(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    assert planned_outputs(workdir, rewritten(config)) == set()


def test_a_rewritten_config_with_a_new_corpus_embeds_only_that_corpus(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    planned = planned_outputs(
        workdir,
        rewritten(config, lambda c: c["data"]["corpora"].update({"a-first": {"kind": "gensim_wiki", "max_docs": 40}})),
    )
    collectors = {f"results/metrics/{t}.{e}" for t in ("geometry", "differences") for e in ("parquet", "csv")}
    collectors |= {
        "results/metrics/profiles.parquet",
        "results/provenance.json",
        "results/findings.md",
        "results/findings.csv",
    }
    others = {f for f in planned if "a-first" not in f and f not in collectors and not f.startswith("results/figures/")}
    assert others == set()  # diffing's probe corpus is named in the config: a corpus sorting first changes nothing
    assert len({f for f in planned if f.startswith("results/embeddings/")}) == 9


def test_adding_a_checkpoint_step_replays_only_that_checkpoint(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    planned = planned_outputs(workdir, changed(config, lambda c: c["train"].update({"checkpoint_steps": [2, 3]})))
    models = {f for f in planned if f.startswith("results/models/")}
    assert models == {f"results/models/{m}/checkpoints/step-2" for m in MODELS[1:]}
    embedded = {f for f in planned if f.startswith("results/embeddings/")}
    assert embedded and all("/step-2/" in f for f in embedded)


def test_changing_a_training_hyper_parameter_reruns_all_training(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    planned = planned_outputs(workdir, changed(config, lambda c: c["train"].update({"learning_rate": 5e-4})))
    trained = {f for f in planned if f.startswith("results/models/") and f.endswith("/final")}
    assert trained == {f"results/models/{m}/final" for m in MODELS[1:]}
    assert not any(f.startswith("results/data/") or "/base/" in f for f in planned)


def test_slurm_profile_sends_gpu_rules_to_the_gpu_partition(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    result = snakemake(
        workdir,
        write_config(workdir, config, "slurm.yaml"),
        "--workflow-profile",
        str(ROOT / "profiles" / "slurm"),
        "--dry-run",
        "--forceall",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = result.stdout.split("\nrule ")
    train = [j for j in jobs if j.startswith("train:")]
    metrics = [j for j in jobs if j.startswith("geometry:")]
    assert len(train) == 4 and metrics  # three twins and the dedicated model
    for job in train:
        assert "gpu=1" in job and "slurm_partition=gpu" in job and "gpu_model=a100" in job and "mem_mb=16000" in job
    for job in metrics:
        assert "slurm_partition=cpu" in job and "gpu=" not in job


def test_report_is_built(finished_run: tuple[Path, dict]) -> None:
    workdir, config = finished_run
    result = snakemake(workdir, write_config(workdir, config), "--report", str(workdir / "report.html"))
    assert result.returncode == 0, result.stderr[-3000:]
    html = (workdir / "report.html").read_text(errors="replace")
    assert "geometry" in html and len(html) > 100_000
    # it opens on the workflow's description and the findings; each figure once, as its PNG
    assert "Matryoshka Representation Learning (MRL) do" in html and "Claims and findings" in html
    assert '"results/figures/geometry.png": {"name"' in html
    assert '"results/figures/geometry.pdf": {"name"' not in html


def test_figures_and_tables_start_without_torch() -> None:
    """A figure or table job is start-up bound: importing torch (seconds) for it would be waste."""
    light = ["mrlens.plots", "mrlens.plots.quality", "mrlens.plots.diffing", "mrlens.io", "mrlens.workflow_support"]
    light += [
        "mrlens.quality",
        "mrlens.train.cost",
        "mrlens.layers",
        "mrlens.inference.differences",
        "mrlens.inference.findings",
        "mrlens.config",
    ]
    code = f"import sys; import {', '.join(light)}; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_functions_called_per_job_carry_their_parameters(tmp_path: Path, tiny_config_dict: dict) -> None:
    """Snakemake runs ``inspect.signature`` on an input, params or resource function at every call
    unless the function carries its parameters (``per_job`` in common.smk): thousands of calls in a
    sweep's dry run."""
    with parsed_workflow(tmp_path, write_config(tmp_path, tiny_config_dict)) as workflow:
        functions = {
            f"{rule.name}: {getattr(f, '__name__', f)}": f
            for rule in workflow._workflow.rules
            for item in [*rule.input, *rule.params, *(r._value for r in rule.resources.values())]
            for f in (item, getattr(item, "callable", None))
            if callable(f) and not (getattr(f, "__module__", None) or "").startswith("snakemake")
        }
    assert {"embed: model_folder", "embed: model_labels", "train: scaled"} <= set(functions)
    assert [name for name, f in functions.items() if not hasattr(f, FUNC_OVERWRITE_PARAMS_ATTR)] == []


def test_lint_and_formatting_are_clean() -> None:
    lint = subprocess.run([*SNAKEMAKE, "--lint", "--directory", str(ROOT)], capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fmt.returncode == 0, fmt.stderr[-3000:]
    python = ["src", "workflow/scripts", "benchmarks", "tests"]  # ruff's settings: pyproject.toml
    for command in (["check", *python], ["format", "--check", *python]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert ruff.returncode == 0, ruff.stdout[-3000:] + ruff.stderr[-3000:]
