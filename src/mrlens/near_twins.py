"""Near-twins: an MRL model and the model it names in ``twin_of`` (``models:``), two published releases of
one group and architecture trained separately, not one recipe run with and without MRL (docs/zoo.md).

Their paired differences are computed as the trained twins' are, and labelled so that no reader takes them
for a controlled effect: ``pairing`` is ``twin`` for twins trained here (same base, data order, seed and
hyper-parameters) and ``near-twin`` for external pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

TWIN, NEAR_TWIN = "twin", "near-twin"


def with_pairing(table: pd.DataFrame, near_twins: Iterable[Sequence[str]]) -> pd.DataFrame:
    """``table`` (with ``variant`` and ``reference`` columns) with a ``pairing`` column after ``reference``:
    ``near-twin`` for the (model, twin_of) pairs of ``near_twins``, ``twin`` for the other pairs, missing
    where a row compares a model with itself (two sizes or precisions of one model)."""
    near = {tuple(pair) for pair in near_twins}
    pairs = list(zip(table["variant"], table["reference"]))
    labels = [None if a == b else NEAR_TWIN if (a, b) in near else TWIN for a, b in pairs]
    table = table.drop(columns="pairing", errors="ignore")
    table.insert(table.columns.get_loc("reference") + 1, "pairing", pd.array(labels, dtype="string"))
    return table


def near_twin_note(near_twins: Iterable[Sequence[str]]) -> str:
    """A paragraph for the findings report: which comparisons are near-twins and what they allow one to
    conclude; empty without near-twins."""
    names = [f"{a} − {b}" for a, b in near_twins]
    if not names:
        return ""
    return (
        f"\n**Near-twins** ({', '.join(names)}): each compares two published releases trained separately, "
        "so data, steps and recipe may differ as well as MRL. A verdict says how these two models differ on "
        "these documents, not that MRL caused it; only twins trained here (same base, data order, seed and "
        "hyper-parameters) isolate MRL. See docs/zoo.md.\n"
    )
