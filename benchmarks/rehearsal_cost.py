"""What the published run (config/paper.yaml) costs, projected from a finished rehearsal (config/rehearsal.yaml).

Reads the rehearsal's benchmark files (Snakemake's ``benchmark:`` TSVs: wall ``s``, ``cpu_time``, ``max_rss``),
names each file's rule and wildcards from the run's Snakemake log, and prints:

1. per rule: jobs, wall seconds (sum, largest job), CPU seconds, peak memory (the largest ``max_rss``);
2. a projection of paper.yaml's run: its jobs per rule (its own dry run, offline), each job's CPU seconds
   scaled from the rehearsal's jobs of that rule by the work it holds:

   - train: ``fixed + steps x seconds_per_step``, seconds_per_step the CPU seconds of a logged step
     (``metrics/cost.parquet``; wall over CPU of the job converts) and ``fixed`` the rest of the job
     (loading, held-out evaluations, states, saving);
   - embed, tokenize, quality: linear in the texts of the job's corpus or task (least squares over the
     rehearsal's jobs of the rule: start-up plus texts x seconds per text);
   - geometry: x the ratio of the whole suite's CPU seconds at paper.yaml's 5,043 documents to those at the
     rehearsal's 200 (:data:`GEOMETRY_SUITE_CPU_S`, measured: 768 wide, every size, default settings);
   - every other rule: its rehearsal job's CPU seconds as they are (collecting, figures, findings; weight
     differences depend on the model's size only, the probe on ``diffing.probe_docs``).

   CPU seconds stand for wall seconds of one-thread jobs on a quiet core (the rehearsal ran beside other
   work: its wall seconds are inflated, its CPU seconds much less). The CPU projection divides by the cores;
   the GPU ones put train and embed on the GPU at the rates measured on an H200
   (``shared/reference/peer-figures.md``, ``benchmarks/README.md``) and the rest on the node's CPU cores.

    .venv/bin/python benchmarks/rehearsal_cost.py --results RUN/results --log RUN/.snakemake/log/X.snakemake.log
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FULL_STEPS = 17_500
# paper.yaml's texts per corpus and task (the Nano datasets' cards: corpus + 50 queries; STSb test: 1,379 pairs)
FULL_TEXTS = {
    "nano-msmarco": 5_043,
    "ir-msmarco": 5_043 + 50,
    "ir-nq": 5_035 + 50,
    "ir-scifact": 2_919 + 50,
    "ir-fiqa2018": 4_598 + 50,
    "stsb": 2 * 1_379,
}
# Measured on one H200 (bert-base geometry, 128 tokens, bf16): the five-cut MRL step at batch 128 pairs
# (peer-figures.md; paper.yaml's batch of 32 triplets, 96 sequences, was not measured: an upper bound),
# and the embed rule's encoder at batch 256 (benchmarks/README.md, embed_throughput.py).
GPU_STEP_SECONDS = 0.0884
GPU_EMBED_DOCS_PER_SECOND = 16_779
GPU_RULES = ("train", "embed")
# CPU seconds of mrlens.metrics.suite.measure (sizes 64-768, default settings, one thread) on n embeddings
# of the rehearsal's base resampled with noise, this machine, 2026-12-03: 24.0 (200), 29.8 (1,000),
# 48.5 (2,500), 81.7 (5,043). Far from quadratic at these n: the fixed work per size dominates.
GEOMETRY_SUITE_CPU_S = {200: 24.0, 5_043: 81.7}


def benchmark_rules(log: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Benchmark file -> (rule, wildcards), from the job blocks of a Snakemake log."""
    found = {}
    for block in re.split(r"^(?=(?:local)?rule \S+:$)", log.read_text(), flags=re.MULTILINE):
        head = re.match(r"(?:local)?rule (\S+):\n", block)
        fields = dict(re.findall(r"^    (\w+): (.*)$", block, flags=re.MULTILINE))
        if head and "benchmark" in fields:
            wildcards = dict(w.split("=", 1) for w in fields.get("wildcards", "").split(", ") if w)
            found[fields["benchmark"]] = (head.group(1), wildcards)
    return found


def job_table(results: Path, log: Path) -> pd.DataFrame:
    """One row per finished job: rule, wildcards, wall s, CPU s, max_rss (MB)."""
    named = benchmark_rules(log)
    rows = []
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        bench = pd.read_csv(path, sep="\t")
        key = str(Path(results.name) / path.relative_to(results))
        rule, wildcards = named.get(key, (path.relative_to(results / "benchmarks").parts[0].removesuffix(".tsv"), {}))
        rows.append(
            {
                "rule": rule,
                "corpus": wildcards.get("corpus") or wildcards.get("task"),
                "model": wildcards.get("model"),
                "wall_s": bench["s"].mean(),
                "cpu_s": bench["cpu_time"].mean(),
                "max_rss_mb": pd.to_numeric(bench["max_rss"], errors="coerce").max(),
            }
        )
    return pd.DataFrame(rows)


def rehearsal_texts(results: Path) -> dict[str, int]:
    """Texts of each corpus and task the rehearsal embedded."""
    texts = {p.stem: len(pd.read_parquet(p, columns=["id"])) for p in (results / "data" / "corpora").glob("*.parquet")}
    for path in (results / "data" / "tasks").glob("*/texts.parquet"):
        texts[path.parent.name] = len(pd.read_parquet(path, columns=["id"]))
    return texts


def paper_jobs() -> dict[str, int]:
    """Jobs per rule of paper.yaml's run (a dry run in an empty folder, offline)."""
    with tempfile.TemporaryDirectory() as workdir:
        command = [sys.executable, "-m", "snakemake", "-n", "--snakefile", str(ROOT / "Snakefile"), "-d", workdir]
        plan = subprocess.run(
            [*command, "--configfile", str(ROOT / "config" / "paper.yaml")], capture_output=True, text=True, check=True
        )
    table = plan.stdout.split("Job stats:")[1].split("\n\n")[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.MULTILINE) if rule != "total"}


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    grouped = jobs.groupby("rule")
    return pd.DataFrame(
        {
            "jobs": grouped.size(),
            "wall_s": grouped["wall_s"].sum(),
            "largest_job_s": grouped["wall_s"].max(),
            "cpu_s": grouped["cpu_s"].sum(),
            "peak_rss_mb": grouped["max_rss_mb"].max(),
        }
    ).sort_values("wall_s", ascending=False)


def linear_fit(items: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    """(start-up, seconds per item) by least squares; through the origin where the intercept comes out
    negative, and flat (the mean, nothing per item) where the time does not grow with the items."""
    slope, intercept = np.polyfit(items, seconds, 1) if len(set(items)) > 1 else (-1.0, 0.0)
    if slope <= 0:
        return float(seconds.mean()), 0.0
    if intercept < 0:
        return 0.0, float(items @ seconds / (items @ items))
    return float(intercept), float(slope)


def projected_job_seconds(rule: str, jobs: pd.DataFrame, texts: dict[str, int], cost: pd.DataFrame) -> float:
    """CPU seconds of one of paper.yaml's jobs of ``rule`` (its mean over the tasks and corpora it covers)."""
    mine = jobs[jobs["rule"] == rule]
    if rule == "train":
        per_step = (cost["seconds_per_step"] * mine["cpu_s"].mean() / mine["wall_s"].mean()).mean()
        fixed = mine["cpu_s"].mean() - cost["steps"].mean() * per_step
        return float(max(fixed, 0.0) + FULL_STEPS * per_step)
    if rule in ("embed", "tokenize", "quality"):
        start, per_text = linear_fit(mine["corpus"].map(texts).to_numpy(float), mine["cpu_s"].to_numpy())
        covered = sorted(set(mine["corpus"]))
        return float(np.mean([start + per_text * FULL_TEXTS[c] for c in covered]))
    if rule == "geometry":
        return float(mine["cpu_s"].mean() * GEOMETRY_SUITE_CPU_S[5_043] / GEOMETRY_SUITE_CPU_S[200])
    return float(mine["cpu_s"].mean())


def projection(jobs: pd.DataFrame, texts: dict[str, int], cost: pd.DataFrame, full: dict[str, int]) -> pd.DataFrame:
    rows = []
    for rule, count in full.items():
        if rule == "all":
            continue
        if rule not in set(jobs["rule"]):
            rows.append({"rule": rule, "jobs": count, "cpu_s": np.nan})
            continue
        rows.append({"rule": rule, "jobs": count, "cpu_s": count * projected_job_seconds(rule, jobs, texts, cost)})
    table = pd.DataFrame(rows).set_index("rule")
    table["gpu_s"] = np.nan
    table.loc["train", "gpu_s"] = full["train"] * FULL_STEPS * GPU_STEP_SECONDS
    embed_start = linear_fit(
        jobs.loc[jobs["rule"] == "embed", "corpus"].map(texts).to_numpy(float),
        jobs.loc[jobs["rule"] == "embed", "cpu_s"].to_numpy(),
    )[0]
    embed_texts = full["embed"] / len(FULL_TEXTS) * sum(FULL_TEXTS.values())
    table.loc["embed", "gpu_s"] = full["embed"] * embed_start + embed_texts / GPU_EMBED_DOCS_PER_SECOND
    return table.sort_values("cpu_s", ascending=False)


def hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, required=True, help="the rehearsal's results folder")
    parser.add_argument("--log", type=Path, required=True, help="the rehearsal's Snakemake log")
    parser.add_argument("--cores", type=int, default=2, help="CPU cores of the machine the CPU projection is for")
    parser.add_argument("--node-cores", type=int, default=16, help="CPU cores beside each GPU")
    parser.add_argument("--gpus", type=int, nargs="+", default=[3, 9], help="GPUs of the cluster projections")
    args = parser.parse_args()
    jobs = job_table(args.results, args.log)
    print("| rule | jobs | wall s | largest job s | CPU s | peak RSS MB |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for rule, row in per_rule(jobs).iterrows():
        print(
            f"| {rule} | {row.jobs:.0f} | {row.wall_s:,.0f} | {row.largest_job_s:,.0f} | {row.cpu_s:,.0f} | "
            f"{row.peak_rss_mb:,.0f} |"
        )
    print(f"| all | {len(jobs)} | {jobs['wall_s'].sum():,.0f} | | {jobs['cpu_s'].sum():,.0f} | |")
    cost = pd.read_parquet(args.results / "metrics" / "cost.parquet")
    full = paper_jobs()
    table = projection(jobs, rehearsal_texts(args.results), cost, full)
    print("\n| rule | paper.yaml jobs | CPU s (projected) | on a GPU s |\n| --- | ---: | ---: | ---: |")
    for rule, row in table.iterrows():
        gpu = "not measured" if np.isnan(row.gpu_s) and rule in GPU_RULES else f"{row.gpu_s:,.0f}"
        print(f"| {rule} | {row.jobs:.0f} | {row.cpu_s:,.0f} | {'' if gpu == 'nan' else gpu} |")
    cpu_total = table["cpu_s"].sum()
    off_gpu = table.loc[~table.index.isin(GPU_RULES), "cpu_s"].sum()
    train_each = table.loc["train", "gpu_s"] / full["train"]
    print(f"\nCPU, {args.cores} cores: {hours(cpu_total)} CPU = {hours(cpu_total / args.cores)} wall")
    gpu_work = table.loc[list(GPU_RULES), "gpu_s"].sum()
    print(
        f"one GPU: {hours(gpu_work)} GPU (train {hours(table.loc['train', 'gpu_s'])}, embed "
        f"{hours(table.loc['embed', 'gpu_s'])}) + {hours(off_gpu / args.node_cores)} on {args.node_cores} cores "
        f"= {hours(gpu_work + off_gpu / args.node_cores)} wall"
    )
    for gpus in args.gpus:
        waves = -(-full["train"] // gpus)
        wall = waves * train_each + table.loc["embed", "gpu_s"] / gpus + off_gpu / (args.node_cores * gpus)
        print(f"SLURM, {gpus} GPUs ({args.node_cores} cores each): {waves} wave(s) of training, {hours(wall)} wall")


if __name__ == "__main__":
    main()
