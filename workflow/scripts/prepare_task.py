"""Texts (id, text, role) and labels of one evaluation task (quality.tasks.NAME)."""

import pandas as pd

from mrlens.io import write_table
from mrlens.quality.tasks import prepare_task
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
task = snakemake.wildcards.task
heldout_path = getattr(snakemake.input, "heldout", None)  # heldout_retrieval tasks only
heldout = pd.read_parquet(heldout_path) if heldout_path else None
texts, labels = prepare_task(snakemake.params.source, task, heldout)
log.info(
    "quality.tasks.%s: %d texts (%s), %d labels", task, len(texts), texts["role"].value_counts().to_dict(), len(labels)
)
write_table(texts, snakemake.output.texts)
write_table(labels, snakemake.output.labels)
