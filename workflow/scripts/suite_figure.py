"""Every metric against size for one corpus, with the truncation strategies."""

import pandas as pd

from mrlens.plots import suite_figure
from mrlens.plots.style import label_external
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
table, references = label_external(pd.read_parquet(snakemake.input[0]), snakemake.params.reference_variants)
suite_figure(
    table,
    snakemake.wildcards.corpus,
    snakemake.output,
    reference_variants=references,
    dpi=snakemake.params.dpi,
)
