# Prepare every configured source into Parquet: training pairs (with a held-out split) and corpora.


include: "functions/data.smk"


rule prepare_pairs:
    output:
        train=ensure(results("data/pairs/{pairs}/train.parquet"), non_empty=True),
        heldout=ensure(results("data/pairs/{pairs}/heldout.parquet"), non_empty=True),
    log:
        logs("prepare_pairs/{pairs}.log"),
    benchmark:
        benchmarks("prepare_pairs/{pairs}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(20),
    params:
        source=pair_source,
    script:
        "../scripts/prepare_pairs.py"


rule prepare_corpus:
    output:
        ensure(results("data/corpora/{corpus}.parquet"), non_empty=True),
    log:
        logs("prepare_corpus/{corpus}.log"),
    benchmark:
        benchmarks("prepare_corpus/{corpus}.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(20),
    params:
        source=corpus_source,
    script:
        "../scripts/prepare_corpus.py"
