"""The full geometry suite (all sizes, no bootstrap) against the reference packages called once per size.

Peer, as measured in the issue: IsoScore (PyPI IsoScore), scikit-dimension TwoNN and MLE,
torch.pdist uniformity, numpy.corrcoef, each called on every prefix. Both run on the same data, each
in its own process (so peak memory is its own), and their values are compared.

    .venv/bin/python benchmarks/geometry_suite.py --n 20000 --d 768 [--mle-neighbours 20]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

SIZES = (24, 48, 96, 192, 288, 384, 576, 768)


def data(n: int, d: int, seed: int = 0) -> np.ndarray:
    """Anisotropic, correlated, unit-norm vectors (like a sentence encoder's), no duplicates; built in
    blocks of rows so the harness itself stays small next to what it measures."""
    rng = np.random.default_rng(seed)
    scales = 1.0 / np.sqrt(np.arange(1, d + 1))
    mixing = (np.eye(d) * 0.7 + 0.3 * np.linalg.qr(rng.standard_normal((d, d)))[0]).astype(np.float32)
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 10_000):
        rows = min(10_000, n - start)
        block = (rng.standard_normal((rows, d), dtype=np.float32) * scales.astype(np.float32)) @ mixing + 0.3
        out[start : start + rows] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def ours(x: np.ndarray, sizes: list[int], k: int, device: str | None = None) -> dict[str, float]:
    from mrlens.metrics.suite import SuiteSettings, measure

    table = measure(
        x, sizes, SuiteSettings(mle_neighbours=k, strategies=("prefix",), bootstrap=0), device=device
    ).scalars
    wanted = table[table["metric"].isin(["isoscore", "uniformity", "mean_abs_correlation", "twonn", "mle"])]
    return {f"{r.metric}@{r.dim}": r.value for r in wanted.itertuples()}


def peer(x: np.ndarray, sizes: list[int], k: int) -> dict[str, float]:
    import skdim
    import torch
    from IsoScore import IsoScore

    out = {}
    for size in sizes:
        prefix = x[:, :size].astype(np.float64)
        out[f"isoscore@{size}"] = float(IsoScore.IsoScore(prefix))
        u = torch.nn.functional.normalize(torch.from_numpy(prefix), dim=1)
        out[f"uniformity@{size}"] = torch.pdist(u).pow(2).mul(-2.0).exp().mean().log().item()
        r = np.corrcoef(prefix.T)
        out[f"mean_abs_correlation@{size}"] = float((np.abs(r).sum() - size) / (size * (size - 1)))
        out[f"twonn@{size}"] = float(skdim.id.TwoNN().fit(prefix).dimension_)
        out[f"mle@{size}"] = float(skdim.id.MLE().fit(prefix, n_neighbors=k).dimension_)
    return out


def child(which: str, n: int, d: int, k: int) -> None:
    x = data(n, d)
    sizes = [s for s in SIZES if s <= d]
    start = time.perf_counter()
    values = (ours if which == "ours" else peer)(x, sizes, k)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    print(json.dumps({"seconds": seconds, "peak_gib": peak, "values": values}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--d", type=int, default=768)
    parser.add_argument("--mle-neighbours", type=int, default=20)
    parser.add_argument("--which", choices=["ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--devices", nargs="+", help="instead of the peer: ours on each device (e.g. cpu cuda), same values?"
    )
    args = parser.parse_args()
    if args.which:
        child(args.which, args.n, args.d, args.mle_neighbours)
        return
    if args.devices:
        compare_devices(args)
        return
    results = {}
    for which in ("peer", "ours"):
        command = [
            sys.executable,
            __file__,
            "--which",
            which,
            "--n",
            str(args.n),
            "--d",
            str(args.d),
            "--mle-neighbours",
            str(args.mle_neighbours),
        ]
        results[which] = json.loads(
            subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        )
    worst = max(abs(results["ours"]["values"][key] / value - 1) for key, value in results["peer"]["values"].items())
    print(f"n = {args.n}, d = {args.d}, {len([s for s in SIZES if s <= args.d])} sizes, MLE k = {args.mle_neighbours}")
    for which in ("peer", "ours"):
        print(f"{which:5s} {results[which]['seconds']:8.1f} s   peak {results[which]['peak_gib']:.2f} GiB")
    print(
        f"speed-up x{results['peer']['seconds'] / results['ours']['seconds']:.1f}; worst relative difference of values {worst:.1e}"
    )


def compare_devices(args: argparse.Namespace) -> None:
    """Ours on each device in turn on the same data: seconds and the worst relative difference to the first."""
    x = data(args.n, args.d)
    sizes = [s for s in SIZES if s <= args.d]
    runs = {}
    for device in args.devices:
        start = time.perf_counter()
        runs[device] = ours(x, sizes, args.mle_neighbours, device=device)
        runs[device + "_seconds"] = time.perf_counter() - start
    first = args.devices[0]
    summary = {"n": args.n, "d": args.d, **{f"{d}_seconds": round(runs[d + "_seconds"], 2) for d in args.devices}}
    for device in args.devices[1:]:
        summary[f"worst_relative_difference_{device}_vs_{first}"] = max(
            abs(runs[device][key] / value - 1) for key, value in runs[first].items() if value
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
