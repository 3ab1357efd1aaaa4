# Figures and provenance.


rule geometry_figure:
    input:
        "results/metrics/geometry.parquet",
    output:
        figure_files("geometry", caption="../report/geometry.rst"),
    log:
        "results/logs/geometry_figure.log",
    benchmark:
        "results/benchmarks/geometry_figure.tsv"
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/geometry_figure.py"


rule provenance:
    input:
        "results/models/base/base.json",
    output:
        "results/provenance.json",
    log:
        "results/logs/provenance.log",
    conda:
        CONDA_ENV
    params:
        config=config,
        workflow_dir=workflow.basedir,
    script:
        "../scripts/provenance.py"
