"""Each task's main score against bytes per vector, one line per (model, precision)."""

import pandas as pd

from mrlens.plots.quality import quality_bytes_figure
from mrlens.plots.style import label_external
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
table, _ = label_external(pd.read_parquet(snakemake.input[0]))
quality_bytes_figure(table, snakemake.output, dpi=snakemake.params.dpi)
