"""Linear centred kernel alignment (CKA) between representations of the same documents.

Kornblith, Norouzi, Lee & Hinton 2019, "Similarity of Neural Network Representations Revisited"
(ICML). For representations X (n x p) and Y (n x q) of the same n documents, with Gram matrices
K = X X^T, L = Y Y^T and the centring matrix H = I - 1 1^T / n,

    HSIC(K, L) = tr(K H L H) / (n - 1)^2
    CKA(K, L)  = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)).

With the columns of X and Y centred this is, for the linear kernel,

    CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F),

which lies in [0, 1], equals 1 for Y = X Q s (Q orthogonal, s a non-zero scalar) and is not
invariant to general invertible maps. The estimate is biased upwards at small n (two random
representations with n << p score well above 0): report n beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mrlens.metrics.checks import as_points, as_sizes


def _centred_unit(x: np.ndarray) -> np.ndarray | None:
    """Columns centred in float64, the whole matrix scaled to Frobenius norm 1; None when constant.

    The scaling leaves CKA unchanged and keeps the fourth powers in its formula away from overflow
    and underflow.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    largest = float(np.max(np.abs(x))) if x.size else 0.0
    if largest == 0.0:
        return None
    x = x / largest  # first to [-1, 1], so that the norm's squares cannot overflow
    return x / np.linalg.norm(x)


def _check_pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = as_points(x), as_points(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"representations of different documents: {x.shape[0]} rows against {y.shape[0]}")
    return x, y


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA between ``x`` (n x p) and ``y`` (n x q), rows the same documents in the same order.

    ``||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)`` after centring the columns (see the module
    docstring for the HSIC form; Kornblith et al. 2019). Computed in float64 on matrices scaled to
    unit Frobenius norm, through the p x q cross-covariance when the features are fewer than the
    documents and through the n x n Gram matrices otherwise. NaN when either representation is
    constant over the documents (CKA is undefined there).
    """
    x, y = _check_pair(x, y)
    xc, yc = _centred_unit(x), _centred_unit(y)
    if xc is None or yc is None:
        return float("nan")
    n = xc.shape[0]
    if max(xc.shape[1], yc.shape[1]) <= n:
        cross = np.linalg.norm(yc.T @ xc) ** 2
        self_x, self_y = np.linalg.norm(xc.T @ xc), np.linalg.norm(yc.T @ yc)
    else:
        gram_x, gram_y = xc @ xc.T, yc @ yc.T
        cross = float(np.sum(gram_x * gram_y))
        self_x, self_y = np.linalg.norm(gram_x), np.linalg.norm(gram_y)
    return float(np.clip(cross / (self_x * self_y), 0.0, 1.0))


def _unit_gram(x: np.ndarray) -> np.ndarray | None:
    """The Gram matrix of the centred ``x``, scaled to Frobenius norm 1 (None when constant)."""
    xc = _centred_unit(x)
    if xc is None:
        return None
    gram = xc @ xc.T
    return gram / np.linalg.norm(gram)


def cka_pairs(representations: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Linear CKA between every unordered pair of named representations of the same documents.

    Each Gram matrix is centred and normalised once, so a pair costs one n x n inner product:
    ``CKA = <K~, L~>_F`` with K~ = K_c / ||K_c||_F. Returns columns ``model_a``, ``model_b`` (in the
    order given, a before b), ``cka`` and ``n``.
    """
    names = list(representations)
    checked = {name: as_points(representations[name]) for name in names}
    sizes = {name: x.shape[0] for name, x in checked.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"representations of different documents: row counts {sizes}")
    grams = {name: _unit_gram(x) for name, x in checked.items()}
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ga, gb = grams[a], grams[b]
            value = float("nan") if ga is None or gb is None else float(np.clip(np.sum(ga * gb), 0.0, 1.0))
            rows.append({"model_a": a, "model_b": b, "cka": value, "n": sizes[a]})
    return pd.DataFrame(rows, columns=["model_a", "model_b", "cka", "n"])


def layer_cka(hidden: Mapping[str, np.ndarray], layers: Sequence[int] | None = None) -> pd.DataFrame:
    """Linear CKA per layer between every pair of models.

    ``hidden[name]`` is (layers x n x d): the mean-pooled hidden states of each layer (index 0 is the
    embedding layer's output) for the same n probe documents. Returns columns ``layer``,
    ``model_a``, ``model_b``, ``cka``, ``n``.
    """
    counts = {name: np.shape(h)[0] for name, h in hidden.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(f"models with different numbers of layers: {counts}")
    layers = range(next(iter(counts.values()))) if layers is None else layers
    frames = [cka_pairs({name: h[layer] for name, h in hidden.items()}).assign(layer=layer) for layer in layers]
    table = pd.concat(frames, ignore_index=True)
    return table[["layer", "model_a", "model_b", "cka", "n"]]


def truncation_cka(vectors: np.ndarray, dims: Sequence[int], normalise: bool = True) -> pd.DataFrame:
    """Linear CKA between each prefix of an embedding (its first k dimensions) and the full embedding.

    With ``normalise`` each prefix and the full vector are L2-normalised per document first, as
    they are used after Matryoshka truncation. A prefix of the full embedding is a projection, so
    the value says how much of the full representation's similarity structure the first k
    dimensions keep (1 at k = d). Returns columns ``dim``, ``cka``, ``n``.
    """
    vectors = as_points(vectors)
    sizes = as_sizes(dims, vectors.shape[1])

    def prepared(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if not normalise:
            return x
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.where(norms > 0, norms, 1.0)

    full = prepared(vectors)
    rows = [{"dim": k, "cka": linear_cka(prepared(vectors[:, :k]), full), "n": len(vectors)} for k in sizes]
    return pd.DataFrame(rows, columns=["dim", "cka", "n"])
