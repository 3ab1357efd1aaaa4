"""Paragraphs of a MediaWiki XML dump (by default the English Wikipedia sample shipped in gensim)."""

from __future__ import annotations

import bz2
import re
from pathlib import Path

import pandas as pd

from mrlens.errors import DataError

GENSIM_SAMPLE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
_SKIP = ("=", "*", "|", "{", "!", ":", ";", "#")  # headings, lists, tables, indents
_EMPHASIS = re.compile(r"'{2,}")
_SPACE = re.compile(r"\s+")


def gensim_sample_path() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath(GENSIM_SAMPLE))


def wiki_paragraphs(path: str | Path, min_chars: int = 200) -> pd.DataFrame:
    """Prose paragraphs of at least ``min_chars`` characters, markup removed, with ids ``{page}-{k}``."""
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    path = Path(path)
    if not path.exists():
        raise DataError(f"Wikipedia dump {path} not found")
    rows = []
    opener = bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rb") as handle:
        for _title, text, page_id in extract_pages(handle, filter_namespaces=("0",)):
            k = 0
            for line in filter_wiki(text).split("\n"):
                line = _SPACE.sub(" ", _EMPHASIS.sub("", line)).strip()
                if len(line) >= min_chars and not line.startswith(_SKIP):
                    rows.append((f"{page_id}-{k}", line))
                    k += 1
    return pd.DataFrame(rows, columns=["id", "text"])
