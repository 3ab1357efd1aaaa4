# Model diffing: how the twins differ from their base and from each other, in weights (streamed
# tensor by tensor) and in representations (linear CKA per layer on a probe set of documents); the
# external models likewise against the model each names as its base (models.NAME.base).


include: "functions/diffing.smk"


rule diff_weights:
    input:
        base=BASE_MODEL,
        models=seed_model_folders,
    output:
        tensors=ensure(
            results("diffing/weights/s{seed}/tensors.parquet"), non_empty=True
        ),
        layers=ensure(results("diffing/weights/s{seed}/layers.parquet"), non_empty=True),
        spectra=ensure(
            results("diffing/weights/s{seed}/spectra.parquet"), non_empty=True
        ),
        layernorm=ensure(
            results("diffing/weights/s{seed}/layernorm.parquet"), non_empty=True
        ),
    log:
        logs("diffing/weights_s{seed}.log"),
    benchmark:
        benchmarks("diffing/weights_s{seed}.tsv")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(30),
    params:
        seed=seed_number,
        models=seed_models,
        pairs=seed_pairs,
        variants=diffing_variants(),
        top_singular=DIFFING["top_singular"],
        layernorm_k=DIFFING["layernorm_k"],
    script:
        "../scripts/diff_weights.py"


use rule diff_weights as diff_external_weights with:
    input:
        base=model_dir("{diff_base}"),
        models=external_group_folders,
    output:
        tensors=ensure(
            results("diffing/weights/from-{diff_base}/tensors.parquet"), non_empty=True
        ),
        layers=ensure(
            results("diffing/weights/from-{diff_base}/layers.parquet"), non_empty=True
        ),
        spectra=ensure(
            results("diffing/weights/from-{diff_base}/spectra.parquet"), non_empty=True
        ),
        layernorm=ensure(
            results("diffing/weights/from-{diff_base}/layernorm.parquet"),
            non_empty=True,
        ),
    log:
        logs("diffing/weights_from-{diff_base}.log"),
    benchmark:
        benchmarks("diffing/weights_from-{diff_base}.tsv")
    params:
        seed=None,
        models=external_group,
        pairs=external_group_pairs,
        variants=external_group_variants,
        top_singular=DIFFING["top_singular"],
        layernorm_k=DIFFING["layernorm_k"],


rule collect_diff_weights:
    input:
        expand(
            results("diffing/weights/{group}/{{diff_table}}.parquet"),
            group=WEIGHT_DIFF_GROUPS,
        ),
    output:
        parquet=ensure(results("diffing/weights_{diff_table}.parquet"), non_empty=True),
        csv=results("diffing/weights_{diff_table}.csv"),
    log:
        logs("diffing/collect_weights_{diff_table}.log"),
    benchmark:
        benchmarks("diffing/collect_weights_{diff_table}.tsv")
    conda:
        CONDA_ENV
    script:
        "../scripts/collect_tables.py"


rule probe_states:
    input:
        model=model_dir("{model}"),
        corpus=results(f"data/corpora/{PROBE_CORPUS}.parquet"),
    output:
        results("diffing/states/{model}.npz"),
    log:
        logs("diffing/states/{model}.log"),
    benchmark:
        benchmarks("diffing/states/{model}.tsv")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=by_attempt(8000),
        runtime=by_attempt(30),
    params:
        probe_docs=DIFFING["probe_docs"],
        seed=DIFFING["probe_seed"],
        batch_size=config["embed"]["batch_size"],
        max_seq_length=config["embed"]["max_seq_length"],
    script:
        "../scripts/probe_states.py"


rule diff_representations:
    input:
        states=expand(results("diffing/states/{model}.npz"), model=DIFFED_MODELS),
        embeddings=expand(
            results("embeddings/{model}/final/{corpus}.parquet"),
            model=DIFFED_MODELS,
            corpus=PROBE_CORPUS,
        ),
    output:
        layers=ensure(results("diffing/cka_layers.parquet"), non_empty=True),
        layers_csv=results("diffing/cka_layers.csv"),
        truncation=ensure(results("diffing/cka_truncation.parquet"), non_empty=True),
        truncation_csv=results("diffing/cka_truncation.csv"),
    log:
        logs("diffing/representations.log"),
    benchmark:
        benchmarks("diffing/representations.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(30),
    params:
        models=DIFFED_MODELS,
        labels=diffing_labels(),
        dims=DIFFED_DIMS,
    script:
        "../scripts/diff_representations.py"


rule diffing_figures:
    input:
        layers=results("diffing/weights_layers.parquet"),
        cka=results("diffing/cka_layers.parquet"),
        truncation=results("diffing/cka_truncation.parquet"),
    output:
        weights=figure_files("diffing_weights", caption="../report/diffing_weights.rst"),
        task_cosine=figure_files(
            "diffing_task_cosine", caption="../report/diffing_task_cosine.rst"
        ),
        cka=figure_files("diffing_cka", caption="../report/diffing_cka.rst"),
        truncation=figure_files(
            "diffing_truncation", caption="../report/diffing_truncation.rst"
        ),
    log:
        logs("diffing/figures.log"),
    benchmark:
        benchmarks("diffing/figures.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/diffing_figures.py"
