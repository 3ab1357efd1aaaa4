"""Offline stand-ins for config/paper.yaml's hub datasets, written in the hub's own layouts so that
config/rehearsal.yaml reads them through the same ``kind: hub`` / ``similarity_hub`` / ``retrieval_hub``
code as paper.yaml (``datasets.load_dataset`` on a local folder; no separate reader):

- ``all-nli``: subset ``triplet``, split ``train``, columns anchor, positive, negative, as
  sentence-transformers/all-nli. WordNet: a synset's lemmas -> its definition, with the definition of a
  sibling synset (one sharing its first hypernym) as the hard negative.
- ``NanoMSMARCO``: subsets corpus (``_id``, ``text``), queries (``_id``, ``text``) and qrels (``query-id``,
  ``corpus-id``, no score), split ``train``, as zeta-alpha-ai/Nano*. Wikipedia paragraphs of gensim's sample
  (passage-length documents): the query is a paragraph's first sentence, the relevant document the rest.
- ``NanoNQ``, ``NanoSciFact``, ``NanoFiQA2018``: the same layout from WordNet synsets never used for
  training: nouns ("what is a LEMMA" -> definition), verbs (example sentence -> lemmas and definition),
  adjectives and adverbs (example sentence -> definition).
- ``stsb``: one default subset, split ``test``, columns sentence1, sentence2, score (0-1), as
  sentence-transformers/stsb: Lee et al.'s 50 news documents and their human similarity ratings.

Every folder holds one parquet shard per subset and split, declared in its README's YAML header as the
hub's dataset cards do. Run: ``python -m mrlens.data.standins FOLDER`` (``bin/setup-rehearsal`` does).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from mrlens.data.prepare import group_fraction
from mrlens.data.wiki import gensim_sample_path, wiki_paragraphs
from mrlens.data.wordnet import read_synsets
from mrlens.io import atomic_path
from mrlens.quality.tasks import lee50

EVAL_FRACTION = 0.2  # share of WordNet synsets kept out of the training triplets for the retrieval stand-ins
PASSAGE_CHARS = 600  # MS MARCO passages are about 60 words (330 characters); longer paragraphs are left out
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])")


def write_hub_dataset(folder: Path, tables: dict[str, dict[str, pd.DataFrame]]) -> Path:
    """``tables[subset][split]`` as ``folder/subset/split-00000-of-00001.parquet`` (the subset ``default``
    in ``folder/data``) with the README header that declares them (``configs:``), as on the hub."""
    header = ["---", "configs:"]
    for subset, splits in tables.items():
        where = "data" if subset == "default" else subset
        (folder / where).mkdir(parents=True, exist_ok=True)
        header += [f"- config_name: {subset}", "  data_files:"]
        for split, frame in splits.items():
            frame.reset_index(drop=True).to_parquet(folder / where / f"{split}-00000-of-00001.parquet")
            header += [f"  - split: {split}", f"    path: {where}/{split}-*"]
    (folder / "README.md").write_text("\n".join([*header, "---", ""]), encoding="utf-8")
    return folder


def sibling_triplets(synsets: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """(anchor = lemmas, positive = definition, negative = a sibling's definition) for every synset of
    ``synsets`` (columns synset, lemmas, definition, hypernyms) with a sibling: another synset whose first
    hypernym is the same, drawn with ``seed``. Synsets without a hypernym (adjectives, adverbs) or without
    a sibling give no triplet."""
    rows = synsets[synsets["hypernyms"].map(len) > 0].reset_index(drop=True)
    parent = rows["hypernyms"].str[0]
    rng = np.random.default_rng(seed)
    negatives = []
    for members in rows.groupby(parent, sort=False).indices.values():
        for k, row in enumerate(members):
            others = np.delete(members, k)
            negatives.append((row, others[rng.integers(len(others))] if len(others) else -1))
    negatives.sort()
    index = np.array([n for _, n in negatives])
    keep = index >= 0
    return pd.DataFrame(
        {
            "anchor": rows["lemmas"].map(", ".join)[keep].to_numpy(),
            "positive": rows["definition"][keep].to_numpy(),
            "negative": rows["definition"].to_numpy()[index[keep]],
        }
    )


def retrieval_tables(queries: list[str], documents: list[str], distractors: list[str]) -> dict[str, pd.DataFrame]:
    """NanoBEIR's subsets: query k is relevant to document k; the distractors follow in the corpus."""
    corpus = [*documents, *distractors]
    return {
        "corpus": pd.DataFrame({"_id": [f"doc{k}" for k in range(len(corpus))], "text": corpus}),
        "queries": pd.DataFrame({"_id": [f"q{k}" for k in range(len(queries))], "text": queries}),
        "qrels": pd.DataFrame(
            {"query-id": [f"q{k}" for k in range(len(queries))], "corpus-id": [f"doc{k}" for k in range(len(queries))]}
        ),
    }


def wiki_retrieval(paragraphs: pd.DataFrame, queries: int, documents: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """MS MARCO-shaped: ``documents`` passages of at most ``PASSAGE_CHARS`` characters, the first ``queries``
    of them split into a first sentence (the query) and the rest (the relevant passage); the others stay
    whole as distractors."""
    texts = paragraphs["text"][paragraphs["text"].str.len() <= PASSAGE_CHARS].to_numpy()
    order = np.random.default_rng(seed).permutation(len(texts))
    split = [(parts[0], parts[1]) for t in texts[order] if len(parts := _SENTENCE_END.split(t, maxsplit=1)) == 2]
    split = [(q, d) for q, d in split if len(d) >= 100][:queries]
    used = {q + " " + d for q, d in split}
    rest = [t for t in texts[order] if t not in used][: documents - len(split)]
    return retrieval_tables([q for q, _ in split], [d for _, d in split], rest)


def wordnet_retrieval(
    synsets: pd.DataFrame,
    query_of: Callable[[pd.Series], str],
    document_of: Callable[[pd.Series], str],
    queries: int,
    documents: int,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Queries ``query_of(synset)`` against documents ``document_of(synset)`` for ``queries`` synsets
    (those with a non-empty query), plus the documents of other synsets up to ``documents`` in all."""
    rows = synsets.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    asked = rows[rows.apply(query_of, axis=1).str.len() > 0].head(queries)
    others = rows.drop(asked.index).head(documents - len(asked))
    return retrieval_tables(
        asked.apply(query_of, axis=1).tolist(),
        asked.apply(document_of, axis=1).tolist(),
        others.apply(document_of, axis=1).tolist(),
    )


def _first_example(synset: pd.Series) -> str:
    return synset["examples"][0] if len(synset["examples"]) else ""


def build_standins(
    out: Path, wordnet: Path, wiki: Path, queries: int = 50, documents: int = 200, seed: int = 0
) -> list[Path]:
    """Write the six stand-in folders under ``out`` (each replaced whole, atomically); return them."""
    synsets = read_synsets(wordnet)
    synsets = synsets[synsets["definition"].str.len() > 0].reset_index(drop=True)
    held = group_fraction(synsets["synset"], seed) < EVAL_FRACTION
    train, evaluation = synsets[~held], synsets[held]
    pos = evaluation["synset"].str[0]
    lee_texts, lee_labels = lee50({}, "stsb stand-in")
    text = lee_texts.set_index("id")["text"]
    datasets = {
        "all-nli": {"triplet": {"train": sibling_triplets(train, seed)}},
        "NanoMSMARCO": wiki_retrieval(wiki_paragraphs(wiki), queries, documents, seed),
        "NanoNQ": wordnet_retrieval(
            evaluation[pos == "n"],
            lambda s: f"what is a {s['lemmas'][0]}",
            lambda s: s["definition"],
            queries,
            documents,
            seed,
        ),
        "NanoSciFact": wordnet_retrieval(
            evaluation[pos == "v"],
            _first_example,
            lambda s: f"{', '.join(s['lemmas'])}: {s['definition']}",
            queries,
            documents,
            seed,
        ),
        "NanoFiQA2018": wordnet_retrieval(
            evaluation[pos.isin(["a", "s", "r"])], _first_example, lambda s: s["definition"], queries, documents, seed
        ),
        "stsb": {
            "default": {
                "test": pd.DataFrame(
                    {
                        "sentence1": text[lee_labels["id_a"]].to_numpy(),
                        "sentence2": text[lee_labels["id_b"]].to_numpy(),
                        "score": lee_labels["score"].to_numpy(),
                    }
                )
            }
        },
    }
    written = []
    for name, tables in datasets.items():
        if "corpus" in tables:  # a NanoBEIR set: three subsets of one split
            tables = {subset: {"train": frame} for subset, frame in tables.items()}
        with atomic_path(out / name) as tmp:
            write_hub_dataset(Path(tmp), tables)
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the stand-in datasets into")
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--wiki", type=Path, default=None, help="MediaWiki dump (default: gensim's sample)")
    parser.add_argument("--queries", type=int, default=50, help="queries per retrieval set (NanoBEIR: 50)")
    parser.add_argument("--documents", type=int, default=200, help="documents per retrieval corpus")
    args = parser.parse_args(argv)
    for folder in build_standins(
        args.out, args.wordnet, args.wiki or gensim_sample_path(), args.queries, args.documents
    ):
        print(folder)


if __name__ == "__main__":
    main()
