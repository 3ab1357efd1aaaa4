"""Command line: ``mrlens metrics EMBEDDINGS.parquet --dims 32,64,128 --out TABLE.parquet``.

Runs the geometry suite on anyone's embeddings (an mrlens Parquet file, or any Parquet file with
an ``embedding`` list column) without Snakemake.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mrlens.errors import MrlensError


def _sizes(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--dims takes comma-separated integers, got {text!r}") from exc


def _metrics(args: argparse.Namespace) -> None:
    from mrlens.io import read_embeddings, write_table
    from mrlens.metrics.suite import SuiteSettings, measure

    _, vectors, _ = read_embeddings(args.embeddings)
    settings = SuiteSettings(
        uniformity_t=args.uniformity_t,
        strategies=tuple(args.strategies.split(",")),
        bootstrap=args.bootstrap,
        seed=args.seed,
        mle_neighbours=args.mle_neighbours,
        outlier_k=args.outlier_k,
    )
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mrlens", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    metrics = commands.add_parser("metrics", help="geometry of an embeddings file at every truncation size")
    metrics.add_argument("embeddings", type=Path, help="Parquet file with 'id' and 'embedding' columns")
    metrics.add_argument("--dims", type=_sizes, default=None, help="truncation sizes, e.g. 32,64,128 (default: full size)")
    metrics.add_argument("--uniformity-t", type=float, default=2.0, help="t of the uniformity loss (default 2)")
    metrics.add_argument("--strategies", default="prefix", help="truncation strategies: prefix,random,pca (default prefix)")
    metrics.add_argument("--bootstrap", type=int, default=0, help="bootstrap replicates for confidence intervals (default 0)")
    metrics.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and the random orderings")
    metrics.add_argument("--mle-neighbours", type=int, default=20, help="k of the MLE intrinsic dimension (default 20)")
    metrics.add_argument("--outlier-k", type=float, default=5.0, help="outlier threshold, times the mean (default 5)")
    metrics.add_argument("--profiles", type=Path, default=None, help="also write spectra and per-dimension variances here")
    metrics.add_argument("--out", type=Path, default=None, help="output .parquet (a .csv is written beside it); default: CSV on stdout")
    metrics.set_defaults(run=_metrics)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (MrlensError, ValueError) as exc:
        print(f"mrlens: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
