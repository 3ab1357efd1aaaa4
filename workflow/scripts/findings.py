"""The findings report: every configured claim judged, size by size, on the paired twin differences."""

import pandas as pd

from mrlens.inference.claims import parse_claims
from mrlens.inference.findings import family_verdicts, main_metrics, render_markdown
from mrlens.io import atomic_path
from mrlens.near_twins import near_twin_note, with_pairing
from mrlens.workflow_support import log_to_rule_log

log = log_to_rule_log(snakemake)
params = snakemake.params
differences = pd.read_parquet(snakemake.input[0])
claims = parse_claims(params.claims)
families = [(params.variants, params.pairs)]  # the trained twins, then the external models (models:)
families += [(params.external_variants, params.external_pairs)] if hasattr(params, "external_pairs") else []
families = [(variants, [tuple(p) for p in pairs]) for variants, pairs in families]
judged = family_verdicts(claims, differences, families, main_metrics(differences), params.confidence)
log.info("%d verdicts: %s", len(judged), judged["verdict"].value_counts().to_dict())
log.info("after Holm's adjustment: %s", judged["holm_verdict"].value_counts().to_dict())
near_twins = [tuple(p) for p in getattr(params, "external_pairs", [])]  # models: and their twin_of
judged = with_pairing(judged, near_twins)
with atomic_path(snakemake.output.csv) as tmp:
    judged.to_csv(tmp, index=False)
with atomic_path(snakemake.output.markdown) as tmp:
    report = render_markdown(judged, claims, params.confidence, params.sizes) + near_twin_note(near_twins)
    tmp.write_text(report, encoding="utf-8")
