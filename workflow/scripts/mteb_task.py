"""One MTEB task at every truncation size, for one model (quality.tasks.NAME with kind mteb)."""

from mrlens.io import write_table
from mrlens.models import use_threads
from mrlens.quality.mteb import mteb_scores
from mrlens.workflow_support import label_table, log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
table = mteb_scores(snakemake.input.model, snakemake.params.name, snakemake.params.dims)
log.info("%s:\n%s", snakemake.params.name, table.to_string(index=False))
write_table(label_table(table, snakemake.params.labels), snakemake.output[0])
