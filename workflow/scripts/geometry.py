"""Every geometry metric at every truncation size and strategy for one embeddings file."""

from mrlens.io import read_embeddings, write_table
from mrlens.metrics.suite import SuiteSettings, measure
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
_, vectors, _ = read_embeddings(snakemake.input[0])
log.info("%d documents x %d dimensions; sizes %s; %s", *vectors.shape, params.dims, params.settings)
geometry = measure(vectors, params.dims, SuiteSettings(**params.settings))
for name, table in (("scalars", geometry.scalars), ("profiles", geometry.profiles)):
    labelled = table.assign(**params.labels).astype({"seed": "Int64"})
    labelled = labelled[[*params.labels, *table.columns]]
    write_table(labelled, snakemake.output[name])
