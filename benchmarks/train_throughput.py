"""Training throughput of a whole trainer run: our train job's trainer (MatryoshkaRankingLoss with the
training-dynamics log) against a plain sentence-transformers trainer with MatryoshkaLoss(MNRL), same
model, pairs, batch, cut points and arguments. Runs alternate (ours, peer, ours, ...) so that drift in
machine speed hits both; prints pairs per second (median) and the ratio.

    .venv/bin/python benchmarks/train_throughput.py [--steps 20] [--batch-size 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from sentence_transformers import SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss

from mrlens.checkpoints import embedded_model_path
from mrlens.data import prepare_pairs
from mrlens.models import resolve_base
from mrlens.train.trainer import TrainSettings, _dataset, _trainer

CUTS = [384, 256, 128, 64, 32]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pairs, _ = prepare_pairs(
        {"kind": "wordnet", "path": "/usr/share/wordnet", "heldout_fraction": 0.1, "seed": 0}, "wordnet"
    )
    settings = TrainSettings(
        max_steps=args.steps, batch_size=args.batch_size, learning_rate=5e-5, max_seq_length=48, seed=0
    )
    rates: dict[str, list[float]] = {"ours": [], "peer": []}
    with tempfile.TemporaryDirectory() as folder:
        base = f"{folder}/base"
        resolve_base(str(embedded_model_path()), None, "mean", base)
        for _ in range(args.repeats):
            for which in rates:
                trainer, _ = _trainer(
                    base, pairs, CUTS, [1.0] * len(CUTS), settings, f"{folder}/{which}", save_states=False
                )
                if which == "peer":  # the same model, arguments and data; sentence-transformers' own loss
                    model = trainer.model
                    loss = MatryoshkaLoss(model, MultipleNegativesRankingLoss(model, scale=settings.scale), CUTS)
                    trainer = SentenceTransformerTrainer(
                        model=model, args=trainer.args, train_dataset=_dataset(pairs), loss=loss
                    )
                start = time.perf_counter()
                trainer.train()
                rates[which].append(args.steps * args.batch_size / (time.perf_counter() - start))
    medians = {k: statistics.median(v) for k, v in rates.items()}
    print(json.dumps({"pairs_per_second": medians, "ours_over_peer": medians["ours"] / medians["peer"], "runs": rates}))


if __name__ == "__main__":
    main()
