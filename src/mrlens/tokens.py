"""Tokenise a corpus once per tokenizer and cache the token ids, shared by every model with that tokenizer.

A token file is Parquet with columns ``id`` (string), ``input_ids`` (``list<int32>``, special tokens
included, truncated to ``max_seq_length``) and ``length`` (int32), written in streaming row groups. Its
schema metadata key ``mrlens`` holds ``tokenizer_fingerprint``, ``max_seq_length``, ``pad_token_id``,
``model_input_names`` and ``prompts`` (prompt key -> the prompt put before each text of that role,
:mod:`mrlens.prompts`; empty: none).

The fingerprint (:func:`tokenizer_fingerprint`) hashes what decides the ids of a text: the tokenizer
files with the settings a run changes (truncation, padding, ``model_max_length``) taken out, so a
twin trained at another ``max_seq_length`` keeps its base model's fingerprint. Every trained model of
the workflow starts from the base checkpoint and so shares its tokenizer; :func:`check_token_file`
refuses a model whose fingerprint differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mrlens.errors import DataError
from mrlens.io import METADATA_KEY, atomic_path
from mrlens.prompts import check_prompts_pooled, prompt_of_role

# Files that decide a tokenizer's ids, and the keys in them that only a run's settings change.
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
RUN_SETTINGS = {
    "tokenizer.json": {"truncation", "padding"},
    "tokenizer_config.json": {
        "model_max_length", "max_length", "stride", "truncation_strategy", "pad_to_multiple_of",
        "padding_side", "is_local", "local_files_only", "name_or_path", "_commit_hash",
    },
}  # fmt: skip


def tokenizer_folder(model_dir: str | Path) -> Path:
    """The folder holding a checkpoint's tokenizer: the Transformer module's folder of a
    SentenceTransformer checkpoint (usually the checkpoint itself), else the folder itself."""
    model_dir = Path(model_dir)
    modules = model_dir / "modules.json"
    if modules.exists():
        for module in json.loads(modules.read_text(encoding="utf-8")):
            if module.get("type", "").endswith(".Transformer"):
                return model_dir / module.get("path", "")
    return model_dir


def tokenizer_fingerprint(model_dir: str | Path) -> str:
    """SHA-256 (first 16 hex digits) over a checkpoint's tokenizer files, run settings removed.

    JSON files are hashed in canonical form (sorted keys) without the keys of ``RUN_SETTINGS``;
    other files (vocabularies, sentencepiece models) byte for byte. Raises :class:`DataError` when
    the folder holds no tokenizer file.
    """
    folder = tokenizer_folder(model_dir)
    digest = hashlib.sha256()
    found = False
    for name in TOKENIZER_FILES:
        path = folder / name
        if not path.exists():
            continue
        found = True
        digest.update(name.encode() + b"\0")
        if name.endswith(".json"):
            content = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(content, dict):
                content = {k: v for k, v in content.items() if k not in RUN_SETTINGS.get(name, ())}
            digest.update(json.dumps(content, sort_keys=True, ensure_ascii=False).encode())
        else:
            digest.update(path.read_bytes())
        digest.update(b"\0")
    if not found:
        raise DataError(
            f"checkpoint {model_dir}: no tokenizer files ({', '.join(TOKENIZER_FILES[:2])}, ...) in {folder}"
        )
    return digest.hexdigest()[:16]


def load_tokenizer(model_dir: str | Path, trust_remote_code: bool = False) -> Any:
    """The Hugging Face tokenizer that SentenceTransformer loads for this checkpoint (``trust_remote_code``:
    with the tokenizer code the checkpoint ships, for the models of ``models:`` that opt in)."""
    from transformers import AutoTokenizer

    folder = str(tokenizer_folder(model_dir))
    return AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=trust_remote_code)


def tokenize_texts(tokenizer: Any, texts: list[str], max_seq_length: int) -> list[list[int]]:
    """Token ids of ``texts`` exactly as ``SentenceTransformer.encode`` makes them (special tokens,
    longest-first truncation to ``max_seq_length``), without padding."""
    encoded = tokenizer(
        texts,
        truncation="longest_first",
        max_length=max_seq_length,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    return encoded["input_ids"]


def token_schema(metadata: dict[str, Any]) -> pa.Schema:
    return pa.schema(
        [("id", pa.string()), ("input_ids", pa.list_(pa.int32())), ("length", pa.int32())],
        metadata={METADATA_KEY: json.dumps(metadata, sort_keys=True)},
    )


def _ids_array(sequences: list[list[int]]) -> tuple[pa.Array, np.ndarray]:
    lengths = np.fromiter(map(len, sequences), dtype=np.int32, count=len(sequences))
    offsets = np.zeros(len(sequences) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.fromiter((t for s in sequences for t in s), dtype=np.int32, count=int(offsets[-1]))
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat)), lengths


def _read_texts(texts_path: str | Path, chunk_size: int) -> Iterator[pa.RecordBatch]:
    """Batches of ``id``, ``text`` and, where the file has it (a task's texts), ``role``."""
    try:
        source = pq.ParquetFile(texts_path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{texts_path}: not a readable Parquet file ({exc})") from exc
    missing = {"id", "text"} - set(source.schema_arrow.names)
    if missing:
        raise DataError(f"{texts_path}: missing column(s) {sorted(missing)}; expected 'id' and 'text'")
    columns = ["id", "text", *(["role"] if "role" in source.schema_arrow.names else [])]
    yield from source.iter_batches(batch_size=chunk_size, columns=columns)


def _with_prompts(batch: pa.RecordBatch, prompts: Mapping[str, str] | None, texts_path: str | Path) -> list[str]:
    """The batch's texts, each after the prompt of its role (a corpus's texts are documents)."""
    texts = batch.column("text").to_pylist()
    if not prompts:
        return texts
    roles = batch.column("role").to_pylist() if "role" in batch.schema.names else ["document"] * len(texts)
    return [prompt_of_role(prompts, role, texts_path) + text for role, text in zip(roles, texts)]


def tokenize_corpus(
    model_dir: str | Path,
    texts_path: str | Path,
    out_path: str | Path,
    max_seq_length: int,
    chunk_size: int = 16384,
    prompts: Mapping[str, str] | None = None,
    trust_remote_code: bool = False,
) -> dict[str, Any]:
    """Tokenise the ``text`` column of ``texts_path`` with the checkpoint's tokenizer into a token file,
    each text after the prompt of its role (``prompts``: prompt key -> prompt, :mod:`mrlens.prompts`;
    None: no prompts).

    Reads and writes ``chunk_size`` documents at a time (one row group each), so memory stays flat
    in the number of documents. Returns the file's metadata, which records the prompts.
    """
    if prompts:
        check_prompts_pooled(prompts, model_dir)
    tokenizer = load_tokenizer(model_dir, trust_remote_code)
    meta: dict[str, Any] = {
        "tokenizer_fingerprint": tokenizer_fingerprint(model_dir),
        "max_seq_length": int(max_seq_length),
        "pad_token_id": int(tokenizer.pad_token_id or 0),
        "model_input_names": list(tokenizer.model_input_names),
        "prompts": dict(prompts or {}),
    }
    n, total = 0, 0
    schema = token_schema(meta)
    with atomic_path(out_path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for batch in _read_texts(texts_path, chunk_size):
            texts = batch.column("text").to_pylist()
            if any(t is None for t in texts):
                raise DataError(f"{texts_path}: empty text (null) among rows {n}..{n + len(texts) - 1}")
            texts = _with_prompts(batch, prompts, texts_path)
            ids, lengths = _ids_array(tokenize_texts(tokenizer, texts, max_seq_length))
            writer.write_table(pa.table([batch.column("id").cast(pa.string()), ids, pa.array(lengths)], schema=schema))
            n += len(texts)
            total += int(lengths.sum())
        if n == 0:
            raise DataError(f"{texts_path}: no documents to tokenise")
    return {**meta, "n": n, "tokens": total}


def read_token_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a token file (fingerprint, max_seq_length, n, ...); DataError if it has none."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: not a readable token file ({exc})") from exc
    raw = parquet.schema_arrow.metadata or {}
    if METADATA_KEY not in raw:
        raise DataError(
            f"{path}: not a token file (no '{METADATA_KEY.decode()}' metadata); remake it with the tokenize rule"
        )
    return {**json.loads(raw[METADATA_KEY]), "n": parquet.metadata.num_rows}


def check_token_file(path: str | Path, model_dir: str | Path, max_seq_length: int) -> dict[str, Any]:
    """Metadata of the token file ``path``, after checking it fits the checkpoint ``model_dir``.

    Raises :class:`DataError` naming the file when the checkpoint's tokenizer fingerprint or the
    requested ``max_seq_length`` differ from those the file was made with.
    """
    meta = read_token_metadata(path)
    fingerprint = tokenizer_fingerprint(model_dir)
    if meta["tokenizer_fingerprint"] != fingerprint:
        raise DataError(
            f"{path}: tokenised with tokenizer {meta['tokenizer_fingerprint']}, but checkpoint {model_dir} has "
            f"tokenizer {fingerprint}; token files are shared only by models with the base model's tokenizer"
        )
    if int(meta["max_seq_length"]) != int(max_seq_length):
        raise DataError(
            f"{path}: truncated to {meta['max_seq_length']} tokens, but embed.max_seq_length is {max_seq_length}"
        )
    return meta


def iter_token_chunks(path: str | Path, chunk_size: int) -> Iterator[tuple[list[str], np.ndarray, np.ndarray]]:
    """Yield ``(ids, offsets, flat_ids)`` for ``chunk_size`` documents at a time from a token file.

    Document ``i`` of a chunk has token ids ``flat_ids[offsets[i]:offsets[i + 1]]``.
    """
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size, columns=["id", "input_ids"]):
        column = batch.column("input_ids")
        offsets = column.offsets.to_numpy() - column.offsets[0].as_py()
        flat = column.values.slice(column.offsets[0].as_py(), int(offsets[-1])).to_numpy()
        yield batch.column("id").to_pylist(), offsets.astype(np.int64), flat
