"""One written form for every config value, so that whether Snakemake reruns a job depends on the
values of its settings, never on how the config file was written.

Snakemake decides that a job's params changed by comparing the ``repr`` of each value with the one it
recorded. Three spellings of one value would each read as a change:

- key order: ``{'kind': 'wordnet', 'seed': 0}`` and ``{'seed': 0, 'kind': 'wordnet'}``. A
  :class:`CanonicalDict` is the mapping itself (scripts receive it, keys in the order written) whose
  ``repr`` lists the keys sorted, at every depth (:func:`canonical`);
- numbers: ``5e-5`` (a string to PyYAML, whose floats need a dot), ``5.0e-05``, ``20`` for a float
  setting or ``150.0`` for an integer one. :func:`coerce_to_schema` turns each into the type its
  schema key declares, before validation;
- paths: ``data/x.jsonl``, ``./data/x.jsonl`` and ``/abs/to/project/data/x.jsonl`` name one file.
  :func:`normalise_path` writes a path inside the working folder relative to it, others absolute,
  both without ``.``, ``..`` or doubled separators.

Results recorded before mappings were canonical are upgraded in place by :func:`upgrade_records`
(``mrlens upgrade-records``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


class CanonicalDict(dict):
    """A dict whose ``repr`` lists its keys sorted (values in their own canonical form), so two
    mappings with equal items have one ``repr`` whatever order their keys were written in."""

    def __repr__(self) -> str:
        items = sorted(self.items(), key=lambda item: repr(item[0]))
        return "{" + ", ".join(f"{key!r}: {value!r}" for key, value in items) + "}"

    def __reduce__(self) -> tuple[Any, ...]:  # pickled for scripts as itself, with its items
        return (CanonicalDict, (dict(self),))


class Digest(CanonicalDict):
    """A mapping whose ``repr`` is a label and the SHA-256 of its canonical ``repr``: a long param
    (the whole config, every metric's interval method, every claim) still reruns its jobs when it
    changes, and the dry run's "Params have changed" reason names it in one short line."""

    def __init__(self, label: str, items: Mapping[str, Any]):
        super().__init__(canonical(dict(items)))
        self.label = label

    def __repr__(self) -> str:
        text = CanonicalDict.__repr__(self)
        return f"<{self.label} sha256:{hashlib.sha256(text.encode()).hexdigest()[:16]}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Digest, (self.label, dict(self)))


def canonical(value: Any) -> Any:
    """``value`` with every mapping, at any depth, a :class:`CanonicalDict` (lists and tuples keep
    their order: a list's order is part of its value)."""
    if isinstance(value, Mapping):
        return CanonicalDict({key: canonical(v) for key, v in value.items()})
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, tuple):
        return tuple(canonical(v) for v in value)
    return value


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type", ())
    return {declared} if isinstance(declared, str) else set(declared)


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/name``) replaced by what it names, its own keys kept."""
    ref = schema.get("$ref")
    if not ref:
        return schema
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**_resolve(target, root), **{k: v for k, v in schema.items() if k != "$ref"}}


def _number(value: Any, types: set[str]) -> Any:
    """One value in the numeric type its schema declares; anything else unchanged (validation
    reports it)."""
    if not types & {"number", "integer"} or isinstance(value, bool):
        return value
    if isinstance(value, str) and "string" not in types and _NUMBER.match(value.strip()):
        value = float(value)
    if isinstance(value, float) and "integer" in types and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, int) and "number" in types and "integer" not in types:
        return float(value)
    return value


def coerce_to_schema(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Any:
    """``instance`` with every number in the type its JSON-schema key declares: ``integer`` keys get
    ints (``150.0`` -> ``150``), ``number`` keys floats (``20`` -> ``20.0``; the string ``"5e-5"``,
    which YAML 1.1 loaders read for ``5e-5``, -> ``5e-05``). Follows ``properties``,
    ``additionalProperties``, ``items`` and local ``$ref``; returns a new object, ``instance``
    untouched."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if isinstance(instance, Mapping):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out = {}
        for key, value in instance.items():
            sub = properties.get(key, extra if isinstance(extra, Mapping) else None)
            out[key] = coerce_to_schema(value, sub, root) if sub is not None else value
        return out
    if isinstance(instance, list):
        items = schema.get("items")
        return [coerce_to_schema(v, items, root) for v in instance] if isinstance(items, Mapping) else list(instance)
    return _number(instance, _types(schema))


def normalise_path(path: str, workdir: str | Path | None = None) -> str:
    """One spelling of a file path: ``~`` expanded, ``.``/``..``/doubled separators and a trailing
    separator removed, and written relative to ``workdir`` (default: the working folder) when it
    lies inside it, absolute otherwise."""
    workdir = os.path.abspath(workdir or os.getcwd())
    absolute = os.path.normpath(os.path.join(workdir, os.path.expanduser(path)))
    if absolute == workdir or absolute.startswith(workdir.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, workdir)
    return absolute


def canonical_text(text: str) -> str:
    """The canonical ``repr`` of the value a recorded param ``text`` spells (``text`` itself when it
    is not a Python literal)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    return repr(canonical(value))


def upgrade_records(metadata: str | Path = ".snakemake/metadata", dry_run: bool = False) -> list[Path]:
    """Rewrite the params that Snakemake recorded for each output in ``metadata`` (its JSON records,
    format version 6 and later) into their canonical text, so that results made before mappings were
    canonical are not rerun for it. Returns the records that (would) change; each is replaced
    atomically."""
    changed = []
    for record in sorted(Path(metadata).iterdir()) if Path(metadata).is_dir() else []:
        try:
            content = json.loads(record.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if (
            not isinstance(content, dict)
            or (content.get("record_format_version") or 0) < 6
            or not content.get("params")
        ):
            continue
        params = sorted(canonical_text(p) for p in content["params"])
        if params == content["params"]:
            continue
        changed.append(record)
        if not dry_run:
            temporary = record.with_name(f".{record.name}.mrlens-upgrade")
            temporary.write_text(json.dumps({**content, "params": params}))
            os.replace(temporary, record)
    return changed
