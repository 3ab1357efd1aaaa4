"""Which files make the configuration: ``config/config.yaml`` by default; files named with
``--configfile`` replace it, unless one says ``extends: FILE``, which merges it over FILE.

Merging follows JSON Merge Patch (RFC 7386): a mapping is merged key by key, ``null`` removes a key
(it then takes the schema's default), and anything else -- a list, a number, a string -- replaces
the value below it. Named collections (``train.variants``, ``data.corpora``, ``quality.tasks``, ...)
are mappings, so a user's variant is added beside the default's; ``null`` removes one.

A config that replaces the default without ``extends`` is used as written, every key it leaves out
taking the schema's default; :func:`replaced_keys` lists the keys where that differs from
``config/config.yaml``, and the workflow prints them before any job.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mrlens.errors import ConfigError

EXTENDS = "extends"
DEFAULT_CONFIG = "config/config.yaml"


def merge_patch(base: Any, patch: Any) -> Any:
    """``patch`` merged over ``base`` by RFC 7386: mappings key by key, ``None`` deletes, the rest replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    merged = dict(base) if isinstance(base, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def extended_file(name: str, workflow_dir: str | Path) -> Path:
    """The file an ``extends:`` names: relative to the folder Snakemake runs in, else to the workflow's
    folder (so ``config/config.yaml`` names the shipped default from anywhere)."""
    for folder in (Path.cwd(), Path(workflow_dir)):
        path = folder / Path(name).expanduser()
        if path.is_file():
            return path
    raise ConfigError(f"config {EXTENDS}: file {name!r} not found (here or in {workflow_dir})")


def resolve_extends(config: Mapping[str, Any], workflow_dir: str | Path) -> tuple[dict[str, Any], list[Path]]:
    """``config`` merged over the file its ``extends`` names (which may extend another), and the files read.

    Without ``extends`` the config is returned as it is (a copy)."""
    config, chain = dict(config), []
    while EXTENDS in config:
        name = config.pop(EXTENDS)
        if not isinstance(name, str):
            raise ConfigError(f"config {EXTENDS}: a file name, got {name!r}")
        path = extended_file(name, workflow_dir)
        if path.resolve() in (p.resolve() for p in chain):
            raise ConfigError(f"config {EXTENDS}: {path} extends itself through {', '.join(map(str, chain))}")
        chain.append(path)
        with open(path, encoding="utf-8") as handle:
            base = yaml.safe_load(handle) or {}
        config = merge_patch(base, config)  # keeps the base's own extends, followed next
    return config, chain


def _schema_default(schema: Mapping[str, Any], key: str) -> Any:
    return (schema.get("properties") or {}).get(key, {}).get("default", ...)


def replaced_keys(default: Mapping[str, Any], config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Dotted keys that ``default`` sets, ``config`` leaves out, and whose schema default differs: what a
    config used instead of the default (not merged over it) silently changes. Named collections
    (``train.variants``, ...) count as one key."""
    replaced = []
    for key, value in default.items():
        sub = (schema.get("properties") or {}).get(key, {})
        if key not in config:
            if _schema_default(schema, key) != value:
                replaced.append(key)
        elif isinstance(value, Mapping) and isinstance(config[key], Mapping) and "properties" in sub:
            replaced += [f"{key}.{inner}" for inner in replaced_keys(value, config[key], sub)]
    return replaced


def workflow_config(
    config: Mapping[str, Any], workflow_dir: str | Path, config_files: list[str], schema: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Path], str | None]:
    """The config Snakemake read (``config_files``: those of ``--configfile``, none for the default) with
    its ``extends`` resolved, the files that resolving read, and the notice to print when the files
    replace the default config and leave out keys it sets (None otherwise)."""
    merged, extended = resolve_extends(config, workflow_dir)
    if not config_files or extended:
        return merged, extended, None
    with open(Path(workflow_dir) / DEFAULT_CONFIG, encoding="utf-8") as handle:
        replaced = replaced_keys(yaml.safe_load(handle), merged, schema)
    return merged, extended, replacement_notice(config_files, replaced) if replaced else None


def replacement_notice(config_files: list[str], replaced: list[str], default: str = DEFAULT_CONFIG) -> str:
    """The lines the workflow prints when ``--configfile`` replaced the default config."""
    files = " ".join(map(str, config_files))
    return (
        f"mrlens: --configfile {files} replaces {default} (it is not merged with it). "
        f"{len(replaced)} key(s) that {default} sets take the schema's defaults instead: "
        f"{', '.join(replaced)}.\n"
        f"mrlens: to change only some keys of {default}, start your file with `{EXTENDS}: {default}` "
        "(docs/reference/config.md)."
    )
