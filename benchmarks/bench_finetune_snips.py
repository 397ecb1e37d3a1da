"""SNIPS intent accuracy and training time for the three fine-tuning strategies of
`examples/run_finetune.py` (all layers; lower 4 of 6 frozen; lowest 3 reused in a fresh model),
offline all-MiniLM-L6-v2. Usage: `python -m benchmarks.bench_finetune_snips [--epochs 1]`."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

from benchmarks.common import SHARED_DATA, record, write_results

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning_rate", type=float, default=5e-5)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max_train_samples", type=int, default=None, help="a shuffled subset of SNIPS train (default: all 13,084)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (1 is faster on a busy 2-core machine)")
    args = parser.parse_args(argv)
    spec = importlib.util.spec_from_file_location("run_finetune", ROOT / "examples" / "run_finetune.py")
    run_finetune = importlib.util.module_from_spec(spec)
    sys.modules["run_finetune"] = run_finetune  # dataclasses look their module up
    spec.loader.exec_module(run_finetune)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    extra = ["--max_train_samples", str(args.max_train_samples)] if args.max_train_samples else []
    with tempfile.TemporaryDirectory() as out:
        results = run_finetune.main(extra + [
            "--dataset", str(SHARED_DATA / "snips"), "--output_dir", out, "--num_train_epochs", str(args.epochs),
            "--learning_rate", str(args.learning_rate), "--per_device_train_batch_size", str(args.batch_size),
            "--per_device_eval_batch_size", "64", "--seed", str(args.seed), "--disable_tqdm", "true", "--logging_steps", "100",
        ])
    settings = {"backbone": "all-MiniLM-L6-v2", "epochs": args.epochs, "learning_rate": args.learning_rate, "batch_size": args.batch_size, "seed": args.seed,
                "train_examples": args.max_train_samples or 13084, "data": "SNIPS train -> test (700)", "threads": args.threads}
    records = []
    for mode, r in results.items():
        records.append(record(f"finetune.snips.{mode}.test_accuracy", r["test_accuracy"], "%", "higher", {**settings, "mode": mode}))
        records.append(record(f"finetune.snips.{mode}.train_seconds", r["train_seconds"], "s", "lower", {**settings, "mode": mode, "trainable_parameters": r["trainable_parameters"]}))
    write_results("finetune_snips", records)


if __name__ == "__main__":
    main()
