"""Geometry against training step, from the intermediate checkpoints."""

import pandas as pd

from mrlens.plots import checkpoint_figure
from mrlens.workflow_support import log_to_rule_log, with_origin

log = log_to_rule_log(snakemake)
table = with_origin(pd.read_parquet(snakemake.input[0]))
checkpoint_figure(
    table[table["origin"] != "external"],  # external models have no training steps
    snakemake.params.max_steps,
    snakemake.output,
    dpi=snakemake.params.dpi,
)
