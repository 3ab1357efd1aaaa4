"""Coverage of the paired twin-difference intervals of ``mrlens.inference.differences``, by simulation
with known truth.

Documents are latent vectors ``x ~ N(0, I_p)``, shared by every model. Seed s of the variant embeds them
as ``(A + E_s + G_s) x`` and the reference as ``(B + E_s + H_s) x``: A and B are fixed d x p maps, E_s is
the part of the training-run perturbation the twins of a seed share (same data order and initialisation),
G_s and H_s their own parts (entries N(0, tau^2)). Two metrics, with exact population values:

- ``prefix_energy``: the mean over documents of ``||z_{1:k}||^2``, population value
  ``tr(P M M^T P)`` (P keeps the first k rows); an unbiased mean of a per-document score.
- ``isoscore``: IsoScore of the embeddings' covariance (Rudman et al. 2022), population value
  ``IsoScore(M M^T)``, estimated as mrlens reports it: with the unbiased tr(Sigma^2)
  (:func:`mrlens.metrics.isotropy.trace_square_unbiased`), raw (not clipped).

Per seed, the target is that seed's population difference; over seeds, the mean population difference
over the distribution of training runs (prefix energy: ``tr(P (A A^T - B B^T) P)`` exactly, since the
perturbations cancel in expectation; IsoScore: a Monte Carlo mean over 20,000 draws of the perturbation).
Replicate b uses the same draws for every model and seed (mrlens's pairing contract): bootstrap counts
for the basic bootstrap, complementary half-samples for split halves (the method both metrics' kind
declares in mrlens: unbiased statistics); the unpaired interval draws the reference's bootstrap counts
independently. Over seeds, ``seeds-t`` adds the shared document noise as the split-halves variance of
the seed-averaged paired differences (as mrlens does for a split-halves metric); the bootstrap-based
pooled methods resample the bootstrap replicates. S = 3 uses the first three of the five seeds of each
repetition. Prints a markdown table.

    .venv/bin/python benchmarks/coverage_differences.py [--repetitions 200] [--n 1000] [--replicates 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mrlens.inference.differences import POOLED_METHODS
from mrlens.metrics.isotropy import isoscore_from_covariance
from mrlens.resampling import METHODS, interval

P, D, K, SEEDS = 24, 12, 4, 5
SCENARIOS = {"seeds dominate": 0.05, "seeds ~ documents": 0.01, "documents dominate": 0.002}  # name -> tau


def metrics(maps: np.ndarray, x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(prefix_energy, bias-corrected isoscore) of the embeddings ``z = M x`` for every map (m, d, p) and
    every column of counts (n x B, the documents drawn; a document drawn twice counts twice), in the
    form of :func:`mrlens.metrics.isotropy.trace_square_unbiased`: shape (2, m, B)."""
    second, mean = moments(x, counts)
    size = counts.sum(axis=0).astype(np.float64)  # (B,)
    moment = maps[:, None] @ second[None] @ maps.transpose(0, 2, 1)[:, None]
    centre = mean @ maps.transpose(0, 2, 1)  # (m, B, d)
    energy = np.trace(moment[:, :, :K, :K], axis1=-2, axis2=-1)
    cov = (moment - centre[..., :, None] * centre[..., None, :]) * (size / (size - 1))[None, :, None, None]
    z = x @ maps.transpose(0, 2, 1)  # (m, n, d)
    distance = (z**2).sum(axis=2)[..., None] - 2 * z @ centre.transpose(0, 2, 1) + (centre**2).sum(axis=2)[:, None]
    fourth = ((distance**2) * counts[None]).sum(axis=1)  # (m, B): sum_i w_i ||z_i - mean||^4
    trace, squares = np.trace(cov, axis1=-2, axis2=-1), (cov**2).sum(axis=(-2, -1))
    unbiased = (size - 1) / (size * (size - 2) * (size - 3))
    unbiased = unbiased * ((size - 1) * (size - 2) * squares + trace**2 - size * fourth / (size - 1))
    return np.stack([energy, (trace**2 / unbiased - 1) / (maps.shape[1] - 1)])


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


def halves_of(rng: np.random.Generator, n: int, replicates: int) -> np.ndarray:
    """Complementary half-samples, as mrlens's ``halves`` scheme draws them: columns 2j and 2j + 1 are the
    two halves of one permutation."""
    counts = np.zeros((n, replicates), dtype=np.int64)
    for j in range(0, replicates, 2):
        order = rng.permutation(n)
        counts[order[: n // 2], j] = 1
        if j + 1 < replicates:
            counts[order[n // 2 : 2 * (n // 2)], j + 1] = 1
    return counts


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
    halves = halves_of(rng, n, replicates)
    full = [metrics(m, x, ones) for m in (variant, reference)]
    draws = [metrics(m, x, paired_counts) for m in (variant, reference)]
    split = [metrics(m, x, halves) for m in (variant, reference)]
    estimate = (full[0] - full[1])[..., 0]  # (2 metrics, seeds)
    return {
        "estimate": estimate,
        "paired": draws[0] - draws[1],
        "unpaired": draws[0] - metrics(reference, x, unpaired_counts),
        "halves": split[0] - split[1],
        "truth": population(variant) - population(reference),
    }


def covers(low: float, high: float, truth: float) -> bool:
    return bool(low <= truth <= high)


# per-seed intervals: (label, replicates, method)
PER_SEED = (
    ("paired split halves", "halves", "split-halves"),
    ("paired basic bootstrap", "paired", "basic-bootstrap"),
    ("unpaired basic bootstrap", "unpaired", "basic-bootstrap"),
)


def per_seed_rows(results: list[dict], n: int) -> dict:
    """Coverage and median width of the per-seed intervals (:data:`PER_SEED`), per metric."""
    out = {}
    for m, name in enumerate(("prefix_energy", "isoscore")):
        for kind, replicates, method in PER_SEED:
            hits, widths = [], []
            for r in results:
                for s in range(SEEDS):
                    low, high = interval(method, r["estimate"][m, s], r[replicates][m, s], 0.95, n)
                    hits.append(covers(low, high, r["truth"][m, s]))
                    widths.append(high - low)
            out[(name, kind)] = (np.mean(hits), np.median(widths))
    return out


def pooled_rows(results: list[dict], truth: np.ndarray, n: int) -> dict:
    """Coverage and median width over seeds, S = 3 and 5, of each pooled method and of a t-interval over
    seeds that ignores the shared document noise (``seeds-t`` with no replicate variance). ``seeds-t``
    reads the split halves (its shared noise: their variance, as mrlens computes it for these metrics),
    the others the bootstrap replicates."""
    methods = {**{k: m.formula for k, m in POOLED_METHODS.items()}, "t over seeds alone": None}
    split = METHODS["split-halves"]
    out = {}
    for m, name in enumerate(("prefix_energy", "isoscore")):
        for seeds in (3, 5):
            for label, formula in methods.items():
                hits, widths = [], []
                for r in results:
                    per_seed = r["estimate"][m, :seeds]
                    if formula is None:
                        low, high = POOLED_METHODS["seeds-t"].formula(per_seed, np.zeros((seeds, 2)), 0.95, None)
                    elif label == "seeds-t":
                        halves = r["halves"][m, :seeds]
                        low, high = formula(per_seed, halves, 0.95, lambda v: split.variance(v, n))
                    else:
                        low, high = formula(per_seed, r["paired"][m, :seeds], 0.95, None)
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
            print(f"| {name} | per seed, {kind} | 1 | {100 * hit:.1f} % | {width:.3g} |")
        for (name, seeds, label), (hit, width) in pooled_rows(results, truth, args.n).items():
            print(f"| {name} | over seeds, {label} | {seeds} | {100 * hit:.1f} % | {width:.3g} |")
        print()
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
