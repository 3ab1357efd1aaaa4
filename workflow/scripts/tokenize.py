"""Token ids of one corpus (or task's texts) with a model's tokenizer: the base's (shared by every twin) or an
external model's."""

import os

os.environ.setdefault("RAYON_NUM_THREADS", str(snakemake.threads))  # the tokenizer's share of the machine

from mrlens.prompts import resolve_prompts  # noqa: E402
from mrlens.tokens import tokenize_corpus  # noqa: E402
from mrlens.workflow_support import log_to_rule_log  # noqa: E402

log = log_to_rule_log(snakemake)
params = snakemake.params
configured = getattr(params, "prompts", None)  # an external model's; the base and its twins have none
meta = tokenize_corpus(
    model_dir=snakemake.input.model,
    texts_path=snakemake.input.texts,
    out_path=snakemake.output[0],
    max_seq_length=params.max_seq_length,
    prompts=None if configured is None else resolve_prompts(configured, snakemake.input.model),
    trust_remote_code=getattr(params, "trust_remote_code", False),
)
log.info("%d documents, %d tokens, tokenizer %s", meta["n"], meta["tokens"], meta["tokenizer_fingerprint"])
log.info("prompts by role: %s", meta["prompts"] or "none")
