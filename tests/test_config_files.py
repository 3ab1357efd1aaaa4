"""Which files make the config: --configfile replaces config/config.yaml, and says so, unless the file
says `extends:`; then it is merged over it by JSON Merge Patch (RFC 7386). Local data paths are
checked before any job."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, tiny_config

from mrlens.config import load_schema, validate_config
from mrlens.config_files import merge_patch, replaced_keys, resolve_extends, workflow_config
from mrlens.errors import ConfigError

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT = ROOT / "config" / "config.yaml"

# RFC 7386, Appendix A: (target, patch, result), the standard's own examples
RFC_7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_7386_EXAMPLES)
def test_merge_follows_json_merge_patch(target: object, patch: object, result: object) -> None:
    assert merge_patch(target, patch) == result


def test_a_one_key_config_that_extends_the_default_changes_that_key_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`extends: config/config.yaml` + `analysis: {dims: [32, 128]}`: the default run at two sizes."""
    monkeypatch.chdir(tmp_path)  # not the repository: config/config.yaml is found in the workflow's folder
    mine = {"extends": "config/config.yaml", "analysis": {"dims": [128, 32]}}
    merged, read, notice = workflow_config(mine, ROOT, ["mine.yaml"], load_schema(SCHEMA))
    assert read == [DEFAULT] and notice is None
    default = validate_config(yaml.safe_load(DEFAULT.read_text()), SCHEMA)
    config = validate_config(merged, SCHEMA)
    assert config["analysis"]["dims"] == [32, 128]
    assert config["analysis"] | {"dims": default["analysis"]["dims"]} == default["analysis"]
    assert {k: v for k, v in config.items() if k != "analysis"} == {k: v for k, v in default.items() if k != "analysis"}
    # null removes a key: a variant of the default, and train.seeds back to the schema's [0]
    removed = {"extends": str(DEFAULT), "train": {"variants": {"mrl-384-32": None}, "seeds": None}}
    config = validate_config(resolve_extends(removed, ROOT)[0], SCHEMA)
    assert "mrl-384-32" not in config["train"]["variants"] and "no-mrl" in config["train"]["variants"]
    assert config["train"]["seeds"] == [0]


def test_a_config_that_replaces_the_default_lists_what_it_left_out() -> None:
    """A file holding only a claim: every section the default sets falls back to the schema's defaults
    (3 variants of 150 steps, every corpus document...), and the notice names them."""
    claim = {"findings": {"claims": {"mine": {"text": "t", "metric": "isoscore", "direction": "less"}}}}
    merged, read, notice = workflow_config(claim, ROOT, ["claim.yaml"], load_schema(SCHEMA))
    assert merged == claim and read == []
    assert notice is not None and "--configfile claim.yaml replaces config/config.yaml" in notice
    assert "extends: config/config.yaml" in notice
    listed = notice.split("instead: ")[1].split(".\n")[0].split(", ")
    assert {"data", "train", "quality", "diffing"} <= set(listed) and "findings" not in listed
    # within a section the user gave, only the keys whose schema default differs from the default file's
    keys = replaced_keys({"train": {"max_steps": 150, "seeds": [0, 1, 2]}}, {"train": {}}, load_schema(SCHEMA))
    assert keys == ["train.seeds"]
    # the full configs kept in config/ say everything the default says that matters to them
    for full in ("paper.yaml", "published.yaml"):
        config = yaml.safe_load((ROOT / "config" / full).read_text())
        assert workflow_config(config, ROOT, [full], load_schema(SCHEMA))[1] == []


def test_extends_errors_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"config extends: file 'nowhere.yaml' not found"):
        resolve_extends({"extends": "nowhere.yaml"}, ROOT)
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match=r"config extends: .*a.yaml extends itself"):
        resolve_extends({"extends": "a.yaml"}, ROOT)


def _dry_run(workdir: Path, *configfiles: Path) -> subprocess.CompletedProcess[str]:
    command = [
        *SNAKEMAKE,
        "--directory",
        str(workdir),
        "--cores",
        "1",
        "--dry-run",
        "--configfile",
        *map(str, configfiles),
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )


@pytest.mark.workflow
def test_configfile_forms_and_a_missing_local_corpus_in_a_dry_run(
    tmp_path: Path, tiny_model: Path, tiny_wordnet: Path
) -> None:
    full = tmp_path / "tiny.yaml"
    full.write_text(yaml.safe_dump(tiny_config(tiny_model, tiny_wordnet)))
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"extends: {full}\nanalysis: {{dims: [8, 32]}}\n")
    result = _dry_run(tmp_path, mine)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "replaces config/config.yaml" not in result.stdout + result.stderr
    assert "results/metrics/base/final/wiki.parquet" in result.stdout and "train" in result.stdout
    # a full config without extends replaces the default; one that leaves out a section the default
    # sets (diffing: probe_corpus wiki, not the schema's null) gets the notice naming it
    alone = tmp_path / "alone.yaml"
    alone.write_text(yaml.safe_dump({k: v for k, v in tiny_config(tiny_model, tiny_wordnet).items() if k != "diffing"}))
    result = _dry_run(tmp_path, alone)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"--configfile {alone} replaces config/config.yaml" in result.stderr
    assert "take the schema's defaults instead: diffing." in result.stderr
    assert "replaces" not in _dry_run(tmp_path, full).stderr  # the tiny config sets all that matters
    # a local corpus whose file is missing stops the dry run, naming the key, before any job is planned
    missing = tmp_path / "missing.yaml"
    missing.write_text(f"extends: {full}\ndata: {{corpora: {{mine: {{kind: local, path: absent.jsonl}}}}}}\n")
    result = _dry_run(tmp_path, missing)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "config data.corpora.mine.path: file or folder absent.jsonl not found" in output
    assert "Traceback" not in output and "Job stats" not in output
