"""Weight-delta heatmaps, CKA matrices per layer, task-vector cosine per layer, truncation CKA; external
models (of ``models:``) named "<name> (external)"."""

import pandas as pd

from mrlens.plots.diffing import cka_matrices, task_cosine_figure, truncation_cka_figure, weight_heatmaps
from mrlens.plots.style import external_names, mark_external
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
dpi = snakemake.params.dpi
layers, cka, truncation = (pd.read_parquet(snakemake.input[n]) for n in ("layers", "cka", "truncation"))
external = external_names(layers, truncation)
layers = mark_external(layers, external, ["model", "reference", "variant", "reference_variant"])
weight_heatmaps(layers, snakemake.output.weights, dpi=dpi)
task_cosine_figure(layers, snakemake.output.task_cosine, dpi=dpi)
cka_matrices(mark_external(cka, external, ["model_a", "model_b"]), snakemake.output.cka, dpi=dpi)
truncation = mark_external(truncation, external, ["model", "variant"])
truncation_cka_figure(truncation, snakemake.output.truncation, dpi=dpi)
