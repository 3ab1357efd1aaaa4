"""Config hash, git commit and package versions beside the results, and where the models came from."""

import json
from pathlib import Path

from mrlens.io import write_json
from mrlens.provenance import provenance
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
record = provenance(snakemake.params.config, snakemake.params.workflow_dir)
with open(snakemake.input.base, encoding="utf-8") as handle:
    record["base_model"] = json.load(handle)
record["models"] = {}  # the external models of models:, in the config's order
for path in snakemake.input.models:
    with open(path, encoding="utf-8") as handle:
        record["models"][Path(path).parent.name] = json.load(handle)
write_json(record, snakemake.output[0])
