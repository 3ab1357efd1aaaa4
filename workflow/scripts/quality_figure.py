"""Quality against size for every task, and relative to each model's own full size."""

import pandas as pd

from mrlens.plots.quality import quality_figure
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
quality_figure(
    pd.read_parquet(snakemake.input[0]),
    snakemake.output,
    reference_variants=snakemake.params.reference_variants,
    metrics=getattr(snakemake.params, "metrics", None),
    dpi=snakemake.params.dpi,
)
