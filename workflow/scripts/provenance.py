"""Config hash, git commit and package versions beside the results."""

import json

from mrlens.io import write_json
from mrlens.provenance import provenance
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
record = provenance(snakemake.params.config, snakemake.params.workflow_dir)
with open(snakemake.input[0], encoding="utf-8") as handle:
    record["base_model"] = json.load(handle)
write_json(record, snakemake.output[0])
