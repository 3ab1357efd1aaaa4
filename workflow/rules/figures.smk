# Figures: one rule per figure family, each in every configured format, flagged for the report.


rule geometry_figure:
    input:
        results("metrics/geometry.parquet"),
    output:
        figure_files("geometry", caption="../report/geometry.rst"),
    log:
        logs("geometry_figure.log"),
    benchmark:
        benchmarks("geometry_figure.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/geometry_figure.py"


rule suite_figure:
    input:
        results("metrics/geometry.parquet"),
    output:
        figure_files("suite_{corpus}", caption="../report/suite.rst"),
    log:
        logs("suite_figure/{corpus}.log"),
    benchmark:
        benchmarks("suite_figure/{corpus}.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
        reference_variants=NO_MRL_VARIANTS + STANDARD_EXTERNAL,
    script:
        "../scripts/suite_figure.py"


rule profile_figures:
    input:
        results("metrics/profiles.parquet"),
    output:
        collapse=figure_files("collapse", caption="../report/collapse.rst"),
        outliers=figure_files("outliers", caption="../report/outliers.rst"),
    log:
        logs("profile_figures.log"),
    benchmark:
        benchmarks("profile_figures.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
        outlier_k=config["analysis"]["outlier_k"],
    script:
        "../scripts/profile_figures.py"


rule training_figures:
    input:
        results("metrics/training.parquet"),
    output:
        loss=figure_files("training_loss", caption="../report/training_loss.rst"),
        norms=figure_files("training_norms", caption="../report/training_norms.rst"),
    log:
        logs("training_figures.log"),
    benchmark:
        benchmarks("training_figures.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/training_figures.py"


rule checkpoint_figure:
    input:
        results("metrics/geometry.parquet"),
    output:
        figure_files("checkpoints", caption="../report/checkpoints.rst"),
    log:
        logs("checkpoint_figure.log"),
    benchmark:
        benchmarks("checkpoint_figure.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
        max_steps=TRAIN.get("max_steps"),
    script:
        "../scripts/checkpoint_figure.py"


rule zoo_figure:
    input:
        geometry=results("metrics/geometry.parquet"),
        quality=[results("metrics/quality.parquet")] if TASKS else [],
    output:
        figure_files("zoo", caption="../report/zoo.rst"),
    log:
        logs("zoo_figure.log"),
    benchmark:
        benchmarks("zoo_figure.tsv")
    conda:
        CONDA_ENV
    params:
        dpi=config["figures"]["dpi"],
        models=canonical(
            {
                n: {"twin_of": m["twin_of"], "dims": m["dims"]}
                for n, m in EXTERNAL.items()
            }
        ),
    script:
        "../scripts/zoo_figure.py"
