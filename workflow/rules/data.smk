# Prepare every configured source into Parquet: training pairs (with a held-out split) and corpora.


rule prepare_pairs:
    output:
        train=ensure("results/data/pairs/{pairs}/train.parquet", non_empty=True),
        heldout="results/data/pairs/{pairs}/heldout.parquet",
    params:
        source=pair_source,
    log:
        "results/logs/prepare_pairs/{pairs}.log",
    benchmark:
        "results/benchmarks/prepare_pairs/{pairs}.tsv"
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        CONDA_ENV
    script:
        "../scripts/prepare_pairs.py"


rule prepare_corpus:
    output:
        ensure("results/data/corpora/{corpus}.parquet", non_empty=True),
    params:
        source=corpus_source,
    log:
        "results/logs/prepare_corpus/{corpus}.log",
    benchmark:
        "results/benchmarks/prepare_corpus/{corpus}.tsv"
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        CONDA_ENV
    script:
        "../scripts/prepare_corpus.py"
