"""Train one twin (variant x seed) from the base checkpoint."""

import pandas as pd

from mrlens.models import use_threads
from mrlens.train.trainer import TrainSettings, train_variant
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
train_variant(
    base_dir=snakemake.input.base,
    pairs=pd.read_parquet(snakemake.input.pairs),
    dims=snakemake.params.dims,
    weights=snakemake.params.weights,
    settings=TrainSettings(**snakemake.params.settings),
    out_dir=snakemake.output.model,
    states_dir=snakemake.params.states,
    log_table=snakemake.output.log_table,
)
