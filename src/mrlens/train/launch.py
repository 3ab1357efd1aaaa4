"""Run a training job on one device, or data-parallel over several with ``torchrun``.

A job that is given N > 1 GPUs (Snakemake's ``gpu`` resource, capped by the GPUs it can see) starts
N processes with ``torch.distributed.run``; each trains on ``batch_size / N`` pairs per step and ranks
its anchors against the candidates gathered from every process, so the loss is over the global batch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from mrlens.train.trainer import TrainSettings, replay_checkpoint, train_variant

TASKS = {"train": train_variant, "checkpoint": replay_checkpoint}


def usable_gpus(requested: int) -> int:
    """GPUs a job may use: what it asked for, at most what this process can see."""
    return min(int(requested), torch.cuda.device_count())


def torchrun_command(processes: int, job_file: str | Path) -> list[str]:
    """The command that runs the job described in ``job_file`` in ``processes`` processes on this node."""
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
        "-m", "mrlens.train.launch", str(job_file),
    ]  # fmt: skip


def run_job(task: str, kwargs: Mapping[str, Any]) -> None:
    """Run ``task`` ("train" or "checkpoint") in this process; ``kwargs`` as in the JSON job file."""
    arguments = dict(kwargs)
    for table in ("pairs", "heldout"):
        if arguments.get(table) is not None:
            arguments[table] = pd.read_parquet(arguments[table])
    arguments["settings"] = TrainSettings(**arguments["settings"])
    TASKS[task](**arguments)


def launch(task: str, kwargs: Mapping[str, Any], processes: int) -> None:
    """Run ``task`` here when ``processes`` is 1, otherwise data-parallel under ``torchrun``.

    ``kwargs`` are the task's arguments with ``pairs`` (and ``heldout``) given as Parquet paths and
    ``settings`` as a dict.
    """
    if processes <= 1:
        run_job(task, kwargs)
        return
    with tempfile.TemporaryDirectory(prefix="mrlens-launch-") as folder:
        job_file = Path(folder) / "job.json"
        job_file.write_text(json.dumps({"task": task, "kwargs": dict(kwargs)}))
        subprocess.run(torchrun_command(processes, job_file), check=True)


def main(argv: list[str] | None = None) -> None:
    job = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
    run_job(job["task"], job["kwargs"])


if __name__ == "__main__":
    main()
