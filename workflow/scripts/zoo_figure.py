"""Every external model on one panel per metric, near-twins drawn as pairs (config/zoo.yaml)."""

import pandas as pd

from mrlens.plots.zoo import zoo_figure
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
quality = pd.read_parquet(snakemake.input.quality[0]) if snakemake.input.quality else None
zoo_figure(
    pd.read_parquet(snakemake.input.geometry),
    quality,
    snakemake.params.models,
    snakemake.output,
    dpi=snakemake.params.dpi,
)
