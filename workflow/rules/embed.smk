# Embed each corpus once per (model, checkpoint), at full size; truncation happens downstream.


rule embed:
    input:
        model=model_folder,
        corpus=texts_file,
        base_info="results/models/base/base.json",
    output:
        ensure(
            "results/embeddings/{model}/{checkpoint}/{corpus}.parquet", non_empty=True
        ),
    log:
        "results/logs/embed/{model}/{checkpoint}/{corpus}.log",
    benchmark:
        "results/benchmarks/embed/{model}/{checkpoint}/{corpus}.tsv"
    conda:
        CONDA_ENV
    threads: 8
    resources:
        gpu=1,
        mem_mb=lambda wildcards, attempt: 8000 * attempt,
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        subfolder=model_subfolder,
        labels=model_labels,
        batch_size=config["embed"]["batch_size"],
        max_seq_length=config["embed"]["max_seq_length"],
    script:
        "../scripts/embed.py"
