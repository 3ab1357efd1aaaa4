"""What training each variant costs: time per step, tokens per second and peak memory.

From the training log (:class:`mrlens.train.callbacks.TrainingLog`, long form with columns model,
variant, seed, step, metric, ..., value), at its logging steps:

- ``seconds_per_step``: ``step_seconds`` (wall seconds per optimizer step since the previous logging
  step) averaged with each interval weighted by its number of steps, i.e. total logged time over
  total logged steps (the first logging step has no interval and is left out);
- ``tokens_per_step``: mean of ``tokens`` (non-padding tokens of the logged step's batch);
- ``tokens_per_second``: ``tokens_per_step / seconds_per_step``;
- ``peak_memory_mb``: the largest ``peak_memory_mb`` (GPU memory allocated on a GPU, the process's
  resident memory on the CPU);
- ``logging_seconds_per_step``: the log's own time, included in ``seconds_per_step``.

From the Snakemake benchmark file of the training job (TSV: s, h:m:s, max_rss, ..., cpu_time):
``job_seconds`` (``s``, the whole job: loading, training, saving), ``max_rss_mb`` and ``cpu_seconds``
(means over the file's repeats; max_rss the largest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mrlens.errors import DataError
from mrlens.ids import parse_model_id

KEYS = ["model", "variant", "seed"]
COLUMNS = [
    *KEYS,
    "steps",
    "seconds_per_step",
    "tokens_per_step",
    "tokens_per_second",
    "peak_memory_mb",
    "logging_seconds_per_step",
    "job_seconds",
    "max_rss_mb",
    "cpu_seconds",
]
BENCHMARK_COLUMNS = {"s": "job_seconds", "max_rss": "max_rss_mb", "cpu_time": "cpu_seconds"}


def read_benchmark(path: str | Path) -> dict[str, float]:
    """``job_seconds``, ``max_rss_mb`` and ``cpu_seconds`` of a Snakemake benchmark TSV."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"benchmark file {path} not found")
    try:
        frame = pd.read_csv(path, sep="\t")
    except Exception as exc:  # pandas raises many kinds for a malformed file
        raise DataError(f"cannot read benchmark file {path} ({type(exc).__name__}: {exc})") from exc
    missing = set(BENCHMARK_COLUMNS) - set(frame.columns)
    if frame.empty or missing:
        raise DataError(
            f"benchmark file {path}: expected a row with columns {sorted(BENCHMARK_COLUMNS)}, missing {sorted(missing)}"
        )
    numbers = frame[list(BENCHMARK_COLUMNS)].apply(pd.to_numeric, errors="coerce")  # "NA" when not measured
    return {
        "job_seconds": float(numbers["s"].mean()),
        "max_rss_mb": float(numbers["max_rss"].max()),
        "cpu_seconds": float(numbers["cpu_time"].mean()),
    }


def _model_cost(log: pd.DataFrame) -> dict[str, float]:
    def values(metric: str) -> pd.DataFrame:
        rows = log[log["metric"] == metric]
        return rows.dropna(subset=["value"]).groupby("step", as_index=False)["value"].mean().sort_values("step")

    out = {"steps": int(log["step"].max()) if len(log) else None}
    step_seconds = values("step_seconds")
    logging = values("logging_seconds")  # written at every logging step
    logged_steps = np.sort((logging if len(logging) else log)["step"].unique())
    if len(step_seconds):
        # each value covers the steps since the previous logging step
        previous = np.concatenate([[np.nan], logged_steps[:-1]])
        interval = pd.Series(logged_steps - previous, index=logged_steps)
        widths = interval.reindex(step_seconds["step"]).to_numpy()
        widths = np.where(np.isfinite(widths) & (widths > 0), widths, 1.0)
        out["seconds_per_step"] = float(np.average(step_seconds["value"], weights=widths))
    else:
        out["seconds_per_step"] = float("nan")
    tokens = values("tokens")
    out["tokens_per_step"] = float(tokens["value"].mean()) if len(tokens) else float("nan")
    out["tokens_per_second"] = (
        out["tokens_per_step"] / out["seconds_per_step"] if out["seconds_per_step"] > 0 else float("nan")
    )
    memory = values("peak_memory_mb")
    out["peak_memory_mb"] = float(memory["value"].max()) if len(memory) else float("nan")
    if len(logging) and out["steps"]:
        # the callback's time is spent on logging steps only: spread it over all steps
        out["logging_seconds_per_step"] = float(logging["value"].sum() / out["steps"])
    else:
        out["logging_seconds_per_step"] = float("nan")
    return out


def cost_table(
    training_logs: pd.DataFrame | Sequence[pd.DataFrame],
    benchmarks: Mapping[str, str | Path] | Sequence[str | Path] = (),
) -> pd.DataFrame:
    """One row per trained model (model, variant, seed) with the costs above.

    ``training_logs``: the long training log(s), with columns model, variant, seed, step, metric,
    value (e.g. ``results/metrics/training.parquet``). ``benchmarks``: the training job's benchmark
    TSV per model id, or a list of paths named ``{model}.tsv``. A metric missing from a log (an older
    log, or a run without a GPU) gives NaN; a model with a benchmark but no log keeps only the job columns.
    """
    frames = [training_logs] if isinstance(training_logs, pd.DataFrame) else list(training_logs)
    log = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*KEYS, "step", "metric", "value"])
    missing = {*KEYS, "step", "metric", "value"} - set(log.columns)
    if missing:
        raise DataError(f"training log lacks column(s) {sorted(missing)}; expected the collected long form")
    if not isinstance(benchmarks, Mapping):
        benchmarks = {Path(path).stem: path for path in benchmarks}
    rows = []
    for (model, variant, seed), group in log.groupby(KEYS, sort=False, dropna=False):
        row = {"model": model, "variant": variant, "seed": seed, **_model_cost(group)}
        if model in benchmarks:
            row.update(read_benchmark(benchmarks[model]))
        rows.append(row)
    logged = set(log["model"])
    for model, path in benchmarks.items():
        if model not in logged:
            try:
                variant, seed = parse_model_id(str(model))
            except ValueError:  # an external model's name
                variant, seed = str(model), None
            rows.append({"model": model, "variant": variant, "seed": seed, **read_benchmark(path)})
    if not rows:
        raise DataError("no training log rows and no benchmark files: nothing to tabulate")
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    return table.astype({"seed": "Int64", "steps": "Int64"})
