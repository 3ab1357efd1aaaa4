"""Linear CKA per layer between every pair of models (those with the base's number of layers), and
between each model's truncated and full embedding at every size."""

import numpy as np
import pandas as pd

from mrlens.diffing import layer_cka, load_states, truncation_cka
from mrlens.errors import DataError
from mrlens.io import read_embeddings, write_table
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
hidden, probe_ids = {}, None
for model, path in zip(params.models, snakemake.input.states, strict=True):
    states, ids = load_states(path)
    if probe_ids is not None and not np.array_equal(ids, probe_ids):
        raise DataError(f"{path}: probe documents differ from those of {params.models[0]}")
    hidden[model], probe_ids = states, ids
layer_count = len(hidden[params.models[0]])  # the base's
for model in [m for m, states in hidden.items() if len(states) != layer_count]:
    log.info("%s: left out of layer CKA, %d layers where the base has %d", model, len(hidden.pop(model)), layer_count)
layers = layer_cka(hidden)
write_table(layers, snakemake.output.layers, snakemake.output.layers_csv)

frames = []
for model, path in zip(params.models, snakemake.input.embeddings, strict=True):
    _, vectors, _ = read_embeddings(path)
    frames.append(truncation_cka(vectors, params.dims).assign(**params.labels[model]))
truncation = pd.concat(frames, ignore_index=True).astype({"seed": "Int64"})
truncation = truncation[[*params.labels[params.models[0]], "dim", "cka", "n"]]
log.info("layer CKA over %d documents, truncation CKA over %d", layers["n"].iloc[0], truncation["n"].iloc[0])
write_table(truncation, snakemake.output.truncation, snakemake.output.truncation_csv)
