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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

MAX_BLOCK_ELEMENTS = 1 << 23  # rows x documents per block


@dataclass
class PairwiseResult:
    """``log_sums[k]``: for every weight vector w (columns of ``weights``), the log of
    ``sum_{i != j} w_i w_j exp(-t ||u_i - u_j||^2)`` over distinct rows i, j, u the re-normalised
    k-prefix (pairs within one row, at distance 0, are left to the caller); ``neighbours[k]``: sorted Euclidean
    distances from each row to its nearest other
    rows in the raw k-prefix (n x m, float64, recomputed exactly)."""

    log_sums: dict[int, np.ndarray] = field(default_factory=dict)
    neighbours: dict[int, np.ndarray] = field(default_factory=dict)


def _device(device: str | None) -> torch.device:
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def _exact_distances(points: torch.Tensor, candidates: torch.Tensor, chunk: int = 1 << 22) -> torch.Tensor:
    """Sorted distances from each row to its candidate rows, from coordinate differences (the Gram
    identity ||a||^2 + ||b||^2 - 2ab cancels digits for close points; differences do not). One
    gather buffer is reused for every chunk, so memory stays flat."""
    n, m = candidates.shape
    rows = max(1, chunk // (m * points.shape[1]))
    gathered = torch.empty((rows * m, points.shape[1]), dtype=points.dtype, device=points.device)
    squared = torch.empty((n, m), dtype=torch.float64, device=points.device)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        block = gathered[: (stop - start) * m]
        torch.index_select(points, 0, candidates[start:stop].reshape(-1), out=block)
        differences = block.view(stop - start, m, -1).sub_(points[start:stop, None, :]).square_()
        squared[start:stop] = differences.sum(dim=2)
    return squared.sqrt_().sort(dim=1).values


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
    with warnings.catch_warnings():  # read-only arrays (from Parquet) are fine: data is never written
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        data = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
    w = torch.ones((n, 1), dtype=torch.float64) if weights is None else torch.as_tensor(weights, dtype=torch.float64)
    w = w.to(dev)
    w32 = w.to(torch.float32)
    # the dimensions each size adds, as contiguous transposed slabs (dims x documents): every block's
    # product then reads contiguous memory instead of copying a column slice again and again
    slabs, squared_norms, running, previous = {}, {}, torch.zeros(n, dtype=torch.float64, device=dev), 0
    for k in sizes:
        slabs[k] = data[:, previous:k].T.contiguous()
        running = running + slabs[k].square().sum(dim=0, dtype=torch.float64)
        squared_norms[k], previous = running, k
    inverse = {k: (1.0 / v.sqrt()).float() for k, v in squared_norms.items()}
    block = max(1, MAX_BLOCK_ELEMENTS // n)
    total = {k: torch.zeros(w.shape[1], dtype=torch.float64, device=dev) for k in sizes}
    candidates = min(n - 1, neighbours + 4) if neighbours else 0
    nearest: dict[int, list[torch.Tensor]] = {k: [] for k in sizes}
    # buffers allocated once and reused: allocating per block fragments the heap (RSS grows by GBs)
    gram_buffer = torch.empty((block, n), dtype=torch.float32, device=dev)
    work_buffer = torch.empty((block, n), dtype=torch.float32, device=dev)
    top_values = torch.empty((block, max(candidates, 1)), dtype=torch.float32, device=dev)
    top_indices = torch.empty((block, max(candidates, 1)), dtype=torch.int64, device=dev)
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = stop - start
        diagonal = (torch.arange(rows, device=dev), torch.arange(start, stop, device=dev))
        gram, work = gram_buffer[:rows].zero_(), work_buffer[:rows]
        for k in sizes:
            gram.addmm_(slabs[k][:, start:stop].T, slabs[k])
            # exp(-t ||u_i - u_j||^2) = exp(2t cos_ij - 2t)
            torch.mul(gram, (2.0 * t) * inverse[k][start:stop, None], out=work)
            work.mul_(inverse[k][None, :]).sub_(2.0 * t).exp_()
            work[diagonal] = 0.0
            total[k] += ((work @ w32).double() * w[start:stop]).sum(dim=0)  # sum_i w_i sum_j K_ij w_j
            if candidates:
                # ||x_j||^2 - 2 x_i.x_j ranks the neighbours of row i (its own norm is a constant)
                torch.mul(gram, -2.0, out=work).add_(squared_norms[k].float()[None, :])
                work[diagonal] = float("inf")
                torch.topk(
                    work, candidates, dim=1, largest=False, sorted=False, out=(top_values[:rows], top_indices[:rows])
                )
                nearest[k].append(top_indices[:rows].clone())
    result = PairwiseResult()
    for k in sizes:
        result.log_sums[k] = torch.log(total[k]).cpu().numpy()
        if candidates:
            prefix = data[:, :k].contiguous()
            result.neighbours[k] = _exact_distances(prefix, torch.cat(nearest[k]))[:, :neighbours].cpu().numpy()
    return result
