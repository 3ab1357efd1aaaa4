# Shared by every rule: the validated config, wildcard constraints and input functions.

import inspect
import re
from pathlib import Path

from snakemake.common import overwrite_function_params
from snakemake.io import report as report_item

from mrlens.canonical import canonical
from mrlens.config import BASE_MODEL_ID, model_ids, trained_model_id, validate_config
from mrlens.inference.claims import (
    claim_settings,
    needed_pairs,
    parse_claims,
    reference_pairs,
)
from mrlens.workflow_support import check_writable

_validated = validate_config(
    config,
    Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml",
    workflow.configfiles,
)
config.clear()
config.update(_validated)
check_writable("results")

TRAIN = config["train"]
VARIANTS = TRAIN["variants"]
MODELS = model_ids(config)
CORPORA = list(config["data"]["corpora"])
TASKS = config["quality"]["tasks"]
MTEB_TASKS = [name for name, task in TASKS.items() if task["kind"] == "mteb"]
EMBEDDED_TASKS = [name for name in TASKS if name not in MTEB_TASKS]
SUITE_SETTINGS = canonical({k: v for k, v in config["analysis"].items() if k != "dims"})
NO_MRL_VARIANTS = [name for name, v in VARIANTS.items() if len(v["dims"]) == 1]
CONDA_ENV = "../../envs/mrlens.yaml"
VARIANT_DIMS = canonical({name: v["dims"] for name, v in VARIANTS.items()})
CLAIMS = canonical(claim_settings(config["findings"]))
_references = reference_pairs(VARIANT_DIMS, config["findings"]["reference"])
REFERENCE_PAIRS = [list(p) for p in _references]  # (MRL twin, its reference)
TWIN_PAIRS = [
    list(p) for p in needed_pairs(parse_claims(CLAIMS), VARIANT_DIMS, _references)
]


def _one_of(names):
    """A wildcard pattern matching exactly these names (nothing, when there are none)."""
    return "|".join(re.escape(n) for n in names) if names else "$^"


wildcard_constraints:
    variant=_one_of(VARIANTS),
    seed=r"\d+",
    model=_one_of(MODELS),
    checkpoint=r"final|step-\d+",
    step=r"\d+",
    corpus=_one_of([*CORPORA, *EMBEDDED_TASKS]),
    pairs=_one_of(config["data"]["pairs"]),


def per_job(func):
    """Mark a function that Snakemake calls for every job (input, params, resources): its
    parameters are worked out once here, so Snakemake need not run ``inspect.signature`` on it at
    each of a sweep's thousands of calls.
    """
    overwrite_function_params(func, inspect.signature(func).parameters)
    return func


def by_attempt(base):
    """A resource that grows with the attempt: a job retried after running out of memory or
    time (SLURM) gets twice, three times... as much."""

    @per_job
    def scaled(wildcards, attempt):
        return base * attempt

    return scaled


def checkpoints_of(model):
    """Checkpoint names embedded for a model: always final, and each saved step if asked."""
    if model == BASE_MODEL_ID or config["embed"]["checkpoints"] == "final":
        return ["final"]
    return ["final"] + [f"step-{s}" for s in TRAIN["checkpoint_steps"]]


def embedded_units():
    """Every (model, checkpoint, corpus) that is embedded and measured."""
    return [(m, c, k) for m in MODELS for c in checkpoints_of(m) for k in CORPORA]


def metric_tables(suffix):
    """Per-job tables of every embedded unit, e.g. suffix "parquet" or "profiles.parquet"."""
    return [f"results/metrics/{m}/{c}/{k}.{suffix}" for m, c, k in embedded_units()]


def quality_units():
    """Every (model, checkpoint, task) that is evaluated."""
    every = config["quality"]["checkpoints"] == "all"
    return [
        (m, c, t)
        for m in MODELS
        for t in TASKS
        for c in (checkpoints_of(m) if every and t not in MTEB_TASKS else ["final"])
    ]


def quality_tables():
    """Per-job quality tables: every model and checkpoint on every task."""
    return [f"results/quality/{m}/{c}/{t}.parquet" for m, c, t in quality_units()]


def replicate_tables():
    """The replicate values behind the intervals of every trained twin (the base is no twin; MTEB
    tasks have none): geometry per corpus, quality per task."""
    return {
        "geometry_replicates": [
            f"results/metrics/{m}/{c}/{k}.replicates.parquet"
            for m, c, k in embedded_units()
            if m != BASE_MODEL_ID
        ],
        "quality_replicates": [
            f"results/quality/{m}/{c}/{t}.replicates.parquet"
            for m, c, t in quality_units()
            if m != BASE_MODEL_ID and t not in MTEB_TASKS
        ],
    }


def final_targets():
    figures = ["geometry", "collapse", "outliers", "training_loss", "training_norms"]
    figures += [f"suite_{c}" for c in CORPORA]
    if config["embed"]["checkpoints"] == "all" and TRAIN["checkpoint_steps"]:
        figures.append("checkpoints")
    tables = ["geometry", "training", "cost"]
    figures.append("cost")
    if TASKS:
        figures.append("quality")
        tables.append("quality")
    if TWIN_PAIRS:
        tables.append("differences")
    return [
        *expand(
            "results/figures/{name}.{ext}",
            name=figures,
            ext=config["figures"]["formats"],
        ),
        *expand("results/metrics/{table}.csv", table=tables),
        *(["results/findings.md"] if "differences" in tables else []),
        "results/provenance.json",
        *diffing_targets(),
    ]


def figure_files(name, caption):
    """A figure in every configured format, each flagged for the Snakemake report."""
    return [
        report_item(
            f"results/figures/{name}.{ext}",
            caption=caption,
            category="Figures",
            labels={
                "figure": name,
                "model": "all",
                "variant": "all",
                "size": "all",
                "format": ext,
            },
        )
        for ext in config["figures"]["formats"]
    ]


# ---- input functions and per-job parameters ----------------------------------


def trained_models():
    """(model id, variant, seed) of every trained twin."""
    return [(trained_model_id(v, s), v, s) for v in VARIANTS for s in TRAIN["seeds"]]


@per_job
def pair_source(wildcards):
    return canonical(config["data"]["pairs"][wildcards.pairs])


@per_job
def corpus_source(wildcards):
    return canonical(config["data"]["corpora"][wildcards.corpus])


@per_job
def task_source(wildcards):
    return canonical(TASKS[wildcards.task])


@per_job
def mteb_task_name(wildcards):
    return TASKS[wildcards.task]["name"]


@per_job
def task_inputs(wildcards):
    """A held-out retrieval task is built from the held-out split of its pairs source."""
    task = TASKS[wildcards.task]
    if task["kind"] == "heldout_retrieval":
        return {"heldout": f"results/data/pairs/{task['pairs']}/heldout.parquet"}
    return {}


@per_job
def quality_settings(wildcards):
    """Quality settings (not the task list, so editing one task reruns only its jobs) and the
    truncation strategies shared with the geometry suite."""
    analysis = config["analysis"]
    skip = {"tasks", "checkpoints"}
    return canonical(
        {k: v for k, v in config["quality"].items() if k not in skip}
        | {
            "strategies": analysis["strategies"],
            "random_orderings": analysis["random_orderings"],
        }
    )


@per_job
def texts_file(wildcards):
    """The texts embedded under the name ``corpus``: a corpus, or the texts of an evaluation task."""
    if wildcards.corpus in TASKS:
        return f"results/data/tasks/{wildcards.corpus}/texts.parquet"
    return f"results/data/corpora/{wildcards.corpus}.parquet"


@per_job
def variant_dims(wildcards):
    return VARIANTS[wildcards.variant]["dims"]


@per_job
def variant_weights(wildcards):
    return VARIANTS[wildcards.variant]["weights"]


@per_job
def train_settings(wildcards):
    """Hyper-parameters shared by every variant; the seed comes from the wildcard."""
    skip = {"variants", "seeds", "pairs", "checkpoint_steps"}
    return canonical(
        {k: v for k, v in TRAIN.items() if k not in skip}
        | {"seed": int(wildcards.seed)}
    )


@per_job
def model_folder(wildcards):
    """The folder holding the weights of a (model, checkpoint)."""
    if wildcards.checkpoint == "final":
        return f"results/models/{wildcards.model}/final"
    return f"results/models/{wildcards.model}/checkpoints/{wildcards.checkpoint}"


@per_job
def model_columns(wildcards):
    """Columns that identify a (model, checkpoint): model, variant, seed, checkpoint."""
    if wildcards.model == BASE_MODEL_ID:
        variant, seed = BASE_MODEL_ID, None
    else:
        variant, _, seed = wildcards.model.rpartition("_s")
        seed = int(seed)
    return {
        "model": wildcards.model,
        "variant": variant,
        "seed": seed,
        "checkpoint": wildcards.checkpoint,
    }


@per_job
def model_labels(wildcards):
    """Columns that identify a row of the metric tables: model, variant, seed, checkpoint, corpus."""
    return model_columns(wildcards) | {"corpus": wildcards.corpus}


@per_job
def quality_labels(wildcards):
    """Columns that identify a row of the quality table: model, variant, seed, checkpoint, task."""
    return model_columns(wildcards) | {"task": wildcards.task}


# ---- model diffing ----------------------------------------------------------------

DIFFING = config["diffing"]
PROBE_CORPUS = DIFFING["probe_corpus"] or min(CORPORA)
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
    return [f"results/models/{m}/final" for m in seed_models(wildcards)]


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
            "results/figures/{name}.{ext}",
            name=figures,
            ext=config["figures"]["formats"],
        ),
        *expand("results/diffing/weights_{table}.csv", table=DIFFING_TABLES),
        "results/diffing/cka_layers.csv",
        "results/diffing/cka_truncation.csv",
    ]
