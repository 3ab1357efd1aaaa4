# Does MRL cost quality? Every model at every size on similarity and retrieval tasks, and the
# training cost of every variant.


include: "functions/quality.smk"


rule prepare_task:
    input:
        unpack(task_inputs),
    output:
        texts=ensure(results("data/tasks/{task}/texts.parquet"), non_empty=True),
        labels=ensure(results("data/tasks/{task}/labels.parquet"), non_empty=True),
    log:
        logs("prepare_task/{task}.log"),
    benchmark:
        benchmarks("prepare_task/{task}.tsv")
    wildcard_constraints:
        task=_one_of(EMBEDDED_TASKS),
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(20),
    params:
        source=task_source,
    script:
        "../scripts/prepare_task.py"


rule quality:
    input:
        unpack(pca_fit_embeddings),
        unpack(calibration_embeddings),
        texts=results("data/tasks/{task}/texts.parquet"),
        labels=results("data/tasks/{task}/labels.parquet"),
        embeddings=results("embeddings/{model}/{checkpoint}/{task}.parquet"),
    output:
        table=ensure(
            results("quality/{model}/{checkpoint}/{task}.parquet"), non_empty=True
        ),
        replicates=results("quality/{model}/{checkpoint}/{task}.replicates.parquet"),
    log:
        logs("quality/{model}/{checkpoint}/{task}.log"),
    benchmark:
        benchmarks("quality/{model}/{checkpoint}/{task}.tsv")
    wildcard_constraints:
        task=_one_of(EMBEDDED_TASKS),
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=by_attempt(8000),
        runtime=by_attempt(60),
    params:
        dims=model_dims,
        settings=quality_settings,
        intervals=INTERVALS,
        unit=task_unit,
        labels=quality_labels,
    script:
        "../scripts/quality.py"


rule mteb:
    input:
        model=model_dir("{model}"),
    output:
        ensure(results("quality/{model}/{checkpoint}/{task}.parquet"), non_empty=True),
    log:
        logs("mteb/{model}/{checkpoint}/{task}.log"),
    benchmark:
        benchmarks("mteb/{model}/{checkpoint}/{task}.tsv")
    wildcard_constraints:
        task=_one_of(MTEB_TASKS),
        checkpoint="final",
    conda:
        CONDA_ENV
    threads: 8
    resources:
        gpu=1,
        mem_mb=by_attempt(16000),
        runtime=by_attempt(240),
    params:
        name=mteb_task_name,
        dims=model_dims,
        labels=quality_labels,
    script:
        "../scripts/mteb_task.py"


rule collect_quality:
    input:
        quality_tables(),
    output:
        parquet=ensure(results("metrics/quality.parquet"), non_empty=True),
        csv=report_item(
            results("metrics/quality.csv"),
            caption="../report/quality_table.rst",
            category="Quality",
            labels={"table": "quality, every model, task and size"},
        ),
    log:
        logs("collect_quality.log"),
    benchmark:
        benchmarks("collect_quality.tsv")
    conda:
        CONDA_ENV
    script:
        "../scripts/collect_tables.py"


rule quality_figure:
    input:
        results("metrics/quality.parquet"),
    output:
        figure_files("quality", caption="../report/quality.rst"),
    log:
        logs("quality_figure.log"),
    benchmark:
        benchmarks("quality_figure.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
        reference_variants=NO_MRL_VARIANTS + STANDARD_EXTERNAL,
    script:
        "../scripts/quality_figure.py"


rule quality_bytes_figure:
    input:
        results("metrics/quality.parquet"),
    output:
        figure_files("quality_bytes", caption="../report/quality.rst"),
    log:
        logs("quality_bytes_figure.log"),
    benchmark:
        benchmarks("quality_bytes_figure.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/quality_bytes_figure.py"


rule cost_table:
    input:
        training=results("metrics/training.parquet"),
    output:
        parquet=ensure(results("metrics/cost.parquet"), non_empty=True),
        csv=report_item(
            results("metrics/cost.csv"),
            caption="../report/cost.rst",
            category="Quality",
            labels={"table": "training cost per variant"},
        ),
        figure=figure_files("cost", caption="../report/cost.rst"),
    log:
        logs("cost_table.log"),
    benchmark:
        benchmarks("cost_table.tsv")
    conda:
        CONDA_ENV
    params:
        # benchmark files of the train jobs: written with them, but no rule's declared output
        benchmarks=[benchmarks(f"train/{m}.tsv") for m, _, _ in trained_models()],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/cost_table.py"
