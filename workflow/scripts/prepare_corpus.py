"""Documents (id, text) of one data.corpora source."""

from mrlens.data import prepare_corpus
from mrlens.io import write_table
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
source = f"data.corpora.{snakemake.wildcards.corpus}"
docs = prepare_corpus(snakemake.params.source, source)
log.info("%s: %d documents, median %d characters", source, len(docs), docs["text"].str.len().median())
write_table(docs, snakemake.output[0])
