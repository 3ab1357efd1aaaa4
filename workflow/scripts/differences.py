"""Paired differences of twins for every metric, size, strategy, corpus or task and checkpoint, per seed
and pooled over seeds, with the size trend from the largest to the smallest size."""

import pandas as pd

from mrlens.inference.differences import twin_differences
from mrlens.io import write_table
from mrlens.near_twins import with_pairing
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params


def read(paths):
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True) if paths else pd.DataFrame()


families = [
    (read([snakemake.input.geometry]), read(snakemake.input.geometry_replicates), params.geometry_confidence),
    (read(snakemake.input.quality), read(snakemake.input.quality_replicates), params.quality_confidence),
]
log.info("pairs %s; %d geometry and %d quality rows", params.pairs, len(families[0][0]), len(families[1][0]))
contrasts = [(tuple(a), tuple(b)) for a, b in params.contrasts]  # equal-bytes points of the claims
pairs = [tuple(p) for p in params.pairs]
# the size trend of each pair runs to the largest size both have (pair_large: models of other widths)
by_large = {}
for pair in pairs:
    by_large.setdefault(getattr(params, "pair_large", {}).get("|".join(pair), params.large), []).append(pair)
tables = [  # the contrasts, of every model whatever its pair, once
    twin_differences(families, group, params.small, large, params.pooled, contrasts if i == 0 else ())
    for i, (large, group) in enumerate(by_large.items())
]
table = with_pairing(pd.concat(tables, ignore_index=True), getattr(params, "near_twins", []))
write_table(table, snakemake.output.parquet, snakemake.output.csv)
