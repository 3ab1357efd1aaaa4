"""Coverage of the paired twin-difference intervals of ``mrlens.inference.differences``, by simulation
with known truth.

Documents are latent vectors ``x ~ N(0, I_p)``, shared by every model. Seed s of the variant embeds them
as ``(A + E_s + G_s) x`` and the reference as ``(B + E_s + H_s) x``: A and B are fixed d x p maps, E_s is
the part of the training-run perturbation the twins of a seed share (same data order and initialisation),
G_s and H_s their own parts (entries N(0, tau^2)). Two metrics, with exact population values:

- ``prefix_energy``: the mean over documents of ``||z_{1:k}||^2``, population value
  ``tr(P M M^T P)`` (P keeps the first k rows); an unbiased mean of a per-document score.
- ``isoscore``: IsoScore of the embeddings' covariance (Rudman et al. 2022), population value
  ``IsoScore(M M^T)``; a biased plug-in.

Per seed, the target is that seed's population difference; over seeds, the mean population difference
over the distribution of training runs (prefix energy: ``tr(P (A A^T - B B^T) P)`` exactly, since the
perturbations cancel in expectation; IsoScore: a Monte Carlo mean over 20,000 draws of the perturbation).
Replicate b uses the same bootstrap counts for every model and seed (mrlens's pairing contract); the
unpaired interval draws the reference's counts independently. S = 3 uses the first three of the five
seeds of each repetition. Prints a markdown table.

    .venv/bin/python benchmarks/coverage_differences.py [--repetitions 200] [--n 1000] [--replicates 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mrlens.inference.differences import POOLED_METHODS
from mrlens.inference.intervals import interval
from mrlens.metrics.isotropy import isoscore_from_covariance

P, D, K, SEEDS = 24, 12, 4, 5
SCENARIOS = {"seeds dominate": 0.05, "seeds ~ documents": 0.01, "documents dominate": 0.002}  # name -> tau


def isoscores(cov: np.ndarray) -> np.ndarray:
    """IsoScore ``(PR - 1) / (d - 1)``, ``PR = tr(C)^2 / ||C||_F^2``, of a stack of covariances (..., d, d)."""
    trace = np.trace(cov, axis1=-2, axis2=-1)
    return (trace**2 / (cov**2).sum(axis=(-2, -1)) - 1) / (cov.shape[-1] - 1)


def metrics(maps: np.ndarray, second: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """(prefix_energy, isoscore) of the embeddings ``z = M x`` for every map (m, d, p) and every set of
    document moments (B, p, p) and (B, p): shape (2, m, B)."""
    moment = maps[:, None] @ second[None] @ maps.transpose(0, 2, 1)[:, None]
    centre = mean @ maps.transpose(0, 2, 1)
    energy = np.trace(moment[:, :, :K, :K], axis1=-2, axis2=-1)
    return np.stack([energy, isoscores(moment - centre[..., :, None] * centre[..., None, :])])


def population(maps: np.ndarray) -> np.ndarray:
    """The same two metrics at the population (x ~ N(0, I)): shape (2, m)."""
    cov = maps @ maps.transpose(0, 2, 1)
    return np.stack([np.trace(cov[:, :K, :K], axis1=1, axis2=2), [isoscore_from_covariance(c) for c in cov]])


def moments(x: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted second moments (B, p, p) and means (B, p) of the documents, one per column of counts."""
    weights = counts.T / counts.sum(axis=0)[:, None]
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), -1)
    return (weights @ outer).reshape(-1, x.shape[1], x.shape[1]), weights @ x


def counts_of(rng: np.random.Generator, n: int, replicates: int) -> np.ndarray:
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(replicates)], axis=1)


def truth_over_seeds(
    a: np.ndarray, b: np.ndarray, tau: float, rng: np.random.Generator, draws: int = 20_000
) -> np.ndarray:
    shared = rng.standard_normal((draws, D, P)) * tau
    own = rng.standard_normal((2, draws, D, P)) * tau
    return (population(a + shared + own[0]) - population(b + shared + own[1])).mean(axis=1)


def repetition(a: np.ndarray, b: np.ndarray, tau: float, n: int, replicates: int, rng: np.random.Generator) -> dict:
    shared = rng.standard_normal((SEEDS, D, P)) * tau
    variant = a + shared + rng.standard_normal((SEEDS, D, P)) * tau
    reference = b + shared + rng.standard_normal((SEEDS, D, P)) * tau
    x = rng.standard_normal((n, P))
    ones = np.ones((n, 1), dtype=np.int64)
    paired_counts, unpaired_counts = counts_of(rng, n, replicates), counts_of(rng, n, replicates)
    full = [metrics(m, *moments(x, ones)) for m in (variant, reference)]
    draws = [metrics(m, *moments(x, c)) for m, c in ((variant, paired_counts), (reference, paired_counts))]
    unpaired = metrics(reference, *moments(x, unpaired_counts))
    estimate = (full[0] - full[1])[..., 0]  # (2 metrics, seeds)
    return {
        "estimate": estimate,
        "paired": draws[0] - draws[1],
        "unpaired": draws[0] - unpaired,
        "truth": population(variant) - population(reference),
    }


def covers(low: float, high: float, truth: float) -> bool:
    return bool(low <= truth <= high)


def per_seed_rows(results: list[dict], n: int) -> dict:
    """Coverage and median width of the per-seed basic intervals, paired and unpaired, per metric."""
    out = {}
    for m, name in enumerate(("prefix_energy", "isoscore")):
        for kind in ("paired", "unpaired"):
            hits, widths = [], []
            for r in results:
                for s in range(SEEDS):
                    low, high = interval("basic-bootstrap", r["estimate"][m, s], r[kind][m, s], 0.95, n)
                    hits.append(covers(low, high, r["truth"][m, s]))
                    widths.append(high - low)
            out[(name, kind)] = (np.mean(hits), np.median(widths))
    return out


def pooled_rows(results: list[dict], truth: np.ndarray) -> dict:
    """Coverage and median width over seeds, S = 3 and 5, of each pooled method and of a t-interval over
    seeds that ignores the shared document noise (``seeds-t`` with no replicate variance)."""
    methods = {**{k: m.formula for k, m in POOLED_METHODS.items()}, "t over seeds alone": None}
    out = {}
    for m, name in enumerate(("prefix_energy", "isoscore")):
        for seeds in (3, 5):
            for label, formula in methods.items():
                hits, widths = [], []
                for r in results:
                    per_seed, draws = r["estimate"][m, :seeds], r["paired"][m, :seeds]
                    if formula is None:
                        low, high = POOLED_METHODS["seeds-t"].formula(per_seed, np.zeros((seeds, 2)), 0.95)
                    else:
                        low, high = formula(per_seed, draws, 0.95)
                    hits.append(covers(low, high, truth[m]))
                    widths.append(high - low)
                out[(name, seeds, label)] = (np.mean(hits), np.median(widths))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args()
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    b = rng.standard_normal((D, P)) * np.linspace(1.0, 0.3, P)
    a = b + 0.08 * rng.standard_normal((D, P))
    error = 100 * np.sqrt(0.95 * 0.05 / args.repetitions)
    print(
        f"n = {args.n} documents, d = {D}, {args.replicates} replicates, {args.repetitions} repetitions, 95 % nominal"
    )
    print(f"(binomial standard error of a coverage near 95 %: {error:.1f} points)\n")
    for scenario, tau in SCENARIOS.items():
        truth = truth_over_seeds(a, b, tau, rng)
        results = [repetition(a, b, tau, args.n, args.replicates, rng) for _ in range(args.repetitions)]
        spread = np.mean([r["estimate"].std(axis=1, ddof=1) for r in results], axis=0)
        noise = np.mean([r["paired"].std(axis=2, ddof=1).mean(axis=1) for r in results], axis=0)
        print(f"### {scenario} (tau = {tau})\n")
        print(
            f"between-seed sd of d_s / document sd of d_s: prefix_energy {spread[0]:.3g} / {noise[0]:.3g}, "
            f"isoscore {spread[1]:.3g} / {noise[1]:.3g}\n"
        )
        print("| metric | interval | seeds | coverage | median width |\n| --- | --- | --- | --- | --- |")
        for (name, kind), (hit, width) in per_seed_rows(results, args.n).items():
            print(f"| {name} | per seed, {kind} basic bootstrap | 1 | {100 * hit:.1f} % | {width:.3g} |")
        for (name, seeds, label), (hit, width) in pooled_rows(results, truth).items():
            print(f"| {name} | over seeds, {label} | {seeds} | {100 * hit:.1f} % | {width:.3g} |")
        print()
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
