"""Train one twin (variant x seed) from the base checkpoint, data-parallel when the job has several GPUs."""

from mrlens.models import use_threads
from mrlens.train.launch import launch, usable_gpus
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
launch(
    "train",
    {
        "base_dir": snakemake.input.base,
        "pairs": snakemake.input.pairs,
        "dims": snakemake.params.dims,
        "weights": snakemake.params.weights,
        "dedicated": snakemake.params.dedicated,
        "settings": snakemake.params.settings,
        "out_dir": snakemake.output.model,
        "states_dir": snakemake.params.states,
        "log_table": snakemake.output.log_table,
        "heldout": snakemake.input.heldout,
    },
    processes=usable_gpus(snakemake.resources.gpu),
)
