"""Model ids, written and parsed in one place: the base checkpoint's id and the trained models'
``{variant}_s{seed}``. Light (no imports beyond the standard library): the workflow reads it while
Snakemake parses the config."""

from __future__ import annotations

BASE_MODEL_ID = "base"


def trained_model_id(variant: str, seed: int | str) -> str:
    """Folder name of a trained model: ``{variant}_s{seed}``."""
    return f"{variant}_s{seed}"


def parse_model_id(model: str) -> tuple[str, int | None]:
    """(variant, seed) of a model id made by :func:`trained_model_id`; the base model is
    ``(BASE_MODEL_ID, None)``. Raises ``ValueError`` for any other form."""
    if model == BASE_MODEL_ID:
        return BASE_MODEL_ID, None
    variant, separator, seed = model.rpartition("_s")
    if not separator or not variant or not seed.isdigit():
        raise ValueError(f"{model!r} is not a model id of the form {{variant}}_s{{seed}}")
    return variant, int(seed)
