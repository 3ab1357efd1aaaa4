"""Data preparation for every source kind, on small local files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mrlens.data import prepare_corpus, prepare_pairs, split_heldout
from mrlens.data.wiki import gensim_sample_path, wiki_paragraphs
from mrlens.data.wordnet import parse_data_line
from mrlens.errors import DataError

LINE = (
    "00022686 29 v 06 stimulate 0 arouse 0 brace 0 energize 0 energise 0 perk_up 1 018 @ 00019448 v 0000 "
    '01 + 02 00 | cause to be alert and energetic; "Coffee and tea stimulate me"; "This herbal infusion doesn\'t stimulate"  '
)


def test_wordnet_line_is_parsed() -> None:
    synset = parse_data_line(LINE)
    assert synset["synset"] == "v00022686"
    assert synset["lemmas"] == ["stimulate", "arouse", "brace", "energize", "energise", "perk up"]
    assert synset["definition"] == "cause to be alert and energetic"
    assert synset["examples"] == ["Coffee and tea stimulate me", "This herbal infusion doesn't stimulate"]


def test_wordnet_adjective_markers_are_dropped() -> None:
    line = '00003553 00 s 02 emergent(a) 0 emerging 0 003 & 00003356 a 0000 | coming into existence; "an emergent republic"  '
    assert parse_data_line(line)["lemmas"] == ["emergent", "emerging"]


def test_wordnet_pairs_and_heldout_split_share_no_synset(tiny_wordnet: Path) -> None:
    train, heldout = prepare_pairs(
        {"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.25, "seed": 0}, "data.pairs.wn"
    )
    assert len(train) + len(heldout) == 240
    assert set(train["group"]).isdisjoint(heldout["group"])
    assert 0.1 < len(heldout) / 240 < 0.4
    assert train["anchor"].iloc[0].count(", ") == 1  # two lemmas joined
    again, _ = prepare_pairs({"kind": "wordnet", "path": str(tiny_wordnet), "heldout_fraction": 0.25, "seed": 0}, "x")
    pd.testing.assert_frame_equal(train, again)


def test_split_is_stable_when_rows_are_added_or_reordered() -> None:
    pairs = pd.DataFrame(
        {"anchor": [f"a{i}" for i in range(200)], "positive": "p", "group": [f"g{i % 50}" for i in range(200)]}
    )
    _, heldout = split_heldout(pairs, 0.3, seed=1)
    _, heldout_shuffled = split_heldout(pairs.sample(frac=1, random_state=0), 0.3, seed=1)
    assert set(heldout["anchor"]) == set(heldout_shuffled["anchor"])
    _, other_seed = split_heldout(pairs, 0.3, seed=2)
    assert set(heldout["group"]) != set(other_seed["group"])


def test_missing_wordnet_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"WordNet file .*data.noun not found: install Debian's wordnet-base"):
        prepare_pairs({"kind": "wordnet", "path": str(tmp_path)}, "data.pairs.wordnet")


def test_gensim_wikipedia_paragraphs() -> None:
    docs = wiki_paragraphs(gensim_sample_path(), min_chars=200)
    assert len(docs) > 3000
    assert docs["id"].is_unique
    assert docs["text"].str.len().min() >= 200
    assert not docs["text"].str.contains("'''").any()  # bold markup removed
    sample = prepare_corpus({"kind": "gensim_wiki", "max_docs": 50, "seed": 3}, "data.corpora.wiki")
    assert len(sample) == 50 and sample["id"].isin(docs["id"]).all()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_local_pairs_with_a_column_mapping(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(
        {
            "q": [f"query {i}" for i in range(30)],
            "d": [f"doc {i}" for i in range(30)],
            "hard": [f"neg {i}" for i in range(30)],
        }
    )
    path = tmp_path / f"pairs{suffix}"
    {
        ".jsonl": lambda: frame.to_json(path, orient="records", lines=True),
        ".csv": lambda: frame.to_csv(path, index=False),
        ".parquet": lambda: frame.to_parquet(path),
    }[suffix]()
    spec = {
        "kind": "local",
        "path": str(path),
        "columns": {"anchor": "q", "positive": "d", "negative": "hard"},
        "heldout_fraction": 0.2,
    }
    train, heldout = prepare_pairs(spec, "data.pairs.mine")
    assert list(train.columns) == ["anchor", "positive", "negative", "group"]
    assert len(train) + len(heldout) == 30
    row = train.iloc[0]
    assert row["positive"] == row["anchor"].replace("query", "doc")


def test_hub_source_goes_through_datasets_load_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "my-corpus"
    folder.mkdir()
    rows = [{"_id": f"d{i}", "text": f"document number {i}"} for i in range(12)]
    (folder / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    docs = prepare_corpus(
        {"kind": "hub", "name": str(folder), "split": "train", "columns": {"id": "_id"}}, "data.corpora.nano"
    )
    assert docs["id"].tolist() == [f"d{i}" for i in range(12)]


def test_local_dataset_folders_of_one_name_and_layout_are_read_each_as_it_is(tmp_path: Path) -> None:
    """datasets' shared cache keys a local folder by its name and layout: the second folder (or the first,
    rebuilt) would be read as the first was."""
    for version in ("old", "new"):
        folder = tmp_path / version / "NanoSet"
        (folder / "corpus").mkdir(parents=True)
        pd.DataFrame({"_id": [f"{version}{i}" for i in range(3)], "text": ["a b", "c d", "e f"]}).to_parquet(
            folder / "corpus" / "train-00000-of-00001.parquet"
        )
        (folder / "README.md").write_text(
            "---\nconfigs:\n- config_name: corpus\n  data_files:\n  - split: train\n    path: corpus/train-*\n---\n"
        )
        spec = {"kind": "hub", "name": str(folder), "subset": "corpus", "split": "train", "columns": {"id": "_id"}}
        assert prepare_corpus(spec, "data.corpora.nano")["id"].tolist() == [f"{version}{i}" for i in range(3)]


def test_unreachable_hub_dataset_names_the_source() -> None:
    with pytest.raises(DataError, match=r"data.corpora.nano: cannot load dataset 'no-such-org/no-such-set'"):
        prepare_corpus({"kind": "hub", "name": "no-such-org/no-such-set", "split": "train"}, "data.corpora.nano")


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(
    "name, content, spec, message",
    [
        ("missing.jsonl", None, {}, r"data.corpora.c: file .*missing.jsonl not found"),
        (
            "c.jsonl",
            b'{"id": "a", "body": "x"}\n',
            {},
            r"data.corpora.c: column 'text' \(for 'text'\) not found; the data has \['id', 'body'\]",
        ),
        ("c.csv", b"id,text\n", {}, r"data.corpora.c: the source has no rows"),
        ("c.csv", b"id,text\na,hello\nb,\n", {}, r"data.corpora.c: column 'text' is empty in row 1"),
        ("c.csv", b"id,text\na,hello\na,world\n", {}, r"data.corpora.c: duplicate document id 'a'"),
        ("c.csv", b"id,text\na,caf\xe9\n", {}, r"data.corpora.c: .*c.csv is not UTF-8"),
        ("c.txt", b"hello", {}, r"data.corpora.c: .*c.txt has an unknown format"),
        ("c.parquet", b"PAR1 not really", {}, r"data.corpora.c: cannot read .*c.parquet"),
    ],
)
def test_bad_corpus_gives_one_clear_error(
    tmp_path: Path, name: str, content: bytes | None, spec: dict, message: str
) -> None:
    path = write(tmp_path, name, content) if content is not None else str(tmp_path / name)
    with pytest.raises(DataError, match=message):
        prepare_corpus({"kind": "local", "path": path, **spec}, "data.corpora.c")


def test_corpus_without_id_column_gets_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl", b'{"text": "first"}\n{"text": "second"}\n')
    assert prepare_corpus({"kind": "local", "path": path}, "c")["id"].tolist() == ["0", "1"]
