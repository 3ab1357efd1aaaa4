"""One written form per config value: what Snakemake records for a job's params depends on values only."""

from __future__ import annotations

import json
import os
import pickle
import random
from pathlib import Path

import pytest
import yaml

from mrlens.canonical import CanonicalDict, canonical, coerce_to_schema, normalise_path, upgrade_records
from mrlens.config import load_schema, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def shuffled(value: object, rng: random.Random) -> object:
    """``value`` with the keys of every mapping, at every depth, in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def test_canonical_repr_ignores_key_order_at_every_depth_and_keeps_the_mapping() -> None:
    a = canonical(
        {"kind": "wordnet", "columns": {"anchor": "a", "positive": "p"}, "seed": 0, "dims": [{"y": 1, "x": 2}]}
    )
    b = canonical(
        {"seed": 0, "dims": [{"x": 2, "y": 1}], "columns": {"positive": "p", "anchor": "a"}, "kind": "wordnet"}
    )
    assert (
        repr(a)
        == repr(b)
        == "{'columns': {'anchor': 'a', 'positive': 'p'}, 'dims': [{'x': 2, 'y': 1}], 'kind': 'wordnet', 'seed': 0}"
    )
    assert list(a) == ["kind", "columns", "seed", "dims"]  # scripts get the keys as written
    assert a == {"kind": "wordnet", "columns": {"anchor": "a", "positive": "p"}, "seed": 0, "dims": [{"y": 1, "x": 2}]}
    assert repr(canonical({"a": [3, 1]})) != repr(canonical({"a": [1, 3]}))  # a list's order is a value
    again = pickle.loads(pickle.dumps(a))  # how a script receives its params
    assert type(again) is CanonicalDict and type(again["columns"]) is CanonicalDict
    assert list(again) == list(a) and repr(again) == repr(a)


def test_numbers_take_the_type_their_schema_key_declares() -> None:
    schema = load_schema(SCHEMA)
    config = {
        "train": {
            "learning_rate": "5e-5",
            "max_steps": 150.0,
            "scale": 20,
            "variants": {"v": {"dims": [8.0], "weights": [1]}},
        },
        "analysis": {"dims": [32.0, 64], "bootstrap": "100", "confidence": "0.95"},
        "base_model": {"source": "5e-5"},
    }
    out = coerce_to_schema(config, schema)
    assert out["train"]["learning_rate"] == 5e-5 and type(out["train"]["learning_rate"]) is float
    assert out["train"]["max_steps"] == 150 and type(out["train"]["max_steps"]) is int
    assert out["train"]["scale"] == 20.0 and type(out["train"]["scale"]) is float
    assert out["train"]["variants"]["v"] == {"dims": [8], "weights": [1.0]}
    assert (
        type(out["train"]["variants"]["v"]["dims"][0]) is int
        and type(out["train"]["variants"]["v"]["weights"][0]) is float
    )
    assert out["analysis"]["dims"] == [32, 64] and all(type(d) is int for d in out["analysis"]["dims"])
    assert out["analysis"]["bootstrap"] == 100 and type(out["analysis"]["bootstrap"]) is int
    assert out["analysis"]["confidence"] == 0.95
    assert out["base_model"]["source"] == "5e-5"  # a string key keeps its string
    assert config["train"]["max_steps"] == 150.0  # the input is left as it was
    assert (
        coerce_to_schema({"train": {"max_steps": 1.5}}, schema)["train"]["max_steps"] == 1.5
    )  # not integral: validation names it


def test_normalise_path_gives_one_spelling(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    for spelling in (
        "data/x.jsonl",
        "./data/x.jsonl",
        "data//x.jsonl",
        str(tmp_path / "data" / "x.jsonl"),
        "data/sub/../x.jsonl",
    ):
        assert normalise_path(spelling, tmp_path) == os.path.join("data", "x.jsonl")
    assert normalise_path(str(tmp_path / "data") + "/", tmp_path) == "data"
    outside = tmp_path.parent / "elsewhere"
    assert normalise_path(str(outside) + "/./", tmp_path) == str(outside)
    assert normalise_path("../elsewhere", tmp_path) == str(outside)
    assert normalise_path("~/x", tmp_path) == os.path.join(os.path.expanduser("~"), "x")


def test_a_rewritten_config_validates_to_the_same_canonical_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys sorted or shuffled, numbers re-spelled, paths re-spelled, variants and seeds listed in
    another order: the same values, so the same params text for every job."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs.jsonl").write_text('{"id": "a", "text": "x"}\n')
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["data"]["corpora"]["mine"] = {"kind": "local", "path": "docs.jsonl"}
    config["train"]["seeds"] = [0, 1]
    written = yaml.safe_dump(config, sort_keys=False)
    rewritten = yaml.safe_load(yaml.safe_dump(shuffled(config, random.Random(3)), default_flow_style=True))
    rewritten["train"]["learning_rate"] = "5e-5"  # how PyYAML reads an unquoted 5e-5
    rewritten["train"]["scale"] = 20
    rewritten["train"]["max_steps"] = 150.0
    rewritten["train"]["seeds"] = [1, 0]
    rewritten["train"]["variants"] = dict(reversed(list(rewritten["train"]["variants"].items())))
    rewritten["analysis"]["strategies"] = ["pca", "prefix", "random"]
    rewritten["data"]["corpora"]["mine"]["path"] = str(tmp_path / "." / "docs.jsonl")
    first = validate_config(yaml.safe_load(written), SCHEMA)
    second = validate_config(rewritten, SCHEMA)
    assert repr(canonical(first)) == repr(canonical(second))
    assert list(second["train"]["variants"]) == ["no-mrl", "mrl-384-32", "mrl-384-256-128-64-32", "dedicated-32"]
    explicit = validate_config(
        {
            **rewritten,
            "findings": {"claims": {"c": {"text": "t", "metric": "isoscore", "direction": "less", "margin": 0}}},
        },
        SCHEMA,
    )
    default = validate_config(
        {**rewritten, "findings": {"claims": {"c": {"text": "t", "metric": "isoscore", "direction": "less"}}}}, SCHEMA
    )
    assert repr(canonical(explicit)) == repr(canonical(default))  # a default filled in is spelled as if written
    assert second["data"]["corpora"]["mine"]["path"] == "docs.jsonl"
    changed = validate_config({**rewritten, "train": {**rewritten["train"], "learning_rate": "6e-5"}}, SCHEMA)
    assert repr(canonical(changed)) != repr(canonical(first))  # a real change still reads as one


def test_upgrade_records_rewrites_recorded_params_in_their_canonical_form(tmp_path: Path) -> None:
    from mrlens.cli import main

    metadata = tmp_path / ".snakemake" / "metadata"
    metadata.mkdir(parents=True)
    old = ["{'kind': 'wordnet', 'seed': 0, 'columns': {'text': 'b', 'id': 'a'}}", "32", "[384, 32]", "'no-mrl'"]
    record = {"rule": "prepare_pairs", "params": sorted(old), "record_format_version": 6, "incomplete": False}
    (metadata / "cmVzdWx0cw").write_text(json.dumps(record))
    untouched = {"rule": "x", "params": ["{'b': 1, 'a': 2}"], "record_format_version": 5}
    (metadata / "b2xk").write_text(json.dumps(untouched))  # older formats: Snakemake ignores their params
    assert main(["upgrade-records", "--directory", str(tmp_path), "--dry-run"]) == 0
    assert json.loads((metadata / "cmVzdWx0cw").read_text()) == record
    assert main(["upgrade-records", "--directory", str(tmp_path)]) == 0
    upgraded = json.loads((metadata / "cmVzdWx0cw").read_text())
    assert upgraded == {
        **record,
        "params": sorted(
            ["{'columns': {'id': 'a', 'text': 'b'}, 'kind': 'wordnet', 'seed': 0}", "32", "[384, 32]", "'no-mrl'"]
        ),
    }
    assert json.loads((metadata / "b2xk").read_text()) == untouched
    assert sorted(p.name for p in metadata.iterdir()) == ["b2xk", "cmVzdWx0cw"]  # no scratch file left
    assert upgrade_records(metadata) == []  # a second run changes nothing


def test_a_digest_is_the_mapping_for_scripts_and_a_short_label_for_snakemake() -> None:
    """Long params (the config, interval methods, claims) read as one short line in a rerun reason,
    change with any value and never with key order, and reach scripts as the mapping."""
    import hashlib
    import pickle

    from mrlens.canonical import Digest

    config = {"train": {"seeds": [0, 1], "max_steps": 150}, "analysis": {"dims": [32, 64]}}
    digest = Digest("config", config)
    expected = hashlib.sha256(repr(canonical(config)).encode()).hexdigest()[:16]
    assert repr(digest) == f"<config sha256:{expected}>"
    assert repr(
        Digest("config", {"analysis": {"dims": [32, 64]}, "train": {"max_steps": 150, "seeds": [0, 1]}})
    ) == repr(digest)
    assert repr(Digest("config", {**config, "analysis": {"dims": [32]}})) != repr(digest)
    copy = pickle.loads(pickle.dumps(digest))
    assert copy == config and repr(copy) == repr(digest) and isinstance(digest, dict)
