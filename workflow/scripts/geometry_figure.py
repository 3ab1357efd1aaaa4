"""The headline figure: geometry against the number of leading dimensions kept."""

import pandas as pd

from mrlens.plots import geometry_figure
from mrlens.plots.style import label_external
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
table, _ = label_external(pd.read_parquet(snakemake.input[0]))
geometry_figure(table, snakemake.output, dpi=snakemake.params.dpi)
