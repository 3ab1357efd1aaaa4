"""Mean-pooled hidden states of every layer of one model for the probe documents."""

import pandas as pd

from mrlens.diffing import layer_states, probe_documents, save_states
from mrlens.models import use_threads
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
params = snakemake.params
probe = probe_documents(pd.read_parquet(snakemake.input.corpus), params.probe_docs, params.seed)
log.info("%d probe documents (asked for %d)", len(probe), params.probe_docs)
states = layer_states(
    snakemake.input.model,
    probe["text"].tolist(),
    batch_size=params.batch_size,
    max_seq_length=params.max_seq_length,
)
save_states(states, probe["id"].tolist(), snakemake.output[0])
