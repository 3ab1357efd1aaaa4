# The base checkpoint, resolved once, and the twins trained from it.


rule resolve_base:
    output:
        model=directory("results/models/base/final"),
        info="results/models/base/base.json",
    log:
        "results/logs/resolve_base.log",
    benchmark:
        "results/benchmarks/resolve_base.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(8000),
        runtime=by_attempt(30),
    params:
        source=config["base_model"]["source"],
        revision=config["base_model"]["revision"],
        pooling=config["base_model"]["pooling"],
    script:
        "../scripts/resolve_base.py"


rule train:
    input:
        base="results/models/base/final",
        pairs=f"results/data/pairs/{TRAIN['pairs']}/train.parquet",
        # the log follows every size's loss on train.heldout_pairs of these (settings.heldout_*)
        heldout=f"results/data/pairs/{TRAIN['pairs']}/heldout.parquet",
    output:
        model=directory("results/models/{variant}_s{seed}/final"),
        log_table=ensure(
            "results/models/{variant}_s{seed}/train_log.parquet", non_empty=True
        ),
    log:
        "results/logs/train/{variant}_s{seed}.log",
    benchmark:
        "results/benchmarks/train/{variant}_s{seed}.tsv"
    conda:
        CONDA_ENV
    threads: 8
    resources:
        gpu=1,
        mem_mb=by_attempt(16000),
        runtime=by_attempt(240),
    params:
        dims=variant_dims,
        weights=variant_weights,
        settings=train_settings,
        # Resumable states live outside the declared outputs: Snakemake removes the outputs of a
        # failed job, and a rerun after a kill must find them to resume.
        states="results/models/{variant}_s{seed}/states",
    script:
        "../scripts/train.py"


rule checkpoint:
    input:
        base="results/models/base/final",
        pairs=f"results/data/pairs/{TRAIN['pairs']}/train.parquet",
        trained="results/models/{variant}_s{seed}/train_log.parquet",
    output:
        directory("results/models/{variant}_s{seed}/checkpoints/step-{step}"),
    log:
        "results/logs/checkpoint/{variant}_s{seed}/step-{step}.log",
    benchmark:
        "results/benchmarks/checkpoint/{variant}_s{seed}/step-{step}.tsv"
    conda:
        CONDA_ENV
    threads: 8
    resources:
        gpu=1,
        mem_mb=by_attempt(16000),
        runtime=by_attempt(120),
    params:
        dims=variant_dims,
        weights=variant_weights,
        settings=train_settings,
        states="results/models/{variant}_s{seed}/states",
    script:
        "../scripts/checkpoint.py"


rule collect_training:
    input:
        [f"results/models/{m}/train_log.parquet" for m, _, _ in trained_models()],
    output:
        parquet=ensure("results/metrics/training.parquet", non_empty=True),
        csv="results/metrics/training.csv",
    log:
        "results/logs/collect_training.log",
    benchmark:
        "results/benchmarks/collect_training.tsv"
    conda:
        CONDA_ENV
    params:
        labels=[{"model": m, "variant": v, "seed": s} for m, v, s in trained_models()],
    script:
        "../scripts/collect_tables.py"
