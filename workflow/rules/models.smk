# The base checkpoint and the external models (models:), resolved once, and the twins trained from the base.


include: "functions/models.smk"


rule resolve_base:
    output:
        model=directory(BASE_MODEL),
        info=BASE_INFO,
    log:
        logs("resolve_base.log"),
    benchmark:
        benchmarks("resolve_base.tsv")
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


use rule resolve_base as resolve_model with:
    output:
        model=directory(model_dir("{external}")),
        info=results("models/{external}/source.json"),
    log:
        logs("resolve_model/{external}.log"),
    benchmark:
        benchmarks("resolve_model/{external}.tsv")
    params:
        source=external_setting("source"),
        revision=external_setting("revision"),
        pooling=external_setting("pooling"),
        key=external_key,
        trust_remote_code=external_setting("trust_remote_code"),
        code_revision=external_setting("code_revision"),


rule train:
    input:
        base=BASE_MODEL,
        pairs=results(f"data/pairs/{TRAINED_PAIRS}/train.parquet"),
        # the log follows every size's loss on train.heldout_pairs of these (settings.heldout_*)
        heldout=results(f"data/pairs/{TRAINED_PAIRS}/heldout.parquet"),
    output:
        model=directory(results(f"models/{TWIN}/final")),
        log_table=ensure(results(f"models/{TWIN}/train_log.parquet"), non_empty=True),
    log:
        logs(f"train/{TWIN}.log"),
    benchmark:
        benchmarks(f"train/{TWIN}.tsv")
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
        dedicated=variant_dedicated,
        settings=train_settings,
        # Resumable states live outside the declared outputs: Snakemake removes the outputs of a
        # failed job, and a rerun after a kill must find them to resume.
        states=results(f"models/{TWIN}/states"),
    script:
        "../scripts/train.py"


rule checkpoint:
    input:
        base=BASE_MODEL,
        pairs=results(f"data/pairs/{TRAINED_PAIRS}/train.parquet"),
        trained=results(f"models/{TWIN}/train_log.parquet"),
    output:
        directory(results(f"models/{TWIN}/checkpoints/step-{{step}}")),
    log:
        logs(f"checkpoint/{TWIN}/step-{{step}}.log"),
    benchmark:
        benchmarks(f"checkpoint/{TWIN}/step-{{step}}.tsv")
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
        dedicated=variant_dedicated,
        settings=train_settings,
        states=results(f"models/{TWIN}/states"),
    script:
        "../scripts/checkpoint.py"


rule collect_training:
    input:
        [results(f"models/{m}/train_log.parquet") for m, _, _ in trained_models()],
    output:
        parquet=ensure(results("metrics/training.parquet"), non_empty=True),
        csv=results("metrics/training.csv"),
    log:
        logs("collect_training.log"),
    benchmark:
        benchmarks("collect_training.tsv")
    conda:
        CONDA_ENV
    params:
        labels=[{"model": m, "variant": v, "seed": s} for m, v, s in trained_models()],
    script:
        "../scripts/collect_tables.py"
