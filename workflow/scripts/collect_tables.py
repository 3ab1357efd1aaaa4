"""Concatenate per-job tidy tables into one (Parquet, and CSV when asked), labelling each input's
rows with the matching entry of params.labels when given, and each model's origin (base, trained,
external)."""

import pandas as pd

from mrlens.io import write_table
from mrlens.workflow_support import log_to_rule_log, with_origin

log = log_to_rule_log(snakemake)
labels = getattr(snakemake.params, "labels", None) or [{}] * len(snakemake.input)
frames = [pd.read_parquet(path).assign(**label) for path, label in zip(snakemake.input, labels)]
table = pd.concat(frames, ignore_index=True)
if labels[0]:
    table = table[[*labels[0], *[c for c in table.columns if c not in labels[0]]]]
table = with_origin(table)
log.info("%d rows from %d files", len(table), len(snakemake.input))
write_table(table, snakemake.output.parquet, getattr(snakemake.output, "csv", None))
