"""Workflow overhead at sweep scale: dry runs of 5 variants x 5 seeds x 8 checkpoints x 2 and x 5
corpora (400 and 1,000 embedded units; about 1,300 and 2,500 jobs) in an empty folder, and a no-op
rerun of a finished default run. Snakemake's own per-job cost is the peer: toy workflows (train ->
embed -> metric -> figure, no input functions, no schema) with the same number of jobs, timed the
same way, bare and with the directives every mrlens rule carries.

    .venv/bin/python benchmarks/sweep_dry_run.py [--noop-dir .] [--repeats 3]

Ours and the toys run interleaved, ``--repeats`` times each; the medians are reported.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

STAGES = ["train", "embed", "metric", "fig"]

SHAPED = """    log: "logs/{stage}/{{i}}.log"
    benchmark: "benchmarks/{stage}/{{i}}.tsv"
    threads: 2
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=30,
    params:
        size=384,
    script: "step.py"
"""


def toy_workflow(n: int, shaped: bool) -> str:
    """Snakemake's own per-job cost: train -> embed -> metric -> figure, ``n`` chains, no input
    functions, no schema, no wildcard constraints. ``shaped`` gives every rule the directives an
    mrlens rule carries (log, benchmark, threads, resources, params, a Python script)."""
    rules = [f'N = {n}\nrule all:\n    input: expand("out/fig/{{i}}.txt", i=range(N))\n']
    for k, stage in enumerate(STAGES):
        rule = f"rule {stage}:\n"
        if k:
            rule += f'    input: "out/{STAGES[k - 1]}/{{i}}.txt"\n'
        rule += f'    output: "out/{stage}/{{i}}.txt"\n'
        rule += SHAPED.format(stage=stage) if shaped else '    shell: "touch {output}"\n'
        rules.append(rule)
    return "\n".join(rules)


def sweep_config(corpora: int) -> dict:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["train"]["variants"] = {
        "no-mrl": [384],
        "mrl-384-32": [384, 32],
        "mrl-384-128-32": [384, 128, 32],
        "mrl-384-256-128-64-32": [384, 256, 128, 64, 32],
        "mrl-384-192-96-48-24": [384, 192, 96, 48, 24],
    }
    config["train"]["seeds"] = [0, 1, 2, 3, 4]
    config["train"]["checkpoint_steps"] = [1, 2, 5, 10, 20, 50, 100]
    config["embed"]["checkpoints"] = "all"
    config["data"]["corpora"] = {
        f"wiki{i}": {"kind": "gensim_wiki", "max_docs": 1500, "seed": i} for i in range(corpora)
    }
    config["quality"]["pca_corpus"] = config["diffing"]["probe_corpus"] = "wiki0"  # the default's "wiki" is gone
    return config


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return seconds, result.stdout


def jobs(output: str) -> int:
    return int(re.search(r"^total\s+(\d+)", output, re.MULTILINE).group(1))


def compare(work: Path, corpora: int, snakemake: list[str], repeats: int) -> dict:
    """Dry runs of the sweep with ``corpora`` corpora and of the toys with as many jobs, interleaved."""
    (work / "sweep.yaml").write_text(yaml.safe_dump(sweep_config(corpora)))
    sweep = [*snakemake, "--snakefile", str(ROOT / "Snakefile"), "--configfile", "sweep.yaml", "--directory", str(work)]
    ours, out = timed(sweep, work)
    n = jobs(out)
    toys = {}
    for name, shaped in (("toy", False), ("shaped_toy", True)):
        (work / name).mkdir()
        (work / name / "Snakefile").write_text(toy_workflow(n // 4, shaped))
        (work / name / "step.py").touch()
        toys[name] = [*snakemake, "--snakefile", "Snakefile"]
    runs: dict[str, list[float]] = {"sweep": [ours]}
    for repeat in range(repeats):
        if repeat:
            runs["sweep"].append(timed(sweep, work)[0])
        for name, command in toys.items():
            seconds, toy_out = timed(command, work / name)
            runs.setdefault(name, []).append(seconds)
    summary = {"sweep_jobs": n, "toy_jobs": jobs(toy_out)}
    summary |= {f"{name}_dry_run_seconds": round(statistics.median(times), 2) for name, times in runs.items()}
    summary["runs"] = {name: [round(t, 2) for t in times] for name, times in runs.items()}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--noop-dir", default=None, help="a folder with a finished default run (e.g. the repository root)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each; medians are reported")
    args = parser.parse_args()
    snakemake = [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1", "--quiet", "rules"]
    summary: dict = {}
    for corpora in (2, 5):
        with tempfile.TemporaryDirectory() as folder:
            summary[f"{corpora}_corpora"] = compare(Path(folder), corpora, snakemake, args.repeats)
    if args.noop_dir:
        noop, _ = timed(
            [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1", "--quiet"], Path(args.noop_dir)
        )
        summary["noop_rerun_seconds"] = round(noop, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
