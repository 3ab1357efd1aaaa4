# Geometry of each embeddings file at every truncation size (one job covers all sizes).


SUITE_SETTINGS = Digest(
    "analysis settings", {k: v for k, v in config["analysis"].items() if k != "dims"}
)


rule geometry:
    input:
        results("embeddings/{model}/{checkpoint}/{corpus}.parquet"),
    output:
        scalars=ensure(
            results("metrics/{model}/{checkpoint}/{corpus}.parquet"), non_empty=True
        ),
        profiles=ensure(
            results("metrics/{model}/{checkpoint}/{corpus}.profiles.parquet"),
            non_empty=True,
        ),
        replicates=results("metrics/{model}/{checkpoint}/{corpus}.replicates.parquet"),
    log:
        logs("geometry/{model}/{checkpoint}/{corpus}.log"),
    benchmark:
        benchmarks("geometry/{model}/{checkpoint}/{corpus}.tsv")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=by_attempt(8000),
        runtime=by_attempt(60),
    params:
        dims=model_dims,
        settings=SUITE_SETTINGS,
        intervals=INTERVALS,
        labels=model_labels,
    script:
        "../scripts/geometry.py"


rule collect_geometry:
    input:
        metric_tables("parquet"),
    output:
        parquet=ensure(results("metrics/geometry.parquet"), non_empty=True),
        csv=report(
            results("metrics/geometry.csv"),
            caption="../report/geometry_table.rst",
            category="Geometry",
            labels={"table": "geometry, every model and size"},
        ),
    log:
        logs("collect_geometry.log"),
    benchmark:
        benchmarks("collect_geometry.tsv")
    conda:
        CONDA_ENV
    script:
        "../scripts/collect_tables.py"


rule collect_profiles:
    input:
        metric_tables("profiles.parquet"),
    output:
        parquet=ensure(results("metrics/profiles.parquet"), non_empty=True),
    log:
        logs("collect_profiles.log"),
    benchmark:
        benchmarks("collect_profiles.tsv")
    conda:
        CONDA_ENV
    script:
        "../scripts/collect_tables.py"
