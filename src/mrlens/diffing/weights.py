"""Weight-space differences between twins and their base, streamed tensor by tensor from safetensors.

For a parameter tensor W of a trained model, its base W0 and its task vector dW = W - W0
(Ilharco et al. 2023, "Editing Models with Task Arithmetic", ICLR):

- relative change ``||dW||_F / ||W0||_F``;
- for two twins a and b trained from the same base, the task-vector cosine
  ``<dW_a, dW_b> / (||dW_a||_F ||dW_b||_F)`` and their distance ``||W_a - W_b||_F / ||W0||_F``;
- for each matrix, the singular values of dW and its stable rank ``||dW||_F^2 / ||dW||_2^2``
  (Rudelson & Vershynin 2007): 1 for a rank-one update, the rank for a flat spectrum;
- LayerNorm weight and bias entries that stand out (Kovaleva et al. 2021, "BERT Busters: Outlier
  Dimensions that Disrupt Transformers"): robust z-score ``(x - median) / (1.4826 MAD)`` above k
  within the tensor, for the weights themselves and for their change from the base.

Per layer group (:func:`mrlens.layers.layer_group`) the norms and inner products are summed
over the group's tensors before dividing, so a group's value is that of its concatenated tensors.
Tensors are read one name at a time from the memory-mapped files, so at most three float64 copies
of one tensor are ever held (the base's and two twins' deltas), never a whole model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors import safe_open

from mrlens.errors import DataError
from mrlens.ids import BASE_MODEL_ID
from mrlens.layers import layer_group

MAD_TO_SD = 1.4826  # the MAD of a normal distribution times this is its standard deviation
_LAYERNORM = re.compile(r"(layernorm|layer_norm|(^|\.)ln(_\w+)?\.)", re.IGNORECASE)
_LAYER_PREFIX = re.compile(r"^.*?(?:^|\.)(?:layer|layers|h|block|blocks)\.\d+\.")


# ---- per-tensor quantities (pure) ----------------------------------------------------------------


def singular_values(delta: torch.Tensor | np.ndarray) -> np.ndarray:
    """Singular values of a matrix A, descending, as the square roots of the eigenvalues of the
    smaller Gram matrix (A^T A or A A^T) in float64.

    Several times faster than an SVD for the tall embedding matrices. The leading values and sums
    of squares (stable rank) are accurate to machine precision; a value far below the largest one
    carries an absolute error of about sqrt(eps) times the largest.
    """
    matrix = torch.as_tensor(delta, dtype=torch.float64)
    if matrix.ndim != 2:
        raise ValueError(f"singular values need a matrix, got shape {tuple(matrix.shape)}")
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    eigenvalues = torch.linalg.eigvalsh(gram).clamp(min=0.0)
    return eigenvalues.flip(0).sqrt().numpy()


def stable_rank(values: np.ndarray) -> float:
    """``sum_i s_i^2 / max_i s_i^2`` from singular values s: ``||A||_F^2 / ||A||_2^2``; NaN for a zero matrix."""
    values = np.asarray(values, dtype=np.float64)
    top = float(values.max()) if values.size else 0.0
    if top == 0.0:
        return float("nan")
    return float(np.sum((values / top) ** 2))


def robust_z(values: torch.Tensor | np.ndarray) -> np.ndarray:
    """``(x - median) / (1.4826 MAD)`` per entry (MAD: median absolute deviation from the median).

    When the MAD is 0, entries at the median get 0 and the others +-inf (they stand out of a
    tensor whose other entries are all equal).
    """
    x = np.asarray(torch.as_tensor(values, dtype=torch.float64).reshape(-1))
    deviation = x - np.median(x)
    scale = MAD_TO_SD * np.median(np.abs(deviation))
    if scale > 0:
        return deviation / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(deviation == 0, 0.0, np.sign(deviation) * np.inf)


def is_layernorm(name: str) -> bool:
    """Whether a parameter belongs to a LayerNorm module (``...LayerNorm.weight``, ``ln_1.bias``, ...)."""
    return bool(_LAYERNORM.search(name))


def module_name(name: str) -> str:
    """The parameter's name inside its layer group: ``attention.self.query.weight`` for
    ``encoder.layer.3.attention.self.query.weight``; names outside a block are kept whole."""
    return _LAYER_PREFIX.sub("", name)


# ---- reading weights tensor by tensor -----------------------------------------------------------


def weight_index(folder: str | Path) -> dict[str, tuple[Path, str]]:
    """Every tensor of the ``*.safetensors`` files under a checkpoint folder: name -> (file, key).

    Tensors of a file in a sub-folder (a SentenceTransformer ``2_Dense`` module, say) are named
    ``{sub-folder}/{key}`` so that they cannot clash with the encoder's.
    """
    folder = Path(folder)
    files = sorted(folder.rglob("*.safetensors"))
    if not files:
        raise DataError(f"{folder}: no *.safetensors weights (convert pytorch_model.bin checkpoints first)")
    index: dict[str, tuple[Path, str]] = {}
    for file in files:
        prefix = file.parent.relative_to(folder).as_posix()
        with safe_open(file, framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 (safe_open has no __iter__)
                index[key if prefix == "." else f"{prefix}/{key}"] = (file, key)
    return index


class WeightReader:
    """Memory-mapped access to one checkpoint's tensors; :meth:`get` copies one tensor to float64."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.index = weight_index(folder)
        self._stack = ExitStack()
        self._handles: dict[Path, Any] = {}

    def __enter__(self) -> WeightReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._handles.clear()

    def shape(self, name: str) -> tuple[int, ...]:
        file, key = self.index[name]
        return tuple(self._handle(file).get_slice(key).get_shape())

    def get(self, name: str) -> torch.Tensor:
        file, key = self.index[name]
        return self._handle(file).get_tensor(key).to(torch.float64)

    def _handle(self, file: Path) -> Any:
        if file not in self._handles:
            self._handles[file] = self._stack.enter_context(safe_open(file, framework="pt"))
        return self._handles[file]


def _check_same_tensors(base: WeightReader, model: WeightReader) -> None:
    missing, extra = set(base.index) - set(model.index), set(model.index) - set(base.index)
    if missing or extra:
        raise DataError(
            f"{model.folder}: tensors differ from the base {base.folder} "
            f"(missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]})"
        )
    for name in base.index:
        if base.shape(name) != model.shape(name):
            raise DataError(
                f"{model.folder}: tensor {name} has shape {model.shape(name)}, the base has {base.shape(name)}"
            )


def comparable_models(base: str | Path, models: Mapping[str, str | Path]) -> tuple[dict[str, str | Path], list[str]]:
    """The ``models`` (id -> folder) whose tensors have the names and shapes of the base's, and a
    one-line note for each other one (another architecture: it is left out of the comparison)."""
    kept, notes = {}, []
    with WeightReader(base) as base_reader:
        for model, folder in models.items():
            try:
                with WeightReader(folder) as reader:
                    _check_same_tensors(base_reader, reader)
            except DataError as error:
                notes.append(f"{model}: not diffed, its weights do not match its base's ({error})")
                continue
            kept[model] = folder
    return kept, notes


# ---- the streaming comparison -------------------------------------------------------------------


@dataclass(frozen=True)
class WeightDiff:
    """Tidy tables of one comparison of models against their base and against each other.

    ``tensors`` and ``layers``: columns ``model``, ``reference`` (``base`` or the other twin),
    ``comparison`` (``base`` or ``twin``), ``tensor`` / ``group``, ``quantity``, ``value``.
    ``spectra``: ``model``, ``tensor``, ``group``, ``rank`` (1 = largest), ``singular_value``.
    ``layernorm``: entries standing out, ``model``, ``tensor``, ``group``, ``index``, ``value``,
    ``base_value``, ``delta``, ``z_value``, ``z_delta``, ``outlier_value``, ``outlier_delta``.
    """

    tensors: pd.DataFrame
    layers: pd.DataFrame
    spectra: pd.DataFrame
    layernorm: pd.DataFrame


def _squared_norm(tensor: torch.Tensor) -> float:
    """``||t||_F^2`` without a squared copy of the tensor."""
    return float(torch.linalg.vector_norm(tensor)) ** 2


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _base_records(
    name: str, model: str, w0: torch.Tensor, delta: torch.Tensor, top_singular: int
) -> tuple[dict, list[dict]]:
    base_sq, delta_sq = _squared_norm(w0), _squared_norm(delta)
    record = {
        "model": model,
        "reference": BASE_MODEL_ID,
        "comparison": "base",
        "tensor": name,
        "base_sq": base_sq,
        "delta_sq": delta_sq,
    }
    spectrum: list[dict] = []
    if delta.ndim == 2 and min(delta.shape) > 1:
        values = singular_values(delta)
        record["stable_rank"] = stable_rank(values)
        spectrum = [
            {"model": model, "tensor": name, "rank": k + 1, "singular_value": float(s)}
            for k, s in enumerate(values[:top_singular])
        ]
    return record, spectrum


def _layernorm_rows(name: str, model: str, w0: torch.Tensor, weights: torch.Tensor, k: float) -> list[dict]:
    values, base_values = weights.reshape(-1).numpy(), w0.reshape(-1).numpy()
    delta = values - base_values
    z_value = robust_z(values)
    z_delta = robust_z(delta) if model != BASE_MODEL_ID else np.zeros_like(delta)
    picked = np.flatnonzero((np.abs(z_value) > k) | (np.abs(z_delta) > k))
    return [
        {
            "model": model,
            "tensor": name,
            "index": int(i),
            "value": float(values[i]),
            "base_value": float(base_values[i]),
            "delta": float(delta[i]),
            "z_value": float(z_value[i]),
            "z_delta": float(z_delta[i]),
            "outlier_value": bool(abs(z_value[i]) > k),
            "outlier_delta": bool(abs(z_delta[i]) > k),
        }
        for i in picked
    ]


def _twin_record(name: str, a: str, b: str, w0: torch.Tensor, delta_a: torch.Tensor, delta_b: torch.Tensor) -> dict:
    """Sums of one tensor for a pair of twins; ``delta_a`` is overwritten (no temporary copy)."""
    record = {
        "model": a,
        "reference": b,
        "comparison": "twin",
        "tensor": name,
        "base_sq": _squared_norm(w0),
        "dot": float(torch.dot(delta_a.reshape(-1), delta_b.reshape(-1))),
        "a_sq": _squared_norm(delta_a),
        "b_sq": _squared_norm(delta_b),
    }
    record["diff_sq"] = _squared_norm(delta_a.sub_(delta_b))  # W_a - W_b = dW_a - dW_b
    return record


def _quantities(sums: pd.DataFrame) -> pd.DataFrame:
    """Ratios from summed squares and inner products (one row per tensor, or per group after a sum)."""
    out = pd.DataFrame(index=sums.index)
    if "delta_sq" in sums:
        out["relative_change"] = [_ratio(np.sqrt(d), np.sqrt(b)) for d, b in zip(sums["delta_sq"], sums["base_sq"])]
        out["delta_norm"] = np.sqrt(sums["delta_sq"])
    if "dot" in sums:
        out["task_cosine"] = [_ratio(d, np.sqrt(a * b)) for d, a, b in zip(sums["dot"], sums["a_sq"], sums["b_sq"])]
        out["relative_distance"] = [_ratio(np.sqrt(d), np.sqrt(b)) for d, b in zip(sums["diff_sq"], sums["base_sq"])]
    out["base_norm"] = np.sqrt(sums["base_sq"])
    return out


def _long(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    values = [c for c in frame.columns if c not in keys]
    long = frame.melt(id_vars=keys, value_vars=values, var_name="quantity", value_name="value")
    return long.dropna(subset=["value"]).reset_index(drop=True)


def _summarise(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-tensor and per-layer-group long tables from the raw sums of each (comparison, tensor)."""
    tensor_keys = ["model", "reference", "comparison", "tensor", "group", "module"]
    group_keys = ["model", "reference", "comparison", "group"]
    if not records:  # no model to compare (each left out: another architecture than the base's)
        return pd.DataFrame(columns=[*tensor_keys, "quantity", "value"]), pd.DataFrame(
            columns=[*group_keys, "quantity", "value"]
        )
    raw = pd.DataFrame(records)
    raw["group"] = raw["tensor"].map(layer_group)
    raw["module"] = raw["tensor"].map(module_name)
    sum_columns = [c for c in ("base_sq", "delta_sq", "dot", "a_sq", "b_sq", "diff_sq") if c in raw]
    tensor_frames, group_frames = [], []
    for _, part in raw.groupby("comparison", sort=False):
        part = part.dropna(axis=1, how="all")
        sums = [c for c in sum_columns if c in part]
        per_tensor = pd.concat([part[tensor_keys], _quantities(part[sums])], axis=1)
        if "stable_rank" in part:
            per_tensor["stable_rank"] = part["stable_rank"]
        tensor_frames.append(_long(per_tensor, tensor_keys))
        total = part.assign(group="total")
        for frame in (part, total):
            grouped = frame.groupby(group_keys, sort=False)
            per_group = grouped[sums].sum()
            per_group = pd.concat([per_group, _quantities(per_group)], axis=1).drop(columns=sums)
            if "stable_rank" in frame:
                per_group["stable_rank_median"] = grouped["stable_rank"].median()
            group_frames.append(_long(per_group.reset_index(), group_keys))
    return pd.concat(tensor_frames, ignore_index=True), pd.concat(group_frames, ignore_index=True)


def diff_weights(
    base: str | Path,
    models: Mapping[str, str | Path],
    pairs: Sequence[tuple[str, str]] = (),
    top_singular: int = 8,
    layernorm_k: float = 3.0,
) -> WeightDiff:
    """Compare each of ``models`` (id -> checkpoint folder) with ``base``, and each pair in ``pairs``
    (ids of two models, usually twins of one seed) with each other, tensor by tensor.

    Tensors are read one name at a time from memory-mapped safetensors files: the base tensor, and
    one model tensor at a time (two for a pair). Raises :class:`DataError` when a model's tensor
    names or shapes differ from the base's. The base's own LayerNorm outliers are reported under the
    model id ``base``.
    """
    if top_singular < 1:
        raise ValueError(f"top_singular must be at least 1, got {top_singular}")
    if layernorm_k <= 0:
        raise ValueError(f"layernorm_k must be positive, got {layernorm_k}")
    unknown = {m for pair in pairs for m in pair} - set(models)
    if unknown:
        raise ValueError(f"pairs name models that are not compared: {sorted(unknown)}")
    records: list[dict] = []
    spectra: list[dict] = []
    layernorm: list[dict] = []
    with ExitStack() as stack:
        base_reader = stack.enter_context(WeightReader(base))
        readers = {m: stack.enter_context(WeightReader(folder)) for m, folder in models.items()}
        for reader in readers.values():
            _check_same_tensors(base_reader, reader)
        for name in sorted(base_reader.index):
            w0 = base_reader.get(name)
            if is_layernorm(name):
                layernorm += _layernorm_rows(name, BASE_MODEL_ID, w0, w0, layernorm_k)
            for model, reader in readers.items():
                weights = reader.get(name)
                if is_layernorm(name):
                    layernorm += _layernorm_rows(name, model, w0, weights, layernorm_k)
                delta = weights.sub_(w0)  # in place: one model tensor in memory
                record, spectrum = _base_records(name, model, w0, delta, top_singular)
                records.append(record)
                spectra += spectrum
                del weights, delta
            for a, b in pairs:
                delta_a = readers[a].get(name).sub_(w0)
                delta_b = readers[b].get(name).sub_(w0)
                records.append(_twin_record(name, a, b, w0, delta_a, delta_b))
                del delta_a, delta_b
    tensors, layers = _summarise(records)
    spectra_table = pd.DataFrame(spectra, columns=["model", "tensor", "rank", "singular_value"])
    spectra_table.insert(2, "group", spectra_table["tensor"].map(layer_group))
    ln_columns = [
        "model",
        "tensor",
        "index",
        "value",
        "base_value",
        "delta",
        "z_value",
        "z_delta",
        "outlier_value",
        "outlier_delta",
    ]
    ln_table = pd.DataFrame(layernorm, columns=ln_columns)
    ln_table.insert(2, "group", ln_table["tensor"].map(layer_group))
    return WeightDiff(tensors=tensors, layers=layers, spectra=spectra_table, layernorm=ln_table)
