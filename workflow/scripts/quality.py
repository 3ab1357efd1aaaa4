"""Quality of one model's embeddings of one task at every truncation size and strategy, and the
replicate values behind each interval (for the paired differences of twins)."""

import pandas as pd

from mrlens.config import check_embedding_size
from mrlens.io import read_embeddings, write_table
from mrlens.quality import QualitySettings, measure_quality
from mrlens.workflow_support import label_table, log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
texts = pd.read_parquet(snakemake.input.texts)
labels = pd.read_parquet(snakemake.input.labels)
ids, vectors, _ = read_embeddings(snakemake.input.embeddings)
fit = read_embeddings(snakemake.input.fit)[1] if "fit" in snakemake.input.keys() else None
# int8 ranges: the model's embeddings of the calibration corpus, never the task's texts
calibration = read_embeddings(snakemake.input.calibration)[1] if "calibration" in snakemake.input.keys() else None
settings = QualitySettings.from_mapping(params.settings)
unit = params.unit  # what the intervals resample (the task kind's unit)
check_embedding_size(params.dims, vectors.shape[1], params.labels["model"])
log.info("%d texts x %d dimensions, %d labels; sizes %s; %s", *vectors.shape, len(labels), params.dims, settings)
quality = measure_quality(
    texts,
    labels,
    ids,
    vectors,
    params.dims,
    settings,
    fit=fit,
    methods=params.intervals,
    unit=unit,
    calibration=calibration,
)
write_table(label_table(quality.table, params.labels), snakemake.output.table)
write_table(label_table(quality.replicates, params.labels), snakemake.output.replicates)
