"""Load any saved hf_transfer model, predict with it and evaluate it, whatever its family.

    model, tokenizer = load_model("runs/snips")
    predict_texts(model, tokenizer, ["book a table at noon"])
    evaluate_model(model, tokenizer, "snips", split="test")

Used by `hf-transfer predict` / `hf-transfer evaluate`. Each family predicts what it knows:
a label and its probability (fine-tuning, few-shot, multilingual intents), intent + slot spans
(multi-task), tags per word (multilingual slots).

Texts: a string (one text) or a list of strings; anything else (`None`, a number, bytes, or a
list holding one) is a `TypeError` naming the position. An empty or whitespace-only text gets no
prediction: `{"label": None, "score": None}` (sentence classifiers, few-shot),
`{"intent": None, "score": None, "slots": []}` (multi-task), `{"tokens": [], "tags": []}`
(multilingual slots); a call with such texts warns once, counting them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoConfig, AutoModel

from .utils import check_texts, empty_text_positions, load_tokenizer, warn_empty_texts


logger = logging.getLogger(__name__)

__all__ = ["FAMILIES", "evaluate_model", "family_of", "load_model", "predict_texts"]

#: model_type -> family
FAMILIES = {
    "hf_transfer": "finetune",
    "hf_transfer_shared_private": "multitask",
    "hf_transfer_protonet": "fewshot",
    "hf_transfer_matching": "fewshot",
    "hf_transfer_relation": "fewshot",
    "hf_transfer_adversarial": "multilingual",
}


def family_of(config) -> str:
    family = FAMILIES.get(getattr(config, "model_type", None))
    if family is None:
        raise ValueError(f"model_type {config.model_type!r} is not an hf_transfer model (expected one of {sorted(FAMILIES)})")
    return family


def _model_class(config):
    from .models.fewshot import MatchingNetwork, PrototypicalNetwork, RelationNetwork
    from .models.multilingual import (
        AdversarialSharedPrivateForSequenceClassification,
        AdversarialSharedPrivateForTokenClassification,
    )
    from .models.multitask import SharedPrivateForIntentAndSlotFilling
    from .models.transfer import TransferForSequenceClassification

    architectures = getattr(config, "architectures", None) or []
    classes = {c.__name__: c for c in (TransferForSequenceClassification, SharedPrivateForIntentAndSlotFilling, PrototypicalNetwork, MatchingNetwork,
                                        RelationNetwork, AdversarialSharedPrivateForSequenceClassification, AdversarialSharedPrivateForTokenClassification)}
    for name in architectures:
        if name in classes:
            return classes[name]
    return None


def load_model(model_dir: str | Path):
    """(model in eval mode, tokenizer) from a directory an hf_transfer run saved. A directory
    without tokenizer files (tokenizer.json / tokenizer_config.json / a vocabulary) is a
    `FileNotFoundError` naming the directory and the files expected."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir} holds no saved model (no config.json)")
    import hf_transfer  # noqa: F401  (registers the Auto classes)

    config = AutoConfig.from_pretrained(model_dir)
    family_of(config)
    tokenizer = load_tokenizer(model_dir)
    cls = _model_class(config)
    model = cls.from_pretrained(model_dir) if cls is not None else AutoModel.from_pretrained(model_dir)
    return model.eval(), tokenizer


@torch.no_grad()
def _classify(model, tokenizer, texts: list[str], batch_size: int, progress: bool, **inputs) -> list[dict]:
    prefix = getattr(model.config, "input_prefix", None) or ""
    out = []
    for start in tqdm(range(0, len(texts), batch_size), desc="predict", disable=not progress, leave=False):
        enc = tokenizer([prefix + t for t in texts[start : start + batch_size]], padding=True, truncation=True, return_tensors="pt")
        enc = {k: v.to(model.device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        probs = model(**enc, **inputs).logits.softmax(-1)
        score, idx = probs.max(-1)
        out.extend({"label": model.config.id2label[int(i)], "score": float(s)} for s, i in zip(score, idx))
    return out


def predict_texts(model, tokenizer, texts: str | Sequence[str], batch_size: int = 32, progress: bool = False) -> list[dict]:
    """One JSON-ready dict per text, as a list (a bare string is one text: a list of one; see the
    module docstring for what each family returns). Empty or whitespace-only texts get no
    prediction (`None` label / intent and score, no slots or tags) and one warning counting them."""
    texts, _ = check_texts(texts, "texts", "predict_texts")
    family = family_of(model.config)
    if family == "multitask":  # the "joint-intent-slot" pipeline handles (and warns about) empty texts
        from .models.multitask.pipeline import IntentSlotPipeline

        return IntentSlotPipeline(model, tokenizer, batch_size=batch_size)(texts)
    if family == "fewshot":  # so does predict_proba (rows of NaN)
        probs = model.predict_proba(texts, tokenizer=tokenizer, batch_size=batch_size)
        labels = model.config.support_labels
        return [{"label": None, "score": None} if np.isnan(row).any() else {"label": labels[int(row.argmax())], "score": float(row.max())} for row in probs]
    if family == "multilingual" and type(model).__name__.endswith("TokenClassification"):  # the "word-tagging" pipeline
        from .models.multilingual.pipeline_multilingual import WordTaggingPipeline

        tagger = WordTaggingPipeline(model, tokenizer, batch_size=batch_size, device=model.device, task="word-tagging")
        return [{"tokens": r["words"], "tags": r["tags"]} for r in tagger(texts)]
    empty = set(empty_text_positions(texts))
    warn_empty_texts(len(empty), len(texts), "predict_texts", str({"label": None, "score": None}))
    kept = [t for i, t in enumerate(texts) if i not in empty]
    predicted = iter(_classify(model, tokenizer, kept, batch_size, progress))
    return [{"label": None, "score": None} if i in empty else next(predicted) for i in range(len(texts))]


def _labels_by_name(names: list[str], model_labels: dict, where: str) -> list[int]:
    to_id = {v: int(k) for k, v in model_labels.items()}
    unknown = sorted({n for n in names if n not in to_id})
    if unknown:
        raise ValueError(f"{where}: labels the model does not know: {unknown[:5]}{' ...' if len(unknown) > 5 else ''} (the model knows {len(to_id)}: {sorted(to_id)[:5]} ...)")
    return [to_id[n] for n in names]


def evaluate_model(model, tokenizer, dataset: str, split: str = "test", batch_size: int = 32, max_samples: int | None = None,
                   text_column: str = "text", label_column: str | None = None, progress: bool = False) -> dict:
    """Score a saved model on a split of `dataset` (a name or path for `hf_transfer.load_dataset`).
    Labels are matched to the model's by name. Returns `{f"{split}_{metric}": value}` in percent."""
    from .data.registry import load_dataset

    data = load_dataset(dataset)
    if split not in data:
        raise ValueError(f"--split {split!r} is not in {dataset!r}; it has {list(data)}")
    rows = data[split]
    if max_samples:
        rows = rows.select(range(min(max_samples, len(rows))))
    family = family_of(model.config)
    if family == "multitask" or (family == "multilingual" and type(model).__name__.endswith("TokenClassification")):
        return _evaluate_tagger(model, tokenizer, rows, split, batch_size, family, f"{dataset} {split}")
    if text_column not in rows.column_names and "tokens" in rows.column_names:
        rows = rows.map(lambda x: {text_column: " ".join(x["tokens"])})
    label_column = label_column or next((c for c in ("label", "intent") if c in rows.column_names), None)
    if label_column is None or text_column not in rows.column_names:
        raise ValueError(f"{dataset} {split}: needs a {text_column!r} column and a 'label' or 'intent' column; it has {rows.column_names}")
    names = rows.features[label_column].names
    gold = [names[i] for i in rows[label_column]]
    metrics = {}
    if family == "fewshot":  # the stored support set's classes are the ones it can tell apart
        known = set(model.config.support_labels or [])
        keep = [i for i, g in enumerate(gold) if g in known]
        if not keep:
            raise ValueError(f"{dataset} {split}: no row of the {len(known)} classes in the model's support set")
        metrics[f"{split}_rows_of_other_classes"] = len(gold) - len(keep)
        rows, gold = rows.select(keep), [gold[i] for i in keep]
    if family != "fewshot":
        _labels_by_name(gold, model.config.id2label, f"{dataset} {split}")
    predicted = [p["label"] for p in predict_texts(model, tokenizer, rows[text_column], batch_size=batch_size, progress=progress)]
    return {**metrics, f"{split}_accuracy": 100.0 * float(np.mean([p == g for p, g in zip(predicted, gold)])), f"{split}_samples": len(gold)}


def _remap(rows, column: str, model_labels: dict, where: str, sequence: bool):
    """`rows[column]` re-numbered from the data set's label ids to the model's, by name."""
    feature = rows.features[column].feature if sequence else rows.features[column]
    ids = _labels_by_name(feature.names, model_labels, f"{where} {column}")
    values = [[ids[t] for t in seq] for seq in rows[column]] if sequence else [ids[i] for i in rows[column]]
    return rows.remove_columns(column).add_column(column, values)


def _evaluate_tagger(model, tokenizer, rows, split, batch_size, family, where) -> dict:
    import tempfile

    from transformers import Trainer, TrainingArguments

    from .data.collators import DataCollatorForWordLevel
    from .metrics import make_joint_compute_metrics
    from .training.adversarial import AdversarialTrainer

    config = model.config
    if family == "multitask":
        from .models.multitask import make_compute_metrics

        rows = _remap(rows, "tags", config.id2tag, where, sequence=True)
        if config.predicts_intent and "intent" in rows.column_names:
            rows = _remap(rows, "intent", config.id2label, where, sequence=False)
        collator = DataCollatorForWordLevel(tokenizer, max_words=config.max_words, prefix=config.input_prefix)
        compute_metrics = make_compute_metrics(config)
        label_names = (["intent_labels"] if config.predicts_intent else []) + ["slot_labels"]
        trainer_class = Trainer
    else:  # the adversarial tagger: its predictions are the decoded paths (AdversarialTrainer)
        rows = _remap(rows, "tags", config.id2label, where, sequence=True)
        collator = DataCollatorForWordLevel(tokenizer, prefix=config.input_prefix, intent_column=None, tag_label_name="labels")
        compute_metrics = make_joint_compute_metrics(None, config.id2label)
        label_names = ["labels"]
        trainer_class = AdversarialTrainer
        rows = rows.select_columns(["tokens", "tags"])
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(tmp, per_device_eval_batch_size=batch_size, remove_unused_columns=False, label_names=label_names, report_to=[])
        trainer = trainer_class(model=model, args=args, data_collator=collator, compute_metrics=compute_metrics)
        return trainer.evaluate(rows, metric_key_prefix=split)
