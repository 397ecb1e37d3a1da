"""SNIPS intent accuracy and training time for the three fine-tuning strategies of
`hf_transfer.training.finetune` (all layers; lower 4 of 6 frozen; lowest 3 reused in a fresh model),
offline all-MiniLM-L6-v2, each trained by `train_finetune`. Usage:
`python -m benchmarks.bench_finetune_snips [--epochs 1]`."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from transformers import TrainingArguments

from benchmarks import common
from benchmarks.common import SHARED_DATA, record, write_results
from hf_transfer.training.finetune import FinetuneArguments, train_finetune


# record name part -> FinetuneArguments overrides: the benchmark's variants, in the order they run
MODES = {
    "full": {"mode": "full"},
    "freeze_lower": {"mode": "freeze_lower"},
    "reuse_lower": {"mode": "reuse_lower"},
}



def run_mode(overrides: dict, args, output_dir: Path) -> dict:
    """Train and test one fine-tuning variant through `train_finetune`; returns its metrics."""
    family = FinetuneArguments(
        dataset=str(SHARED_DATA / "snips"),
        max_train_samples=args.max_train_samples,
        torch_threads=args.torch_threads,
        **overrides,
    )
    training = TrainingArguments(
        output_dir=str(output_dir), num_train_epochs=args.epochs, learning_rate=args.learning_rate,
        per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=64, seed=args.seed,
        disable_tqdm=True, logging_steps=100, save_strategy="no", report_to="none",
    )  # fmt: skip
    return train_finetune(family, training)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning_rate", type=float, default=5e-5)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max_train_samples", type=int, default=None, help="a shuffled subset of SNIPS train (default: all 13,084)")
    parser.add_argument("--torch_threads", "--threads", dest="torch_threads", type=int, default=None,
                        help="torch threads (1 is faster on a busy 2-core machine)")
    parser.add_argument("--results_dir", default=None, help="write finetune_snips.json here instead of benchmarks/results")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as out:  # every mode trains into a fresh folder of its own
        for mode, overrides in MODES.items():
            results[mode] = run_mode(overrides, args, Path(out) / mode)
    settings = {"backbone": "all-MiniLM-L6-v2", "epochs": args.epochs, "learning_rate": args.learning_rate, "batch_size": args.batch_size, "seed": args.seed,
                "train_examples": args.max_train_samples or 13084, "data": "SNIPS train -> test (700)", "threads": args.torch_threads}
    records = []
    for mode, r in results.items():
        records.append(record(f"finetune.snips.{mode}.test_accuracy", r["test_accuracy"], "%", "higher", {**settings, "mode": mode}))
        records.append(record(f"finetune.snips.{mode}.train_seconds", r["train_seconds"], "s", "lower", {**settings, "mode": mode, "trainable_parameters": r["trainable_parameters"]}))
    with common.results_dir(args.results_dir):
        write_results("finetune_snips", records)
    return results


if __name__ == "__main__":
    main()
