"""Geometry against training step, from the intermediate checkpoints."""

import pandas as pd

from mrlens.plots import checkpoint_figure
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
checkpoint_figure(
    pd.read_parquet(snakemake.input[0]),
    snakemake.params.max_steps,
    snakemake.output,
    dpi=snakemake.params.dpi,
)
