"""Adversarial shared-private multilingual models (intents or slots): the entry point.

    metrics = train_multilingual(MultilingualArguments(dataset="xsid"), MultilingualTrainingArguments("runs/xsid"))

Data: the reference design's TSV (`seed`: Russian + Spanish customer-service queries, 6 intents)
or xSID (train on some languages' `valid` files, test on every language's `test` file, so the
languages held out of training measure zero-shot transfer). Encoder: a BCNN over a vocabulary of
all training languages, or a pretrained multilingual transformer (multilingual-e5-small by
default; its word embeddings frozen by default). `task="slots"` (xSID) trains the word-level
model with the CRF, scored by slot F1 per language.

The run evaluates each test language (`evaluate_languages`), trains fresh language probes on the
shared and private features (`probe_languages`), draws their 2-D projection, and saves the model,
tokenizer, results, `features.png` and a model card with the measured test metrics.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm
from transformers import AutoTokenizer, DataCollatorWithPadding, TrainerCallback, TrainingArguments, set_seed

from ..cards import write_model_card
from ..data.collators import DataCollatorForWordLevel
from ..data.registry import data_dir, load_dataset
from ..data.tokenization import build_bcnn_tokenizer
from ..hub_ids import E5_CACHE, E5_HUB_ID
from ..metrics import make_joint_compute_metrics
from ..models.multilingual import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    ablation_config_kwargs,
)
from ..reuse import freeze, head_lr_optimizer, trainable_parameters
from .adversarial import AdversarialScheduleCallback, AdversarialTrainer, collect_features, language_probe_accuracy
from .run import EvaluationKeepsRNG, FiniteCheckCallback, RunArguments, configure_ddp, save_run, start_run


logger = logging.getLogger(__name__)
SEED_ISO = {"eyu": "ru", "xiyu": "es"}  # the reference data's names for Russian and Spanish
XSID_LANGUAGES = ["ar", "da", "de", "de-ba", "de-muc", "de-st", "en", "gsw", "it", "ja", "nap", "nl", "zh"]
VARIANTS = ("joint", "shared_private", "adversarial", "adversarial_diff")


class _Trainer(EvaluationKeepsRNG, AdversarialTrainer):
    """`AdversarialTrainer` whose evaluations do not change the training that follows."""


@dataclass
class MultilingualArguments(RunArguments):
    dataset: str = field(default="seed", metadata={"help": "'seed' (multi_lang TSV) or 'xsid'"})
    task: str = field(default="intents", metadata={"help": "'intents' (sentence classification) or 'slots' (xSID slot filling, CRF)"})
    encoder_type: str = field(default="bcnn", metadata={"help": "'bcnn' (from scratch) or 'backbone' (a pretrained multilingual transformer, --model_name_or_path)"})
    model_name_or_path: str = field(default=str(E5_CACHE), metadata={"help": "Backbone directory or Hub id (default: multilingual-e5-small, built offline into this folder if missing)"})
    input_prefix: str | None = field(default=None, metadata={"help": "Text prepended to inputs (default 'query: ' for E5 backbones)"})
    variant: str = field(default="adversarial_diff", metadata={"help": f"One of {VARIANTS}"})
    private_encoders: str = field(default="single", metadata={"help": "'single' or 'per_language'"})
    private_encoder_type: str = field(default="tower", metadata={"help": "'tower' (CNN over the shared embeddings) or 'copy'"})
    feature_size: int = 256
    adversarial_weight: float = 0.05
    difference_weight: float = field(default=1.0, metadata={"help": "1.0 (reference design) or 0.01 (Liu et al., 2017)"})
    grl_lambda: float = 1.0
    private_dropout: float = field(default=0.0, metadata={"help": "Probability of hiding an example's private features from the task head in training"})
    heldout_private_features: str = field(default="encode", metadata={"help": "'encode' or 'zeros': private features of languages held out of training"})
    adversarial_schedule: str = field(default="grl", metadata={"help": "'grl' or 'alternating'"})
    grl_schedule: str = field(default="constant", metadata={"help": "'constant' or 'dann' (anneal lambda 0 -> grl_lambda)"})
    discriminator_steps: int = field(default=1, metadata={"help": "Discriminator steps per encoder step ('alternating')"})
    embedding_size: int = field(default=300, metadata={"help": "BCNN token embedding width"})
    num_filters: int = 128
    classifier_hidden_size: int | None = None
    head_learning_rate: float = field(default=1e-3, metadata={"help": "Learning rate of the layers trained from scratch (BCNN encoders, towers, heads, discriminator); --learning_rate is the pretrained backbone's"})
    freeze_embeddings: bool = field(default=True, metadata={"help": "Freeze the backbone's word embeddings (e5: 96M of 118M parameters)"})
    vocab_size: int | None = field(default=None, metadata={"help": "BCNN vocabulary cap (default: every training word)"})
    use_crf: bool = field(default=True, metadata={"help": "--task slots: CRF decoder (--no_use_crf: per-word softmax)"})
    train_languages: str | None = field(default=None, metadata={"help": "Comma-separated; xsid default en,de,da,it,nl"})
    test_languages: str | None = field(default=None, metadata={"help": "Comma-separated; default every language"})
    unlabeled_languages: str | None = field(default=None, metadata={
        "help": "Comma-separated languages whose training texts are used without their labels: the discriminator (and the difference "
                "loss) see them, the task head does not (Chen et al., 2018)"})
    validation_fraction: float = field(default=0.05, metadata={"help": "Part of train held out for per-evaluation logs"})
    max_length: int = 64
    projection: str = field(default="pca", metadata={"help": "'pca', 'tsne' or 'none' (no PNG)"})


@dataclass
class MultilingualTrainingArguments(TrainingArguments):
    """`TrainingArguments` with this family's defaults (small models trained from scratch)."""

    num_train_epochs: float = 5.0
    per_device_train_batch_size: int = 64
    per_device_eval_batch_size: int = 128
    eval_strategy: str = "epoch"
    logging_strategy: str = "epoch"
    save_strategy: str = "no"
    label_names: list[str] | None = field(default_factory=lambda: ["labels"], metadata={"help": "language_ids is an input, not a label"})


def resolve_backbone(path: str) -> str:
    """The backbone directory; the default multilingual-e5-small is built offline once with the
    shared builder (`../shared/tools/build_multilingual_e5.py`) when missing."""
    if Path(path) != E5_CACHE or (E5_CACHE / "config.json").exists():
        return path
    builder = data_dir().parent / "tools" / "build_multilingual_e5.py"
    if not builder.exists():
        raise FileNotFoundError(f"{path} has no model and the builder {builder} is missing")
    logger.info("building multilingual-e5-small into %s", path)
    subprocess.run([sys.executable, str(builder), str(path)], check=True)
    return path


def _split_languages(value: str | None) -> list[str]:
    return value.split(",") if value else []


def load_multilingual_data(args: MultilingualArguments):
    """(train Dataset with text/label/language, or tokens/tags/language for `task="slots"`;
    {language: test Dataset}; label (or tag) names; training languages: the labelled ones, then
    `unlabeled_languages`)."""
    if args.task not in ("intents", "slots"):
        raise ValueError(f"--task must be 'intents' or 'slots', got {args.task!r}")
    if args.task == "slots" and args.dataset != "xsid":
        raise ValueError(f"--task slots needs slot tags: only --dataset xsid has them, got {args.dataset!r}")
    if args.dataset == "seed":
        raw = load_dataset("seed")
        names = raw["train"].features["language"].names
        raw = raw.map(lambda x: {"language_name": names[x["language"]]}, remove_columns=["language"]).rename_column("language_name", "language")
        label_names = raw["train"].features["label"].names
        all_languages = list(names)
        default_train = all_languages
        train, test = raw["train"], raw["test"]
    elif args.dataset == "xsid":
        raw = load_dataset("xsid")
        if args.task == "slots":
            raw = raw.remove_columns("intent")
            label_names = raw["validation"].features["tags"].feature.names
        else:
            raw = raw.rename_column("intent", "label").map(lambda x: {"text": " ".join(x["tokens"])}, remove_columns=["tokens", "tags"])
            label_names = raw["validation"].features["label"].names
        all_languages = XSID_LANGUAGES
        default_train = ["en", "de", "da", "it", "nl"]
        train, test = raw["validation"], raw["test"]
    else:
        raise ValueError(f"--dataset must be 'seed' or 'xsid', got {args.dataset!r}")
    train_languages = _split_languages(args.train_languages) or default_train
    test_languages = _split_languages(args.test_languages) or all_languages
    unlabeled_languages = _split_languages(args.unlabeled_languages)
    for flag, langs in (("--train_languages", train_languages), ("--test_languages", test_languages), ("--unlabeled_languages", unlabeled_languages)):
        unknown = [x for x in langs if x not in all_languages]
        if unknown:
            raise ValueError(f"{flag}: unknown languages {unknown}; {args.dataset} has {all_languages}")
    if set(unlabeled_languages) & set(train_languages):
        raise ValueError(f"--unlabeled_languages {sorted(set(unlabeled_languages) & set(train_languages))} are also in --train_languages: "
                         "a language is either labelled or unlabelled")
    if unlabeled_languages and args.task != "intents":
        raise ValueError(f"--unlabeled_languages works with --task intents only, got --task {args.task!r}")
    train_languages = train_languages + unlabeled_languages
    if args.max_train_samples:  # subsample before filtering, so one-language runs get their share of the same subset
        train = train.shuffle(seed=0).select(range(min(args.max_train_samples, len(train))))
    train = train.filter(lambda x: x["language"] in set(train_languages))
    tests = {}
    for lang in test_languages:
        part = test.filter(lambda x: x["language"] == lang)
        if args.max_eval_samples:
            part = part.select(range(min(args.max_eval_samples, len(part))))
        tests[lang] = part
    return train, tests, label_names, train_languages


def evaluate_languages(trainer, tests: dict, columns: list[str], score: str, languages: list[str], labelled: list[str]) -> dict:
    """Per-language test metrics (`test_{score}_{lang}`, `test_discriminator_accuracy_{lang}`),
    their means over all, trained and held-out languages, the example-weighted accuracy, and the
    discriminator's accuracy over the languages it learned with its chance level."""
    metrics = {}
    for lang, ds in tqdm(tests.items(), desc="languages", disable=trainer.args.disable_tqdm, leave=False):
        m = trainer.evaluate(ds.select_columns(columns), metric_key_prefix=f"test_{lang}")
        metrics[f"test_{score}_{lang}"] = m[f"test_{lang}_{score}"]
        if f"test_{lang}_discriminator_accuracy" in m:
            metrics[f"test_discriminator_accuracy_{lang}"] = m[f"test_{lang}_discriminator_accuracy"]
    seen = [lang for lang in tests if lang in labelled]
    held_out = [lang for lang in tests if lang not in labelled]  # unlabelled ones included: no labels seen
    sizes = {lang: len(ds) for lang, ds in tests.items()}
    if score == "accuracy":  # (an F1 does not average by example counts)
        metrics["test_accuracy"] = sum(metrics[f"test_accuracy_{x}"] * sizes[x] for x in tests) / max(sum(sizes.values()), 1)
    metrics[f"test_{score}_language_mean"] = float(np.mean([metrics[f"test_{score}_{x}"] for x in tests]))
    if seen:
        metrics[f"test_{score}_trained_languages"] = float(np.mean([metrics[f"test_{score}_{x}"] for x in seen]))
    if held_out:
        metrics[f"test_{score}_heldout_languages"] = float(np.mean([metrics[f"test_{score}_{x}"] for x in held_out]))
    known = [lang for lang in tests if lang in languages]  # languages the discriminator learned
    disc = [metrics[f"test_discriminator_accuracy_{x}"] * sizes[x] for x in known if f"test_discriminator_accuracy_{x}" in metrics]
    if disc:
        metrics["test_discriminator_accuracy"] = sum(disc) / sum(sizes[x] for x in known)
        metrics["discriminator_chance"] = 100.0 / len(languages)
    return metrics


def probe_languages(model, train_set, test_set, collator, max_train: int = 2000) -> tuple[dict, dict]:
    """Fresh logistic-regression language probes on the shared (and private) features: trained on
    up to `max_train` training examples, scored on `test_set`. Returns the metrics and the test
    features (for `plot_feature_projection`)."""
    probe_train = train_set.shuffle(seed=0).select(range(min(max_train, len(train_set))))
    ftr = collect_features(model, probe_train, collator)
    fte = collect_features(model, test_set, collator)
    metrics = {"probe_language_accuracy_shared": language_probe_accuracy(ftr["shared"], ftr["language_ids"], fte["shared"], fte["language_ids"])}
    if "private" in fte:
        metrics["probe_language_accuracy_private"] = language_probe_accuracy(ftr["private"], ftr["language_ids"], fte["private"], fte["language_ids"])
    return metrics, fte


def train_multilingual(args: MultilingualArguments, training_args: TrainingArguments, callbacks: list[TrainerCallback] | None = None) -> dict:
    """Train, evaluate per language, probe, save model + tokenizer + card + PNG; returns the metrics."""
    if args.variant not in VARIANTS:
        raise ValueError(f"--variant must be one of {VARIANTS}, got {args.variant!r}")
    if args.encoder_type not in ("bcnn", "backbone"):
        raise ValueError(f"--encoder_type must be 'bcnn' or 'backbone', got {args.encoder_type!r}")
    if args.smoke:
        args.max_train_samples = args.max_train_samples or 256
        args.max_eval_samples = args.max_eval_samples or 40
        args.embedding_size, args.num_filters, args.feature_size = 32, 16, 32
        training_args.max_steps = training_args.max_steps if training_args.max_steps > 0 else 12
    run = start_run(args, training_args)
    train, tests, label_names, languages = load_multilingual_data(args)
    unlabeled = set(_split_languages(args.unlabeled_languages))
    labelled = [x for x in languages if x not in unlabeled]

    # ---- tokenizer and model
    slots = args.task == "slots"
    model_class = AdversarialSharedPrivateForTokenClassification if slots else AdversarialSharedPrivateForSequenceClassification
    config_kwargs = dict(
        languages=languages,
        num_labels=len(label_names),
        id2label=dict(enumerate(label_names)),
        label2id={n: i for i, n in enumerate(label_names)},
        private_encoders=args.private_encoders,
        private_encoder_type=args.private_encoder_type,
        feature_size=args.feature_size,
        adversarial_weight=args.adversarial_weight,
        difference_weight=args.difference_weight,
        grl_lambda=args.grl_lambda,
        private_dropout=args.private_dropout,
        heldout_private_features=args.heldout_private_features,
        unlabeled_languages=[x for x in languages if x in unlabeled],
        adversarial_schedule=args.adversarial_schedule,
        kernel_sizes=[1, 2, 3, 4, 5],
        num_filters=args.num_filters,
        classifier_hidden_size=args.classifier_hidden_size,
        use_crf=slots and args.use_crf,
        **ablation_config_kwargs(args.variant),
    )
    if config_kwargs["use_adversary"] and len(languages) < 2:
        config_kwargs.update(use_adversary=False)  # one language: nothing to be adversarial about
    head_lr = args.head_learning_rate
    prefix = args.input_prefix
    if args.encoder_type == "bcnn":
        tokenizer = build_bcnn_tokenizer(train["tokens" if slots else "text"], vocab_size=args.vocab_size)
        set_seed(training_args.seed)
        model = model_class(AdversarialSharedPrivateConfig(vocab_size=len(tokenizer), embedding_size=args.embedding_size, **config_kwargs))
        base_model = None
        training_args.learning_rate, head_lr = head_lr, None  # every layer is trained from scratch
    else:
        path = resolve_backbone(args.model_name_or_path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        if prefix is None and ("e5" in Path(path).name.lower() or "e5" in args.model_name_or_path.lower()):
            prefix = "query: "
        set_seed(training_args.seed)
        model = model_class.from_backbone(str(path), input_prefix=prefix, **config_kwargs)
        if args.freeze_embeddings:
            freeze(model, r"word_embeddings")
        base_model = E5_HUB_ID if Path(path) == E5_CACHE else args.model_name_or_path
    _, n_trainable = trainable_parameters(model)
    logger.info("model: %s, %d trainable parameters of %d", args.variant, n_trainable, sum(p.numel() for p in model.parameters()))
    config = model.config

    def encode(batch, training=False):
        if slots:  # words stay words: DataCollatorForWordLevel tokenizes and aligns the tags
            return {"tokens": batch["tokens"], "tags": batch["tags"], "language_ids": config.encode_languages(batch["language"], allow_unknown=True)}
        enc = tokenizer([(prefix or "") + t for t in batch["text"]], truncation=True, max_length=args.max_length)
        enc["language_ids"] = config.encode_languages(batch["language"], allow_unknown=True)
        # training text of --unlabeled_languages loses its label; their test sets keep theirs
        enc["labels"] = [-100 if training and lang in unlabeled else label for lang, label in zip(batch["language"], batch["label"])]
        return enc

    columns = ["tokens", "tags", "language_ids"] if slots else ["input_ids", "attention_mask", "language_ids", "labels"]
    train_enc = train.map(encode, batched=True, remove_columns=train.column_names, fn_kwargs={"training": True})
    if unlabeled:
        logger.info("%d of %d training examples are unlabelled (%s)", sum(x == -100 for x in train_enc["labels"]), len(train_enc), ", ".join(sorted(unlabeled)))
    split = train_enc.train_test_split(test_size=args.validation_fraction, seed=training_args.seed) if args.validation_fraction > 0 else None
    train_set, eval_set = (split["train"], split["test"]) if split else (train_enc, None)
    tests_enc = {lang: ds.map(encode, batched=True, remove_columns=ds.column_names) for lang, ds in tests.items()}
    if "token_type_ids" in train_set.column_names:
        columns.append("token_type_ids")
    compute_metrics = None
    if slots:
        collator = DataCollatorForWordLevel(tokenizer, max_length=args.max_length, prefix=prefix, intent_column=None, tag_label_name="labels", extra_columns=["language_ids"])
        training_args.remove_unused_columns = False  # the collator reads the raw `tokens` column
        compute_metrics = make_joint_compute_metrics(None, config.id2label)
    else:
        collator = DataCollatorWithPadding(tokenizer)
    score = "slot_f1" if slots else "accuracy"
    if eval_set is None and training_args.eval_strategy != "no":
        training_args.eval_strategy = "no"
    optimizer = head_lr_optimizer(model, training_args.learning_rate, head_lr, training_args.weight_decay)
    if optimizer is not None:
        logger.info("learning rates: pretrained encoder %g, layers trained from scratch %g", training_args.learning_rate, head_lr)
    configure_ddp(training_args, model)
    trainer = _Trainer(
        model=model,
        args=training_args,
        optimizers=(optimizer, None),
        train_dataset=train_set.select_columns(columns),
        eval_dataset=eval_set.select_columns(columns) if eval_set is not None else None,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
        callbacks=[AdversarialScheduleCallback(args.grl_schedule, args.discriminator_steps), FiniteCheckCallback(), *(callbacks or [])],
    )
    train_result = trainer.train(resume_from_checkpoint=run.resume_from_checkpoint)

    metrics = {"train_runtime_s": round(train_result.metrics.get("train_runtime", 0.0), 1)}
    metrics.update(evaluate_languages(trainer, tests_enc, columns, score, languages, labelled))
    known = [lang for lang in tests if lang in languages]
    features = None
    if known and len(languages) >= 2:
        from datasets import concatenate_datasets

        probes, features = probe_languages(trainer.model, train_set.select_columns(columns), concatenate_datasets([tests_enc[x].select_columns(columns) for x in known]), collator)
        metrics.update(probes)
    metrics = {k: round(float(v), 4) for k, v in metrics.items()}
    for k, v in metrics.items():
        logger.info("%s = %s", k, v)
    held_out = [lang for lang in tests if lang not in labelled]

    def plot(directory: Path) -> None:
        if features is None or args.projection == "none":
            return
        try:
            from ..visualization import plot_feature_projection
        except ImportError as err:  # matplotlib is an optional extra
            logger.warning("no feature projection: %s", err)
            return
        panels = {"shared": features["shared"]} | ({"private": features["private"]} if "private" in features else {})
        plot_feature_projection(directory / "features.png", panels, features["language_ids"], languages,
                                method=args.projection, title=f"{args.dataset} test, {args.variant}")

    def card(directory: Path) -> None:
        card_metrics = {k: v for k, v in metrics.items() if k.startswith((f"test_{score}", "test_discriminator", "probe_"))}
        write_model_card(
            directory,
            model_name=Path(training_args.output_dir).name,
            family="multilingual",
            task="token-classification" if slots else "text-classification",
            task_name="Slot filling" if slots else "Intent classification",
            metric_tasks={k: ("text-classification", "Language identification (from the features)") for k in card_metrics if "discriminator" in k or k.startswith("probe_")},
            # the tagger: none (the standard token-classification pipeline skips the CRF; its card says so)
            pipeline_tag=None if slots else "text-classification",
            metrics=card_metrics,
            dataset="xsid" if args.dataset == "xsid" else "seed",
            eval_split="test",
            eval_description=f"the test split ({', '.join(tests)}; held out of training: {', '.join(held_out) or 'none'}"
                             + (f"; of these, {', '.join(sorted(unlabeled))} gave unlabelled training text to the discriminator" if unlabeled else "") + ")",
            base_model=base_model,
            description=(f"Adversarial shared-private {'slot tagger' if slots else 'intent classifier'} ({args.variant}, {args.encoder_type} encoder) "
                         f"trained on {', '.join(labelled)}" + (f" (and unlabelled text in {', '.join(sorted(unlabeled))})." if unlabeled else ".")),
            training={
                "variant": args.variant, "encoder": args.encoder_type, "private_encoders": args.private_encoders,
                "adversarial_weight": args.adversarial_weight, "difference_weight": args.difference_weight,
                "private_dropout": args.private_dropout, "heldout_private_features": args.heldout_private_features,
                "unlabeled_languages": args.unlabeled_languages, "adversarial_schedule": args.adversarial_schedule,
                "train_examples": len(train_set),
                "epochs": training_args.num_train_epochs if training_args.max_steps <= 0 else f"{training_args.max_steps} steps",
                "learning_rate": training_args.learning_rate, "head_learning_rate": head_lr,
                "batch_size": training_args.per_device_train_batch_size, "seed": training_args.seed,
                "train_runtime_s": metrics["train_runtime_s"],
            },
            template="multilingual_slots.md" if slots else "multilingual.md",
            tags=["adversarial", "multilingual", "slot-filling" if slots else "intent-classification"],
            language=list(dict.fromkeys([*languages, *tests])),
        )

    def extra(directory: Path) -> None:
        import json

        (directory / "test_results.json").write_text(json.dumps(metrics, indent=4, sort_keys=True) + "\n")
        plot(directory)

    save_run(run, training_args, trainer.model, tokenizer, results=metrics, card=card, extra=extra)
    return metrics
