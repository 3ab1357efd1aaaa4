"""An intermediate checkpoint of one twin, copied from a resumable state or replayed from the last one before it."""

import pandas as pd

from mrlens.models import use_threads
from mrlens.train.trainer import TrainSettings, replay_checkpoint
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
replay_checkpoint(
    base_dir=snakemake.input.base,
    pairs=pd.read_parquet(snakemake.input.pairs),
    dims=snakemake.params.dims,
    weights=snakemake.params.weights,
    settings=TrainSettings(**snakemake.params.settings),
    states_dir=snakemake.params.states,
    step=int(snakemake.wildcards.step),
    out_dir=snakemake.output[0],
)
