"""Training step time: five-cut MRL against no-MRL (and sentence-transformers' MatryoshkaLoss as the peer).

Same model (the default config's base), same WordNet batches, same optimizer; the variants take turns
step by step so that drift in machine speed hits all of them alike. Prints medians and ratios.

    .venv/bin/python benchmarks/train_step.py [--steps 30] [--batch-size 32] [--max-seq-length 48]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss

from mrlens.checkpoints import embedded_model_path
from mrlens.data import prepare_pairs
from mrlens.models import load_model
from mrlens.train.loss import MatryoshkaRankingLoss

FIVE_CUTS = [384, 256, 128, 64, 32]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-seq-length", type=int, default=48)
    args = parser.parse_args()
    torch.manual_seed(0)
    pairs, _ = prepare_pairs({"kind": "wordnet", "path": "/usr/share/wordnet", "heldout_fraction": 0.1, "seed": 0}, "wordnet")
    pairs = pairs.sample(n=args.batch_size * (args.steps + args.warmup), random_state=0)

    def make(kind: str):  # type: ignore[no-untyped-def]
        model = load_model(embedded_model_path(), device="cpu")
        model.max_seq_length = args.max_seq_length
        model.train()
        if kind == "no-mrl":
            loss = MatryoshkaRankingLoss(model, [384], monitor_dims=FIVE_CUTS)
        elif kind == "mrl-5 (ours)":
            loss = MatryoshkaRankingLoss(model, FIVE_CUTS, monitor_dims=FIVE_CUTS)
        else:
            loss = MatryoshkaLoss(model, MultipleNegativesRankingLoss(model, scale=20.0), FIVE_CUTS)
        return model, loss, torch.optim.AdamW(model.parameters(), lr=2e-5)

    runs = {kind: make(kind) for kind in ("no-mrl", "mrl-5 (ours)", "mrl-5 (sentence-transformers MatryoshkaLoss)")}
    times: dict[str, list[float]] = {kind: [] for kind in runs}
    for step in range(args.steps + args.warmup):
        batch = pairs.iloc[step * args.batch_size : (step + 1) * args.batch_size]
        for kind, (model, loss, optimizer) in runs.items():
            features = [model.preprocess(batch["anchor"].tolist()), model.preprocess(batch["positive"].tolist())]
            start = time.perf_counter()
            optimizer.zero_grad()
            loss(features, None).backward()
            optimizer.step()
            if step >= args.warmup:
                times[kind].append(time.perf_counter() - start)
    medians = {kind: statistics.median(t) for kind, t in times.items()}
    base = medians["no-mrl"]
    print(f"threads {torch.get_num_threads()}, batch {args.batch_size}, max_seq_length {args.max_seq_length}, {args.steps} steps")
    for kind, median in medians.items():
        print(f"{kind:48s} median {median * 1000:8.1f} ms/step   x{median / base:.3f} of no-mrl")
    print(json.dumps({k: round(v, 5) for k, v in medians.items()}))


if __name__ == "__main__":
    main()
