"""Save the base checkpoint (or an external model) in SentenceTransformer format and record where it came from."""

from mrlens.io import write_json
from mrlens.models import resolve_base
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
info = resolve_base(
    snakemake.params.source,
    snakemake.params.revision,
    snakemake.params.pooling,
    snakemake.output.model,
    getattr(snakemake.params, "key", "base_model.source"),
    getattr(snakemake.params, "trust_remote_code", False),  # models.NAME.trust_remote_code
    getattr(snakemake.params, "code_revision", None),
)
log.info("%s: %s", snakemake.rule, info)
write_json(info, snakemake.output.info)
