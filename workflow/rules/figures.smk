# Figures and provenance.


rule geometry_figure:
    input:
        "results/metrics/geometry.parquet",
    output:
        figure_files("geometry", caption="../report/geometry.rst"),
    params:
        dpi=config["figures"]["dpi"],
    log:
        "results/logs/geometry_figure.log",
    benchmark:
        "results/benchmarks/geometry_figure.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/geometry_figure.py"


rule provenance:
    input:
        "results/models/base/base.json",
    output:
        "results/provenance.json",
    params:
        config=config,
        workflow_dir=workflow.basedir,
    log:
        "results/logs/provenance.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/provenance.py"
