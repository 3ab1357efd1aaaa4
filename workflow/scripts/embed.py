"""Embed one corpus's cached token ids with one (model, checkpoint) at full size."""

import json

from mrlens.embed import embed_tokens
from mrlens.models import use_threads
from mrlens.provenance import settings_hash
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
params = snakemake.params
with open(snakemake.input.base_info, encoding="utf-8") as handle:
    base = json.load(handle)
settings = {
    "batch_size": params.batch_size,
    "max_seq_length": params.max_seq_length,
    "compile": params.compile,
}
embed_tokens(
    model_dir=snakemake.input.model,
    tokens_path=snakemake.input.tokens,
    out_path=snakemake.output[0],
    batch_size=params.batch_size,
    max_seq_length=params.max_seq_length,
    compile=params.compile,
    # recorded by resolve_model from models.NAME.trust_remote_code (the base's record has none)
    trust_remote_code=base.get("trust_remote_code", False),
    metadata={
        **params.labels,
        "base": base["source"],
        "base_weights_sha256": base["weights_sha256"],
        "settings_hash": settings_hash(settings),
    },
)
