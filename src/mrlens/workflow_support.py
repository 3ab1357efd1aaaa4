"""What every workflow script does first: send its logging and progress bars to the rule's log."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any


def log_to_rule_log(snakemake: Any) -> logging.Logger:
    """Send stdout, stderr (tracebacks, tqdm, library warnings, child processes such as ``torchrun``'s
    workers) and logging to ``snakemake.log[0]``."""
    if snakemake.log:
        stream = open(snakemake.log[0], "w", buffering=1, encoding="utf-8")  # noqa: SIM115
        for descriptor in (1, 2):
            os.dup2(stream.fileno(), descriptor)
        sys.stdout = sys.stderr = stream
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    return logging.getLogger(f"mrlens.{snakemake.rule}")
