"""Every geometry metric at every truncation size and strategy for one embeddings file, and the
replicate values behind each interval (for the paired differences of twins)."""

from mrlens.config import check_embedding_size, settings_from
from mrlens.io import read_embeddings, write_table
from mrlens.metrics.suite import SuiteSettings, measure
from mrlens.workflow_support import label_table, log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
_, vectors, _ = read_embeddings(snakemake.input[0])
check_embedding_size(params.dims, vectors.shape[1], params.labels["model"])
log.info("%d documents x %d dimensions; sizes %s; %s", *vectors.shape, params.dims, params.settings)
settings = settings_from(SuiteSettings, params.settings, "analysis")
geometry = measure(vectors, params.dims, settings, methods=params.intervals)
for name in ("scalars", "profiles", "replicates"):
    write_table(label_table(getattr(geometry, name), params.labels), snakemake.output[name])
