"""Command line, without Snakemake:

    mrlens embed MODEL_DIR TEXTS.jsonl --out EMBEDDINGS.parquet
    mrlens metrics EMBEDDINGS.parquet --dims 32,64,128 --out TABLE.parquet
    mrlens upgrade-records [--dry-run]

``embed`` runs the workflow's encoder (token ids sorted by length, padding only to each batch's
longest document) with any local SentenceTransformer folder, or plain Hugging Face encoder folder
(mean pooling), on a .jsonl, .parquet or .csv file of documents. ``metrics`` runs the geometry
suite on anyone's embeddings (an mrlens Parquet file, or any Parquet file with an ``id`` column and
an ``embedding`` column of equal-length lists of floats, as pandas writes a column of arrays).
``upgrade-records`` rewrites the params Snakemake recorded for results made before reruns became
value-based (:mod:`mrlens.canonical`), so they are not rerun once for it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from mrlens.errors import MrlensError
from mrlens.metrics.settings import SuiteSettings

SUITE_OPTIONS = ("uniformity_t", "strategies", "pca_fit", "bootstrap", "seed", "mle_neighbours", "outlier_k")


def _sizes(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--dims takes comma-separated integers, got {text!r}") from exc


def _metrics(args: argparse.Namespace) -> None:
    from mrlens.io import read_embeddings, write_table
    from mrlens.metrics.suite import measure

    _, vectors, _ = read_embeddings(args.embeddings)
    given = {name: getattr(args, name) for name in SUITE_OPTIONS}
    if given["strategies"] is not None:
        given["strategies"] = tuple(given["strategies"].split(","))
    settings = SuiteSettings(**{name: value for name, value in given.items() if value is not None})
    geometry = measure(vectors, args.dims or [vectors.shape[1]], settings)
    table = geometry.scalars
    table.insert(0, "source", str(args.embeddings))
    if args.profiles is not None:
        write_table(geometry.profiles, args.profiles)
    if args.out is None:
        table.to_csv(sys.stdout, index=False)
    else:
        csv = args.out.with_suffix(".csv") if args.out.suffix == ".parquet" else None
        write_table(table, args.out, csv)


def _embed(args: argparse.Namespace) -> None:
    from mrlens.checkpoints import weight_files
    from mrlens.data import prepare_corpus
    from mrlens.embed import embed_tokens
    from mrlens.io import write_table
    from mrlens.tokens import tokenize_corpus

    columns = {"id": args.id_column, "text": args.text_column}
    spec = {"kind": "local", "path": str(args.texts), "columns": {k: v for k, v in columns.items() if v}}
    docs = prepare_corpus(spec, "texts")
    weight_files(args.model)  # a missing or weightless model folder, named before any work
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out.parent, prefix=".mrlens-embed-") as scratch:
        texts, tokens = Path(scratch, "texts.parquet"), Path(scratch, "tokens.parquet")
        write_table(docs, texts)
        tokenize_corpus(args.model, texts, tokens, args.max_seq_length)
        dim = embed_tokens(
            args.model, tokens, args.out, args.batch_size, args.max_seq_length,
            {"model": str(args.model), "corpus": str(args.texts)},
            precision=args.precision, device=args.device, compile=args.compile,
        )  # fmt: skip
    print(f"mrlens: {len(docs)} documents, {dim} dimensions -> {args.out}", file=sys.stderr)


def _upgrade_records(args: argparse.Namespace) -> None:
    from mrlens.canonical import upgrade_records

    changed = upgrade_records(args.directory / ".snakemake" / "metadata", dry_run=args.dry_run)
    verb = "would rewrite" if args.dry_run else "rewrote"
    print(f"mrlens: {verb} the params of {len(changed)} Snakemake record(s) in their canonical form", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mrlens", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    embed = commands.add_parser("embed", help="embed a file of documents with a local model folder")
    embed.add_argument("model", type=Path, help="SentenceTransformer folder, or a plain Hugging Face encoder folder")
    embed.add_argument("texts", type=Path, help=".jsonl, .parquet or .csv with a text column (and unique ids)")
    embed.add_argument("--out", type=Path, required=True, help="output .parquet: 'id' and full-size 'embedding'")
    embed.add_argument("--text-column", default=None, help="column holding the documents (default 'text')")
    embed.add_argument("--id-column", default=None, help="column of unique ids (default 'id', else row numbers)")
    embed.add_argument(
        "--max-seq-length",
        type=int,
        default=128,
        help="tokens per document, longer ones truncated (default %(default)s)",
    )
    embed.add_argument("--batch-size", type=int, default=64, help="documents per batch (default %(default)s)")
    embed.add_argument(
        "--precision", default="auto", help="auto (bf16/fp16 on CUDA, float32 on CPU), float32, float16, bfloat16"
    )
    embed.add_argument("--device", default=None, help="cpu or cuda (default: cuda when a GPU is visible)")
    embed.add_argument(
        "--compile", action="store_true", help="run the transformer through torch.compile (large corpora)"
    )
    embed.set_defaults(run=_embed)
    metrics = commands.add_parser("metrics", help="geometry of an embeddings file at every truncation size")
    metrics.add_argument(
        "embeddings", type=Path, help="Parquet file with 'id' and 'embedding' (a list of floats per row) columns"
    )
    metrics.add_argument(
        "--dims", type=_sizes, default=None, help="truncation sizes, e.g. 32,64,128 (default: full size)"
    )
    # defaults None: SuiteSettings's own (the workflow's analysis.* defaults, tested equal to the schema's)
    suite = SuiteSettings()
    metrics.add_argument(
        "--uniformity-t", type=float, help=f"t of the uniformity loss (default {suite.uniformity_t:g})"
    )
    metrics.add_argument(
        "--strategies", help=f"truncation strategies: prefix,random,pca (default {','.join(suite.strategies)})"
    )
    metrics.add_argument(
        "--pca-fit",
        choices=["heldout", "insample"],
        help=f"pca basis from a held-out half or in sample (default {suite.pca_fit})",
    )
    metrics.add_argument(
        "--bootstrap",
        type=int,
        help="replicates per interval, split halves or bootstrap as each metric declares "
        f"(default {suite.bootstrap}; 0: none)",
    )
    metrics.add_argument(
        "--seed", type=int, help=f"seed of the bootstrap and the random orderings (default {suite.seed})"
    )
    metrics.add_argument(
        "--mle-neighbours", type=int, help=f"k of the MLE intrinsic dimension (default {suite.mle_neighbours})"
    )
    metrics.add_argument(
        "--outlier-k", type=float, help=f"outlier threshold, times the mean (default {suite.outlier_k:g})"
    )
    metrics.add_argument(
        "--profiles", type=Path, default=None, help="also write spectra and per-dimension variances here"
    )
    metrics.add_argument(
        "--out", type=Path, default=None, help="output .parquet (a .csv is written beside it); default: CSV on stdout"
    )
    metrics.set_defaults(run=_metrics)
    upgrade = commands.add_parser("upgrade-records", help="keep results made before reruns became value-based")
    upgrade.add_argument(
        "--directory", type=Path, default=Path("."), help="the folder Snakemake runs in (default: here)"
    )
    upgrade.add_argument("--dry-run", action="store_true", help="list the records that would change, change nothing")
    upgrade.set_defaults(run=_upgrade_records)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        args.run(args)
    except (MrlensError, ValueError, OSError) as exc:
        print(f"mrlens: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
