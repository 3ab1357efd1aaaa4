"""Prompts: the text put before each text according to its role, as sentence-transformers does.

A text's role is ``document`` (every corpus text, and the documents of a retrieval task), ``query`` (the
queries of a retrieval task) or ``text`` (the sentences of a similarity task), the ``role`` column of a
task's texts. Each role takes the prompt of one key of ``models.NAME.prompts``: ``document``, ``query``,
``similarity``. A key left null takes the model's own prompt, the one sentence-transformers' methods use
(``config_sentence_transformers.json``: ``prompts`` and ``default_prompt_name``):

- ``document``: ``encode_document``'s, the first of the prompts named ``document``, ``passage``, ``corpus``;
- ``query``: ``encode_query``'s, the prompt named ``query``;
- ``similarity``: ``encode``'s, the prompt named by ``default_prompt_name``;

each falling back to the default prompt, and to none (``""``) without one. The prompt is put before the
text as a string (``prompt + text``) before tokenising, as ``SentenceTransformer.encode`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mrlens.errors import DataError

PROMPT_OF_ROLE = {"document": "document", "query": "query", "text": "similarity"}  # texts' role -> prompt key
OWN_PROMPT_NAMES = {"document": ("document", "passage", "corpus"), "query": ("query",), "similarity": ()}


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def model_prompts(model_dir: str | Path) -> dict[str, str]:
    """The model's own prompt for each key (``document``, ``query``, ``similarity``) from a
    SentenceTransformer folder's ``config_sentence_transformers.json``, as its ``encode_document``,
    ``encode_query`` and ``encode`` pick them; ``""`` where it has none (and for a plain encoder)."""
    config = _read_json(Path(model_dir) / "config_sentence_transformers.json")
    prompts = config.get("prompts") or {}
    default = prompts.get(config.get("default_prompt_name") or "", "")
    return {
        key: next((prompts[n] for n in names if n in prompts), default) or "" for key, names in OWN_PROMPT_NAMES.items()
    }


def resolve_prompts(configured: Mapping[str, str | None], model_dir: str | Path) -> dict[str, str]:
    """The prompt of each key: the configured one (``models.NAME.prompts``), or where it is null the
    model's own (:func:`model_prompts`)."""
    own = model_prompts(model_dir)
    return {key: own[key] if configured.get(key) is None else str(configured[key]) for key in own}


def prompt_of_role(prompts: Mapping[str, str], role: str, where: str | Path) -> str:
    """The prompt put before a text of ``role``; a :class:`DataError` naming ``where`` for an unknown role."""
    if role not in PROMPT_OF_ROLE:
        raise DataError(f"{where}: role {role!r} is not one of {sorted(PROMPT_OF_ROLE)}")
    return prompts[PROMPT_OF_ROLE[role]]


def check_prompts_pooled(prompts: Mapping[str, str], model_dir: str | Path) -> None:
    """Refuse prompts for a model whose Pooling module leaves the prompt's tokens out
    (``include_prompt: false``): the token ids of the embed rule do not say where a prompt ends."""
    model_dir = Path(model_dir)
    if not any(prompts.values()):
        return
    for module in _read_json(model_dir / "modules.json") or []:
        pooling = _read_json(model_dir / module.get("path", "") / "config.json")
        if module.get("type", "").endswith(".Pooling") and pooling.get("include_prompt", True) is False:
            raise DataError(
                f"{model_dir}: its Pooling module leaves prompt tokens out (include_prompt: false), which mrlens "
                "cannot do from token ids; give empty prompts (models.NAME.prompts) or another model"
            )
