"""Training pairs and their held-out split for one data.pairs source."""

from mrlens.data import prepare_pairs
from mrlens.io import write_table
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
source = f"data.pairs.{snakemake.wildcards.pairs}"
train, heldout = prepare_pairs(snakemake.params.source, source)
log.info("%s: %d training pairs, %d held out", source, len(train), len(heldout))
write_table(heldout, snakemake.output.heldout)
write_table(train, snakemake.output.train)
