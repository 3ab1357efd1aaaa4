"""Collapse (covariance spectra) and outlier-dimension figures."""

import pandas as pd

from mrlens.plots import collapse_figure, outlier_figure
from mrlens.plots.style import label_external
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
profiles, _ = label_external(pd.read_parquet(snakemake.input[0]))
collapse_figure(profiles, snakemake.output.collapse, dpi=snakemake.params.dpi)
outlier_figure(profiles, snakemake.output.outliers, snakemake.params.outlier_k, dpi=snakemake.params.dpi)
