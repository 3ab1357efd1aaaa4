"""Training step time: five-cut MRL against no-MRL (and sentence-transformers' MatryoshkaLoss as the peer).

Same model, same batches, same optimizer; the variants take turns step by step so that drift in machine
speed hits all of them alike. Prints medians and ratios. On the CPU ours skips padding in the linear layers
as the train job does (``mrlens.train.real_tokens``); "padded" is ours without. Also prints the machine's
limit: the step's float32 FLOPs (counted by ``FlopCounterMode``, real tokens only) over the rate of float32
matrix products of the step's shapes (the linear layers' products on the warm-up batches' real tokens),
timed in every round between the steps. On this machine (default): the default
config's base and WordNet batches. On a GPU, the peer figures' setup (bert-base geometry, random init, 128 tokens,
bf16 autocast, cuts 768-512-256-128-64):

    .venv/bin/python benchmarks/train_step.py [--steps 30] [--batch-size 32] [--max-seq-length 48] [--threads 2]
    python benchmarks/train_step.py --device cuda --model bert-base-random --batch-size 128 --max-seq-length 128
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from embed_throughput import build_bert_base_random, documents, minilm_tokenizer
from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss
from torch.utils.flop_counter import FlopCounterMode

from mrlens.models import load_model
from mrlens.train.loss import MatryoshkaRankingLoss
from mrlens.train.real_tokens import skip_padding

OURS, PADDED, PEER = "mrl-5 (ours)", "mrl-5 (ours, padded)", "mrl-5 (sentence-transformers MatryoshkaLoss)"


def five_cuts(full: int) -> list[int]:
    """Five cut points: the default config's 384-256-128-64-32 for MiniLM, the peer figures'
    768-512-256-128-64 for bert-base."""
    return [384, 256, 128, 64, 32] if full == 384 else [full, full * 2 // 3, full // 3, full // 6, full // 12]


def pairs_for(args: argparse.Namespace, n: int) -> pd.DataFrame:
    if args.model == "default":
        from mrlens.data import prepare_pairs

        pairs, _ = prepare_pairs(
            {"kind": "wordnet", "path": "/usr/share/wordnet", "heldout_fraction": 0.1, "seed": 0}, "wordnet"
        )
        return pairs.sample(n=n, random_state=0)
    texts, _ = documents("synthetic", 2 * n, minilm_tokenizer(args.tokenizer), args.max_seq_length)
    return pd.DataFrame({"anchor": texts["text"][:n].tolist(), "positive": texts["text"][n:].tolist()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-seq-length", type=int, default=48)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default="default", help="default (all-MiniLM-L6-v2) or bert-base-random")
    parser.add_argument(
        "--tokenizer", default=None, help="folder of the MiniLM tokenizer (default: the embedded model)"
    )
    parser.add_argument(
        "--bf16", action=argparse.BooleanOptionalAction, default=None, help="bf16 autocast (default: on CUDA)"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bf16 = args.device == "cuda" if args.bf16 is None else args.bf16
    torch.manual_seed(0)
    pairs = pairs_for(args, args.batch_size * (args.steps + args.warmup))
    if args.model == "default":
        from mrlens.checkpoints import embedded_model_path

        model_dir = embedded_model_path()
    else:
        model_dir = build_bert_base_random(
            Path(tempfile.mkdtemp()) / "bert-base-random", minilm_tokenizer(args.tokenizer)
        )

    def make(kind: str):  # type: ignore[no-untyped-def]
        torch.manual_seed(0)
        model = load_model(model_dir, device=args.device)
        model.max_seq_length = args.max_seq_length
        model.train()
        cuts = five_cuts(model.get_embedding_dimension())
        if args.device == "cpu" and kind in ("no-mrl", OURS):
            skip_padding(model)
        if kind == "no-mrl":
            loss = MatryoshkaRankingLoss(model, cuts[:1], monitor_dims=cuts)
        elif kind in (OURS, PADDED):
            loss = MatryoshkaRankingLoss(model, cuts, monitor_dims=cuts)
        else:
            loss = MatryoshkaLoss(model, MultipleNegativesRankingLoss(model, scale=20.0), cuts)
        return model, loss, torch.optim.AdamW(model.parameters(), lr=2e-5)

    runs = {kind: make(kind) for kind in ("no-mrl", OURS, PADDED, PEER)}
    times: dict[str, list[float]] = {kind: [] for kind in runs}
    flops: dict[str, list[float]] = {kind: [] for kind in (OURS, PADDED)}
    tokens: list[int] = []
    config = runs[OURS][0][0].auto_model.config
    products: list[tuple[torch.Tensor, torch.Tensor]] = []
    matmul_seconds: list[float] = []
    for step in range(args.steps + args.warmup):
        if step == args.warmup:  # the matrix products of the warm-up steps' shapes, timed in every round
            products = block_products(tokens, config.hidden_size, config.intermediate_size, args.device)
        if products:
            matmul_seconds.append(time_products(products, args.device))
        batch = pairs.iloc[step * args.batch_size : (step + 1) * args.batch_size]
        for kind, (model, loss, optimizer) in runs.items():
            features = [
                {
                    k: v.to(args.device) if isinstance(v, torch.Tensor) else v
                    for k, v in model.preprocess(batch[column].tolist()).items()
                }
                for column in ("anchor", "positive")
            ]
            sync(args.device)
            start = time.perf_counter()
            optimizer.zero_grad()
            with torch.autocast(args.device, dtype=torch.bfloat16, enabled=bf16):
                value = loss(features, None)
            value.backward()
            optimizer.step()
            sync(args.device)
            if step >= args.warmup:
                times[kind].append(time.perf_counter() - start)
            if kind in flops and step < args.warmup:  # counted apart from the timed steps
                flops[kind].append(step_flops(loss, features, tokens if kind == OURS else None))
    medians = {kind: statistics.median(t) for kind, t in times.items()}
    base = medians["no-mrl"]
    print(
        f"{args.device} ({torch.cuda.get_device_name() if args.device == 'cuda' else f'{torch.get_num_threads()} threads'}), "
        f"{args.model}, bf16 {bf16}, batch {args.batch_size}, max_seq_length {args.max_seq_length}, {args.steps} steps"
    )
    for kind, median in medians.items():
        print(
            f"{kind:48s} median {median * 1000:8.1f} ms/step   x{median / base:.3f} of no-mrl   "
            f"peer/this x{medians[PEER] / median:.2f}"
        )
    gflop = {kind: statistics.mean(f) / 1e9 for kind, f in flops.items()}
    rate = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in products) / statistics.median(matmul_seconds) / 1e9
    limit = gflop[OURS] / rate
    print(
        f"FLOPs per step: {gflop[OURS]:.1f} GFLOP (padded {gflop[PADDED]:.1f}); float32 matmul rate of the step's "
        f"shapes {rate:.0f} GFLOP/s; limit {limit * 1000:.0f} ms/step; ours takes x{medians[OURS] / limit:.2f} of it"
    )
    print(
        json.dumps(
            {**{k: round(v, 5) for k, v in medians.items()}, "gflop": gflop, "matmul_gflops": rate, "limit_s": limit}
        )
    )


def step_flops(loss: torch.nn.Module, features: list[dict], tokens: list[int] | None) -> float:
    """Float32 FLOPs of one forward and backward of ``loss`` on ``features`` (gradients discarded);
    appends each column's real tokens to ``tokens``."""
    with FlopCounterMode(display=False) as counter:
        loss(features, None).backward()
    loss.model.zero_grad()
    if tokens is not None:
        tokens.extend(int(f["attention_mask"].sum()) for f in features)
    return float(counter.get_total_flops())


def block_products(
    tokens: list[int], hidden: int, intermediate: int, device: str
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Random float32 operands of the matrix products of a transformer block's linear layers (forward,
    and both products of the backward) on each of ``tokens`` rows."""
    shapes = []
    for n in tokens:
        for d_in, d_out in [(hidden, hidden)] * 4 + [(hidden, intermediate), (intermediate, hidden)]:
            shapes += [(n, d_in, d_out), (n, d_out, d_in), (d_out, n, d_in)]  # y = xW, dx = dy W^T, dW = dy^T x
    return [(torch.randn(m, k, device=device), torch.randn(k, n, device=device)) for m, k, n in shapes]


def time_products(products: list[tuple[torch.Tensor, torch.Tensor]], device: str) -> float:
    sync(device)
    start = time.perf_counter()
    for a, b in products:
        a @ b
    sync(device)
    return time.perf_counter() - start


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
