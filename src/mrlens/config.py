"""Validate a workflow configuration against its JSON schema, fill defaults and check what a
schema cannot (cut points against the model size, references between sections).

Every error is a :class:`~mrlens.errors.ConfigError` whose message starts with the dotted key.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import yaml
from jsonschema import validators

from mrlens.canonical import coerce_to_schema, normalise_path
from mrlens.checkpoints import EMBEDDED, base_model_dim, checkpoint_dim, local_source, weight_files
from mrlens.errors import ConfigError
from mrlens.ids import BASE_MODEL_ID, parse_model_id, trained_model_id
from mrlens.inference.claims import check_claims, configured_claims, reference_pairs
from mrlens.kinds import FAMILIES, TASK_KINDS, check_needs
from mrlens.metrics.registry import GEOMETRY_METRICS, quality_names

T = TypeVar("T")


@dataclass(frozen=True)
class Variant:
    """One training recipe: the cut points trained on and their loss weights; ``dedicated``: the size of
    a linear head trained for that size alone (``train.variants.NAME.dedicated``), else None."""

    name: str
    dims: tuple[int, ...]
    weights: tuple[float, ...]
    dedicated: int | None = None

    @property
    def is_mrl(self) -> bool:
        return len(self.dims) > 1


def _with_defaults(validator_class: type) -> type:
    """A validator that fills each missing property with its schema ``default`` before checking it."""
    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):  # type: ignore[no-untyped-def]
        if isinstance(instance, dict):
            for key, subschema in props.items():
                if "default" in subschema and key not in instance:
                    instance[key] = copy.deepcopy(subschema["default"])
        yield from check_properties(validator, props, instance, schema)

    return validators.extend(validator_class, {"properties": properties})


_DefaultsValidator = _with_defaults(jsonschema.Draft202012Validator)


def _key(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    """One readable line for a schema violation, starting with the dotted key."""
    where = _key(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        if allowed:
            return f"config {where}: unknown key {', '.join(map(repr, unknown))} (allowed: {', '.join(allowed)})"
    if kind == "propertyNames" or "propertyNames" in error.relative_schema_path:
        characters = "dots, hyphens and underscores" if where == "models" else "dots and hyphens"
        return (
            f"config {where}: name {error.instance!r} is not allowed: use letters, digits, {characters}, "
            f"and not the reserved name {BASE_MODEL_ID!r}"
        )
    if kind == "minProperties":
        return f"config {where}: must not be empty"
    if kind == "enum":
        return f"config {where}: {error.instance!r} is not one of {error.validator_value}"
    return f"config {where}: {error.message}"


def check_duplicate_keys(path: str | Path) -> None:
    """Raise if a YAML mapping in ``path`` repeats a key (plain YAML loaders keep the last one silently)."""

    class StrictLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):  # type: ignore[no-untyped-def]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"config file {path}: key {key!r} appears twice "
                    f"(lines {seen[key] + 1} and {key_node.start_mark.line + 1})"
                )
            seen[key] = key_node.start_mark.line
        return loader.construct_mapping(node, deep=deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    with open(path, encoding="utf-8") as handle:
        yaml.load(handle, Loader=StrictLoader)


def load_schema(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _normalise_variant(name: str, spec: list[int] | dict[str, Any]) -> dict[str, Any]:
    key = f"config train.variants.{name}"
    if isinstance(spec, dict) and spec.get("dedicated") is not None:
        size = spec["dedicated"]
        if spec.get("weights", [1.0]) != [1.0] or spec.get("dims", [size]) != [size]:
            raise ConfigError(
                f"{key}: a dedicated variant takes its size alone (dedicated: {size}), no dims or weights"
            )
        return {"dims": [size], "weights": [1.0], "dedicated": size}
    if isinstance(spec, dict) and "dims" not in spec:
        raise ConfigError(f"{key}: give cut points (a list, or dims: [...]) or a dedicated size (dedicated: k)")
    dims = list(spec["dims"] if isinstance(spec, dict) else spec)
    weights = list(spec.get("weights") or [1.0] * len(dims)) if isinstance(spec, dict) else [1.0] * len(dims)
    if len(weights) != len(dims):
        raise ConfigError(f"{key}.weights: {len(weights)} weights for {len(dims)} cut points {dims}")
    if any(a <= b for a, b in zip(dims, dims[1:])):
        raise ConfigError(f"{key}: cut points must be strictly descending, got {dims}")
    return {"dims": dims, "weights": [float(w) for w in weights]}


def _check_sizes(key: str, sizes: Iterable[int], dim: int | None) -> None:
    if dim is None:
        return
    too_big = [s for s in sizes if s > dim]
    if too_big:
        raise ConfigError(f"config {key}: size {too_big[0]} exceeds the base model's embedding size {dim}")


def check_embedding_size(sizes: Iterable[int], dim: int, model: str) -> None:
    """At a job, for a model whose size was unknown before (a hub id): every size of ``analysis.dims``
    within its embedding size ``dim``, else a :class:`ConfigError` naming the key and the model."""
    too_big = [s for s in sizes if s > dim]
    if too_big:
        raise ConfigError(f"config analysis.dims: size {too_big[0]} exceeds the embedding size {dim} of model {model}")


def validate_config(
    config: Mapping[str, Any],
    schema_path: str | Path,
    config_files: Iterable[str | Path] = (),
) -> dict[str, Any]:
    """Return a validated copy of ``config`` with every default filled and variants normalised.

    The result has one written form per value, so that reruns depend on values only
    (:mod:`mrlens.canonical`): numbers in their schema type, paths normalised, variants as
    ``{"dims": [...], "weights": [...]}`` ordered by number of cut points then name, seeds, sizes and
    ``train.monitor_dims`` ascending, strategies in the schema's order, external ``models`` by name with
    their cut points descending. Without ``train`` but with ``models``, ``train`` is None: nothing is
    trained.
    ``config_files`` are re-read to catch duplicate keys, which YAML loaders drop silently.
    """
    for path in config_files:
        check_duplicate_keys(path)
    schema = load_schema(schema_path)
    config = coerce_to_schema(copy.deepcopy(dict(config)), schema)
    if config.get("models") and "train" not in config:
        config["train"] = None  # analysis only: external models, nothing trained
    validator = _DefaultsValidator(schema)
    errors = sorted(
        validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if errors:
        raise ConfigError(_describe(jsonschema.exceptions.best_match(errors)))
    config = coerce_to_schema(config, schema)  # the defaults just filled in too

    train = config["train"]
    if train is None and not config["models"]:
        raise ConfigError("config train: empty; a run that trains nothing needs checkpoints to analyse in models")
    if train is not None:
        _normalise_train(config)
    config["analysis"]["dims"] = sorted(config["analysis"]["dims"])
    _check_models(config)
    _check_tasks(config)
    _check_findings(config)
    strategies = schema["properties"]["analysis"]["properties"]["strategies"]["items"]["enum"]
    config["analysis"]["strategies"] = sorted(config["analysis"]["strategies"], key=strategies.index)
    _normalise_paths(config)

    dim = config["base_model"]["dim"] or base_model_dim(config["base_model"]["source"])
    config["base_model"]["dim"] = dim
    for name, variant in (train or {}).get("variants", {}).items():
        _check_sizes(f"train.variants.{name}", variant["dims"], dim)
        if variant.get("dedicated") is not None and variant["dedicated"] not in config["analysis"]["dims"]:
            raise ConfigError(
                f"config train.variants.{name}.dedicated: size {variant['dedicated']} is not one of analysis.dims "
                f"{config['analysis']['dims']}; a dedicated model is measured at its own size"
            )
    if train is not None:  # the twins have the base's width; in an analysis the base has its own sizes
        _check_sizes("analysis.dims", config["analysis"]["dims"], dim)
    _check_sizes("train.monitor_dims", (train or {}).get("monitor_dims") or [], dim)
    return config


def _normalise_train(config: dict[str, Any]) -> None:
    train = config["train"]
    variants = {name: _normalise_variant(name, spec) for name, spec in train["variants"].items()}
    order = sorted(variants, key=lambda v: ("dedicated" in variants[v], len(variants[v]["dims"]), v))  # dedicated last
    train["variants"] = {name: variants[name] for name in order}
    train["seeds"] = sorted(train["seeds"])
    if train["pairs"] not in config["data"]["pairs"]:
        raise ConfigError(
            f"config train.pairs: {train['pairs']!r} is not a source in data.pairs "
            f"({', '.join(config['data']['pairs'])})"
        )
    late = [s for s in train["checkpoint_steps"] if s >= train["max_steps"]]
    if late:
        raise ConfigError(
            f"config train.checkpoint_steps: step {late[0]} is not before train.max_steps "
            f"({train['max_steps']}); the final model is always kept"
        )
    train["checkpoint_steps"] = sorted(train["checkpoint_steps"])
    if train["monitor_dims"]:
        train["monitor_dims"] = sorted(train["monitor_dims"])


def _check_models(config: dict[str, Any]) -> None:
    """External models (``models:``): names clear of the trained ones, ``twin_of`` and ``base`` naming
    known models, cut points descending and within the model's embedding size (``dim``), which must reach
    the smallest size of ``analysis.dims``; checkpoints (:func:`_check_checkpoint`) and precomputed
    embeddings (:func:`_check_precomputed`) each checked for what they need."""
    models = config["models"] = {name: config["models"][name] for name in sorted(config["models"])}  # one order
    trained = set(config["train"]["variants"]) if config["train"] else set()
    sizes = config["analysis"]["dims"]
    precomputed = {name for name, spec in models.items() if spec["kind"] == "precomputed"}
    for name, spec in models.items():
        key = f"config models.{name}"
        if name == BASE_MODEL_ID or name in trained or _trained_variant(name) in trained:
            what = "the base checkpoint" if name == BASE_MODEL_ID else "a trained variant or model id"
            raise ConfigError(f"{key}: the name is taken by {what}; give the model another name")
        spec["dims"] = sorted(spec["dims"], reverse=True)
        for link, allowed in (("twin_of", set(models) - {name}), ("base", {BASE_MODEL_ID} | set(models) - {name})):
            if spec[link] is not None and spec[link] not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise ConfigError(f"{key}.{link}: {spec[link]!r} is not another model of models (known: {known})")
        if spec["base"] in precomputed:
            raise ConfigError(
                f"{key}.base: {spec['base']!r} is precomputed embeddings, with no weights to diff against"
            )
        if name in precomputed:
            _check_precomputed(config, name, spec)
        else:
            _check_checkpoint(name, spec, _mteb_tasks(config))
        dim = spec["dim"]
        if dim is not None and spec["dims"] and spec["dims"][0] > dim:
            raise ConfigError(f"{key}.dims: size {spec['dims'][0]} exceeds the model's embedding size {dim}")
        if dim is not None and not model_sizes(sizes, dim):
            raise ConfigError(f"{key}: embedding size {dim} is smaller than every size of analysis.dims {sizes}")


FULL_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _mteb_tasks(config: Mapping[str, Any]) -> list[str]:
    """The tasks of quality.tasks that MTEB runs, embedding their own texts."""
    return [t for t, task in config["quality"]["tasks"].items() if not TASK_KINDS[task["kind"]].embedded]


def _check_checkpoint(name: str, spec: dict[str, Any], mteb: list[str]) -> None:
    """A checkpoint of ``models:``: a source; for a local folder no revision, weights present and the
    embedding size (read from its config files, no weights loaded) filled into ``dim``. A hub id with
    ``trust_remote_code`` must pin ``revision`` to a full 40-hex commit: the code that runs is then the
    code of that commit. A hub id's size, unless ``dim`` gives it, is checked by its first job."""
    key = f"config models.{name}"
    if spec.get("source") is None:
        raise ConfigError(f"{key}.source: missing; a checkpoint needs one (or kind: precomputed with embeddings)")
    if spec["embeddings"]:
        raise ConfigError(f"{key}.embeddings: only for kind: precomputed; a checkpoint is embedded here")
    if spec["trust_remote_code"] and spec["base"] is not None:
        raise ConfigError(
            f"{key}.base: model diffing does not run a model's own code (trust_remote_code); leave it out"
        )
    if spec["trust_remote_code"] and mteb:
        raise ConfigError(
            f"{key}: the MTEB task {mteb[0]} (quality.tasks.{mteb[0]}) does not run a model's own code "
            "(trust_remote_code); use the embedded task kinds"
        )
    code = spec["code_revision"]
    if code is not None and not (spec["trust_remote_code"] and FULL_COMMIT.match(code)):
        raise ConfigError(f"{key}.code_revision: only with trust_remote_code, as a full 40-hex commit (got {code!r})")
    folder = local_source(spec["source"], f"models.{name}.source")
    if folder is None:
        if spec["trust_remote_code"] and not FULL_COMMIT.match(spec["revision"] or ""):
            raise ConfigError(
                f"{key}.revision: trust_remote_code runs code from {spec['source']} on this machine; pin revision "
                f"to a full 40-hex commit (got {spec['revision']!r}), not a branch, tag or nothing"
            )
        return
    if spec["revision"] is not None:
        raise ConfigError(f"{key}.revision: only for hub ids; source {spec['source']} is a local folder")
    try:
        weight_files(folder)
        dim = checkpoint_dim(folder)
    except ConfigError as error:
        raise ConfigError(f"{key}.source: {error}") from None
    if spec["dim"] is not None and spec["dim"] != dim:
        raise ConfigError(f"{key}.dim: {spec['dim']}, but the embedding size of {spec['source']} is {dim}")
    spec["dim"] = dim


def _check_precomputed(config: Mapping[str, Any], name: str, spec: dict[str, Any]) -> None:
    """Precomputed embeddings of ``models:``: no weights (no source, revision, code, prompts or base), and
    one existing file for each corpus and each embedded task, no more; their ids are checked by the job
    that reads them."""
    key = f"config models.{name}"
    unused = {"source": None, "revision": None, "trust_remote_code": False, "code_revision": None, "base": None}
    for setting, default in unused.items():
        if spec.get(setting, default) != default:
            raise ConfigError(f"{key}.{setting}: not for kind: precomputed (embeddings made elsewhere, no weights)")
    if any(p is not None for p in spec["prompts"].values()):
        raise ConfigError(f"{key}.prompts: not for kind: precomputed; the embeddings were made with their own")
    tasks = config["quality"]["tasks"]
    mteb = _mteb_tasks(config)
    if mteb:
        raise ConfigError(
            f"{key}: precomputed embeddings cannot run the MTEB task {mteb[0]} (quality.tasks.{mteb[0]}), "
            "which embeds its own texts"
        )
    needed = [*config["data"]["corpora"], *tasks]
    given = spec["embeddings"]
    missing = [n for n in needed if n not in given]
    if missing:
        raise ConfigError(f"{key}.embeddings: no file for {missing[0]}; give one for each of {', '.join(needed)}")
    for text_set, path in given.items():
        if text_set not in needed:
            raise ConfigError(f"{key}.embeddings.{text_set}: not a corpus of data.corpora or a task of quality.tasks")
        if not Path(path).expanduser().is_file():
            raise ConfigError(f"{key}.embeddings.{text_set}: file {path} does not exist")


def _trained_variant(name: str) -> str | None:
    """The variant a name of the trained models' form ``{variant}_s{seed}`` (:func:`parse_model_id`) names,
    whatever the seed; None for any other name."""
    try:
        return parse_model_id(name)[0]
    except ValueError:
        return None


def _check_findings(config: Mapping[str, Any]) -> None:
    """Claims name known metrics, variants or roles, tasks, corpora and sizes; references name variants."""
    variants = {name: v["dims"] for name, v in (config["train"] or {}).get("variants", {}).items()}
    findings = config["findings"]
    reference_pairs(variants, findings["reference"], dedicated_variants(config))
    variants |= {name: model["dims"] for name, model in config["models"].items()}  # claims may name them
    metrics = [*GEOMETRY_METRICS, *quality_names(config["quality"])]
    check_claims(
        configured_claims(findings),
        metrics,
        variants,
        config["quality"]["tasks"],
        config["data"]["corpora"],
        config["analysis"]["dims"],
        config["quality"]["precisions"],
    )


def _normalise_paths(config: dict[str, Any]) -> None:
    """Every file or folder the config names, in one spelling (:func:`mrlens.canonical.normalise_path`):
    the ``path`` of each data source and task, and a local ``base_model.source`` or ``models.*.source``."""
    for section in (config["data"]["pairs"], config["data"]["corpora"], config["quality"]["tasks"]):
        for source in section.values():
            if "path" in source:
                source["path"] = normalise_path(source["path"])
    for key, source in [
        ("base_model", config["base_model"]),
        *(("models." + n, m) for n, m in config["models"].items() if m["kind"] == "checkpoint"),
    ]:
        if source["source"] != EMBEDDED and local_source(source["source"], f"{key}.source") is not None:
            source["source"] = normalise_path(source["source"])
    for model in config["models"].values():
        model["embeddings"] = {name: normalise_path(path) for name, path in model["embeddings"].items()}


def _check_tasks(config: Mapping[str, Any]) -> None:
    """Task names must not clash with corpora (both name embedding files); heldout tasks name a pairs source."""
    corpora, pairs = config["data"]["corpora"], config["data"]["pairs"]
    for name, task in config["quality"]["tasks"].items():
        key = f"config quality.tasks.{name}"
        if name in corpora:
            raise ConfigError(f"{key}: the name is also a corpus in data.corpora; give the task another name")
        check_needs("quality.tasks", name, task)
        _check_local_path("quality.tasks", name, task)
        if task["kind"] == "heldout_retrieval" and task["pairs"] not in pairs:
            raise ConfigError(f"{key}.pairs: {task['pairs']!r} is not a source in data.pairs ({', '.join(pairs)})")
    for section, sources in (("data.pairs", pairs), ("data.corpora", corpora)):
        for name, source in sources.items():
            check_needs(section, name, source)
            _check_local_path(section, name, source)
    for key in ("pca_corpus", "calibration_corpus"):
        named = config["quality"][key]
        if named is not None and named not in corpora:
            raise ConfigError(f"config quality.{key}: {named!r} is not a corpus in data.corpora ({', '.join(corpora)})")
    probe = config["diffing"]["probe_corpus"]
    if probe is not None and probe not in corpora:
        raise ConfigError(
            f"config diffing.probe_corpus: {probe!r} is not a corpus in data.corpora ({', '.join(corpora)})"
        )


def _check_local_path(section: str, name: str, source: Mapping[str, Any]) -> None:
    """A local file or folder (a ``path`` the source's kind needs) exists, checked before any job."""
    if "path" in FAMILIES[section][source["kind"]].needs and not Path(source["path"]).expanduser().exists():
        raise ConfigError(f"config {section}.{name}.path: file or folder {source['path']} not found")


def settings_from(cls: type[T], mapping: Mapping[str, Any], section: str) -> T:
    """The settings dataclass ``cls`` from a config mapping; a key that is not one of its fields is a
    :class:`ConfigError` naming it (``section``: where the keys come from, e.g. ``analysis``). Fields
    not given keep the dataclass's default: the one source of defaults, which the schema's are tested
    equal to."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise ConfigError(
            f"config {section}.{unknown[0]}: not a setting of {cls.__name__} ({', '.join(sorted(known))})"
        )
    return cls(**mapping)


def variants(config: Mapping[str, Any]) -> dict[str, Variant]:
    return {
        name: Variant(name, tuple(spec["dims"]), tuple(spec["weights"]), spec.get("dedicated"))
        for name, spec in (config["train"] or {}).get("variants", {}).items()
    }


def dedicated_variants(config: Mapping[str, Any]) -> dict[str, int]:
    """Variant name -> size of every dedicated variant (a linear head trained for one size alone)."""
    return {name: v.dedicated for name, v in variants(config).items() if v.dedicated is not None}


def model_sizes(dims: Iterable[int], width: int) -> list[int]:
    """The sizes of ``dims`` a model of embedding size ``width`` has: a dedicated model of size k is
    measured at k and below (by prefix), never above."""
    return [d for d in dims if d <= width]


def model_ids(config: Mapping[str, Any], external: bool = True) -> list[str]:
    """The base model, every variant x seed, then (``external``) the models of ``models:``, in a stable
    order."""
    train = config["train"] or {"variants": {}, "seeds": []}
    trained = [trained_model_id(v, s) for v in train["variants"] for s in train["seeds"]]
    return [BASE_MODEL_ID, *trained, *(config.get("models") or {} if external else {})]
