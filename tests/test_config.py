"""Config validation: defaults filled, and one clear error naming the key for each mistake."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from mrlens.config import model_ids, validate_config, variants
from mrlens.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def default_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_default_config_is_valid_and_normalised() -> None:
    config = validate_config(default_config(), SCHEMA)
    assert config["base_model"]["dim"] == 384
    assert config["train"]["variants"]["mrl-384-32"] == {"dims": [384, 32], "weights": [1.0, 1.0]}
    assert config["train"]["seeds"] == [0, 1, 2]  # training-run variance in the default findings
    twins = [
        f"{variant}_s{seed}" for variant in ("no-mrl", "mrl-384-32", "mrl-384-256-128-64-32") for seed in (0, 1, 2)
    ]
    dedicated = [f"dedicated-32_s{seed}" for seed in (0, 1, 2)]
    assert model_ids(config) == ["base", *twins, *dedicated]
    assert variants(config)["no-mrl"].is_mrl is False
    assert variants(config)["dedicated-32"].dedicated == 32


def test_paper_config_is_valid() -> None:
    paper = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    config = validate_config(paper, SCHEMA)
    assert config["train"]["variants"]["mrl-768-512-256-128-64"]["dims"] == [768, 512, 256, 128, 64]
    assert config["analysis"]["dims"] == [64, 128, 256, 512, 768]


def test_defaults_are_filled_from_the_schema() -> None:
    config = validate_config({}, SCHEMA)
    assert config["train"]["batch_size"] == 32
    assert config["data"]["pairs"] == {
        "wordnet": {
            "kind": "wordnet",
            "heldout_fraction": 0.1,
            "max_pairs": None,
            "seed": 0,
            "split": "train",
            "subset": None,
        }
    }
    assert list(config["train"]["variants"]) == ["no-mrl", "mrl-384-32", "mrl-384-256-128-64-32"]


def test_weights_are_kept() -> None:
    config = default_config()
    config["train"]["variants"]["weighted"] = {"dims": [384, 64], "weights": [1, 0.5]}
    assert validate_config(config, SCHEMA)["train"]["variants"]["weighted"]["weights"] == [1.0, 0.5]


def edit(path: str, value: object) -> dict:
    config = copy.deepcopy(default_config())
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    node[last] = value
    return config


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("train.epochs", 3, r"config train: unknown key 'epochs'"),
        ("train.max_steps", "ten", r"config train.max_steps: 'ten' is not of type 'integer'"),
        (
            "train.variants.mrl-384-32",
            [512, 32],
            r"train.variants.mrl-384-32: size 512 exceeds the base model's embedding size 384",
        ),
        (
            "train.variants.mrl-384-32",
            [32, 384],
            r"train.variants.mrl-384-32: cut points must be strictly descending, got \[32, 384\]",
        ),
        ("train.variants.mrl-384-32", [384, 384], r"strictly descending"),
        ("train.variants", {}, r"config train.variants: must not be empty"),
        ("train.variants.base", [384], r"config train.variants: name 'base' is not allowed"),
        (
            "train.variants.mrl-384-32",
            {"dims": [384, 32], "weights": [1]},
            r"train.variants.mrl-384-32.weights: 1 weights for 2 cut points",
        ),
        ("train.pairs", "nli", r"config train.pairs: 'nli' is not a source in data.pairs"),
        ("train.checkpoint_steps", [10, 150], r"config train.checkpoint_steps: step 150 is not before train.max_steps"),
        ("analysis.dims", [32, 128, 768], r"config analysis.dims: size 768 exceeds"),
        ("embed.checkpoints", "some", r"config embed.checkpoints: 'some' is not one of \['final', 'all'\]"),
        ("data.corpora.wiki", {"kind": "web"}, r"config data.corpora.wiki.kind: 'web' is not one of"),
        ("base_model.source", "/no/such/folder", r"config base_model.source: folder /no/such/folder does not exist"),
        (
            "findings",
            {"claims": {"mine": {"text": "t", "metric": "isoscor", "direction": "less"}}},
            r"config findings.claims.mine.metric: unknown metric 'isoscor'",
        ),
        (
            "findings",
            {"claims": {"mine": {"text": "t", "metric": "main", "direction": "greater", "task": "stsb"}}},
            r"config findings.claims.mine.task: unknown task 'stsb'",
        ),
        (
            "findings",
            {"claims": {"mine": {"text": "t", "metric": "isoscore", "direction": "less", "model": "mrl-9"}}},
            r"config findings.claims.mine.model: 'mrl-9' is neither a role",
        ),
        (
            "findings",
            {"claims": {"mine": {"text": "t", "metric": "isoscore", "direction": "less", "sizes": [48]}}},
            r"config findings.claims.mine.sizes: \[48\] not in analysis.dims",
        ),
        (
            "findings",
            {"claims": {"mine": {"text": "t", "metric": "isoscore", "direction": "up"}}},
            r"config findings.claims.mine.direction: 'up' is not one of",
        ),
        (
            "findings",
            {"reference": {"mrl-384-32": "nomrl"}},
            r"config findings.reference.mrl-384-32: 'nomrl' is not a variant",
        ),
        ("quality.pca_corpus", "nope", r"config quality.pca_corpus: 'nope' is not a corpus in data.corpora"),
    ],
)
def test_bad_config_gives_one_clear_error(path: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(edit(path, value), SCHEMA)


def test_duplicate_variant_names_in_the_file_are_an_error(tmp_path: Path) -> None:
    text = (
        (ROOT / "config" / "config.yaml")
        .read_text()
        .replace("    no-mrl: [384]\n", "    no-mrl: [384]\n    no-mrl: [384, 64]\n")
    )
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"key 'no-mrl' appears twice"):
        validate_config(yaml.safe_load(text), SCHEMA, [path])


def test_hub_source_dim_is_checked_when_given() -> None:
    config = edit("base_model", {"source": "bert-base-uncased", "dim": 256})
    with pytest.raises(ConfigError, match="size 384 exceeds the base model's embedding size 256"):
        validate_config(config, SCHEMA)
    assert validate_config(edit("base_model", {"source": "bert-base-uncased"}), SCHEMA)["base_model"]["dim"] is None


def test_model_ids_are_parsed_back_to_variant_and_seed() -> None:
    from mrlens.ids import BASE_MODEL_ID, parse_model_id, trained_model_id

    assert parse_model_id(trained_model_id("mrl-384-256_s-2", 11)) == ("mrl-384-256_s-2", 11)
    assert parse_model_id(BASE_MODEL_ID) == (BASE_MODEL_ID, None)
    for bad in ("no-mrl", "no-mrl_sx", "_s3"):
        with pytest.raises(ValueError, match="is not a model id"):
            parse_model_id(bad)


def test_schema_kinds_are_the_registries_kinds() -> None:
    """Adding a kind of source or task means one entry in mrlens.kinds (and its builder): the schema's
    enums, the builders and the registry agree."""
    from mrlens.config import load_schema
    from mrlens.data.prepare import TABLE_READERS
    from mrlens.kinds import CORPUS_SOURCES, PAIR_SOURCES, TASK_KINDS
    from mrlens.quality.tasks import BUILDERS

    defs = load_schema(SCHEMA)["$defs"]
    for name, registry in (
        ("pair_source", PAIR_SOURCES),
        ("corpus_source", CORPUS_SOURCES),
        ("task_source", TASK_KINDS),
    ):
        assert defs[name]["properties"]["kind"]["enum"] == list(registry)
    assert set(BUILDERS) == {kind for kind, k in TASK_KINDS.items() if k.embedded}
    assert set(TABLE_READERS) == set(PAIR_SOURCES) & set(CORPUS_SOURCES)


def test_schema_precisions_are_the_quantize_registrys() -> None:
    """Adding a precision means one entry in mrlens.quantize.PRECISIONS: the schema's enum agrees with it
    (a claim's precision is checked against quality.precisions)."""
    from mrlens.config import load_schema
    from mrlens.quantize import PRECISIONS

    properties = load_schema(SCHEMA)["properties"]
    assert properties["quality"]["properties"]["precisions"]["items"]["enum"] == list(PRECISIONS)


@pytest.mark.parametrize(
    "section, entry, message",
    [
        ("corpora", {"kind": "local"}, r"config data.corpora.bad.path: a local source needs it"),
        ("pairs", {"kind": "hub"}, r"config data.pairs.bad.name: a hub source needs it"),
    ],
)
def test_a_source_missing_what_its_kind_needs_is_named_before_any_job(section: str, entry: dict, message: str) -> None:
    config = default_config()
    config["data"][section]["bad"] = entry
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SCHEMA)


def test_schema_defaults_are_the_settings_dataclasses_defaults() -> None:
    """One source of defaults: the settings dataclasses; the schema documents the same values."""
    from dataclasses import MISSING, fields

    from mrlens.metrics.suite import SuiteSettings
    from mrlens.quality.evaluate import QualitySettings
    from mrlens.train.trainer import TrainSettings

    config = validate_config({}, SCHEMA)
    # the library's quality default is prefix only: pca needs the fitting embeddings the workflow provides
    exceptions = {("quality", "strategies")}
    shared = {"strategies", "random_orderings", "pca_fit"}  # quality takes these from analysis
    for section, cls in (("analysis", SuiteSettings), ("quality", QualitySettings), ("train", TrainSettings)):
        for f in fields(cls):
            source = "analysis" if section == "quality" and f.name in shared else section
            if (section, f.name) in exceptions or f.name not in config[source] or f.default is MISSING:
                continue
            value = config[source][f.name]
            assert (list(value) if isinstance(value, (list, tuple)) else value) == (
                list(f.default) if isinstance(f.default, tuple) else f.default
            ), f"{section}.{f.name}"


def test_settings_from_a_mapping_refuse_unknown_keys() -> None:
    from mrlens.config import settings_from
    from mrlens.metrics.suite import SuiteSettings
    from mrlens.quality.evaluate import QualitySettings

    assert settings_from(SuiteSettings, {"bootstrap": 7}, "analysis").bootstrap == 7
    with pytest.raises(ConfigError, match=r"config analysis.boostrap: not a setting of SuiteSettings"):
        settings_from(SuiteSettings, {"boostrap": 7}, "analysis")
    with pytest.raises(ConfigError, match=r"config quality.tasks: not a setting of QualitySettings"):
        QualitySettings.from_mapping({"tasks": {}})
