# Constants, input functions and per-job parameters of the rules in diffing.smk.

DIFFING = config["diffing"]
PROBE_CORPUS = DIFFING["probe_corpus"] or min(
    CORPORA
)  # by name, not by the order written
DIFFING_TABLES = ["tensors", "layers", "spectra", "layernorm"]


wildcard_constraints:
    diff_table=_one_of(DIFFING_TABLES),


def diffing_variant_order():
    """Variants with the no-MRL ones first, so that each MRL twin is compared against them."""
    return NO_MRL_VARIANTS + [v for v in VARIANTS if v not in NO_MRL_VARIANTS]


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
    return canonical({m: v for m, v, _ in trained_models()})


def diffing_labels():
    """model id -> the columns that identify its rows (model, variant, seed)."""
    labels = {
        BASE_MODEL_ID: {"model": BASE_MODEL_ID, "variant": BASE_MODEL_ID, "seed": None}
    }
    return canonical(
        labels
        | {m: {"model": m, "variant": v, "seed": s} for m, v, s in trained_models()}
    )


def diffing_targets():
    """Tables and figures of the diffing stage, or nothing when diffing.enabled is false."""
    if not DIFFING["enabled"]:
        return []
    figures = [
        "diffing_weights",
        "diffing_task_cosine",
        "diffing_cka",
        "diffing_truncation",
    ]
    return [
        *expand(
            results("figures/{name}.{ext}"),
            name=figures,
            ext=config["figures"]["formats"],
        ),
        *expand(results("diffing/weights_{table}.csv"), table=DIFFING_TABLES),
        results("diffing/cka_layers.csv"),
        results("diffing/cka_truncation.csv"),
    ]
