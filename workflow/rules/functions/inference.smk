# Constants, input functions and per-job parameters of the rules in inference.smk.

from mrlens.inference.claims import (
    claim_settings,
    needed_pairs,
    parse_claims,
    reference_pairs,
)

VARIANT_DIMS = canonical({name: v["dims"] for name, v in VARIANTS.items()})
CLAIMS = canonical(claim_settings(config["findings"]))
_references = reference_pairs(VARIANT_DIMS, config["findings"]["reference"])
REFERENCE_PAIRS = [list(p) for p in _references]  # (MRL twin, its reference)
TWIN_PAIRS = [
    list(p) for p in needed_pairs(parse_claims(CLAIMS), VARIANT_DIMS, _references)
]


def replicate_tables():
    """The replicate values behind the intervals of every trained twin (the base is no twin; MTEB
    tasks have none): geometry per corpus, quality per task."""
    return {
        "geometry_replicates": [
            results(f"metrics/{m}/{c}/{k}.replicates.parquet")
            for m, c, k in embedded_units()
            if m != BASE_MODEL_ID
        ],
        "quality_replicates": [
            results(f"quality/{m}/{c}/{t}.replicates.parquet")
            for m, c, t in quality_units()
            if m != BASE_MODEL_ID and t not in MTEB_TASKS
        ],
    }
