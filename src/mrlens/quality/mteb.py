"""MTEB tasks by name at every truncation size, for users with the Hugging Face Hub (``kind: mteb``).

For each size k the model is loaded with sentence-transformers' ``truncate_dim=k`` (the first k
dimensions, re-normalised by the model's own Normalize module when it has one) and evaluated with
``mteb.evaluate`` (mteb >= 2.11, which is not a dependency of mrlens: ``pip install 'mteb>=2.11'``).
The row's value is the task's main score (``TaskResult.get_score()``); MTEB reports no intervals.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mrlens.errors import DataError


def _mteb():  # type: ignore[no-untyped-def]
    try:
        import mteb
    except ImportError as exc:
        raise DataError(
            "quality task of kind mteb: the mteb package is not installed (pip install 'mteb>=2.11')"
        ) from exc
    return mteb


def mteb_scores(model_dir: str | Path, task_name: str, dims: Sequence[int], device: str | None = None) -> pd.DataFrame:
    """Main score of MTEB task ``task_name`` at every size in ``dims`` (tidy: strategy, dim, metric,
    value, ci_low, ci_high, n); results are never read from or written to MTEB's cache, so every size
    is computed."""
    from sentence_transformers import SentenceTransformer

    mteb = _mteb()
    try:
        task = mteb.get_task(task_name)
    except Exception as exc:  # unknown name, or its metadata unreachable
        raise DataError(f"quality task of kind mteb: unknown MTEB task {task_name!r} ({exc})") from exc
    no_cache = {"cache": None} if "cache" in inspect.signature(mteb.evaluate).parameters else {}
    rows = []
    for dim in sorted(dims):
        model = SentenceTransformer(str(model_dir), truncate_dim=dim, device=device)
        results = mteb.evaluate(model, [task], **no_cache)
        for result in getattr(results, "task_results", results):
            rows.append({"strategy": "prefix", "dim": dim, "metric": f"mteb:{result.task_name}", "value": float(result.get_score()),
                         "ci_low": float("nan"), "ci_high": float("nan"), "n": pd.NA})  # fmt: skip
    return pd.DataFrame(rows).astype({"n": "Int64"})
