"""Token cache and fast encoder: the same embeddings as SentenceTransformer.encode, in corpus order,
streamed in row groups; the cache is shared across models with one tokenizer and refused otherwise."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch
from conftest import WORDS
from sentence_transformers import SentenceTransformer

from mrlens.checkpoints import embedded_model_path
from mrlens.embed import TokenEncoder, embed_tokens, transformer_dtype
from mrlens.errors import DataError
from mrlens.io import read_embeddings
from mrlens.models import load_encoder, load_model
from mrlens.tokens import (
    check_token_file,
    iter_token_chunks,
    read_token_metadata,
    tokenize_corpus,
    tokenizer_fingerprint,
)


def varied_corpus(n: int = 36, seed: int = 0) -> pd.DataFrame:
    """Documents from one word to far past the truncation length, some of equal length (unpadded
    batches), shuffled so that corpus order is not length order."""
    rng = random.Random(seed)
    sizes = [1, 2, 3, 150, 150, 150, 150, 150, 90] + [rng.randint(1, 120) for _ in range(n - 10)]
    texts = [" ".join(rng.choices(WORDS, k=k)) for k in sizes]
    texts.append("Ünïcödé, punctuation -- and [brackets]; numbers 3.14159 & symbols: @#%!")
    ids = [f"doc-{i:03d}" for i in range(len(texts))]
    order = list(range(len(texts)))
    rng.shuffle(order)
    return pd.DataFrame({"id": [ids[i] for i in order], "text": [texts[i] for i in order]})


def embed_both(
    model_dir: Path, tmp_path: Path, max_seq_length: int, batch_size: int, chunk_size: int, compile: bool = False
):  # type: ignore[no-untyped-def]
    corpus = varied_corpus()
    corpus.to_parquet(tmp_path / "texts.parquet", index=False)
    tokenize_corpus(
        model_dir, tmp_path / "texts.parquet", tmp_path / "tokens.parquet", max_seq_length, chunk_size=chunk_size
    )
    embed_tokens(
        model_dir, tmp_path / "tokens.parquet", tmp_path / "emb.parquet", batch_size, max_seq_length,
        {"model": "test"}, chunk_size=chunk_size, device="cpu", compile=compile,
    )  # fmt: skip
    peer = load_model(model_dir, device="cpu")
    peer.max_seq_length = max_seq_length
    expected = peer.encode(corpus["text"].tolist(), batch_size=batch_size, convert_to_numpy=True)
    ids, vectors, meta = read_embeddings(tmp_path / "emb.parquet")
    return corpus, ids, vectors, meta, expected, peer


def test_tiny_model_matches_sentence_transformer_encode(tiny_model: Path, tmp_path: Path) -> None:
    corpus, ids, vectors, meta, expected, _ = embed_both(
        tiny_model, tmp_path, max_seq_length=64, batch_size=5, chunk_size=16
    )
    assert list(ids) == corpus["id"].tolist()  # corpus order, not length order
    assert vectors.shape == expected.shape == (len(corpus), 32)
    np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-5)
    assert meta["n"] == len(corpus) and meta["precision"] == "float32" and meta["model"] == "test"
    assert meta["tokenizer_fingerprint"] == tokenizer_fingerprint(tiny_model)
    rows = -(-len(corpus) // 16)
    assert pq.ParquetFile(tmp_path / "tokens.parquet").num_row_groups == rows  # both files stream
    assert pq.ParquetFile(tmp_path / "emb.parquet").num_row_groups == rows


@pytest.mark.skipif(
    not (shutil.which("g++") or shutil.which("clang++")), reason="torch.compile on CPU needs a C++ compiler"
)
def test_compiled_transformer_matches_sentence_transformer_encode(tiny_model: Path, tmp_path: Path) -> None:
    """torch.compile with dynamic shapes: batches of every width, padded or not, and the same embeddings
    as the eager peer."""
    corpus, ids, vectors, meta, expected, _ = embed_both(
        tiny_model, tmp_path, max_seq_length=64, batch_size=5, chunk_size=16, compile=True
    )
    assert list(ids) == corpus["id"].tolist() and meta["compile"] is True
    np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-5)
    encoder = TokenEncoder(load_model(tiny_model, device="cpu"), batch_size=4, compile=True)
    assert isinstance(encoder.transformer, torch._dynamo.eval_frame.OptimizedModule)


def test_minilm_matches_sentence_transformer_encode(tmp_path: Path) -> None:
    corpus, ids, vectors, _, expected, _ = embed_both(
        embedded_model_path(), tmp_path, max_seq_length=128, batch_size=8, chunk_size=64
    )
    assert list(ids) == corpus["id"].tolist()
    np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)  # the model's Normalize module ran


def test_token_ids_are_those_sentence_transformer_makes(tiny_model: Path, tmp_path: Path) -> None:
    corpus = varied_corpus()
    corpus.to_parquet(tmp_path / "texts.parquet", index=False)
    meta = tokenize_corpus(tiny_model, tmp_path / "texts.parquet", tmp_path / "tokens.parquet", 24, chunk_size=10)
    model = load_model(tiny_model, device="cpu")
    model.max_seq_length = 24
    features = model.preprocess(corpus["text"].tolist())
    table = pq.read_table(tmp_path / "tokens.parquet")
    assert table.column("id").to_pylist() == corpus["id"].tolist()
    for row, ids in enumerate(table.column("input_ids").to_pylist()):
        mask = features["attention_mask"][row].bool()
        assert ids == features["input_ids"][row][mask].tolist()
    assert table.column("length").to_pylist() == features["attention_mask"].sum(1).tolist()
    assert max(table.column("length").to_pylist()) == 24
    assert read_token_metadata(tmp_path / "tokens.parquet") == {
        "tokenizer_fingerprint": meta["tokenizer_fingerprint"], "max_seq_length": 24, "pad_token_id": 0,
        "model_input_names": ["input_ids", "token_type_ids", "attention_mask"], "n": len(corpus),
        "prompts": {},  # none: the texts as they are
    }  # fmt: skip
    chunks = list(iter_token_chunks(tmp_path / "tokens.parquet", 7))
    assert [len(ids) for ids, _, _ in chunks] == [7] * 5 + [1]
    _, offsets, flat = chunks[1]
    assert flat[offsets[0] : offsets[1]].tolist() == table.column("input_ids")[7].as_py()


def retrained_copy(model: Path, folder: Path, max_seq_length: int) -> Path:
    """A copy of ``model`` whose tokenizer files were saved with other run settings, as a twin's are."""
    shutil.copytree(model, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "model_max_length": max_seq_length}))
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    tokenizer["truncation"] = {
        "direction": "Right",
        "max_length": max_seq_length,
        "strategy": "LongestFirst",
        "stride": 0,
    }
    tokenizer["padding"] = None
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    return folder


def test_one_token_file_serves_every_model_with_the_tokenizer(tiny_model: Path, tmp_path: Path) -> None:
    varied_corpus().to_parquet(tmp_path / "texts.parquet", index=False)
    tokens = tmp_path / "tokens.parquet"
    tokenize_corpus(tiny_model, tmp_path / "texts.parquet", tokens, 64)
    written = tokens.stat().st_mtime_ns
    twin = retrained_copy(tiny_model, tmp_path / "twin", max_seq_length=48)
    assert tokenizer_fingerprint(twin) == tokenizer_fingerprint(tiny_model)
    for name, model in (("base", tiny_model), ("twin", twin)):
        embed_tokens(model, tokens, tmp_path / f"{name}.parquet", 8, 64, {}, device="cpu")
    assert tokens.stat().st_mtime_ns == written
    _, base, _ = read_embeddings(tmp_path / "base.parquet")
    _, same, _ = read_embeddings(tmp_path / "twin.parquet")
    np.testing.assert_array_equal(base, same)  # same weights, same ids


def test_a_model_with_another_tokenizer_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    varied_corpus().to_parquet(tmp_path / "texts.parquet", index=False)
    tokens = tmp_path / "tokens.parquet"
    tokenize_corpus(tiny_model, tmp_path / "texts.parquet", tokens, 64)
    other = shutil.copytree(tiny_model, tmp_path / "cased")
    tokenizer = json.loads((other / "tokenizer.json").read_text())
    tokenizer["normalizer"]["lowercase"] = False
    (other / "tokenizer.json").write_text(json.dumps(tokenizer))
    with pytest.raises(
        DataError, match=rf"{tokens}: tokenised with tokenizer \w+, but checkpoint .*cased has tokenizer"
    ):
        embed_tokens(other, tokens, tmp_path / "emb.parquet", 8, 64, {}, device="cpu")
    with pytest.raises(DataError, match=rf"{tokens}: truncated to 64 tokens, but embed.max_seq_length is 32"):
        check_token_file(tokens, tiny_model, 32)
    assert not (tmp_path / "emb.parquet").exists()


def test_bad_token_and_text_files_name_the_file(tiny_model: Path, tmp_path: Path) -> None:
    pd.DataFrame({"id": ["a"], "body": ["text"]}).to_parquet(tmp_path / "texts.parquet")
    with pytest.raises(DataError, match=r"texts.parquet: missing column\(s\) \['text'\]"):
        tokenize_corpus(tiny_model, tmp_path / "texts.parquet", tmp_path / "tokens.parquet", 32)
    assert not (tmp_path / "tokens.parquet").exists()
    with pytest.raises(DataError, match="texts.parquet: not a token file"):
        read_token_metadata(tmp_path / "texts.parquet")


def test_batches_without_padding_run_without_a_mask_unless_compiled(tiny_model: Path) -> None:
    encoder = TokenEncoder(load_model(tiny_model, device="cpu"), batch_size=4)
    offsets = np.array([0, 3, 6, 8])
    flat = np.arange(1, 9)
    equal = encoder._features(np.array([0, 1]), offsets, flat)
    assert "attention_mask" not in equal and equal["input_ids"].tolist() == [[1, 2, 3], [4, 5, 6]]
    padded = encoder._features(np.array([1, 2]), offsets, flat)
    assert padded["input_ids"].tolist() == [[4, 5, 6], [7, 8, 0]]
    assert padded["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert transformer_dtype("cpu") == torch.float32
    compiled = TokenEncoder(load_model(tiny_model, device="cpu"), batch_size=4, compile=True)
    assert compiled._features(np.array([0, 1]), offsets, flat)["attention_mask"].tolist() == [[1, 1, 1]] * 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_half_precision_on_gpu_stays_close(tiny_model: Path, tmp_path: Path) -> None:
    varied_corpus().to_parquet(tmp_path / "texts.parquet", index=False)
    tokenize_corpus(tiny_model, tmp_path / "texts.parquet", tmp_path / "tokens.parquet", 64)
    for device in ("cpu", "cuda"):
        embed_tokens(tiny_model, tmp_path / "tokens.parquet", tmp_path / f"{device}.parquet", 8, 64, {}, device=device)
    _, cpu, _ = read_embeddings(tmp_path / "cpu.parquet")
    _, gpu, meta = read_embeddings(tmp_path / "cuda.parquet")
    assert meta["precision"] in ("bfloat16", "float16")
    cosine = (cpu * gpu).sum(1) / np.linalg.norm(cpu, axis=1) / np.linalg.norm(gpu, axis=1)
    assert cosine.min() > 0.99


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_encoder_without_sentence_transformers_is_bit_identical(tiny_model: Path, tmp_path: Path, pooling: str) -> None:
    """load_encoder builds the usual layout from transformers alone: the same bits as the SentenceTransformer's
    own modules, padded batches and unpadded ones; another layout falls back to SentenceTransformer."""
    load_model(tiny_model, pooling=pooling, device="cpu").save(str(tmp_path / "model"))
    corpus = varied_corpus()
    corpus.to_parquet(tmp_path / "texts.parquet", index=False)
    tokenize_corpus(tmp_path / "model", tmp_path / "texts.parquet", tmp_path / "tokens.parquet", 64)
    _, offsets, flat = next(iter_token_chunks(tmp_path / "tokens.parquet", 100))
    ours, peer = load_encoder(tmp_path / "model", device="cpu"), load_model(tmp_path / "model", device="cpu")
    assert not isinstance(ours, SentenceTransformer) and len(ours) == len(peer)
    expected = TokenEncoder(peer, batch_size=5).encode(offsets, flat)
    np.testing.assert_array_equal(TokenEncoder(ours, batch_size=5).encode(offsets, flat), expected)
    pooling_config = tmp_path / "model" / "1_Pooling" / "config.json"
    pooling_config.write_text(json.dumps(json.loads(pooling_config.read_text()) | {"pooling_mode": "max"}))
    assert isinstance(load_encoder(tmp_path / "model", device="cpu"), SentenceTransformer)
