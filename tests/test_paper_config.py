"""config/paper.yaml, the published setup: what a dry run through the SLURM profile plans (offline), and
its hub tasks' layouts read from local folders shaped like the hub's datasets (the hub is never
contacted)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, snakemake

from mrlens.errors import DataError
from mrlens.quality import prepare_task

PAPER = ROOT / "config" / "paper.yaml"
REHEARSAL = ROOT / "config" / "rehearsal.yaml"
SLURM_PROFILE = ROOT / "profiles" / "slurm"


def planned_jobs(workdir: Path, configfile: Path) -> list[tuple[str, dict[str, str], str]]:
    """(rule, wildcards, input) of every job that ``snakemake -n --configfile configfile --workflow-profile
    profiles/slurm`` plans in the empty ``workdir``."""
    result = snakemake(workdir, configfile, "-n", "--workflow-profile", str(SLURM_PROFILE))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    jobs = []
    for block in re.split(r"^(?=(?:local)?rule \S+:$)", result.stdout, flags=re.MULTILINE):
        head = re.match(r"(?:local)?rule (\S+):\n", block)
        if head is None:
            continue
        fields = dict(re.findall(r"^    (\w+): (.*)$", block, flags=re.MULTILINE))
        wildcards = dict(w.split("=", 1) for w in fields.get("wildcards", "").split(", ") if w)
        jobs.append((head.group(1), wildcards, fields.get("input", "")))
    return jobs


def test_paper_config_plans_quality_at_every_size_offline(tmp_path: Path) -> None:
    paper = yaml.safe_load(PAPER.read_text())
    tasks = set(paper["quality"]["tasks"])
    assert tasks == {"stsb", "ir-msmarco", "ir-nq", "ir-scifact", "ir-fiqa2018"}
    assert paper["quality"]["pca_corpus"] == "nano-msmarco"
    assert paper["train"]["seeds"] == [0, 1, 2]  # the findings carry training-run variance
    models = {"base"} | {f"{variant}_s{seed}" for variant in paper["train"]["variants"] for seed in (0, 1, 2)}
    jobs = planned_jobs(tmp_path, PAPER)
    count = Counter(rule for rule, _, _ in jobs)
    assert count["train"] == 9 and count["geometry"] == len(models)
    assert {w["task"] for rule, w, _ in jobs if rule == "prepare_task"} == tasks
    assert {w["corpus"] for rule, w, _ in jobs if rule == "tokenize"} == tasks | {"nano-msmarco"}
    embedded = {(w["model"], w["checkpoint"], w["corpus"]) for rule, w, _ in jobs if rule == "embed"}
    assert embedded == {(m, "final", k) for m in models for k in tasks | {"nano-msmarco"}}
    quality = [(w, given) for rule, w, given in jobs if rule == "quality"]
    assert {(w["model"], w["checkpoint"], w["task"]) for w, _ in quality} == {
        (m, "final", t) for m in models for t in tasks
    }
    for w, given in quality:  # each task's PCA basis is fitted on the model's embeddings of the named corpus
        assert f"results/embeddings/{w['model']}/final/nano-msmarco.parquet" in given
    assert count["collect_quality"] == count["quality_figure"] == 1


# ---- config/rehearsal.yaml: paper.yaml's DAG at its shapes on offline stand-ins (docs/rehearsal.md) ----

SHAPES = [  # settings the rehearsal keeps as paper.yaml has them (only steps, seeds and sizes of data differ)
    ("base_model", "pooling"),
    ("base_model", "dim"),
    ("train", "variants"),
    ("train", "batch_size"),
    ("train", "max_seq_length"),
    ("train", "learning_rate"),
    ("train", "scale"),
    ("train", "precision"),
    ("embed", "batch_size"),
    ("embed", "max_seq_length"),
    ("embed", "checkpoints"),
    ("analysis", "dims"),
    ("quality", "bootstrap"),
    ("quality", "pca_corpus"),
]


def test_rehearsal_plans_every_rule_of_paper_at_its_shapes(tmp_path: Path, tiny_model: Path) -> None:
    """The rehearsal plans offline (its base swapped for the tiny model: planning reads no data) every
    rule paper.yaml plans, with the same sources, tasks, kinds and shapes, and at least 2 seeds."""
    paper, rehearsal = (yaml.safe_load(p.read_text()) for p in (PAPER, REHEARSAL))
    for section, key in SHAPES:
        assert rehearsal[section].get(key) == paper[section].get(key), f"{section}.{key}"
    for section in ("analysis", "diffing", "findings"):
        assert {k: v for k, v in rehearsal.get(section, {}).items() if k != "dims"} == {
            k: v for k, v in paper.get(section, {}).items() if k != "dims"
        }
    kinds = {name: spec["kind"] for name, spec in paper["quality"]["tasks"].items()}
    assert {name: spec["kind"] for name, spec in rehearsal["quality"]["tasks"].items()} == kinds
    for section in ("pairs", "corpora"):
        assert {n: {k: v for k, v in s.items() if k != "name"} for n, s in rehearsal["data"][section].items()} == {
            n: {k: v for k, v in s.items() if k != "name"} for n, s in paper["data"][section].items()
        }
    assert len(rehearsal["train"]["seeds"]) >= 2
    configfile = tmp_path / "rehearsal.yaml"
    rehearsal["base_model"]["source"] = str(tiny_model)
    configfile.write_text(yaml.safe_dump(rehearsal))
    (tmp_path / "paper").mkdir()
    (tmp_path / "rehearsal").mkdir()
    planned = Counter(rule for rule, _, _ in planned_jobs(tmp_path / "rehearsal", configfile))
    assert set(Counter(rule for rule, _, _ in planned_jobs(tmp_path / "paper", PAPER))) <= set(planned)
    assert planned["train"] == 3 * len(rehearsal["train"]["seeds"])


# ---- the hub's layouts, from local folders (datasets.load_dataset reads both) -------------------


def _hub_folder(folder: Path, subsets: dict[str, pd.DataFrame], split: str) -> Path:
    """A dataset folder laid out like a hub repository: one parquet shard per subset (config) and split,
    declared in the README's YAML header as the hub's dataset cards do."""
    header = ["---", "configs:"]
    for subset, frame in subsets.items():
        (folder / subset).mkdir(parents=True)
        frame.to_parquet(folder / subset / f"{split}-00000-of-00001.parquet")
        header += [f"- config_name: {subset}", "  data_files:", f"  - split: {split}", f"    path: {subset}/{split}-*"]
    (folder / "README.md").write_text("\n".join([*header, "---", ""]))
    return folder


def test_nanobeir_layout_through_retrieval_hub(tmp_path: Path) -> None:
    """zeta-alpha-ai/Nano*: subsets corpus (_id, text), queries (_id, text) and qrels (query-id,
    corpus-id, no score), split train, as paper.yaml's retrieval tasks name them."""
    folder = _hub_folder(
        tmp_path / "NanoSciFact",
        {
            "corpus": pd.DataFrame({"_id": ["4983", "5836", "7912"], "text": ["alpha text", "beta text", "gamma"]}),
            "queries": pd.DataFrame({"_id": ["1", "3"], "text": ["first claim", "second claim"]}),
            "qrels": pd.DataFrame({"query-id": ["1", "3", "3"], "corpus-id": ["5836", "4983", "7912"]}),
        },
        "train",
    )
    spec = next(
        s for s in yaml.safe_load(PAPER.read_text())["quality"]["tasks"].values() if s["kind"] == "retrieval_hub"
    )
    texts, labels = prepare_task({**spec, "name": str(folder)}, "ir-scifact")
    assert texts.set_index("id")["role"].to_dict() == {
        "d:4983": "document",
        "d:5836": "document",
        "d:7912": "document",
        "q:1": "query",
        "q:3": "query",
    }
    assert sorted(labels.itertuples(index=False)) == [("q:1", "d:5836", 1), ("q:3", "d:4983", 1), ("q:3", "d:7912", 1)]
    with pytest.raises(DataError, match=r"quality.tasks.ir-scifact: cannot load dataset .* split 'test'"):
        prepare_task({**spec, "name": str(folder), "split": "test"}, "ir-scifact")


def test_stsb_layout_through_similarity_hub(tmp_path: Path) -> None:
    """sentence-transformers/stsb: one default subset, splits train/validation/test, columns sentence1,
    sentence2 and score (0-1)."""
    folder = tmp_path / "stsb"
    folder.mkdir()
    pd.DataFrame(
        {
            "sentence1": ["A man plays a guitar.", "A cat sleeps.", "Rain falls."],
            "sentence2": ["A man is playing guitar.", "A dog barks.", "It is raining."],
            "score": [0.96, 0.04, 0.9],
        }
    ).to_parquet(folder / "test.parquet")
    spec = yaml.safe_load(PAPER.read_text())["quality"]["tasks"]["stsb"]
    texts, labels = prepare_task({**spec, "name": str(folder)}, "stsb")
    assert len(texts) == 6 and (texts["role"] == "text").all()
    assert labels["score"].tolist() == [0.96, 0.04, 0.9]
