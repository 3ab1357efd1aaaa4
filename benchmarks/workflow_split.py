"""Where a finished workflow run's time went, per stage, from the benchmark files its rules wrote.

Reads every ``results/benchmarks/**/*.tsv`` (Snakemake's ``benchmark:`` files: one row per job) and adds
up, per stage (train, embed, geometry, quality, diffing, findings, figures, set-up), the jobs, their
wall seconds and CPU seconds; with ``--log`` (a Snakemake log, e.g. ``.snakemake/log/*.snakemake.log``)
also the run's wall time, first job start to last job end. Jobs run side by side, so the job seconds
of the stages add up to more than the wall time; their shares say where the machine's time went.

    .venv/bin/python benchmarks/workflow_split.py [--results results] [--log .snakemake/log/X.snakemake.log]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

STAGES = {
    "train": ("train", "checkpoint", "collect_training", "cost_table"),
    "embed": ("tokenize", "embed"),
    "geometry": ("geometry", "collect_geometry", "collect_profiles"),
    "quality": ("prepare_task", "quality", "mteb", "collect_quality"),
    "diffing": ("diffing",),  # probe states, weight and representation differences (one benchmark folder)
    "findings": ("differences", "findings"),
}


def stage_of(rule: str) -> str:
    """The stage of a rule, named by its benchmark file's first path part: figures by their names,
    others by :data:`STAGES`, the rest (data preparation, the base model, provenance) set-up."""
    if rule.endswith(("_figure", "_figures")):
        return "figures"
    return next((stage for stage, rules in STAGES.items() if rule in rules), "set-up")


def job_times(results: Path) -> dict[str, list[tuple[float, float]]]:
    """Rule -> (wall s, CPU s) of each of its jobs."""
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    folder = results / "benchmarks"
    for path in sorted(folder.rglob("*.tsv")):
        rows = path.read_text().splitlines()
        if len(rows) < 2:
            continue
        header, values = rows[0].split("\t"), rows[1].split("\t")
        row = dict(zip(header, values, strict=True))
        rule = path.relative_to(folder).parts[0].removesuffix(".tsv")
        times[rule].append((float(row["s"]), float(row["cpu_time"])))
    return times


def run_wall_seconds(log: Path) -> float:
    """First to last timestamp (``[Mon Nov 30 17:29:58 2026]``) of a Snakemake log."""
    stamps = [datetime.strptime(s, "%a %b %d %H:%M:%S %Y") for s in re.findall(r"^\[(.+?)\]$", log.read_text(), re.M)]
    return (max(stamps) - min(stamps)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--log", type=Path, default=None, help="a Snakemake log of the run, for its wall time")
    args = parser.parse_args()
    stages: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for rule, jobs in job_times(args.results).items():
        total = stages[stage_of(rule)]
        total[0] += len(jobs)
        total[1] += sum(wall for wall, _ in jobs)
        total[2] += sum(cpu for _, cpu in jobs)
    job_seconds = sum(total[1] for total in stages.values())
    print("| stage | jobs | job wall s | share | CPU s |\n| --- | --- | --- | --- | --- |")
    for stage, (jobs, wall, cpu) in sorted(stages.items(), key=lambda item: -item[1][1]):
        print(f"| {stage} | {jobs:.0f} | {wall:.0f} | {wall / job_seconds:.0%} | {cpu:.0f} |")
    print(f"| all | {sum(t[0] for t in stages.values()):.0f} | {job_seconds:.0f} | 100% | "
          f"{sum(t[2] for t in stages.values()):.0f} |")  # fmt: skip
    if args.log is not None:
        print(f"\nrun wall time: {run_wall_seconds(args.log) / 60:.1f} min ({args.log})")


if __name__ == "__main__":
    main()
