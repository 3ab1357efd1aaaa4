"""Per-size losses and layer x step norms of every variant."""

import pandas as pd

from mrlens.plots import loss_figure, norms_figure
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
logs = pd.read_parquet(snakemake.input[0])
loss_figure(logs, snakemake.output.loss, dpi=snakemake.params.dpi)
norms_figure(logs, snakemake.output.norms, dpi=snakemake.params.dpi)
