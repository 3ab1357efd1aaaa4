"""Every metric against size for one corpus, with the truncation strategies."""

import pandas as pd

from mrlens.plots import suite_figure
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
suite_figure(
    pd.read_parquet(snakemake.input[0]),
    snakemake.wildcards.corpus,
    snakemake.output,
    reference_variants=snakemake.params.reference_variants,
    dpi=snakemake.params.dpi,
)
