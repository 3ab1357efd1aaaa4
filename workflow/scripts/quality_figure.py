"""Quality against size for every task, and relative to each model's own full size."""

import pandas as pd

from mrlens.plots.quality import quality_figure
from mrlens.plots.style import label_external
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
table, references = label_external(pd.read_parquet(snakemake.input[0]), snakemake.params.reference_variants)
quality_figure(
    table,
    snakemake.output,
    reference_variants=references,
    metrics=getattr(snakemake.params, "metrics", None),
    dpi=snakemake.params.dpi,
)
