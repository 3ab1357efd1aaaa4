"""Shared fixtures: a tiny random BERT saved with a real tokenizer, a tiny WordNet, a tiny config, and one
complete local run of the tiny workflow (used by the workflow and SLURM tests)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
WORDS = (
    "river stone light music garden winter bread horse window paper ocean mountain city forest "
    "teacher doctor engine signal market letter silver cloud island bridge candle mirror planet"
).split()


def build_tiny_model(folder: Path, hidden: int = 32, layers: int = 2, seed: int = 0, dropout: float = 0.1) -> Path:
    """A randomly initialised BertModel (hidden 32, 2 layers) with all-MiniLM-L6-v2's tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from mrlens.checkpoints import embedded_model_path

    torch.manual_seed(seed)
    config = BertConfig(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=128,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    BertModel(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(embedded_model_path())).save_pretrained(folder)
    return folder


def write_tiny_wordnet(folder: Path, synsets: int = 240, seed: int = 0) -> Path:
    """WordNet-format data files with synthetic synsets (lemmas -> gloss with an example)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for pos, code in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        lines = ["  1 This software and database is being provided to you, the LICENSEE, by  \n"]
        for k in range(synsets // 4):
            lemmas = rng.sample(WORDS, 2)
            gloss = " ".join(rng.choices(WORDS, k=8))
            offset = f"{k + 1:08d}"
            lines.append(
                f'{offset} 03 {code} 02 {lemmas[0]}_{k} 0 {lemmas[1]}(a) 0 000 | {gloss}; "the {lemmas[0]} example"  \n'
            )
        (folder / f"data.{pos}").write_text("".join(lines), encoding="latin-1")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_wordnet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_wordnet(tmp_path_factory.mktemp("wordnet"))


def tiny_config(model: Path, wordnet: Path) -> dict:
    """The tiny workflow config: three variants of a 32-wide model, 120 Wikipedia paragraphs."""
    config = yaml.safe_load((ROOT / "tests" / "tiny.yaml").read_text())
    config["base_model"]["source"] = str(model)
    config["data"]["pairs"]["wordnet"]["path"] = str(wordnet)
    return config


@pytest.fixture()
def tiny_config_dict(tiny_model: Path, tiny_wordnet: Path) -> dict:
    return tiny_config(tiny_model, tiny_wordnet)


def write_config(workdir: Path, config: dict, name: str = "config.yaml") -> Path:
    path = workdir / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# A tiny model's job is mostly Python starting up and importing torch: one thread each, and two
# jobs at a time (GPU rules included, on a CPU), keep both of CI's cores busy.
LOCAL_RUN = ("--cores", "2", "--max-threads", "1", "--resources", "gpu=2")


def snakemake(workdir: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), "--configfile", str(config), *args],
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A complete local tiny run, made once per session: read it, do not change its results."""
    workdir = tmp_path_factory.mktemp("tiny-run")
    config = tiny_config(build_tiny_model(workdir / "tiny-bert"), write_tiny_wordnet(workdir / "wordnet"))
    result = snakemake(workdir, write_config(workdir, config), *LOCAL_RUN)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir, config
