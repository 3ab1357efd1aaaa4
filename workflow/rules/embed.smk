# Tokenise each corpus once with the base model's tokenizer (every twin shares it) and once per
# external model (its own tokenizer, each text after the prompt of its role), then embed it once per
# (model, checkpoint), at full size; truncation happens downstream. Precomputed embeddings (made
# elsewhere) are checked against the texts' ids and imported instead.


include: "functions/embed.smk"


rule tokenize:
    input:
        texts=texts_file,
        model=BASE_MODEL,
    output:
        ensure(results("tokens/{corpus}.parquet"), non_empty=True),
    log:
        logs("tokenize/{corpus}.log"),
    benchmark:
        benchmarks("tokenize/{corpus}.tsv")
    conda:
        CONDA_ENV
    threads: 2
    resources:
        mem_mb=by_attempt(4000),
        runtime=by_attempt(30),
    params:
        max_seq_length=config["embed"]["max_seq_length"],
    script:
        "../scripts/tokenize.py"


use rule tokenize as tokenize_external with:
    input:
        texts=texts_file,
        model=model_dir("{external}"),
    output:
        ensure(results("tokens/{external}/{corpus}.parquet"), non_empty=True),
    log:
        logs("tokenize/{external}/{corpus}.log"),
    benchmark:
        benchmarks("tokenize/{external}/{corpus}.tsv")
    params:
        max_seq_length=config["embed"]["max_seq_length"],
        # models.NAME.prompts, null keys filled with the model's own by the job (from its folder, an input)
        prompts=external_setting("prompts"),
        trust_remote_code=external_setting("trust_remote_code"),


rule embed:
    input:
        model=model_folder,
        tokens=token_file,
        base_info=source_info,
    output:
        ensure(
            results("embeddings/{model}/{checkpoint}/{corpus}.parquet"), non_empty=True
        ),
    log:
        logs("embed/{model}/{checkpoint}/{corpus}.log"),
    benchmark:
        benchmarks("embed/{model}/{checkpoint}/{corpus}.tsv")
    wildcard_constraints:
        model=_one_of(EMBEDDED_MODELS),
    conda:
        CONDA_ENV
    threads: 8
    resources:
        gpu=1,
        mem_mb=by_attempt(8000),
        runtime=by_attempt(60),
    params:
        labels=model_labels,
        batch_size=config["embed"]["batch_size"],
        max_seq_length=config["embed"]["max_seq_length"],
        compile=config["embed"]["compile"],
    script:
        "../scripts/embed.py"


rule import_embeddings:
    input:
        embeddings=precomputed_file,
        texts=texts_file,
    output:
        ensure(
            results("embeddings/{model}/{checkpoint}/{corpus}.parquet"), non_empty=True
        ),
    log:
        logs("import_embeddings/{model}/{checkpoint}/{corpus}.log"),
    benchmark:
        benchmarks("import_embeddings/{model}/{checkpoint}/{corpus}.tsv")
    wildcard_constraints:
        model=_one_of(PRECOMPUTED),
        checkpoint="final",
    conda:
        CONDA_ENV
    resources:
        mem_mb=by_attempt(8000),
        runtime=by_attempt(30),
    params:
        labels=model_labels,
    script:
        "../scripts/import_embeddings.py"
