"""Every geometry metric at every truncation size for one embeddings file."""

from mrlens.io import read_embeddings, write_table
from mrlens.metrics import geometry_table
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
_, vectors, _ = read_embeddings(snakemake.input[0])
log.info("%d documents x %d dimensions; sizes %s", *vectors.shape, params.dims)
table = geometry_table(vectors, params.dims, uniformity_t=params.uniformity_t)
labels = params.labels
table = table.assign(**labels)[[*labels, "dim", "metric", "value", "n"]]
write_table(table.astype({"seed": "Int64"}), snakemake.output[0])
