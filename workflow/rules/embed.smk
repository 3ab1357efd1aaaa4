# Tokenise each corpus once with the base model's tokenizer (every twin shares it) and once per
# external model (its own tokenizer), then embed it once per (model, checkpoint), at full size;
# truncation happens downstream.


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
