# Paired twin differences (each MRL twin minus its reference: same documents, same seed, the same
# resampling draws; each external model minus its twin_of) and the findings report that judges the
# configured claims on them.


include: "functions/inference.smk"


rule differences:
    input:
        geometry=results("metrics/geometry.parquet"),
        quality=[results("metrics/quality.parquet")] if TASKS else [],
        geometry_replicates=replicate_tables()["geometry_replicates"],
        quality_replicates=replicate_tables()["quality_replicates"],
    output:
        parquet=ensure(results("metrics/differences.parquet"), non_empty=True),
        csv=report_item(
            results("metrics/differences.csv"),
            caption="../report/differences.rst",
            category="Claims and findings",
            labels={"table": "paired twin differences"},
        ),
    log:
        logs("differences.log"),
    benchmark:
        benchmarks("differences.tsv")
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(8000),
        runtime=by_attempt(30),
    params:
        **PAIR_LARGE,
        **NEAR_TWINS,
        pairs=TWIN_PAIRS,
        geometry_confidence=config["analysis"]["confidence"],
        quality_confidence=config["quality"]["confidence"],
        small=config["analysis"]["dims"][0],
        large=config["analysis"]["dims"][-1],
        pooled=config["findings"]["pooled_interval"],
        contrasts=CONTRASTS,
    script:
        "../scripts/differences.py"


rule findings:
    input:
        results("metrics/differences.parquet"),
    output:
        markdown=report_item(
            results("findings.md"),
            caption="../report/findings.rst",
            category="Claims and findings",
            labels={"report": "findings"},
        ),
        csv=results("findings.csv"),
    log:
        logs("findings.log"),
    benchmark:
        benchmarks("findings.tsv")
    conda:
        CONDA_ENV
    params:
        **EXTERNAL_FINDINGS,
        claims=CLAIMS,
        variants=VARIANT_DIMS,
        pairs=REFERENCE_PAIRS,
        confidence=config["analysis"]["confidence"],
        sizes=config["analysis"]["dims"],
    script:
        "../scripts/findings.py"
