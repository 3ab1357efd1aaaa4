"""What every workflow script does first: send its logging and progress bars to the rule's log, and
report a bad input as its one-line message rather than a traceback. And the workflow's preflight
check that the results folder can be written."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from mrlens.errors import ConfigError, MrlensError
from mrlens.ids import BASE_MODEL_ID


def _report_bad_input(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if isinstance(error, MrlensError):
        print(f"mrlens: {type(error).__name__}: {error}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, trace)


def log_to_rule_log(snakemake: Any) -> logging.Logger:
    """Send stdout, stderr (tracebacks, tqdm, library warnings, child processes such as ``torchrun``'s
    workers) and logging to ``snakemake.log[0]``."""
    if snakemake.log:
        stream = open(snakemake.log[0], "w", buffering=1, encoding="utf-8")  # noqa: SIM115
        for descriptor in (1, 2):
            os.dup2(stream.fileno(), descriptor)
        sys.stdout = sys.stderr = stream
    sys.excepthook = _report_bad_input
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    return logging.getLogger(f"mrlens.{snakemake.rule}")


def check_writable(folder: str | Path) -> None:
    """Raise :class:`ConfigError` unless ``folder`` is a folder we can write in, or one we could create
    (its nearest existing ancestor is a writable folder). Creates nothing: the workflow calls it while
    it is parsed, dry runs included."""
    folder = Path(folder).absolute()
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"results folder {folder} is not writable ({existing} is a file, not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"results folder {folder} is not writable (no write permission on {existing})")


def label_table(table: Any, labels: dict[str, Any]) -> Any:
    """``table`` (a pandas DataFrame) with the ``labels`` columns (model, variant, seed, checkpoint, corpus
    or task) first, the seed as a nullable integer (the base model has none)."""
    labelled = table.assign(**labels)
    if "seed" in labels:
        labelled = labelled.astype({"seed": "Int64"})
    return labelled[[*labels, *table.columns]]


def with_origin(table: Any) -> Any:
    """``table`` (a pandas DataFrame with ``model`` and ``seed`` columns) with an ``origin`` column after
    ``model``: ``base`` (the base checkpoint), ``trained`` (a twin trained here: it has a seed) or
    ``external`` (a model of ``models:``: no seed). Unchanged without those columns or with ``origin``."""
    if "model" not in table or "seed" not in table or "origin" in table:
        return table
    origin = (
        table["seed"].isna().map({True: "external", False: "trained"}).where(table["model"] != BASE_MODEL_ID, "base")
    )
    out = table.copy()
    out.insert(out.columns.get_loc("model") + 1, "origin", origin.astype(str))
    return out
