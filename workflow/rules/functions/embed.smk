# Constants, input functions and per-job parameters of the rules in embed.smk.


@per_job
def texts_file(wildcards):
    """The texts embedded under the name ``corpus``: a corpus, or the texts of an evaluation task."""
    if wildcards.corpus in TASKS:
        return results(f"data/tasks/{wildcards.corpus}/texts.parquet")
    return results(f"data/corpora/{wildcards.corpus}.parquet")


# the models embedded here: all but the precomputed ones
EMBEDDED_MODELS = [m for m in MODELS if m not in PRECOMPUTED]


@per_job
def precomputed_file(wildcards):
    """The file of embeddings made elsewhere for a text set (models.NAME.embeddings)."""
    return EXTERNAL[wildcards.model]["embeddings"][wildcards.corpus]


@per_job
def model_folder(wildcards):
    """The folder holding the weights of a (model, checkpoint)."""
    return model_dir(wildcards.model, wildcards.checkpoint)


@per_job
def token_file(wildcards):
    """The token ids of a corpus made with the model's tokenizer: the base's (every twin's), or an
    external model's own."""
    if wildcards.model in EXTERNAL:
        return results(f"tokens/{wildcards.model}/{wildcards.corpus}.parquet")
    return results(f"tokens/{wildcards.corpus}.parquet")


@per_job
def source_info(wildcards):
    """Where the model's weights came from: the base checkpoint's record (a twin starts from it), or
    an external model's own."""
    if wildcards.model in EXTERNAL:
        return results(f"models/{wildcards.model}/source.json")
    return BASE_INFO
