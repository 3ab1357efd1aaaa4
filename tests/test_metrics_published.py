"""Metrics as their papers define them, against independent oracles: the IsoScore package's IsoScore_star,
brute force over all pairs, hand-computed cases, scikit-dimension and scipy's pairwise distances."""

from __future__ import annotations

import numpy as np
import pytest
import skdim
import torch
from IsoScore import IsoScore
from scipy.spatial.distance import cdist

from mrlens.metrics.duplicates import near_duplicates
from mrlens.metrics.intrinsic import mle_dimension, twonn_dimension
from mrlens.metrics.isotropy import (
    average_cosine,
    isoscore,
    isoscore_star,
    isoscore_star_by_prefix,
    isoscore_star_from_covariance,
    minibatches,
)
from mrlens.metrics.rogue import cosine_contributions, cosine_shares, rogue_count, top_share


def neighbour_distances(x: np.ndarray, m: int) -> np.ndarray:
    """Distances from every row to its m nearest other rows, by brute force from coordinate differences
    (exact zeros for duplicates, unlike the Gram identity)."""
    distances = cdist(x, x)
    np.fill_diagonal(distances, np.inf)
    return np.sort(distances, axis=1)[:, :m]


def shaped(raw: np.ndarray, spectrum: np.ndarray) -> np.ndarray:
    """``raw`` whitened with its own sample covariance, then scaled: its sample covariance is exactly diag(spectrum)."""
    centred = raw - raw.mean(axis=0)
    return np.linalg.solve(np.linalg.cholesky(np.cov(centred.T)), centred.T).T * np.sqrt(spectrum)


# IsoScore* (Rudman & Eickhoff 2024)


def test_isoscore_star_matches_reference_package_on_every_batch_and_prefix() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 12)) @ rng.standard_normal((12, 12))
    c0 = np.cov(x.T)
    batches = minibatches(np.arange(len(x)), 16, 6, seed=5)
    for zeta in (0.0, 0.2, 0.7):
        ours = isoscore_star_by_prefix(x, [4, 8, 12], c0, zeta, batches)
        for k in (4, 8, 12):
            c0_k = torch.tensor(c0[:k, :k])
            reference = [float(IsoScore.IsoScore_star(x[rows, :k], c0_k, zeta)) for rows in batches]
            assert ours[k] == pytest.approx(np.mean(reference), rel=1e-6)
    by_prefix = isoscore_star_by_prefix(x, [12], c0, 0.2, batches)[12]
    assert isoscore_star(x, 0.2, 16, 6, seed=5) == pytest.approx(by_prefix, rel=1e-12)


def test_isoscore_star_is_not_a_function_of_isoscore() -> None:
    """Two samples with the same covariance, so the same IsoScore (and the same value under the old
    ``C0 = (tr C / d) I``), but heavy tails in one: its mini-batch covariances scatter more."""
    rng = np.random.default_rng(1)
    spectrum = np.linspace(1.0, 4.0, 8)
    gaussian = shaped(rng.standard_normal((2000, 8)), spectrum)
    heavy = shaped(rng.standard_normal((2000, 8)) / np.sqrt(rng.chisquare(3, (2000, 1)) / 3), spectrum)
    assert isoscore(gaussian) == pytest.approx(isoscore(heavy), rel=1e-9)
    scaled_identity = np.eye(8) * spectrum.mean()
    old = [isoscore_star_from_covariance(np.cov(x.T), 0.2, scaled_identity) for x in (gaussian, heavy)]
    assert old[0] == pytest.approx(old[1], rel=1e-9)
    new = [isoscore_star(x, 0.2, 16, 50, seed=0) for x in (gaussian, heavy)]
    assert new[0] - new[1] > 0.1  # measured 0.608 against 0.451


def test_isoscore_star_runs_from_the_batches_isoscore_to_the_corpus_isoscore() -> None:
    """zeta = 0: the mean IsoScore of the batches, capped at (m - 2)/(d - 1); zeta = 1: the corpus's IsoScore."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3000, 32)) * np.linspace(0.5, 1.5, 32)
    batches = minibatches(np.arange(len(x)), 16, 40, seed=0)
    plain = [isoscore(x[rows]) for rows in batches]
    assert max(plain) <= 14 / 31 + 1e-12  # 16 points span 15 dimensions
    scores = [isoscore_star_by_prefix(x, [32], np.cov(x.T), zeta, batches)[32] for zeta in (0.0, 0.2, 0.5, 0.8, 1.0)]
    assert scores[0] == pytest.approx(np.mean(plain), rel=1e-10)
    assert scores[-1] == pytest.approx(isoscore(x), rel=1e-10)
    assert np.all(np.diff(scores) > 0.05)  # measured 0.258, 0.342, 0.515, 0.699, 0.751


def test_minibatches_are_seeded_and_never_repeat_a_document() -> None:
    population = np.repeat(np.arange(5), [1, 1, 1, 1, 6])  # row 4 stands for 6 documents
    batches = minibatches(population, 10, 20, seed=1)
    assert np.array_equal(batches, minibatches(population, 10, 20, seed=1))
    assert not np.array_equal(minibatches(population, 3, 20, seed=(1, 0)), minibatches(population, 3, 20, seed=(1, 1)))
    assert (np.sort(batches, axis=1) == np.sort(population)).all()  # a batch of all 10 documents is the population
    frequencies = np.bincount(minibatches(population, 3, 2000, seed=2).ravel(), minlength=5) / 6000
    assert frequencies[4] == pytest.approx(0.6, abs=0.02)  # 6 of 10 documents


def test_isoscore_star_bad_input() -> None:
    x = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match="zeta must lie in"):
        isoscore_star(x, 1.5, 10, 3, seed=0)
    with pytest.raises(ValueError, match=r"sample_size must lie in \[2, 50\]"):
        isoscore_star(x, 0.2, 51, 3, seed=0)
    with pytest.raises(ValueError, match="C0 covers 3 dimensions"):
        isoscore_star(x, 0.2, 10, 3, seed=0, c0=np.eye(3))


# Near-duplicates for TwoNN and MLE


def manifold(n: int, d: int, intrinsic: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, intrinsic)) @ rng.standard_normal((intrinsic, d))


def test_exact_duplicates_are_merged_into_their_first_row() -> None:
    x = manifold(200, 10, 4, seed=0)
    with_copies = np.vstack([x, x[[7, 7, 30]]])
    for fraction in (0.0, 1e-2):
        found = near_duplicates(with_copies, neighbour_distances(with_copies, 1)[:, 0], fraction)
        assert found.dropped == 3
        assert found.labels[200:].tolist() == [7, 7, 30]
        assert np.array_equal(found.representatives, np.arange(200))


@pytest.mark.parametrize("copied", [np.zeros(300, dtype=int), np.arange(300)])
def test_near_duplicates_restore_twonn_and_mle(copied: np.ndarray) -> None:
    """300 near-copies (1e-6 noise) of one point, or of 300 points: keeping one point per cluster gives the
    clean values exactly. Copies of 300 points take TwoNN from 4.90 to 0.10 and MLE from 4.86 to 1.87;
    copies of one point form their own small 32-dimensional ball (TwoNN 5.96, MLE 5.88)."""
    x = manifold(1000, 32, 5, seed=1)
    noisy = np.vstack([x, x[copied] + 1e-6 * np.random.default_rng(2).standard_normal((300, 32))])
    clean_twonn = skdim.id.TwoNN(discard_fraction=0.1).fit(x).dimension_
    clean_mle = skdim.id.MLE().fit(x, n_neighbors=20).dimension_
    assert clean_twonn == pytest.approx(5, rel=0.1)
    broken = neighbour_distances(noisy, 20)
    assert abs(twonn_dimension(broken[:, 0], broken[:, 1]) - clean_twonn) > 0.5
    assert abs(mle_dimension(broken) - clean_mle) > 0.5
    found = near_duplicates(noisy, broken[:, 0])
    assert found.dropped == 300
    assert np.array_equal(found.representatives, np.arange(1000))
    kept = neighbour_distances(noisy[found.representatives], 20)
    assert twonn_dimension(kept[:, 0], kept[:, 1]) == pytest.approx(clean_twonn, rel=1e-9)
    assert mle_dimension(kept) == pytest.approx(clean_mle, rel=1e-9)


def test_prefix_only_duplicates_are_measured_once_at_that_size_only() -> None:
    """Rows 400..409 equal rows 0..9 in their first 4 dimensions and differ beyond: at size 4 each pair
    is one point (kept once, not dropped twice); at full size nothing is dropped."""
    rng = np.random.default_rng(4)
    x = manifold(400, 16, 3, seed=3) + 0.1 * rng.standard_normal((400, 16))
    twins = np.hstack([x[:10, :4], rng.standard_normal((10, 12))])
    both = np.vstack([x, twins])
    at_four = near_duplicates(both[:, :4], neighbour_distances(both[:, :4], 1)[:, 0])
    assert at_four.dropped == 10
    assert at_four.labels[400:].tolist() == list(range(10))
    kept = neighbour_distances(both[at_four.representatives, :4], 2)
    assert twonn_dimension(kept[:, 0], kept[:, 1]) == pytest.approx(skdim.id.TwoNN().fit(x[:, :4]).dimension_, rel=1e-9)
    assert near_duplicates(both, neighbour_distances(both, 1)[:, 0]).dropped == 0


def test_near_duplicates_chain_and_threshold() -> None:
    """Single linkage: rows within the threshold of each other join, transitively; the threshold is the
    fraction of the median of the non-zero first-neighbour distances (hand case on a line)."""
    x = np.array([[0.0], [10.0], [20.0], [30.0], [30.06], [30.12], [40.0]])
    r1 = np.array([10.0, 10.0, 10.0, 0.06, 0.06, 0.06, 9.88])
    found = near_duplicates(x, r1, fraction=0.008)  # median 9.88 -> threshold 0.079: 30, 30.06, 30.12 chain
    assert found.threshold == pytest.approx(0.07904)
    assert found.labels.tolist() == [0, 1, 2, 3, 3, 3, 6]
    assert near_duplicates(x, r1, fraction=0.005).dropped == 0  # threshold 0.049
    with pytest.raises(ValueError, match="one distance per row"):
        near_duplicates(x, r1[:3])


# Rogue dimensions (Timkey & van Schijndel 2021)


def brute_contributions(u: np.ndarray, documents: np.ndarray) -> np.ndarray:
    """Mean of u_a * u_b over all ordered pairs of rows a != b of different documents, re-normalised rows."""
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    products = u[:, None, :] * u[None, :, :]
    distinct = documents[:, None] != documents[None, :]
    return products[distinct].mean(axis=0)


def test_cosine_contributions_match_all_pairs_at_every_prefix() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 6)) + np.array([3.0, 0.0, 1.0, 0.0, 0.0, -2.0])
    for k in (2, 4, 6):
        ours = cosine_contributions(x[:, :k])
        assert ours == pytest.approx(brute_contributions(x[:, :k], np.arange(40)), rel=1e-10, abs=1e-14)
        assert ours.sum() == pytest.approx(average_cosine(x[:, :k]), rel=1e-10)


def test_cosine_contributions_with_weights_match_the_repeated_draws() -> None:
    """Distinct rows with multiplicities (duplicate documents) and a bootstrap replicate that draws some
    documents more than once: pairs of draws of one document are left out, pairs of twin documents kept."""
    rng = np.random.default_rng(6)
    rows = rng.standard_normal((12, 5)) + 1.0
    inverse = np.array([0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 11])  # 15 documents on 12 rows
    draws = rng.integers(0, 15, (15, 3))
    per_document = np.stack([np.ones(15)] + [np.bincount(d, minlength=15) for d in draws.T[1:]], axis=1)
    weights = np.stack([np.bincount(inverse, per_document[:, c], minlength=12) for c in range(3)], axis=1)
    excluded = np.stack([np.bincount(inverse, per_document[:, c] ** 2, minlength=12) for c in range(3)], axis=1)
    ours = cosine_contributions(rows, weights, excluded)
    for c in range(3):
        documents = np.repeat(np.arange(15), per_document[:, c].astype(int))
        assert ours[c] == pytest.approx(brute_contributions(rows[inverse[documents]], documents), rel=1e-10)
    assert cosine_contributions(rows, weights[:, 0]) == pytest.approx(ours[0], rel=1e-12)  # default: each draw itself


def test_shares_top_share_and_count_hand_case() -> None:
    """u = (1,1,0)/v2, (1,0,1)/v2, (1,-1,0)/v2: dimension 0 gives 1/2 to every pair, dimension 1 gives
    -1/2 to one pair of three, dimension 2 nothing: C = (1/2, -1/6, 0), expected cosine 1/3."""
    x = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
    contributions = cosine_contributions(x)
    assert contributions == pytest.approx([1 / 2, -1 / 6, 0.0], abs=1e-15)
    shares = cosine_shares(contributions)
    assert shares == pytest.approx([1.5, -0.5, 0.0], abs=1e-15)
    assert float(top_share(shares, 1)) == pytest.approx(1.5)
    assert float(top_share(shares, 2)) == pytest.approx(1.5)
    assert float(rogue_count(shares, 2.0)) == 1  # above 2/3
    assert float(rogue_count(shares, 5.0)) == 0  # above 5/3
    balanced = cosine_shares(cosine_contributions(np.array([[1.0, 1.0], [1.0, -1.0]])))  # C = (1/2, -1/2)
    assert np.isnan(balanced).all() and np.isnan(rogue_count(balanced, 5.0)) and np.isnan(top_share(balanced, 1))


def test_a_planted_rogue_dimension_holds_the_cosine() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3000, 20))
    x[:, 3] += 10.0
    shares = cosine_shares(cosine_contributions(x))
    assert int(np.argmax(shares)) == 3
    assert float(top_share(shares, 1)) > 0.97
    assert float(rogue_count(shares, 5.0)) == 1
