# Shared by every rule: the validated config, wildcard constraints, where files live, and the units
# (models, checkpoints, corpora, tasks) the rules are run for. Each stage's own input functions and
# per-job parameters are in its rule file.

import inspect
import re
import sys
from pathlib import Path

from snakemake.common import overwrite_function_params
from snakemake.io import report as report_item

from mrlens.canonical import Digest, canonical
from mrlens.config import load_schema, model_ids, model_sizes, validate_config
from mrlens.config_files import workflow_config
from mrlens.ids import BASE_MODEL_ID, parse_model_id, trained_model_id
from mrlens.kinds import TASK_KINDS
from mrlens.metrics.registry import INTERVAL_METHODS
from mrlens.workflow_support import check_writable

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
# --configfile replaces config/config.yaml, unless the file says `extends: config/config.yaml`
# (mrlens.config_files); a replacement that leaves out keys the default sets is announced
_merged, _extended, _notice = workflow_config(
    config, workflow.basedir, workflow.overwrite_configfiles, load_schema(SCHEMA)
)
if _notice and workflow.is_main_process:
    print(_notice, file=sys.stderr)
_validated = validate_config(_merged, SCHEMA, [*workflow.configfiles, *_extended])
config.clear()
config.update(_validated)

# each metric's interval method, a param of the rules that measure: a method changed in
# the metric registry (mrlens.metrics.registry) reruns them and what follows, as a changed setting would
INTERVALS = Digest("interval methods", INTERVAL_METHODS)
TRAIN = config["train"] or {}  # empty: analysis only (models:), nothing trained
VARIANTS = TRAIN.get("variants", {})
SEEDS = TRAIN.get("seeds", [])
EXTERNAL = config["models"]  # checkpoints analysed beside the twins, not trained here
# embeddings made elsewhere (models.NAME.kind: precomputed): imported, never embedded or diffed here
PRECOMPUTED = [name for name, m in EXTERNAL.items() if m["kind"] == "precomputed"]
CHECKPOINTS = [name for name in EXTERNAL if name not in PRECOMPUTED]
MODELS = model_ids(config)
CORPORA = list(config["data"]["corpora"])


def corpus_or_first(name):
    """A corpus named in the config, or (null) the first of data.corpora by name, not by the order written."""
    return name or min(CORPORA)


TASKS = config["quality"]["tasks"]
MTEB_TASKS = [n for n, t in TASKS.items() if not TASK_KINDS[t["kind"]].embedded]
EMBEDDED_TASKS = [name for name in TASKS if name not in MTEB_TASKS]
# variant -> size of the models trained for one size alone (train.variants.NAME.dedicated)
DEDICATED = {name: v["dedicated"] for name, v in VARIANTS.items() if v.get("dedicated")}
NO_MRL_VARIANTS = [
    name
    for name, v in VARIANTS.items()
    if len(v["dims"]) == 1 and name not in DEDICATED
]
# the standard (no-MRL) models among the external ones: drawn with their other strategies too
STANDARD_EXTERNAL = [name for name, m in EXTERNAL.items() if len(m["dims"]) <= 1]
CONDA_ENV = "../../envs/mrlens.yaml"


def _one_of(names):
    """A wildcard pattern matching exactly these names (nothing, when there are none)."""
    return "|".join(re.escape(n) for n in names) if names else "$^"


wildcard_constraints:
    variant=_one_of(VARIANTS),
    seed=r"\d+",
    model=_one_of(MODELS),
    external=_one_of(CHECKPOINTS),
    checkpoint=r"final|step-\d+",
    step=r"\d+",
    corpus=_one_of([*CORPORA, *EMBEDDED_TASKS]),
    pairs=_one_of(config["data"]["pairs"]),


# ---- where files live --------------------------------------------------------

RESULTS = "results"


def results(path):
    """A file or folder under the results folder."""
    return f"{RESULTS}/{path}"


def logs(path):
    return results(f"logs/{path}")


def benchmarks(path):
    return results(f"benchmarks/{path}")


def model_dir(model, checkpoint="final"):
    """The folder holding the weights of a model at a checkpoint (``final`` or ``step-N``)."""
    if checkpoint == "final":
        return results(f"models/{model}/final")
    return results(f"models/{model}/checkpoints/{checkpoint}")


BASE_MODEL = model_dir(BASE_MODEL_ID)
BASE_INFO = results(f"models/{BASE_MODEL_ID}/base.json")
# One clear line, before Snakemake trips over a file in its place (creates nothing).
check_writable(RESULTS)


# ---- functions Snakemake calls per job ------------------------------------------


def per_job(func):
    """Mark a function that Snakemake calls for every job (input, params, resources): its
    parameters are worked out once here, so Snakemake need not run ``inspect.signature`` on it at
    each of a sweep's thousands of calls.
    """
    # A private Snakemake function (snakemake.common): in the 2,492-job sweep's dry run it spared
    # 11,000 of 33,000 signature calls (median 11.8 s against 12.8 s, benchmarks/sweep_dry_run.py).
    # tests/test_workflow.py imports its attribute name, so a Snakemake that drops it fails there.
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
    """Checkpoint names embedded for a model: always final, and each saved step of a trained twin if
    asked."""
    if model not in VARIANT_OF or config["embed"]["checkpoints"] == "final":
        return ["final"]
    return ["final"] + [f"step-{s}" for s in TRAIN["checkpoint_steps"]]


def embedded_units():
    """Every (model, checkpoint, corpus) that is embedded and measured."""
    return [(m, c, k) for m in MODELS for c in checkpoints_of(m) for k in CORPORA]


def metric_tables(suffix):
    """Per-job tables of every embedded unit, e.g. suffix "parquet" or "profiles.parquet"."""
    return [results(f"metrics/{m}/{c}/{k}.{suffix}") for m, c, k in embedded_units()]


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
    return [results(f"quality/{m}/{c}/{t}.parquet") for m, c, t in quality_units()]


def figure_targets(names):
    """The files of these figures, in every configured format."""
    return expand(
        results("figures/{name}.{ext}"), name=names, ext=config["figures"]["formats"]
    )


def figure_files(name, caption):
    """A figure in every configured format; the PNG flagged for the Snakemake report (the other
    formats stay beside it on disk, so the report holds no duplicates)."""
    labels = {"figure": name, "model": "all", "variant": "all", "size": "all"}
    files = []
    for ext in config["figures"]["formats"]:
        path = results(f"figures/{name}.{ext}")
        if ext == "png":
            path = report_item(path, caption=caption, category="Figures", labels=labels)
        files.append(path)
    return files


def trained_models():
    """(model id, variant, seed) of every trained twin."""
    return [(trained_model_id(v, s), v, s) for v in VARIANTS for s in SEEDS]


# trained model id -> (variant, seed)
VARIANT_OF = {m: (v, s) for m, v, s in trained_models()}


def variant_and_seed(model):
    """(variant, seed) of a model: an external model is its own variant, without a seed."""
    return (model, None) if model in EXTERNAL else parse_model_id(model)


def model_width(model):
    """The largest size a model is measured at: a dedicated model's own size, an external model's or
    the base's embedding size (models.NAME.dim, base_model.dim), else the largest of analysis.dims.
    """
    dims = config["analysis"]["dims"]
    if model in EXTERNAL:
        return EXTERNAL[model]["dim"] or dims[-1]
    if model == BASE_MODEL_ID:
        return config["base_model"]["dim"] or dims[-1]
    return DEDICATED.get(variant_and_seed(model)[0], dims[-1])


@per_job
def model_dims(wildcards):
    """The sizes of analysis.dims a model is measured at: those up to its width (model_width)."""
    return model_sizes(config["analysis"]["dims"], model_width(wildcards.model))


@per_job
def model_columns(wildcards):
    """Columns that identify a (model, checkpoint): model, variant, seed, checkpoint."""
    variant, seed = variant_and_seed(wildcards.model)
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
