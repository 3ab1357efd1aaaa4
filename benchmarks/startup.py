"""Start-up tax of the workflow's jobs: per rule's script, what a job pays before any work, and the work.

Every measurement is a fresh Python process, as Snakemake starts one per job:

- ``imports``: the script's own top-level imports (taken from its source), nothing else; for every
  script in ``workflow/scripts``. The three packages costing most are named (``-X importtime``, time
  spent in each top-level package's modules, itself included).
- ``1 text``: the whole script, through a stand-in ``snakemake`` object, on a one-text input (tokenize,
  embed): imports, model or tokenizer load and one document; the fixed cost of those rules.
- ``sample``: the whole script on a sample input: SimLex-999 (999 word pairs, 1,028 words) embedded by
  the base model, as the default run does for each of its models, and the tables that follow from it
  (quality, collect_tables; geometry, which runs on the corpus, is measured by
  ``geometry_suite.py``), the base model resolved from the embedded MiniLM, a training
  log of three models for ``cost_table``. ``work`` = sample - fixed (``1 text`` where measured, else
  ``imports``).

``--compare REV`` measures the same with the scripts and ``src/`` of git revision REV (a temporary
``git worktree``) beside this checkout, the two taking turns in every repetition (alternating which
goes first) on the same inputs; it prints REV / this checkout for every number.

    .venv/bin/python benchmarks/startup.py [--repeats 3] [--rules embed,quality] [--compare HEAD~3]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DIMS = [32, 64, 128, 256, 384]
LABELS = {"model": "base", "variant": "base", "seed": None, "checkpoint": "final"}

# A stand-in for the object Snakemake's script preamble unpickles (the preamble imports the same
# snakemake modules, so their cost is counted as in a real job).
RUNNER = """
import json, runpy, sys
from snakemake.iocontainers import Namedlist
spec = json.loads(sys.argv[1])

class Job:
    pass

job = Job()
for key in ("input", "output", "params", "wildcards"):
    setattr(job, key, Namedlist(fromdict=spec.get(key, {})))
job.log, job.threads, job.rule = [spec["log"]], spec.get("threads", 1), spec["rule"]
runpy.run_path(spec["script"], init_globals={"snakemake": job}, run_name="__main__")
"""


def script_imports(script: Path) -> str:
    """The top-level import statements of a workflow script, as source."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom))


def run(args: list[str], tree: Path) -> tuple[float, str]:
    """Wall seconds of a fresh Python process on ``tree``'s package, and its stderr."""
    environ = {**os.environ, "PYTHONPATH": str(tree / "src"), "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    done = subprocess.run([PYTHON, *args], cwd=tree, env=environ, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode:  # a job's script sends its errors to its log
        logs = re.findall(r'"log": "([^"]+)"', " ".join(args))
        log = Path(logs[0]).read_text(encoding="utf-8") if logs and Path(logs[0]).exists() else ""
        raise RuntimeError(f"{' '.join(args)[-300:]} failed:\n{done.stderr[-3000:]}{log[-3000:]}")
    return seconds, done.stderr


def top_packages(importtime: str, count: int = 3) -> str:
    """The ``count`` top-level packages whose modules took longest to import (self times summed)."""
    totals: dict[str, int] = defaultdict(int)
    for match in re.finditer(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S+)", importtime):
        totals[match.group(2).split(".")[0]] += int(match.group(1))
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {micros / 1e6:.1f}" for name, micros in ranked)


class Jobs:
    """Sample inputs in ``scratch`` and the job specifications that read them."""

    def __init__(self, scratch: Path):
        self.data = scratch / "inputs"
        self.data.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> str:
        return str(self.data / name)

    def specs(self, out: Path) -> dict[str, dict]:
        """Job specifications by name (``rule`` or ``rule:1 text``), writing under ``out``."""
        out.mkdir(parents=True, exist_ok=True)
        quality = {
            "bootstrap": 1000,
            "strategies": ["prefix", "random", "pca"],
            "random_orderings": 5,
            "pca_fit": "insample",
        }
        embed_params = {"labels": {**LABELS, "corpus": "simlex999"}, "batch_size": 64, "max_seq_length": 128,
                        "compile": False}  # fmt: skip
        base = {"model": self.path("base"), "base_info": self.path("base.json")}
        specs = {
            "resolve_base": {
                "output": {"model": str(out / "base"), "info": str(out / "base.json")},
                "params": {"source": "embedded", "revision": None, "pooling": "mean"},
            },
            "prepare_task": {
                "output": {"texts": str(out / "texts.parquet"), "labels": str(out / "labels.parquet")},
                "params": {"source": {"kind": "simlex999"}}, "wildcards": {"task": "simlex999"},
            },
            "tokenize": {
                "input": {"texts": self.path("texts.parquet"), "base": self.path("base")},
                "output": {"tokens": str(out / "tokens.parquet")}, "params": {"max_seq_length": 128}, "threads": 2,
            },
            "tokenize:1 text": {
                "input": {"texts": self.path("one_text.parquet"), "base": self.path("base")},
                "output": {"tokens": str(out / "one_token.parquet")}, "params": {"max_seq_length": 128}, "threads": 2,
            },
            "embed": {
                "input": {**base, "tokens": self.path("tokens.parquet")},
                "output": {"embeddings": str(out / "embeddings.parquet")}, "params": embed_params, "threads": 2,
            },
            "embed:1 text": {
                "input": {**base, "tokens": self.path("one_token.parquet")},
                "output": {"embeddings": str(out / "one_embedding.parquet")}, "params": embed_params, "threads": 2,
            },
            "quality": {
                "input": {"texts": self.path("texts.parquet"), "labels": self.path("labels.parquet"),
                          "embeddings": self.path("embeddings.parquet")},
                "output": {"table": str(out / "quality.parquet"), "replicates": str(out / "replicates.parquet")},
                "threads": 2,
                "params": {"dims": DIMS, "settings": quality, "labels": {**LABELS, "task": "simlex999"}},
            },
            "collect_tables": {
                "input": {"table": self.path("quality.parquet")},
                "output": {"parquet": str(out / "collected.parquet"), "csv": str(out / "collected.csv")},
            },
            "cost_table": {
                "input": {"training": self.path("training.parquet")},
                "output": {"parquet": str(out / "cost.parquet"), "csv": str(out / "cost.csv"),
                           "figure": [str(out / "cost.png")]},
                "params": {"benchmarks": [self.path("no-mrl_s0.tsv")], "dpi": 72},
            },
        }  # fmt: skip
        for name, spec in specs.items():
            rule = name.split(":")[0]
            spec |= {"rule": rule, "script": f"workflow/scripts/{rule}.py", "log": str(out / f"{name}.log")}
        return specs

    def prepare(self) -> None:
        """Make the sample inputs once, with this checkout's scripts (the outputs become inputs)."""
        import pandas as pd

        specs = self.specs(self.data)
        for name in ("resolve_base", "prepare_task"):
            run(["-c", RUNNER, json.dumps(specs[name])], ROOT)
        pd.read_parquet(self.path("texts.parquet")).head(1).to_parquet(self.path("one_text.parquet"))
        for name in ("tokenize", "tokenize:1 text", "embed", "quality"):
            run(["-c", RUNNER, json.dumps(specs[name])], ROOT)
        rows = [
            {"model": f"{v}_s0", "variant": v, "seed": 0, "step": step, "metric": metric, "value": value}
            for v in ("no-mrl", "mrl-384-32", "mrl-384-256-128-64-32")
            for step in range(5, 155, 5)
            for metric, value in (("step_seconds", 1.9), ("tokens", 800.0), ("logging_seconds", 0.1))
        ]
        pd.DataFrame(rows).to_parquet(self.path("training.parquet"))
        Path(self.path("no-mrl_s0.tsv")).write_text("s\th:m:s\tmax_rss\tcpu_time\n300.0\t0:05:00\t1200.0\t590.0\n")


def measure(trees: dict[str, Path], rules: list[str] | None, repeats: int, scratch: Path) -> dict:
    """Seconds per (tree, rule, kind) over ``repeats`` interleaved repetitions, and import attribution."""
    jobs = Jobs(scratch)
    jobs.prepare()
    scripts = [p.stem for p in sorted((ROOT / "workflow/scripts").glob("*.py")) if rules is None or p.stem in rules]
    specs = {label: jobs.specs(scratch / "out" / label) for label in trees}
    names = [name for name in specs[next(iter(trees))] if rules is None or name.split(":")[0] in rules]
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    attribution: dict[tuple[str, str], str] = {}
    for label, tree in trees.items():  # attribution once, untimed: -X importtime itself costs time
        for script in scripts:
            _, err = run(["-X", "importtime", "-c", script_imports(tree / "workflow/scripts" / f"{script}.py")], tree)
            attribution[label, script] = top_packages(err)
    for repeat in range(repeats):
        order = list(trees.items()) if repeat % 2 == 0 else list(reversed(trees.items()))
        for script in scripts:
            for label, tree in order:
                seconds, _ = run(["-c", script_imports(tree / "workflow/scripts" / f"{script}.py")], tree)
                times[label, script, "imports"].append(seconds)
        for name in names:
            for label, tree in order:
                seconds, _ = run(["-c", RUNNER, json.dumps(specs[label][name])], tree)
                rule, _, kind = name.partition(":")
                times[label, rule, kind or "sample"].append(seconds)
        print(f"repetition {repeat + 1}/{repeats} done", file=sys.stderr)
    return {"times": times, "attribution": attribution}


def table(result: dict, trees: list[str]) -> str:
    """A markdown table: per rule, median seconds of each kind (and the ratio to this checkout)."""
    medians = {key: statistics.median(values) for key, values in result["times"].items()}
    rules = sorted({rule for _, rule, _ in medians})
    kinds = ("imports", "1 text", "sample")
    header = ["rule", *kinds, "work", "slowest imports (s)"]
    if len(trees) > 1:
        header[5:5] = [f"{k} {trees[1]}/{trees[0]}" for k in ("fixed", "sample")]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for rule in rules:

        def get(kind: str, tree: str = trees[0]) -> float | None:
            return medians.get((tree, rule, kind))

        def fixed(tree: str) -> float | None:
            return get("1 text", tree) or get("imports", tree)

        cells = [rule, *(f"{v:.2f}" if (v := get(k)) is not None else "" for k in kinds)]
        cells.append(f"{get('sample') - fixed(trees[0]):.2f}" if get("sample") is not None else "")
        if len(trees) > 1:
            other = trees[1]
            cells.append(f"x{fixed(other) / fixed(trees[0]):.2f}" if fixed(other) else "")
            cells.append(
                f"x{get('sample', other) / get('sample'):.2f}" if get("sample") and get("sample", other) else ""
            )
        cells.append(result["attribution"].get((trees[0], rule), ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rules", type=lambda text: text.split(","), default=None, help="comma-separated rules")
    parser.add_argument("--compare", metavar="REV", help="also measure git revision REV, interleaved")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mrlens-startup-") as scratch:
        trees = {"this": ROOT}
        if args.compare:
            worktree = Path(scratch, "rev")
            subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.compare], cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            trees[args.compare] = worktree
        try:
            result = measure(trees, args.rules, args.repeats, Path(scratch))
        finally:
            if args.compare:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(trees[args.compare])], cwd=ROOT, check=False
                )
    print(f"medians of {args.repeats} interleaved repetitions, seconds of a fresh process each; "
          f"fixed = '1 text' where measured, else 'imports'; work = sample - fixed")  # fmt: skip
    print(table(result, list(trees)))
    runs = {"/".join(key): [round(v, 3) for v in values] for key, values in result["times"].items()}
    print(json.dumps({"runs": runs, "attribution": {"/".join(k): v for k, v in result["attribution"].items()}}))


if __name__ == "__main__":
    main()
