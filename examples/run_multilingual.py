#!/usr/bin/env python
"""Train the adversarial shared-private multilingual intent classifier with `Trainer`.

Data: the reference design's TSV (`--dataset seed`: Russian + Spanish customer-service queries,
6 intents) or xSID (`--dataset xsid`: train on some languages' `valid` files, test on every
language's `test` file, so languages held out of training measure zero-shot transfer).
Encoder: BCNN over a vocabulary built from all training languages (`--encoder bcnn`) or
multilingual-e5-small (`--encoder e5`; built offline once by
`python ../shared/tools/build_multilingual_e5.py ~/.cache/hf_transfer/multilingual-e5-small`;
its 250k x 384 word embeddings (96M of its 118M parameters) are frozen by default).

`--task slots` (xSID only) trains `AdversarialSharedPrivateForTokenClassification` instead: slot
filling across languages with the CRF, scored by slot F1 (entity level) per language.

Every evaluation logs the task, adversarial and difference losses and the discriminator's
accuracy; the run saves the model, tokenizer, a model card with the measured test metrics,
`test_results.json` and a 2-D projection of shared and private features (`features.png`).

    python examples/run_multilingual.py --output_dir runs/seed_bcnn --variant adversarial_diff
    python examples/run_multilingual.py --dataset xsid --encoder e5 --output_dir runs/xsid_e5
    python examples/run_multilingual.py --dataset xsid --task slots --encoder e5 --output_dir runs/xsid_slots_e5
    python examples/run_multilingual.py --smoke --output_dir /tmp/smoke   # a few seconds
"""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, DataCollatorWithPadding, HfArgumentParser, TrainingArguments, set_seed

from hf_transfer.cards import write_model_card
from hf_transfer.data.collators import DataCollatorForWordLevel
from hf_transfer.data.readers import load_conll_intents, load_multilingual_tsv
from hf_transfer.metrics import make_joint_compute_metrics
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.models.multilingual import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    ablation_config_kwargs,
)
from hf_transfer.reuse import freeze, head_lr_optimizer, trainable_parameters
from hf_transfer.training.adversarial import (
    AdversarialScheduleCallback,
    AdversarialTrainer,
    collect_features,
    language_probe_accuracy,
)

logger = logging.getLogger("run_multilingual")
REPO = Path(__file__).resolve().parents[1]
E5_CACHE = Path.home() / ".cache" / "hf_transfer" / "multilingual-e5-small"
E5_BUILDER = REPO.parent / "shared" / "tools" / "build_multilingual_e5.py"
SEED_ISO = {"eyu": "ru", "xiyu": "es"}  # the reference data's names for Russian and Spanish
XSID_LANGUAGES = ["ar", "da", "de", "de-ba", "de-muc", "de-st", "en", "gsw", "it", "ja", "nap", "nl", "zh"]


@dataclass
class ModelArguments:
    encoder: str = field(default="bcnn", metadata={"help": "'bcnn' (from scratch) or 'e5' (multilingual-e5-small)"})
    backbone_path: str = field(default=str(E5_CACHE), metadata={"help": "multilingual-e5-small directory (built if missing)"})
    variant: str = field(default="adversarial_diff", metadata={"help": "joint | shared_private | adversarial | adversarial_diff"})
    private_encoders: str = field(default="single", metadata={"help": "'single' or 'per_language'"})
    private_encoder_type: str = field(default="tower", metadata={"help": "'tower' (CNN over the shared embeddings) or 'copy'"})
    feature_size: int = 256
    adversarial_weight: float = 0.05
    difference_weight: float = field(default=1.0, metadata={"help": "1.0 (reference design) or 0.01 (Liu et al., 2017)"})
    grl_lambda: float = 1.0
    private_dropout: float = field(default=0.0, metadata={"help": "probability of hiding an example's private features from the task head in training"})
    heldout_private_features: str = field(default="encode", metadata={"help": "'encode' or 'zeros': private features of languages held out of training"})
    adversarial_schedule: str = field(default="grl", metadata={"help": "'grl' or 'alternating'"})
    grl_schedule: str = field(default="constant", metadata={"help": "'constant' or 'dann' (anneal lambda 0 -> grl_lambda)"})
    discriminator_steps: int = field(default=1, metadata={"help": "discriminator steps per encoder step ('alternating')"})
    embedding_dim: int = 300
    num_filters: int = 128
    classifier_hidden_size: int | None = None
    head_learning_rate: float | None = field(default=None, metadata={"help": "learning rate of the layers trained from scratch "
                                                                         "(heads, towers, discriminator) when the encoder is pretrained; default: 1e-3 with e5, "
                                                                         "the learning rate otherwise"})
    freeze_embeddings: bool = field(default=True, metadata={"help": "freeze e5's 250k-word embedding matrix (speed)"})
    vocab_size: int | None = field(default=None, metadata={"help": "BCNN vocabulary cap (default: every training word)"})
    no_crf: bool = field(default=False, metadata={"help": "--task slots: per-word softmax instead of the CRF"})


@dataclass
class DataArguments:
    dataset: str = field(default="seed", metadata={"help": "'seed' (multi_lang TSV) or 'xsid'"})
    task: str = field(default="intents", metadata={"help": "'intents' (sentence classification) or 'slots' (xSID slot filling, CRF)"})
    data_dir: str = field(default=str(REPO.parent / "shared" / "data"))
    train_languages: str | None = field(default=None, metadata={"help": "comma-separated; xsid default en,de,da,it,nl"})
    test_languages: str | None = field(default=None, metadata={"help": "comma-separated; default every language"})
    unlabeled_languages: str | None = field(default=None, metadata={
        "help": "comma-separated languages whose training texts are used without their labels: the discriminator (and the difference "
                "loss) see them, the task head does not (Chen et al., 2018); not zero-shot any more, but no target labels"})
    validation_fraction: float = field(default=0.05, metadata={"help": "part of train held out for per-evaluation logs"})
    max_length: int = 64
    max_train_samples: int | None = None
    max_test_samples: int | None = None
    projection: str = field(default="pca", metadata={"help": "'pca', 'tsne' or 'none' (no PNG)"})
    smoke: bool = field(default=False, metadata={"help": "tiny data and model, a few steps: checks the pipeline"})
    threads: int | None = field(default=None, metadata={"help": "torch.set_num_threads"})


def _ensure_e5(path: Path) -> Path:
    if (path / "config.json").exists():
        return path
    if not E5_BUILDER.exists():
        raise FileNotFoundError(f"{path} has no model and the builder {E5_BUILDER} is missing")
    logger.info("building multilingual-e5-small into %s", path)
    subprocess.run([sys.executable, str(E5_BUILDER), str(path)], check=True)
    return path


def load_data(data_args: DataArguments):
    """Returns (train Dataset with text/label/language, or tokens/tags/language for
    `--task slots`; {language: test Dataset}, label (or tag) names, training languages: the
    labelled ones, then `--unlabeled_languages`)."""
    data_dir = Path(data_args.data_dir)
    if data_args.task not in ("intents", "slots"):
        raise ValueError(f"--task must be 'intents' or 'slots', got {data_args.task!r}")
    if data_args.task == "slots" and data_args.dataset != "xsid":
        raise ValueError(f"--task slots needs slot tags: only --dataset xsid has them, got {data_args.dataset!r}")
    if data_args.dataset == "seed":
        raw = load_multilingual_tsv({"train": data_dir / "seed" / "multi_lang.train.txt", "test": data_dir / "seed" / "multi_lang.test.txt"})
        names = raw["train"].features["language"].names
        raw = raw.map(lambda x: {"language_name": names[x["language"]]}, remove_columns=["language"]).rename_column("language_name", "language")
        label_names = raw["train"].features["label"].names
        all_languages = list(names)
        default_train = all_languages
        train, test = raw["train"], raw["test"]
    elif data_args.dataset == "xsid":
        raw = load_conll_intents(data_dir / "xsid", splits=["valid", "test"])
        if data_args.task == "slots":
            raw = raw.remove_columns("intent")
            label_names = raw["validation"].features["tags"].feature.names
        else:
            raw = raw.rename_column("intent", "label").map(lambda x: {"text": " ".join(x["tokens"])}, remove_columns=["tokens", "tags"])
            label_names = raw["validation"].features["label"].names
        all_languages = XSID_LANGUAGES
        default_train = ["en", "de", "da", "it", "nl"]
        train, test = raw["validation"], raw["test"]
    else:
        raise ValueError(f"--dataset must be 'seed' or 'xsid', got {data_args.dataset!r}")
    train_languages = data_args.train_languages.split(",") if data_args.train_languages else default_train
    test_languages = data_args.test_languages.split(",") if data_args.test_languages else all_languages
    unlabeled_languages = data_args.unlabeled_languages.split(",") if data_args.unlabeled_languages else []
    for flag, langs in (("--train_languages", train_languages), ("--test_languages", test_languages), ("--unlabeled_languages", unlabeled_languages)):
        unknown = [x for x in langs if x not in all_languages]
        if unknown:
            raise ValueError(f"{flag}: unknown languages {unknown}; {data_args.dataset} has {all_languages}")
    if set(unlabeled_languages) & set(train_languages):
        raise ValueError(f"--unlabeled_languages {sorted(set(unlabeled_languages) & set(train_languages))} are also in --train_languages: "
                         "a language is either labelled or unlabelled")
    if unlabeled_languages and data_args.task != "intents":
        raise ValueError(f"--unlabeled_languages works with --task intents only, got --task {data_args.task!r}")
    train_languages = train_languages + unlabeled_languages
    if data_args.max_train_samples:  # subsample before filtering, so one-language runs get their share of the same subset
        train = train.shuffle(seed=0).select(range(min(data_args.max_train_samples, len(train))))
    train = train.filter(lambda x: x["language"] in set(train_languages))
    tests = {}
    for lang in test_languages:
        part = test.filter(lambda x: x["language"] == lang)
        if data_args.max_test_samples:
            part = part.select(range(min(data_args.max_test_samples, len(part))))
        tests[lang] = part
    return train, tests, label_names, train_languages


def train_and_evaluate(model_args: ModelArguments, data_args: DataArguments, training_args: TrainingArguments) -> dict:
    """Train, evaluate per language, save model + tokenizer + card + PNG; return the metrics."""
    if data_args.threads:
        torch.set_num_threads(data_args.threads)
    set_seed(training_args.seed)
    if data_args.smoke:
        data_args.max_train_samples = data_args.max_train_samples or 256
        data_args.max_test_samples = data_args.max_test_samples or 40
        model_args.embedding_dim, model_args.num_filters, model_args.feature_size = 32, 16, 32
        training_args.max_steps = training_args.max_steps if training_args.max_steps > 0 else 12
    train, tests, label_names, languages = load_data(data_args)
    unlabeled = set(data_args.unlabeled_languages.split(",")) if data_args.unlabeled_languages else set()
    labelled = [x for x in languages if x not in unlabeled]

    # ---- tokenizer and model
    slots = data_args.task == "slots"
    model_class = AdversarialSharedPrivateForTokenClassification if slots else AdversarialSharedPrivateForSequenceClassification
    prefix = None
    config_kwargs = dict(
        languages=languages,
        num_labels=len(label_names),
        id2label=dict(enumerate(label_names)),
        label2id={n: i for i, n in enumerate(label_names)},
        private_encoders=model_args.private_encoders,
        private_encoder_type=model_args.private_encoder_type,
        feature_size=model_args.feature_size,
        adversarial_weight=model_args.adversarial_weight,
        difference_weight=model_args.difference_weight,
        grl_lambda=model_args.grl_lambda,
        private_dropout=model_args.private_dropout,
        heldout_private_features=model_args.heldout_private_features,
        unlabeled_languages=[x for x in languages if x in unlabeled],
        adversarial_schedule=model_args.adversarial_schedule,
        kernel_sizes=[1, 2, 3, 4, 5],
        num_filters=model_args.num_filters,
        classifier_hidden_size=model_args.classifier_hidden_size,
        use_crf=slots and not model_args.no_crf,
        **ablation_config_kwargs(model_args.variant),
    )
    if config_kwargs["use_adversary"] and len(languages) < 2:
        config_kwargs.update(use_adversary=False)  # one language: nothing to be adversarial about
    if model_args.encoder == "bcnn":
        tokenizer = build_bcnn_tokenizer(train["tokens" if slots else "text"], vocab_size=model_args.vocab_size)
        config = AdversarialSharedPrivateConfig(vocab_size=len(tokenizer), embedding_dim=model_args.embedding_dim, **config_kwargs)
        model = model_class(config)
        base_model = None
    elif model_args.encoder == "e5":
        path = _ensure_e5(Path(model_args.backbone_path))
        tokenizer = AutoTokenizer.from_pretrained(path)
        prefix = "query: "
        model = model_class.from_backbone(str(path), input_prefix=prefix, **config_kwargs)
        if model_args.freeze_embeddings:
            freeze(model, r"word_embeddings")
        base_model = "intfloat/multilingual-e5-small"
    else:
        raise ValueError(f"--encoder must be 'bcnn' or 'e5', got {model_args.encoder!r}")
    _, n_trainable = trainable_parameters(model)
    logger.info("model: %s, %d trainable parameters of %d", model_args.variant, n_trainable, sum(p.numel() for p in model.parameters()))

    config = model.config

    def encode(batch, training=False):
        if slots:  # words stay words: DataCollatorForWordLevel tokenizes and aligns the tags
            return {"tokens": batch["tokens"], "tags": batch["tags"], "language_ids": config.encode_languages(batch["language"], allow_unknown=True)}
        enc = tokenizer([(prefix or "") + t for t in batch["text"]], truncation=True, max_length=data_args.max_length)
        enc["language_ids"] = config.encode_languages(batch["language"], allow_unknown=True)
        # training text of --unlabeled_languages loses its label; their test sets keep theirs
        enc["labels"] = [-100 if training and lang in unlabeled else label for lang, label in zip(batch["language"], batch["label"])]
        return enc

    keep = ["tokens", "tags", "language_ids"] if slots else ["input_ids", "attention_mask", "language_ids", "labels"]
    train_enc = train.map(encode, batched=True, remove_columns=train.column_names, fn_kwargs={"training": True})
    if unlabeled:
        logger.info("%d of %d training examples are unlabelled (%s)", sum(x == -100 for x in train_enc["labels"]), len(train_enc), ", ".join(sorted(unlabeled)))
    split = train_enc.train_test_split(test_size=data_args.validation_fraction, seed=training_args.seed) if data_args.validation_fraction > 0 else None
    train_set, eval_set = (split["train"], split["test"]) if split else (train_enc, None)
    tests_enc = {lang: ds.map(encode, batched=True, remove_columns=ds.column_names) for lang, ds in tests.items()}
    if "token_type_ids" in train_set.column_names:
        keep.append("token_type_ids")
    compute_metrics = None
    if slots:
        collator = DataCollatorForWordLevel(tokenizer, max_length=data_args.max_length, prefix=prefix, intent_column=None, tag_label_name="labels", extra_columns=["language_ids"])
        training_args.remove_unused_columns = False  # the collator reads the raw `tokens` column
        compute_metrics = make_joint_compute_metrics(None, config.id2label)
    else:
        collator = DataCollatorWithPadding(tokenizer)
    score = "slot_f1" if slots else "accuracy"

    if eval_set is None and training_args.eval_strategy != "no":
        training_args.eval_strategy = "no"
    head_lr = model_args.head_learning_rate or (1e-3 if model_args.encoder == "e5" else None)
    optimizer = head_lr_optimizer(model, training_args.learning_rate, head_lr, training_args.weight_decay)
    if optimizer is not None:
        logger.info("learning rates: pretrained encoder %g, layers trained from scratch %g", training_args.learning_rate, head_lr)
    trainer = AdversarialTrainer(
        model=model,
        args=training_args,
        optimizers=(optimizer, None),
        train_dataset=train_set.select_columns(keep),
        eval_dataset=eval_set.select_columns(keep) if eval_set is not None else None,
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
        callbacks=[AdversarialScheduleCallback(model_args.grl_schedule, model_args.discriminator_steps)],
    )
    train_result = trainer.train()

    # ---- per-language test metrics
    metrics = {"train_runtime_s": round(train_result.metrics.get("train_runtime", 0.0), 1)}
    for lang, ds in tests_enc.items():
        m = trainer.evaluate(ds.select_columns(keep), metric_key_prefix=f"test_{lang}")
        metrics[f"test_{score}_{lang}"] = m[f"test_{lang}_{score}"]
        if f"test_{lang}_discriminator_accuracy" in m:
            metrics[f"test_discriminator_accuracy_{lang}"] = m[f"test_{lang}_discriminator_accuracy"]
    seen = [lang for lang in tests if lang in labelled]
    held_out = [lang for lang in tests if lang not in labelled]  # unlabelled ones included: no labels seen
    sizes = {lang: len(ds) for lang, ds in tests_enc.items()}
    total = sum(sizes.values())
    if not slots:  # (an F1 does not average by example counts)
        metrics["test_accuracy"] = sum(metrics[f"test_accuracy_{x}"] * sizes[x] for x in tests) / max(total, 1)
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

    # ---- features: fresh language probes and the 2-D picture
    seen_test = [tests_enc[x].select_columns(keep) for x in known]
    if seen_test and len(languages) >= 2:
        from datasets import concatenate_datasets

        probe_train = train_set.shuffle(seed=0).select(range(min(2000, len(train_set)))).select_columns(keep)
        probe_test = concatenate_datasets(seen_test)
        ftr = collect_features(trainer.model, probe_train, collator)
        fte = collect_features(trainer.model, probe_test, collator)
        metrics["probe_language_accuracy_shared"] = language_probe_accuracy(ftr["shared"], ftr["language_ids"], fte["shared"], fte["language_ids"])
        if "private" in fte:
            metrics["probe_language_accuracy_private"] = language_probe_accuracy(ftr["private"], ftr["language_ids"], fte["private"], fte["language_ids"])
        if data_args.projection != "none" and training_args.should_save:
            try:
                from hf_transfer.visualization import plot_feature_projection

                panels = {"shared": fte["shared"]} | ({"private": fte["private"]} if "private" in fte else {})
                png = plot_feature_projection(Path(training_args.output_dir) / "features.png", panels, fte["language_ids"], languages,
                                              method=data_args.projection, title=f"{data_args.dataset} test, {model_args.variant}")
                logger.info("saved %s", png)
            except ImportError as err:
                print(f"no feature projection: {err}", file=sys.stderr)
    metrics = {k: round(float(v), 4) for k, v in metrics.items()}
    for k, v in metrics.items():
        logger.info("%s = %s", k, v)

    # ---- save model, tokenizer, metrics and the card
    if training_args.should_save:
        trainer.model.save_pretrained(training_args.output_dir)  # safetensors; no pickled training_args.bin
        Path(training_args.output_dir, "training_args.json").write_text(training_args.to_json_string())
        tokenizer.save_pretrained(training_args.output_dir)
        trainer.save_metrics("test", metrics, combined=False)
        card_metrics = {k: v for k, v in metrics.items() if k.startswith((f"test_{score}", "test_discriminator", "probe_"))}
        write_model_card(
            training_args.output_dir,
            model_name=Path(training_args.output_dir).name,
            family="multilingual",
            task="token-classification" if slots else "text-classification",
            metrics=card_metrics,
            dataset="xsid" if data_args.dataset == "xsid" else "multi_lang (reference design seed data)",
            eval_split=f"the test split ({', '.join(tests)}; held out of training: {', '.join(held_out) or 'none'}"
                       + (f"; of these, {', '.join(sorted(unlabeled))} gave unlabelled training text to the discriminator" if unlabeled else "") + ")",
            base_model=base_model,
            description=(
                f"Adversarial shared-private {'slot tagger' if slots else 'intent classifier'} ({model_args.variant}, {model_args.encoder} encoder) "
                f"trained on {', '.join(labelled)}" + (f" (and unlabelled text in {', '.join(sorted(unlabeled))})." if unlabeled else ".")
            ),
            training={
                "variant": model_args.variant,
                "encoder": model_args.encoder,
                "private_encoders": model_args.private_encoders,
                "adversarial_weight": model_args.adversarial_weight,
                "difference_weight": model_args.difference_weight,
                "private_dropout": model_args.private_dropout,
                "heldout_private_features": model_args.heldout_private_features,
                "unlabeled_languages": data_args.unlabeled_languages,
                "adversarial_schedule": model_args.adversarial_schedule,
                "train_examples": len(train_set),
                "epochs": training_args.num_train_epochs if training_args.max_steps <= 0 else f"{training_args.max_steps} steps",
                "learning_rate": training_args.learning_rate,
                "head_learning_rate": head_lr,
                "batch_size": training_args.per_device_train_batch_size,
                "seed": training_args.seed,
                "train_runtime_s": metrics["train_runtime_s"],
            },
            template="multilingual.md",
            tags=["adversarial", "slot-filling" if slots else "intent-classification"],
            language=[SEED_ISO.get(x, x) for x in languages if len(SEED_ISO.get(x, x)) == 2],
        )
    return metrics


def parse(argv=None):
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainingArguments))
    argv = list(sys.argv[1:] if argv is None else argv)
    defaults = {
        "--label_names": ["labels"],  # language_ids is an input, not a label
        "--learning_rate": ["1e-3"],
        "--num_train_epochs": ["5"],
        "--per_device_train_batch_size": ["64"],
        "--per_device_eval_batch_size": ["128"],
        "--eval_strategy": ["epoch"],
        "--logging_strategy": ["epoch"],
        "--save_strategy": ["no"],
        "--report_to": ["none"],
        "--disable_tqdm": ["True"],
        "--seed": ["42"],
    }
    for flag, value in defaults.items():
        if flag not in argv:
            argv += [flag, *value]
    return parser.parse_args_into_dataclasses(args=argv)


def main(argv=None) -> dict:
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s", level=logging.INFO)
    import datasets

    datasets.disable_progress_bars()
    model_args, data_args, training_args = parse(argv)
    if model_args.encoder == "e5" and "--learning_rate" not in (argv or sys.argv):
        training_args.learning_rate = 5e-5
    return train_and_evaluate(model_args, data_args, training_args)


if __name__ == "__main__":
    main()
