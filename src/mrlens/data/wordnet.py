"""Read WordNet 3.0 database files (``data.noun``, ``data.verb``, ``data.adj``, ``data.adv``).

A data line is ``offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...]
[frames...] | gloss``, where ``w_cnt`` is two hexadecimal digits and the gloss holds the
definition followed by quoted examples separated by ``; "``. Lines starting with two spaces
are the licence header. Format: wndb(5WN), Princeton WordNet 3.0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from mrlens.errors import DataError

POS_FILES = ("noun", "verb", "adj", "adv")
_MARKER = re.compile(r"\([a-z]+\)$")  # adjective syntactic markers such as "(a)", "(p)", "(ip)"


def parse_data_line(line: str) -> dict[str, object]:
    """One synset: ``{"synset": "n00001740", "lemmas": [...], "definition": str, "examples": [...],
    "hypernyms": [...]}`` (hypernyms: the synsets its ``@`` and ``@i`` pointers name)."""
    fields, _, gloss = line.partition(" | ")
    parts = fields.split()
    offset, pos, count = parts[0], parts[2], int(parts[3], 16)
    lemmas = [_MARKER.sub("", w).replace("_", " ") for w in parts[4 : 4 + 2 * count : 2]]
    pieces = [p.strip() for p in gloss.strip().split(";")]
    definition = "; ".join(p for p in pieces if not p.startswith('"')).strip()
    examples = [p.strip('"').strip() for p in pieces if p.startswith('"')]
    first = 4 + 2 * count  # p_cnt, then pointers of four fields: symbol, offset, pos, source/target
    pointers = parts[first + 1 : first + 1 + 4 * int(parts[first])]
    hypernyms = [
        f"{pointers[k + 2]}{pointers[k + 1]}" for k in range(0, len(pointers), 4) if pointers[k] in ("@", "@i")
    ]
    return {
        "synset": f"{pos}{offset}",
        "lemmas": lemmas,
        "definition": definition,
        "examples": examples,
        "hypernyms": hypernyms,
    }


def read_synsets(folder: str | Path) -> pd.DataFrame:
    """All synsets of the four part-of-speech files in ``folder``, in file order."""
    folder = Path(folder)
    rows = []
    for pos in POS_FILES:
        path = folder / f"data.{pos}"
        if not path.exists():
            raise DataError(
                f"WordNet file {path} not found: install Debian's wordnet-base "
                "(apt-get install wordnet-base) or set the source's path"
            )
        with open(path, encoding="latin-1") as handle:
            rows.extend(parse_data_line(line) for line in handle if not line.startswith("  ") and line.strip())
    return pd.DataFrame(rows)


def gloss_pairs(folder: str | Path) -> pd.DataFrame:
    """Pairs (anchor = the synset's lemmas joined by ", ", positive = its definition), grouped by synset."""
    synsets = read_synsets(folder)
    synsets = synsets[synsets["definition"].str.len() > 0]
    return pd.DataFrame(
        {
            "anchor": synsets["lemmas"].map(", ".join),
            "positive": synsets["definition"],
            "group": synsets["synset"],
        }
    ).reset_index(drop=True)
