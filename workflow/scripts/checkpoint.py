"""An intermediate checkpoint of one twin, copied from a resumable state or replayed from the last
one before it, on as many GPUs as the training job had (data-parallel runs group batches by device)."""

from mrlens.models import use_threads
from mrlens.train.launch import launch, usable_gpus
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
launch(
    "checkpoint",
    {
        "base_dir": snakemake.input.base,
        "pairs": snakemake.input.pairs,
        "dims": snakemake.params.dims,
        "weights": snakemake.params.weights,
        "dedicated": snakemake.params.dedicated,
        "settings": snakemake.params.settings,
        "states_dir": snakemake.params.states,
        "step": int(snakemake.wildcards.step),
        "out_dir": snakemake.output[0],
    },
    processes=usable_gpus(snakemake.resources.gpu),
)
