"""Weight deltas of the twins of one seed: each against the base, each pair against each other."""

from mrlens.diffing import diff_weights
from mrlens.io import write_table
from mrlens.models import use_threads
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
params = snakemake.params
folders = dict(zip(params.models, snakemake.input.models, strict=True))
log.info("base %s; models %s; pairs %s", snakemake.input.base, folders, params.pairs)
diff = diff_weights(
    snakemake.input.base,
    folders,
    pairs=[tuple(pair) for pair in params.pairs],
    top_singular=params.top_singular,
    layernorm_k=params.layernorm_k,
)
variant_of = {"base": "base", **params.variants}
for name in ("tensors", "layers", "spectra", "layernorm"):
    table = getattr(diff, name)
    labels = {"seed": int(params.seed), "variant": table["model"].map(variant_of)}
    if "reference" in table:
        labels["reference_variant"] = table["reference"].map(variant_of)
    table = table.assign(**labels)
    table = table[[*labels, *[c for c in table.columns if c not in labels]]]
    write_table(table, snakemake.output[name])
