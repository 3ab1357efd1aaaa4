# Constants, input functions and per-job parameters of the rules in inference.smk.

from mrlens.inference.claims import (
    claim_settings,
    contrasts,
    needed_pairs,
    parse_claims,
    reference_pairs,
    twin_of_pairs,
)

VARIANT_DIMS = canonical({name: v["dims"] for name, v in VARIANTS.items()})
CLAIMS = Digest("claims", claim_settings(config["findings"]))
_references = reference_pairs(VARIANT_DIMS, config["findings"]["reference"], DEDICATED)
REFERENCE_PAIRS = [list(p) for p in _references]  # (MRL twin, its reference)
# The external models are a family of their own: each compared with its twin_of, roles among them only.
EXTERNAL_DIMS = canonical({name: m["dims"] for name, m in EXTERNAL.items()})
EXTERNAL_PAIRS = [list(p) for p in twin_of_pairs(EXTERNAL)]
_needed = needed_pairs(parse_claims(CLAIMS), VARIANT_DIMS, _references)
_needed += needed_pairs(parse_claims(CLAIMS), EXTERNAL_DIMS, twin_of_pairs(EXTERNAL))
TWIN_PAIRS = [list(p) for p in dict.fromkeys(_needed)]
# the largest size both models of a pair have, where it is below the largest of analysis.dims (external
# models of other widths): the size trend of that pair runs to it; only when there is one, so that a run
# without such pairs keeps the differences job's parameters
_largest = config["analysis"]["dims"][-1]
_pair_large = {
    "|".join(p): min(model_width(m) if m in EXTERNAL else _largest for m in p)
    for p in TWIN_PAIRS
}
PAIR_LARGE = (
    {"pair_large": _pair_large}
    if any(v != _largest for v in _pair_large.values())
    else {}
)
# the (size, precision) points of equal bytes the equal_bytes claims compare, for every model
CONTRASTS = canonical([[list(a), list(b)] for a, b in contrasts(parse_claims(CLAIMS))])
# the external pairs, labelled near-twin in the differences; only with external models, so that a run
# without them keeps the differences job's parameters
NEAR_TWINS = {"near_twins": EXTERNAL_PAIRS} if EXTERNAL_PAIRS else {}
# only with external models, so that a run without them keeps the findings job's parameters
EXTERNAL_FINDINGS = (
    {"external_variants": EXTERNAL_DIMS, "external_pairs": EXTERNAL_PAIRS}
    if EXTERNAL_PAIRS
    else {}
)


def replicate_tables():
    """The replicate values behind the intervals of every trained twin and external model (the base is
    no twin; MTEB tasks have none): geometry per corpus, quality per task."""
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
