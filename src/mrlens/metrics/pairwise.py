"""One pass over pairs of documents for every prefix size: uniformity sums and nearest neighbours.

For prefix sizes ``k_1 < k_2 < ...`` the Gram matrix of a block of rows against all rows is built
up segment by segment (``G_{k_2} = G_{k_1} + X[:, k_1:k_2] X[:, k_1:k_2]^T``), so every size costs
one matrix product over its new dimensions only. From ``G_k`` and the prefix norms come both the
cosine (for the uniformity loss of the re-normalised prefix) and the squared Euclidean distance
(for nearest neighbours of the raw prefix). No n x n matrix is ever held: memory is
O(block x n). Rows carry integer weights (multiplicities), so duplicated documents and bootstrap
resamples are exact without repeating work. Runs on a GPU through torch when one is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

MAX_BLOCK_ELEMENTS = 1 << 23  # rows x documents per block


@dataclass
class PairwiseResult:
    """``log_sums[k]``: for every weight vector w (columns of ``weights``), the log of
    ``sum_{i != j} w_i w_j exp(-t ||u_i - u_j||^2)`` over distinct rows i, j, u the re-normalised
    k-prefix (pairs within one row, at distance 0, are left to the caller); ``neighbours[k]``: sorted Euclidean distances from each row to its nearest other
    rows in the raw k-prefix (n x m, float64, recomputed exactly)."""

    log_sums: dict[int, np.ndarray] = field(default_factory=dict)
    neighbours: dict[int, np.ndarray] = field(default_factory=dict)


def _device(device: str | None) -> torch.device:
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def _exact_distances(points: torch.Tensor, candidates: torch.Tensor, chunk: int = 1 << 22) -> torch.Tensor:
    """Sorted float64 distances from each row to its candidate rows (the float32 Gram trick loses
    precision for close points; this recomputation does not)."""
    rows = max(1, chunk // (candidates.shape[1] * points.shape[1]))
    out = []
    for start in range(0, len(points), rows):
        own = points[start : start + rows].double()
        other = points[candidates[start : start + rows]].double()
        out.append(torch.sort(((own[:, None, :] - other) ** 2).sum(dim=2).sqrt(), dim=1).values)
    return torch.cat(out)


def prefix_pairwise(
    x: np.ndarray,
    dims: Sequence[int],
    t: float = 2.0,
    weights: np.ndarray | None = None,
    neighbours: int = 0,
    device: str | None = None,
) -> PairwiseResult:
    """Uniformity log-sums (for each column of ``weights``, n x B; default one column of ones) and
    the ``neighbours`` nearest-neighbour distances of every row, for every prefix size in ``dims``.

    Rows must be distinct points when ``neighbours > 0`` (pass multiplicities as weights instead of
    repeating rows); ``dims`` ascending. A block of rows is never compared with itself on the
    diagonal, so a row's copies add nothing here: their pairs (kernel value 1) are counted by the caller.
    """
    dev = _device(device)
    n, _ = x.shape
    sizes = list(dims)
    data = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
    w = torch.ones((n, 1), dtype=torch.float64) if weights is None else torch.as_tensor(weights, dtype=torch.float64)
    w = w.to(dev)
    w32 = w.to(torch.float32)
    squares = torch.cumsum(data.double() ** 2, dim=1)
    norms = {k: squares[:, k - 1] for k in sizes}
    inv = {k: (1.0 / norms[k].sqrt()).float() for k in sizes}
    sq32 = {k: norms[k].float() for k in sizes}
    block = max(1, MAX_BLOCK_ELEMENTS // n)
    # running log-sums, kept as (max, scaled sum) per size and weight column
    total = {k: torch.zeros(w.shape[1], dtype=torch.float64, device=dev) for k in sizes}
    candidates = min(n - 1, neighbours + 8) if neighbours else 0
    nearest = {k: [] for k in sizes} if neighbours else {}
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = torch.arange(start, stop, device=dev)
        gram = torch.zeros((stop - start, n), dtype=torch.float32, device=dev)
        previous = 0
        for k in sizes:
            gram += data[start:stop, previous:k] @ data[:, previous:k].T
            previous = k
            cosine = gram * inv[k][start:stop, None] * inv[k][None, :]
            # exp(-t ||u_i - u_j||^2) = exp(-2t (1 - cos)); shift by exp(-4t) <= value <= 1 is safe in float32
            kernel = torch.exp(-2.0 * t * (1.0 - cosine.clamp(-1.0, 1.0)))
            kernel[rows - start, rows] = 0.0
            # sum_i w_i sum_j kernel_ij w_j, for every weight column at once
            total[k] += ((kernel @ w32).double() * w[start:stop]).sum(dim=0)
            if candidates:
                distance = sq32[k][start:stop, None] + sq32[k][None, :] - 2.0 * gram
                distance[rows - start, rows] = float("inf")
                nearest[k].append(torch.topk(distance, candidates, dim=1, largest=False).indices)
    result = PairwiseResult()
    for k in sizes:
        result.log_sums[k] = torch.log(total[k]).cpu().numpy()
        if candidates:
            result.neighbours[k] = _exact_distances(data[:, :k], torch.cat(nearest[k]))[:, :neighbours].cpu().numpy()
    return result
