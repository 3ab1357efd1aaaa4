"""Concatenate per-job tidy tables into one (Parquet and CSV)."""

import pandas as pd

from mrlens.io import write_table
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
table = pd.concat([pd.read_parquet(p) for p in snakemake.input], ignore_index=True)
log.info("%d rows from %d files", len(table), len(snakemake.input))
write_table(table, snakemake.output.parquet, getattr(snakemake.output, "csv", None))
