"""Workflow overhead at sweep scale: a dry run of 5 variants x 5 seeds x 8 checkpoints x 5 corpora
(about 1,000 embedded units and several thousand jobs) in an empty folder, and a no-op rerun of a
finished default run. Snakemake's own per-job cost is the peer: a toy workflow (train -> embed ->
metric -> figure, no input functions, no schema) with the same number of jobs, timed the same way.

    .venv/bin/python benchmarks/sweep_dry_run.py [--noop-dir .]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

TOY = """
N = {n}
rule all:
    input: expand("out/fig/{{i}}.txt", i=range(N))
rule train:
    output: "out/train/{{i}}.txt"
    shell: "touch {{output}}"
rule embed:
    input: "out/train/{{i}}.txt"
    output: "out/embed/{{i}}.txt"
    shell: "touch {{output}}"
rule metric:
    input: "out/embed/{{i}}.txt"
    output: "out/metric/{{i}}.txt"
    shell: "touch {{output}}"
rule figure:
    input: "out/metric/{{i}}.txt"
    output: "out/fig/{{i}}.txt"
    shell: "touch {{output}}"
"""


def sweep_config() -> dict:
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
    config["data"]["corpora"] = {f"wiki{i}": {"kind": "gensim_wiki", "max_docs": 1500, "seed": i} for i in range(5)}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--noop-dir", default=None, help="a folder with a finished default run (e.g. the repository root)")
    args = parser.parse_args()
    snakemake = [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1", "--quiet", "rules"]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "sweep.yaml").write_text(yaml.safe_dump(sweep_config()))
        ours, out = timed([*snakemake, "--snakefile", str(ROOT / "Snakefile"), "--configfile", "sweep.yaml", "--directory", folder], work)
        n = jobs(out)
        (work / "toy").mkdir()
        (work / "toy" / "Snakefile").write_text(TOY.format(n=n // 4))
        peer, toy_out = timed([*snakemake, "--snakefile", "Snakefile"], work / "toy")
    summary = {"sweep_jobs": n, "sweep_dry_run_seconds": round(ours, 2), "toy_jobs": jobs(toy_out), "toy_dry_run_seconds": round(peer, 2)}
    if args.noop_dir:
        noop, _ = timed([sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1", "--quiet"], Path(args.noop_dir))
        summary["noop_rerun_seconds"] = round(noop, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
