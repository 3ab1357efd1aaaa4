"""Tables from local files (jsonl, parquet, csv) or the Hugging Face Hub, renamed to our columns."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from mrlens.errors import DataError

READERS = {
    ".jsonl": lambda p: pd.read_json(p, lines=True, dtype=False, encoding="utf-8"),
    ".json": lambda p: pd.read_json(p, lines=True, dtype=False, encoding="utf-8"),
    ".parquet": pd.read_parquet,
    ".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8"),
}


def read_local_table(path: str | Path, source: str) -> pd.DataFrame:
    """Read a .jsonl, .parquet or .csv file; errors name the ``source`` key and the file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{source}: file {path} not found")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{source}: {path} has an unknown format; use .jsonl, .parquet or .csv")
    try:
        return reader(path)
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except Exception as exc:  # pandas and pyarrow raise many kinds for a malformed file
        raise DataError(f"{source}: cannot read {path} ({type(exc).__name__}: {exc})") from exc


def load_hub_table(name: str, subset: str | None, split: str, source: str) -> pd.DataFrame:
    """A split of a Hugging Face dataset (or a local dataset folder) through ``datasets.load_dataset``.

    A local folder is read through a cache of its own, dropped after reading: ``datasets`` keys its shared
    cache by the folder's name and file layout, not by the files' contents, so a folder rebuilt (or another
    folder of the same name and layout) would otherwise be read as the first one was.
    """
    import datasets

    try:
        if Path(name).is_dir():
            with tempfile.TemporaryDirectory(prefix="mrlens-datasets-") as cache:
                return datasets.load_dataset(name, subset, split=split, cache_dir=cache).to_pandas()
        return datasets.load_dataset(name, subset, split=split).to_pandas()
    except Exception as exc:  # offline, unknown id or split: datasets raises many kinds
        raise DataError(
            f"{source}: cannot load dataset {name!r} (subset {subset!r}, split {split!r}) "
            f"through datasets.load_dataset ({type(exc).__name__}: {exc})"
        ) from exc


def select_columns(
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    required: Sequence[str],
    optional: Sequence[str],
    source: str,
) -> pd.DataFrame:
    """Rename the source's columns to ours (``mapping``: ours -> theirs; unmapped names map to themselves)."""
    unknown = set(mapping) - set(required) - set(optional)
    if unknown:
        raise DataError(
            f"{source}.columns: unknown column name(s) {sorted(unknown)}; ours are {list(required) + list(optional)}"
        )
    out = {}
    for ours in [*required, *optional]:
        theirs = mapping.get(ours, ours)
        if theirs in frame.columns:
            out[ours] = frame[theirs]
        elif ours in required or ours in mapping:
            raise DataError(f"{source}: column {theirs!r} (for {ours!r}) not found; the data has {list(frame.columns)}")
    return pd.DataFrame(out)
