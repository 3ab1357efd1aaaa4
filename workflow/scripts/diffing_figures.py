"""Weight-delta heatmaps, CKA matrices per layer, task-vector cosine per layer, truncation CKA."""

import pandas as pd

from mrlens.plots.diffing import cka_matrices, task_cosine_figure, truncation_cka_figure, weight_heatmaps
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
dpi = snakemake.params.dpi
layers = pd.read_parquet(snakemake.input.layers)
weight_heatmaps(layers, snakemake.output.weights, dpi=dpi)
task_cosine_figure(layers, snakemake.output.task_cosine, dpi=dpi)
cka_matrices(pd.read_parquet(snakemake.input.cka), snakemake.output.cka, dpi=dpi)
truncation_cka_figure(pd.read_parquet(snakemake.input.truncation), snakemake.output.truncation, dpi=dpi)
