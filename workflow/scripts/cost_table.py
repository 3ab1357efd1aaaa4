"""Training cost per variant (time per step, tokens per second, peak memory), as a table and bars."""

import pandas as pd

from mrlens.io import write_table
from mrlens.plots.quality import cost_figure
from mrlens.train.cost import cost_table
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
table = cost_table(pd.read_parquet(snakemake.input.training), list(snakemake.params.benchmarks))
log.info("cost of %d trained models:\n%s", len(table), table.to_string(index=False))
write_table(table, snakemake.output.parquet, snakemake.output.csv)
cost_figure(table, snakemake.output.figure, dpi=snakemake.params.dpi)
