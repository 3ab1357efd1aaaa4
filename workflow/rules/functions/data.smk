# Constants, input functions and per-job parameters of the rules in data.smk.


@per_job
def pair_source(wildcards):
    return canonical(config["data"]["pairs"][wildcards.pairs])


@per_job
def corpus_source(wildcards):
    return canonical(config["data"]["corpora"][wildcards.corpus])
