# Geometry of each embeddings file at every truncation size (one job covers all sizes).


rule geometry:
    input:
        "results/embeddings/{model}/{checkpoint}/{corpus}.parquet",
    output:
        ensure("results/metrics/{model}/{checkpoint}/{corpus}.parquet", non_empty=True),
    log:
        "results/logs/geometry/{model}/{checkpoint}/{corpus}.log",
    benchmark:
        "results/benchmarks/geometry/{model}/{checkpoint}/{corpus}.tsv"
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards, attempt: 4000 * attempt,
        runtime=lambda wildcards, attempt: 30 * attempt,
    params:
        dims=config["analysis"]["dims"],
        uniformity_t=config["analysis"]["uniformity_t"],
        labels=model_labels,
    script:
        "../scripts/geometry.py"


rule collect_geometry:
    input:
        metric_tables(),
    output:
        parquet="results/metrics/geometry.parquet",
        csv=report(
            "results/metrics/geometry.csv",
            caption="../report/geometry_table.rst",
            category="Geometry",
            labels={"table": "geometry, every model and size"},
        ),
    log:
        "results/logs/collect_geometry.log",
    benchmark:
        "results/benchmarks/collect_geometry.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/collect_tables.py"
