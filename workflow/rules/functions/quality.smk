# Constants, input functions and per-job parameters of the rules in quality.smk.


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
        return {"heldout": results(f"data/pairs/{task['pairs']}/heldout.parquet")}
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
