"""Turn a configured source (``data.pairs.NAME`` or ``data.corpora.NAME``) into a clean table."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mrlens.data.tabular import load_hub_table, read_local_table, select_columns
from mrlens.data.wiki import gensim_sample_path, wiki_paragraphs
from mrlens.data.wordnet import gloss_pairs
from mrlens.errors import DataError
from mrlens.kinds import CORPUS_SOURCES

WORDNET_DIR = "/usr/share/wordnet"


# kinds of mrlens.kinds.PAIR_SOURCES / CORPUS_SOURCES read as a table (wordnet and gensim_wiki have their own readers)
TABLE_READERS: dict[str, Callable[[Mapping[str, Any], str], pd.DataFrame]] = {
    "local": lambda spec, source: read_local_table(spec["path"], source),
    "hub": lambda spec, source: load_hub_table(spec["name"], spec.get("subset"), spec.get("split", "train"), source),
}


def _raw_table(spec: Mapping[str, Any], source: str) -> pd.DataFrame:
    kind = spec["kind"]
    if kind not in TABLE_READERS:
        raise DataError(f"{source}.kind: unknown kind {kind!r}")
    for key in CORPUS_SOURCES[kind].needs:
        if key not in spec:
            raise DataError(f"{source}.{key}: a {kind} source needs it")
    return TABLE_READERS[kind](spec, source)


def _check_text(frame: pd.DataFrame, columns: list[str], source: str) -> pd.DataFrame:
    if frame.empty:
        raise DataError(f"{source}: the source has no rows")
    for column in columns:
        values = frame[column]
        bad = values.isna() | (values.astype(str).str.strip() == "")
        if bad.any():
            raise DataError(f"{source}: column {column!r} is empty in row {int(np.argmax(bad.to_numpy()))}")
        frame[column] = values.astype(str)
    return frame


def group_fraction(groups: pd.Series, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per group from SHA-256 of ``"{seed}:{group}"``: stable across runs,
    machines and row order, so a group's side of the split never depends on what else is in the data."""
    return np.array(
        [int.from_bytes(hashlib.sha256(f"{seed}:{g}".encode()).digest()[:8], "big") / 2**64 for g in groups]
    )


def split_heldout(
    pairs: pd.DataFrame, fraction: float, seed: int, group: str = "group"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split pairs by group (every pair of a group on the same side); ``fraction`` of groups held out."""
    heldout = group_fraction(pairs[group], seed) < fraction
    return pairs[~heldout].reset_index(drop=True), pairs[heldout].reset_index(drop=True)


def _sample(frame: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """At most ``limit`` rows, drawn with ``seed`` and kept in their original order."""
    if limit is None or len(frame) <= limit:
        return frame
    keep = np.sort(np.random.default_rng(seed).choice(len(frame), size=limit, replace=False))
    return frame.iloc[keep].reset_index(drop=True)


def prepare_pairs(spec: Mapping[str, Any], source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out pairs (anchor, positive[, negative], group) of ``data.pairs.NAME``.

    WordNet pairs are grouped by synset; other sources by anchor text, so the same anchor never
    appears on both sides. ``max_pairs`` caps the training side (seeded sample).
    """
    if spec["kind"] == "wordnet":
        pairs = gloss_pairs(Path(spec.get("path", WORDNET_DIR)))
    else:
        pairs = select_columns(
            _raw_table(spec, source), spec.get("columns", {}), ["anchor", "positive"], ["negative"], source
        )
        pairs = _check_text(pairs, list(pairs.columns), source)
        pairs["group"] = pairs["anchor"]
    pairs = _check_text(pairs, ["anchor", "positive"], source)
    train, heldout = split_heldout(pairs, spec.get("heldout_fraction", 0.1), spec.get("seed", 0))
    if train.empty:
        raise DataError(f"{source}: no training pairs left after holding out {spec.get('heldout_fraction')}")
    return _sample(train, spec.get("max_pairs"), spec.get("seed", 0)), heldout


def prepare_corpus(spec: Mapping[str, Any], source: str) -> pd.DataFrame:
    """Documents (id, text) of ``data.corpora.NAME``; ids must be unique, texts non-empty."""
    min_chars = spec.get("min_chars")
    if spec["kind"] == "gensim_wiki":
        docs = wiki_paragraphs(spec.get("path") or gensim_sample_path(), 200 if min_chars is None else min_chars)
    else:
        raw = _raw_table(spec, source)
        columns = dict(spec.get("columns", {}))
        if "id" not in columns and "id" not in raw.columns:
            raw = raw.assign(id=np.arange(len(raw)).astype(str))
        docs = select_columns(raw, columns, ["id", "text"], [], source)
        docs["id"] = docs["id"].astype(str)
        docs = docs[docs["text"].astype(str).str.len() >= (min_chars or 0)]
    docs = _check_text(docs.reset_index(drop=True), ["id", "text"], source)
    duplicated = docs["id"].duplicated()
    if duplicated.any():
        raise DataError(f"{source}: duplicate document id {docs['id'][duplicated].iloc[0]!r}")
    return _sample(docs, spec.get("max_docs"), spec.get("seed", 0))
