"""The kinds of data sources and evaluation tasks, each declared once: the config keys it needs and,
for tasks, whether the workflow embeds its texts. The schema's ``kind`` enums are tested equal to
these keys; the builders (``mrlens.data.prepare``, ``mrlens.quality.tasks``) dispatch on them.
Importing this module costs nothing: the workflow reads it while Snakemake parses the config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mrlens.errors import ConfigError


@dataclass(frozen=True)
class Kind:
    """What a source or task of one kind needs from its config entry."""

    needs: tuple[str, ...] = ()
    embedded: bool = True  # tasks: the workflow embeds its texts (an MTEB task embeds its own)
    unit: str | None = None  # tasks: the resampling unit of their intervals (UNITS)


# The sampling unit a task's intervals resample (mrlens.quality.evaluate): ``pairs`` where the pairs are
# independent draws, ``documents`` where the pairs are all pairs among sampled documents (Lee50: 1,225 pairs
# of 50 documents), ``words`` where word pairs repeat words (SimLex-999, WordSim-353), ``queries`` for
# retrieval (a query brings its judged documents).
UNITS = ("pairs", "documents", "words", "queries")


PAIR_SOURCES = {"wordnet": Kind(), "hub": Kind(needs=("name",)), "local": Kind(needs=("path",))}
CORPUS_SOURCES = {"gensim_wiki": Kind(), "hub": Kind(needs=("name",)), "local": Kind(needs=("path",))}
TASK_KINDS = {
    "lee50": Kind(unit="documents"),
    "simlex999": Kind(unit="words"),
    "wordsim353": Kind(unit="words"),
    "heldout_retrieval": Kind(needs=("pairs",), unit="queries"),
    "similarity_local": Kind(needs=("path",), unit="pairs"),
    "similarity_hub": Kind(needs=("name",), unit="pairs"),
    "retrieval_local": Kind(needs=("path",), unit="queries"),
    "retrieval_hub": Kind(needs=("name",), unit="queries"),
    "mteb": Kind(needs=("name",), embedded=False),
}
FAMILIES = {"data.pairs": PAIR_SOURCES, "data.corpora": CORPUS_SOURCES, "quality.tasks": TASK_KINDS}


def check_needs(section: str, name: str, spec: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` naming ``{section}.{name}.{key}`` when the entry lacks a key its
    kind needs (the schema has checked the kind itself)."""
    kind = spec["kind"]
    for key in FAMILIES[section][kind].needs:
        if key not in spec:
            raise ConfigError(
                f"config {section}.{name}.{key}: a {kind} {'task' if section == 'quality.tasks' else 'source'} needs it"
            )
