# Where the results came from: the config and its hash, the git commit, package versions, the base
# checkpoint.


rule provenance:
    input:
        BASE_INFO,
    output:
        results("provenance.json"),
    log:
        logs("provenance.log"),
    benchmark:
        benchmarks("provenance.tsv")
    conda:
        CONDA_ENV
    params:
        config=canonical(config),
        workflow_dir=workflow.basedir,
    script:
        "../scripts/provenance.py"
