"""Weight deltas of the twins of one seed (or of the external models fine-tuned from one base): each
against the base, each pair against each other. A model whose weights do not match the base's
(another architecture) is left out, with a note in the log."""

from mrlens.diffing import comparable_models, diff_weights
from mrlens.ids import BASE_MODEL_ID
from mrlens.io import write_table
from mrlens.models import use_threads
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
use_threads(snakemake.threads)
params = snakemake.params
folders, notes = comparable_models(snakemake.input.base, dict(zip(params.models, snakemake.input.models, strict=True)))
for note in notes:
    log.info(note)
pairs = [tuple(pair) for pair in params.pairs if set(pair) <= set(folders)]
log.info("base %s; models %s; pairs %s", snakemake.input.base, folders, pairs)
diff = diff_weights(
    snakemake.input.base,
    folders,
    pairs=pairs,
    top_singular=params.top_singular,
    layernorm_k=params.layernorm_k,
)
variant_of = {BASE_MODEL_ID: BASE_MODEL_ID, **params.variants}
for name in ("tensors", "layers", "spectra", "layernorm"):
    table = getattr(diff, name)
    labels = {"seed": params.seed, "variant": table["model"].map(variant_of)}  # external models: no seed
    if "reference" in table:
        labels["reference_variant"] = table["reference"].map(variant_of)
    table = table.assign(**labels).astype({"seed": "Int64"})
    table = table[[*labels, *[c for c in table.columns if c not in labels]]]
    write_table(table, snakemake.output[name])
