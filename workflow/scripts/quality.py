"""Quality of one model's embeddings of one task at every truncation size and strategy."""

import pandas as pd

from mrlens.io import read_embeddings, write_table
from mrlens.quality import QualitySettings, evaluate
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
texts = pd.read_parquet(snakemake.input.texts)
labels = pd.read_parquet(snakemake.input.labels)
ids, vectors, _ = read_embeddings(snakemake.input.embeddings)
settings = QualitySettings.from_mapping(params.settings)
log.info("%d texts x %d dimensions, %d labels; sizes %s; %s", *vectors.shape, len(labels), params.dims, settings)
table = evaluate(texts, labels, ids, vectors, params.dims, settings)
labelled = table.assign(**params.labels).astype({"seed": "Int64"})
write_table(labelled[[*params.labels, *table.columns]], snakemake.output[0])
