"""The tiny workflow on a real one-node SLURM cluster (tests/slurm/start) through profiles/slurm: GPU rules
reach the gpu partition with a GPU request and the others the cpu partition, a job cancelled with scancel is
retried with more memory and time, and the results equal the local run's. Needs root and Debian's
slurmctld, slurmd and munge (bin/setup installs them); runs with MRLENS_SLURM=1, which .ci/run sets."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SNAKEMAKE, write_config

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        os.environ.get("MRLENS_SLURM") != "1",
        reason="MRLENS_SLURM=1 starts a one-node SLURM cluster (root; bin/setup installs its Debian packages)",
    ),
]
HARNESS = ROOT / "tests" / "slurm"
# The user-facing profile, with the test cluster's partitions and GPU type on top.
PROFILES = ["--profile", str(ROOT / "profiles" / "slurm"), "--workflow-profile", str(ROOT / "profiles" / "slurm-test")]
CANCELLED_RULE = "train"
RUN_TIMEOUT = 3600


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running test cluster; yields the environment its clients need. Stopped (by pid) afterwards."""
    folder = tmp_path_factory.mktemp("slurm-cluster")
    start = subprocess.run([str(HARNESS / "start"), str(folder)], capture_output=True, text=True, timeout=300)
    try:
        assert start.returncode == 0, start.stdout + start.stderr
        yield {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}
    finally:
        stop = subprocess.run([str(HARNESS / "stop"), str(folder)], capture_output=True, text=True, timeout=300)
        assert stop.returncode == 0, stop.stdout + stop.stderr


def slurm(env: dict[str, str], *command: str) -> str:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True).stdout


def slurm_jobs(env: dict[str, str], workdir: Path) -> list[dict[str, str]]:
    """Every job submitted from ``workdir`` that the controller still knows (MinJobAge is an hour)."""
    lines = slurm(env, "scontrol", "show", "job", "--oneliner").splitlines()
    jobs = [dict(field.split("=", 1) for field in line.split() if "=" in field) for line in lines]
    return [job for job in jobs if job.get("WorkDir") == str(workdir)]


def rule_of(job: dict[str, str]) -> str:
    """The rule of a job, from the comment the executor plugin gives it (rule_<rule>[_wildcards_<values>])."""
    match = re.fullmatch(r"rule_(.+?)(?:_wildcards_.*)?", job["Comment"])
    assert match, job["Comment"]
    return match.group(1)


def cancel_one_running_job(env: dict[str, str], workdir: Path, rule: str, run: subprocess.Popen) -> str:
    """scancel a job of ``rule`` once it has run for a few seconds; returns its SLURM job id."""
    while run.poll() is None:
        for job in slurm_jobs(env, workdir):
            seconds = sum(int(x) * 60**i for i, x in enumerate(reversed(job["RunTime"].split(":"))))
            if job["JobState"] == "RUNNING" and rule_of(job) == rule and seconds >= 3:
                subprocess.run(["scancel", job["JobId"]], env=env, timeout=60)  # fails if it just ended: fine
                state = job["JobState"]
                for _ in range(60):  # the plugin must see it cancelled, not finished before the signal
                    state = next(j["JobState"] for j in slurm_jobs(env, workdir) if j["JobId"] == job["JobId"])
                    if state not in ("RUNNING", "COMPLETING"):
                        break
                    time.sleep(0.5)
                if state == "CANCELLED":
                    return job["JobId"]
        time.sleep(0.5)
    raise AssertionError(f"the workflow ended before a {rule} job could be cancelled")


@dataclass
class SlurmRun:
    workdir: Path
    returncode: int
    log: str
    jobs: list[dict[str, str]]
    cancelled: str
    minutes: float


@pytest.fixture(scope="module")
def slurm_run(
    cluster: dict[str, str], finished_run: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory
) -> SlurmRun:
    """The local run's config (same base model and WordNet) run again through SLURM, one job cancelled.
    Quality tasks and diffing are left out to keep CI short: they add jobs, not kinds of job."""
    config = copy.deepcopy(finished_run[1])
    config["quality"]["tasks"] = {}
    config.setdefault("diffing", {})["enabled"] = False
    workdir = tmp_path_factory.mktemp("tiny-slurm")
    command = [*SNAKEMAKE, "--directory", str(workdir), "--configfile", str(write_config(workdir, config)), *PROFILES]
    started = time.monotonic()
    with open(workdir / "snakemake.log", "w") as log:
        run = subprocess.Popen(command, cwd=workdir, env=cluster, stdout=log, stderr=subprocess.STDOUT)
        try:
            cancelled = cancel_one_running_job(cluster, workdir, CANCELLED_RULE, run)
            run.wait(timeout=RUN_TIMEOUT)
        finally:
            if run.poll() is None:
                run.terminate()  # Snakemake cancels its SLURM jobs on SIGTERM
                run.wait(timeout=120)
    return SlurmRun(
        workdir=workdir,
        returncode=run.returncode,
        log=(workdir / "snakemake.log").read_text(),
        jobs=slurm_jobs(cluster, workdir),
        cancelled=cancelled,
        minutes=(time.monotonic() - started) / 60,
    )


def job_resources(log: str) -> dict[str, list[dict[str, str]]]:
    """Each rule's submitted jobs' resources, from the `rule <name>: ... resources: a=1, b=2` blocks."""
    resources: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?:local)?rule ", log)[1:]:
        name, _, rest = block.partition(":")
        line = re.search(r"^\s+resources: (.*)$", rest.split("\n[")[0], flags=re.M)
        if line:
            pairs = dict(item.split("=", 1) for item in line.group(1).split(", "))
            resources.setdefault(name, []).append(pairs)
    return resources


def test_the_workflow_completes_through_slurm(slurm_run: SlurmRun) -> None:
    assert slurm_run.returncode == 0, slurm_run.log[-5000:]
    assert "(100%) done" in slurm_run.log
    states = [job["JobState"] for job in slurm_run.jobs]
    assert states.count("CANCELLED") == 1 and states.count("COMPLETED") == len(states) - 1, states
    print(f"SLURM run: {len(slurm_run.jobs)} jobs in {slurm_run.minutes:.1f} min")


def test_gpu_rules_go_to_the_gpu_partition_and_the_rest_to_the_cpu_partition(slurm_run: SlurmRun) -> None:
    resources = job_resources(slurm_run.log)
    gpu_rules = {rule for rule, jobs in resources.items() if any(job.get("gpu") == "1" for job in jobs)}
    assert {"train", "embed"} <= gpu_rules, sorted(gpu_rules)
    submitted = {rule_of(job) for job in slurm_run.jobs}
    assert submitted == set(resources) - {"all"}, "every rule but `all` runs as a SLURM job"
    for job in slurm_run.jobs:
        if rule_of(job) in gpu_rules:
            assert job["Partition"] == "gpu" and job["TresPerJob"] == "gres:gpu:fake:1", job
        else:
            assert job["Partition"] == "cpu" and "gpu" not in job.get("TresPerJob", "(null)"), job


def test_a_cancelled_job_is_retried_with_more_memory_and_time(slurm_run: SlurmRun) -> None:
    cancelled = next(job for job in slurm_run.jobs if job["JobId"] == slurm_run.cancelled)
    assert cancelled["JobState"] == "CANCELLED"
    retries = [job for job in slurm_run.jobs if job["Comment"] == cancelled["Comment"] and job is not cancelled]
    assert [job["JobState"] for job in retries] == ["COMPLETED"], retries
    (retry,) = retries
    assert int(retry["JobId"]) > int(cancelled["JobId"])

    def megabytes(job: dict[str, str]) -> int:
        return int(job["MinMemoryNode"].removesuffix("M").removesuffix("G")) * (
            1024 if job["MinMemoryNode"].endswith("G") else 1
        )

    def minutes(job: dict[str, str]) -> int:
        days, _, clock = job["TimeLimit"].rpartition("-")
        hours, mins, _ = map(int, clock.split(":"))
        return int(days or 0) * 1440 + hours * 60 + mins

    assert megabytes(retry) == 2 * megabytes(cancelled) and minutes(retry) == 2 * minutes(cancelled), (cancelled, retry)


# What measures the machine rather than the models: timings, memory, throughput (columns or metric names).
MEASURED = re.compile(r"second|memory|_mb$|rss|cpu")


def tables(results: Path) -> dict[str, pd.DataFrame]:
    """The result tables (results/metrics/*.csv|parquet) without measurements, sorted by their key columns."""
    out = {}
    for path in sorted(results.glob("metrics/*.*")):
        if path.suffix in (".csv", ".parquet"):
            table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
            table = table.drop(columns=[c for c in table.columns if MEASURED.search(c)])
            if "metric" in table.columns:
                table = table[~table["metric"].str.contains(MEASURED)]
            keys = [c for c in table.columns if not pd.api.types.is_float_dtype(table[c])]
            out[path.name] = table.sort_values(keys).reset_index(drop=True)
    return out


def test_results_equal_the_local_run(slurm_run: SlurmRun, finished_run: tuple[Path, dict]) -> None:
    local_workdir, _ = finished_run
    local, remote = tables(local_workdir / "results"), tables(slurm_run.workdir / "results")
    assert {"geometry.csv", "profiles.parquet", "training.csv"} <= set(remote) <= set(local)
    for name, table in remote.items():
        expected = local[name]
        if name.startswith(("differences", "findings")):  # the SLURM run has no quality tasks: their rows aside
            tasks = (
                expected["task"].notna()
                if "task" in expected
                else expected["where"].isin(["lee50", "simlex999", "wordnet-heldout"])
            )
            expected = expected.loc[~tasks, list(table.columns)].reset_index(drop=True)
            expected = expected.astype(table.dtypes.to_dict())  # a seed column loses its NaN with the task rows
        pd.testing.assert_frame_equal(table, expected, check_exact=False, rtol=1e-6, atol=1e-9, obj=name)

    from mrlens.io import read_embeddings

    embeddings = sorted((slurm_run.workdir / "results" / "embeddings").rglob("*.parquet"))
    assert len(embeddings) == 9  # base + 4 trained models x (final, step-3), one corpus
    for path in embeddings:
        relative = path.relative_to(slurm_run.workdir)
        _, theirs, _ = read_embeddings(path)
        _, ours, _ = read_embeddings(local_workdir / relative)
        np.testing.assert_allclose(theirs, ours, rtol=1e-6, atol=1e-7, err_msg=str(relative))
