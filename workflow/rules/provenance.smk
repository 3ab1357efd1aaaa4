# Where the results came from: the config and its hash, the git commit, package versions, the base
# checkpoint and the external models.


rule provenance:
    input:
        base=BASE_INFO,
        models=[results(f"models/{m}/source.json") for m in CHECKPOINTS],
    output:
        results("provenance.json"),
    log:
        logs("provenance.log"),
    benchmark:
        benchmarks("provenance.tsv")
    conda:
        CONDA_ENV
    params:
        config=Digest("config", config),
        workflow_dir=workflow.basedir,
    script:
        "../scripts/provenance.py"
