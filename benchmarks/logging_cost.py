"""Share of training time spent on the training-dynamics log, from a finished run's own records.

For every trained model: the seconds the log callback spent (``logging_seconds`` rows of
``train_log.parquet``) against the wall time of the train job (Snakemake's benchmark TSV).

    .venv/bin/python benchmarks/logging_cost.py [results]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def main() -> None:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    for log in sorted(results.glob("models/*/train_log.parquet")):
        model = log.parent.name
        table = pd.read_parquet(log)
        logging = table.loc[table["metric"] == "logging_seconds", "value"].sum()
        wall = pd.read_csv(results / "benchmarks" / "train" / f"{model}.tsv", sep="\t")["s"].iloc[-1]
        steps = int(table["step"].max())
        print(
            f"{model:32s} logging {logging:6.2f} s of {wall:7.1f} s job ({100 * logging / wall:.2f}%), {wall / steps:.2f} s/step"
        )


if __name__ == "__main__":
    main()
