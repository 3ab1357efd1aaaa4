# Constants, input functions and per-job parameters of the rules in diffing.smk.

from snakemake.logging import logger

DIFFING = config["diffing"]
PROBE_CORPUS = corpus_or_first(DIFFING["probe_corpus"])
DIFFING_TABLES = ["tensors", "layers", "spectra", "layernorm"]
# The external models diffed, grouped by the model each names as its base (models.NAME.base); one
# without a base is not diffed.
DIFF_GROUPS = {}
for _name, _model in EXTERNAL.items():
    if _model["base"] is not None:
        DIFF_GROUPS.setdefault(_model["base"], []).append(_name)
# Folders of weight diffs: one per seed of the twins, one per base of external models.
WEIGHT_DIFF_GROUPS = [f"s{s}" for s in SEEDS if VARIANTS]
WEIGHT_DIFF_GROUPS += [f"from-{b}" for b in sorted(DIFF_GROUPS)]
# Models whose layers are compared (CKA): the base, the twins, and the external models with a base or
# that are one. Dedicated models are left out: their extra head has no counterpart in the twins, and
# their embeddings have no size above their own.
DIFFED_MODELS = [
    m
    for m in MODELS
    if (m not in EXTERNAL or EXTERNAL[m]["base"] or m in DIFF_GROUPS)
    and VARIANT_OF.get(m, (None,))[0] not in DEDICATED
]
# the sizes every compared model has (external models may be narrower than analysis.dims)
DIFFED_DIMS = model_sizes(
    config["analysis"]["dims"], min(model_width(m) for m in DIFFED_MODELS)
)
for _name in EXTERNAL:
    if DIFFING["enabled"] and _name in PRECOMPUTED:
        logger.info(
            f"mrlens: models.{_name} is precomputed (no weights): left out of model diffing"
        )
    elif DIFFING["enabled"] and _name not in DIFFED_MODELS:
        logger.info(f"mrlens: models.{_name} names no base: left out of model diffing")
for _name in DEDICATED:
    if DIFFING["enabled"]:
        logger.info(
            f"mrlens: train.variants.{_name} is dedicated: left out of model diffing"
        )


wildcard_constraints:
    diff_table=_one_of(DIFFING_TABLES),
    diff_base=_one_of(DIFF_GROUPS),


def diffing_variant_order():
    """Variants with the no-MRL ones first, so that each MRL twin is compared against them."""
    others = [v for v in VARIANTS if v not in NO_MRL_VARIANTS and v not in DEDICATED]
    return NO_MRL_VARIANTS + others


@per_job
def seed_number(wildcards):
    return int(wildcards.seed)


@per_job
def seed_models(wildcards):
    """Ids of the trained twins of one seed."""
    return [trained_model_id(v, int(wildcards.seed)) for v in diffing_variant_order()]


@per_job
def seed_model_folders(wildcards):
    return [model_dir(m) for m in seed_models(wildcards)]


@per_job
def seed_pairs(wildcards):
    """Every pair of twins of one seed as [model, reference]: later variants against earlier ones
    (MRL against no-MRL)."""
    models = seed_models(wildcards)
    return [[a, b] for i, b in enumerate(models) for a in models[i + 1 :]]


def diffing_variants():
    return canonical({m: v for m, v, _ in trained_models() if v not in DEDICATED})


@per_job
def external_group(wildcards):
    """The external models fine-tuned from one base, the standard ones first (each MRL model is
    compared with them)."""
    group = DIFF_GROUPS[wildcards.diff_base]
    return sorted(group, key=lambda m: (len(EXTERNAL[m]["dims"]) > 1, group.index(m)))


@per_job
def external_group_folders(wildcards):
    return [model_dir(m) for m in external_group(wildcards)]


@per_job
def external_group_pairs(wildcards):
    """Every pair of the group as [model, reference], later against earlier (MRL against standard)."""
    models = external_group(wildcards)
    return [[a, b] for i, b in enumerate(models) for a in models[i + 1 :]]


@per_job
def external_group_variants(wildcards):
    """Each model its own variant; the rows of the group's base under its own name."""
    models = external_group(wildcards)
    return canonical({m: m for m in models} | {BASE_MODEL_ID: wildcards.diff_base})


def diffing_labels():
    """model id -> the columns that identify its rows (model, variant, seed)."""
    labels = {
        m: {
            "model": m,
            "variant": variant_and_seed(m)[0],
            "seed": variant_and_seed(m)[1],
        }
        for m in DIFFED_MODELS
    }
    return canonical(labels)


def diffing_targets():
    """Tables and figures of the diffing stage, or nothing when diffing.enabled is false."""
    if not DIFFING["enabled"]:
        return []
    cka = [results("diffing/cka_layers.csv"), results("diffing/cka_truncation.csv")]
    if not WEIGHT_DIFF_GROUPS:  # nothing fine-tuned from a base we have
        return cka
    figures = [
        "diffing_weights",
        "diffing_task_cosine",
        "diffing_cka",
        "diffing_truncation",
    ]
    return [
        *figure_targets(figures),
        *expand(results("diffing/weights_{table}.csv"), table=DIFFING_TABLES),
        *cka,
    ]
