# Constants, input functions and per-job parameters of the rules in quality.smk.

PCA_CORPUS = corpus_or_first(config["quality"]["pca_corpus"])
FITS_PCA = "pca" in config["analysis"]["strategies"]
FITS_PCA = FITS_PCA and config["analysis"]["pca_fit"] == "heldout"
CALIBRATION_CORPUS = corpus_or_first(config["quality"]["calibration_corpus"])
CALIBRATES_INT8 = "int8" in config["quality"]["precisions"]


@per_job
def task_source(wildcards):
    return canonical(TASKS[wildcards.task])


@per_job
def task_unit(wildcards):
    """What the task's intervals resample: its kind's unit (mrlens.kinds.UNITS)."""
    return TASK_KINDS[TASKS[wildcards.task]["kind"]].unit


@per_job
def mteb_task_name(wildcards):
    return TASKS[wildcards.task]["name"]


@per_job
def task_inputs(wildcards):
    """A held-out retrieval task is built from the held-out split of its pairs source."""
    task = TASKS[wildcards.task]
    if task["kind"] == "heldout_retrieval":
        return {"heldout": results(f"data/pairs/{task['pairs']}/heldout.parquet")}
    return {}


@per_job
def pca_fit_embeddings(wildcards):
    """The embeddings a task's PCA basis is fitted on: the same model's of the PCA corpus."""
    if not FITS_PCA:
        return {}
    path = f"embeddings/{wildcards.model}/{wildcards.checkpoint}/{PCA_CORPUS}.parquet"
    return {"fit": results(path)}


@per_job
def calibration_embeddings(wildcards):
    """The embeddings the int8 ranges are calibrated on: the same model's of the calibration corpus."""
    if not CALIBRATES_INT8:
        return {}
    path = f"embeddings/{wildcards.model}/{wildcards.checkpoint}/{CALIBRATION_CORPUS}.parquet"
    return {"calibration": results(path)}


@per_job
def quality_settings(wildcards):
    """Quality settings (not the task list, so editing one task reruns only its jobs) and the
    truncation strategies shared with the geometry suite."""
    analysis = config["analysis"]
    skip = {"tasks", "checkpoints", "pca_corpus", "calibration_corpus"}
    shared = ("strategies", "random_orderings", "pca_fit")
    return Digest(
        "quality settings",
        {k: v for k, v in config["quality"].items() if k not in skip}
        | {k: analysis[k] for k in shared},
    )
