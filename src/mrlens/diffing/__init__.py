"""Model diffing: how twins differ from their base and from each other, in weights and representations."""

from mrlens.diffing.cka import cka_pairs, layer_cka, linear_cka, truncation_cka
from mrlens.diffing.hidden import layer_states, load_states, mean_pool, probe_documents, save_states
from mrlens.diffing.weights import (
    WeightDiff,
    comparable_models,
    diff_weights,
    robust_z,
    singular_values,
    stable_rank,
)

__all__ = [
    "WeightDiff",
    "cka_pairs",
    "comparable_models",
    "diff_weights",
    "layer_cka",
    "layer_states",
    "linear_cka",
    "load_states",
    "mean_pool",
    "probe_documents",
    "robust_z",
    "save_states",
    "singular_values",
    "stable_rank",
    "truncation_cka",
]
