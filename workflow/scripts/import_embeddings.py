"""Import the embeddings a precomputed model's file holds for one corpus or task (made elsewhere, e.g.
by an API), checked against the text set's ids."""

from mrlens.precomputed import import_embeddings
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
dim = import_embeddings(snakemake.input.embeddings, snakemake.input.texts, snakemake.output[0], snakemake.params.labels)
log.info("%s: %d-dimensional embeddings imported from %s", snakemake.rule, dim, snakemake.input.embeddings)
