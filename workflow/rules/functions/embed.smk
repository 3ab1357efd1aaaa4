# Constants, input functions and per-job parameters of the rules in embed.smk.


@per_job
def texts_file(wildcards):
    """The texts embedded under the name ``corpus``: a corpus, or the texts of an evaluation task."""
    if wildcards.corpus in TASKS:
        return results(f"data/tasks/{wildcards.corpus}/texts.parquet")
    return results(f"data/corpora/{wildcards.corpus}.parquet")


@per_job
def model_folder(wildcards):
    """The folder holding the weights of a (model, checkpoint)."""
    return model_dir(wildcards.model, wildcards.checkpoint)
