"""Plain `transformers` anchors for the multi-task benchmark of `python -m benchmarks`.

What a user would write without the library, trained by `transformers.Trainer` on the same data
(`hf_transfer.data.load_dataset`, the same train / validation / test rows), backbone, epochs,
batch size, schedule and seed as the library's model, and scored by the same metric code
(`hf_transfer.metrics.compute_joint_metrics`: seqeval entity F1, exact frame):

- `plain_joint`: one backbone (`AutoModel`), a linear intent head on the pooled `[CLS]` output
  (the backbone's pooler when it has one, as JointBERT and `BertForSequenceClassification`
  do) and a linear slot head on every first sub-token, no CRF, loss = intent CE + slot CE, one
  learning rate;
- `two_models`: `AutoModelForSequenceClassification` for intents and
  `AutoModelForTokenClassification` for slots, trained one after the other; frame accuracy
  joins their predictions; training time is the sum.

Words are tokenized with `is_split_into_words=True`, the first sub-token of each word carries
its tag and the rest -100 (the transformers token-classification recipe).
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import TrainerCallback

from benchmarks.common import PeakRSS


IGNORE = -100


# ------------------------------------------------------------------------------ the joint model


class PlainJointModel(nn.Module):
    """One backbone, two linear heads, no CRF (JointBERT without its CRF)."""

    def __init__(self, path: str, num_intents: int, num_tags: int, dropout: float = 0.1):
        super().__init__()
        from transformers import AutoModel

        self.backbone = AutoModel.from_pretrained(path)
        self.config = self.backbone.config
        hidden = self.backbone.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden, num_intents)
        self.slot_head = nn.Linear(hidden, num_tags)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, intent_labels=None, slot_labels=None):
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        hidden = out.last_hidden_state
        pooled = getattr(out, "pooler_output", None)
        pooled = hidden[:, 0] if pooled is None else pooled
        intent_logits = self.intent_head(self.dropout(pooled))
        slot_logits = self.slot_head(self.dropout(hidden))
        result = {}
        if intent_labels is not None and slot_labels is not None:
            ce = nn.functional.cross_entropy
            result["loss"] = ce(intent_logits, intent_labels) + ce(slot_logits.reshape(-1, slot_logits.shape[-1]), slot_labels.reshape(-1), ignore_index=IGNORE)
        result["intent_logits"], result["slot_logits"] = intent_logits, slot_logits
        return result


# ------------------------------------------------------------------------------ data


def tokenize_words(dataset, tokenizer, max_length: int = 128):
    """`input_ids`, `attention_mask` (`token_type_ids`), `intent_labels` and `slot_labels` (the
    word's tag on its first sub-token, -100 elsewhere) for every row of a tokens/tags/intent set."""

    def encode(batch):
        enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
        slots = []
        for i, tags in enumerate(batch["tags"]):
            previous, labels = None, []
            for word in enc.word_ids(i):
                labels.append(IGNORE if word is None or word == previous else tags[word])
                previous = word
            slots.append(labels)
        enc["slot_labels"] = slots
        enc["intent_labels"] = batch["intent"]
        return enc

    return dataset.map(encode, batched=True, remove_columns=dataset.column_names)


class JointCollator:
    """Pads the tokenizer fields with the tokenizer and `slot_labels` with -100."""

    def __init__(self, tokenizer, intent_key="intent_labels", slot_key="slot_labels"):
        self.tokenizer, self.intent_key, self.slot_key = tokenizer, intent_key, slot_key

    def __call__(self, features):
        slots = [f[self.slot_key] for f in features] if self.slot_key and self.slot_key in features[0] else None
        intents = [f[self.intent_key] for f in features] if self.intent_key and self.intent_key in features[0] else None
        plain = [{k: v for k, v in f.items() if k not in (self.slot_key, self.intent_key)} for f in features]
        batch = dict(self.tokenizer.pad(plain, return_tensors="pt"))
        if slots is not None:
            width = batch["input_ids"].shape[1]
            batch[self.slot_key] = torch.tensor([s + [IGNORE] * (width - len(s)) for s in slots])
        if intents is not None:
            batch[self.intent_key] = torch.tensor(intents)
        return batch


def _rename(dataset, **names):
    for old, new in names.items():
        dataset = dataset.rename_column(old, new)
    return dataset


# ------------------------------------------------------------------------------ curves, memory


class CurveRecorder(TrainerCallback):
    """The training curve of a `Trainer` run (training loss per logging step, every evaluation's
    metrics) and the peak RSS of its training (`PeakRSS` from `on_train_begin` to `on_train_end`)."""

    def __init__(self):
        self.steps, self.epochs, self.loss = [], [], []
        self.eval_steps, self.eval_epochs, self.eval = [], [], {}
        self.eval_seconds = 0.0
        self.memory = PeakRSS()
        self.training = False

    def on_train_begin(self, args, state, control, **kwargs):
        self.training = True
        self.memory.start()

    def on_train_end(self, args, state, control, **kwargs):
        self.memory.stop()
        self.training = False

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.training:  # evaluations after training are not part of the curve
            return
        logs = logs or {}
        if "loss" in logs:
            self.steps.append(state.global_step)
            self.epochs.append(round(state.epoch or 0.0, 3))
            self.loss.append(round(float(logs["loss"]), 5))
        if any(k.startswith("eval_") for k in logs):
            self.eval_steps.append(state.global_step)
            self.eval_epochs.append(round(state.epoch or 0.0, 3))
            self.eval_seconds += float(logs.get("eval_runtime", 0.0))
            for key, value in logs.items():
                if key.startswith("eval_") and key not in ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second") and isinstance(value, (int, float)):
                    self.eval.setdefault(key[len("eval_"):], []).append(round(float(value), 4))

    def as_dict(self) -> dict:
        return {"step": self.steps, "epoch": self.epochs, "loss": self.loss, "eval_step": self.eval_steps, "eval_epoch": self.eval_epochs,
                "eval": self.eval, "eval_seconds": round(self.eval_seconds, 2)}


def time_inference(model, batches) -> dict:
    """No-grad forward passes over pre-collated `batches`: ms per utterance and the pass's peak RSS."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()
    batches = [{k: v.to(device) for k, v in b.items()} for b in batches]
    n = sum(int(b["input_ids"].shape[0]) for b in batches)
    with torch.no_grad():
        model(**batches[0])  # warm-up
        with PeakRSS() as mem:
            start = time.perf_counter()
            for b in batches:
                model(**b)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
    return {"inference_ms_per_utterance": 1000 * seconds / max(1, n), "inference_utterances": n, **mem.as_settings("inference_")}


def _batches(rows, collator, size=64, drop=()):
    out = []
    for start in range(0, len(rows), size):
        b = collator([rows[i] for i in range(start, min(start + size, len(rows)))])
        out.append({k: v for k, v in b.items() if k not in drop})
    return out


# ------------------------------------------------------------------------------ training


def _training_args(output_dir, budget: dict, learning_rate: float, seed: int, label_names):
    from transformers import TrainingArguments

    eval_kwargs = {"eval_strategy": "epoch"} if not budget.get("eval_steps") else {"eval_strategy": "steps", "eval_steps": budget["eval_steps"]}
    return TrainingArguments(
        output_dir=str(output_dir), num_train_epochs=budget["epochs"], learning_rate=learning_rate,
        per_device_train_batch_size=budget["batch_size"], per_device_eval_batch_size=64, seed=seed,
        logging_steps=budget.get("logging_steps", 50), save_strategy="no", report_to="none", disable_tqdm=True,
        remove_unused_columns=False, label_names=list(label_names), use_cpu=not torch.cuda.is_available(), **eval_kwargs,
    )  # fmt: skip


def _subsets(data, budget):
    def first(ds, n):
        return ds if n is None else ds.select(range(min(n, len(ds))))

    return first(data["train"], budget.get("max_train_samples")), first(data["validation"], budget.get("max_eval_samples")), first(data["test"], budget.get("max_eval_samples"))


def _label_maps(data):
    train = data["train"]
    return dict(enumerate(train.features["intent"].names)), dict(enumerate(train.features["tags"].feature.names))


def train_plain_joint(data, path: str, budget: dict, learning_rate: float, seed: int) -> dict:
    """Train and test the plain joint model; metrics (validation `val_*`, test `test_*`), times,
    memory and curve."""
    from transformers import AutoTokenizer, Trainer, set_seed

    from hf_transfer.metrics import make_joint_compute_metrics

    id2intent, id2tag = _label_maps(data)
    tokenizer = AutoTokenizer.from_pretrained(path)
    train, val, test = (tokenize_words(ds, tokenizer) for ds in _subsets(data, budget))
    set_seed(seed)
    model = PlainJointModel(path, len(id2intent), len(id2tag))
    curve = CurveRecorder()
    collator = JointCollator(tokenizer)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(model=model, args=_training_args(out, budget, learning_rate, seed, ["intent_labels", "slot_labels"]), train_dataset=train,
                          eval_dataset=val, data_collator=collator, compute_metrics=make_joint_compute_metrics(id2intent, id2tag), callbacks=[curve])
        start = time.perf_counter()
        trainer.train()
        wall = time.perf_counter() - start
        val_metrics = trainer.evaluate(val, metric_key_prefix="val")
        test_metrics = trainer.predict(test, metric_key_prefix="test").metrics
    inference = time_inference(model, _batches(test, collator, drop=("intent_labels", "slot_labels")))
    return _result(wall, curve, val_metrics, test_metrics, inference, len(train))


def train_two_models(data, path: str, budget: dict, learning_rate: float, seed: int) -> dict:
    """`AutoModelForSequenceClassification` (intents) then `AutoModelForTokenClassification`
    (slots), each a plain Trainer run; frame accuracy joins their test predictions."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        DataCollatorWithPadding,
        Trainer,
        set_seed,
    )

    from hf_transfer.metrics import compute_joint_metrics

    id2intent, id2tag = _label_maps(data)
    tokenizer = AutoTokenizer.from_pretrained(path)
    train, val, test = (tokenize_words(ds, tokenizer) for ds in _subsets(data, budget))

    def intent_metrics(p):
        logits = p.predictions[0] if isinstance(p.predictions, tuple) else p.predictions
        return {"intent_accuracy": 100.0 * float((np.asarray(logits).argmax(-1) == np.asarray(p.label_ids)).mean())}

    def slot_metrics(p):
        logits = p.predictions[0] if isinstance(p.predictions, tuple) else p.predictions
        m = compute_joint_metrics(None, None, np.asarray(logits), np.asarray(p.label_ids), None, id2tag)
        return {k: v for k, v in m.items() if k.startswith("slot_")}

    runs = {}
    specs = {
        "intent": (AutoModelForSequenceClassification, len(id2intent), id2intent, {"intent_labels": "labels"}, ("slot_labels",), DataCollatorWithPadding(tokenizer), intent_metrics),
        "slots": (AutoModelForTokenClassification, len(id2tag), id2tag, {"slot_labels": "labels"}, ("intent_labels",), DataCollatorForTokenClassification(tokenizer), slot_metrics),
    }
    for task, (cls, n, id2label, rename, drop, collator, metrics_fn) in specs.items():
        sets = [_rename(ds.remove_columns(list(drop)), **rename) for ds in (train, val, test)]
        set_seed(seed)
        model = cls.from_pretrained(path, num_labels=n, id2label=id2label, label2id={v: k for k, v in id2label.items()})
        curve = CurveRecorder()
        with tempfile.TemporaryDirectory() as out:
            trainer = Trainer(model=model, args=_training_args(out, budget, learning_rate, seed, ["labels"]), train_dataset=sets[0], eval_dataset=sets[1],
                              data_collator=collator, compute_metrics=metrics_fn, callbacks=[curve])
            start = time.perf_counter()
            trainer.train()
            wall = time.perf_counter() - start
            val_prediction = trainer.predict(sets[1], metric_key_prefix="val")
            prediction = trainer.predict(sets[2], metric_key_prefix="test")
        inference = time_inference(model, _batches(sets[2], collator, drop=("labels",)))
        runs[task] = (wall, curve, val_prediction, prediction, inference)

    def joined(i, prefix):
        intent_pred, slot_pred = runs["intent"][i], runs["slots"][i]
        m = compute_joint_metrics(np.asarray(intent_pred.predictions).argmax(-1), np.asarray(intent_pred.label_ids), np.asarray(slot_pred.predictions),
                                  np.asarray(slot_pred.label_ids), id2intent, id2tag)
        return {f"{prefix}{k}": v for k, v in m.items()}

    val_metrics, test_metrics = joined(2, "val_"), joined(3, "test_")
    wall = runs["intent"][0] + runs["slots"][0]
    curve = {task: runs[task][1].as_dict() for task in runs}
    eval_seconds = sum(runs[task][1].eval_seconds for task in runs)
    inference = {
        "inference_ms_per_utterance": runs["intent"][4]["inference_ms_per_utterance"] + runs["slots"][4]["inference_ms_per_utterance"],
        "inference_utterances": runs["intent"][4]["inference_utterances"],
        "inference_peak_rss_mb": max(runs[t][4]["inference_peak_rss_mb"] or 0 for t in runs),
        "inference_rss_increase_mb": max(runs[t][4]["inference_rss_increase_mb"] or 0 for t in runs),
        "rss_method": runs["intent"][4]["rss_method"],
    }
    peak = max(runs[t][1].memory.peak_mb or 0 for t in runs)
    increase = max(runs[t][1].memory.increase_mb or 0 for t in runs)
    return {
        "val": _strip(val_metrics, "val_"), "test": _strip(test_metrics, "test_"), "train_wall_s": wall, "train_time_s": wall - eval_seconds,
        "curve": curve, "train_peak_rss_mb": peak, "train_rss_increase_mb": increase, "train_samples": len(train), **inference,
        "parts": {t: {"train_wall_s": round(runs[t][0], 2), "val": _strip(runs[t][2].metrics, "val_")} for t in runs},
    }


def _strip(metrics: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in metrics.items() if k.startswith(prefix) and isinstance(v, (int, float))}


def _result(wall, curve: CurveRecorder, val_metrics, test_metrics, inference, n_train) -> dict:
    return {
        "val": _strip(val_metrics, "val_"), "test": _strip(test_metrics, "test_"), "train_wall_s": wall, "train_time_s": wall - curve.eval_seconds,
        "curve": curve.as_dict(), "train_peak_rss_mb": curve.memory.peak_mb, "train_rss_increase_mb": curve.memory.increase_mb,
        "train_samples": n_train, **inference,
    }


# ------------------------------------------------------------------------------ the library's model


def train_ours(dataset: str, path: str, budget: dict, learning_rate: float, head_learning_rate: float, seed: int, output_dir: Path,
               overrides: dict | None = None) -> dict:
    """The library's shared-private model through `train_multitask`, with the same budget and
    the same curve / memory / inference measurements as the anchors."""
    from transformers import AutoTokenizer, TrainingArguments

    from hf_transfer.data.collators import DataCollatorForWordLevel
    from hf_transfer.data.registry import load_dataset
    from hf_transfer.models.multitask import SharedPrivateForIntentAndSlotFilling
    from hf_transfer.training.multitask import MultitaskArguments, train_multitask

    curve = CurveRecorder()
    eval_kwargs = {"eval_strategy": "epoch"} if not budget.get("eval_steps") else {"eval_strategy": "steps", "eval_steps": budget["eval_steps"]}
    args = MultitaskArguments(dataset=dataset, encoder_type="backbone", model_name_or_path=path, head_learning_rate=head_learning_rate,
                              max_train_samples=budget.get("max_train_samples"), max_eval_samples=budget.get("max_eval_samples"),
                              overwrite_output_dir=True, **(overrides or {}))
    training = TrainingArguments(
        output_dir=str(output_dir), num_train_epochs=budget["epochs"], learning_rate=learning_rate, per_device_train_batch_size=budget["batch_size"],
        per_device_eval_batch_size=64, seed=seed, logging_steps=budget.get("logging_steps", 50), save_strategy="no", report_to="none",
        disable_tqdm=True, **eval_kwargs,
    )  # fmt: skip
    results = train_multitask(args, training, callbacks=[curve])
    val = {k[len("eval_"):]: v for k, v in results.items() if k.startswith("eval_") and isinstance(v, (int, float))}
    test = {k[len("test_"):]: v for k, v in results.items() if k.startswith("test_") and isinstance(v, (int, float))}
    wall = float(results["train_runtime_s"])

    model = SharedPrivateForIntentAndSlotFilling.from_pretrained(str(output_dir))
    tokenizer = AutoTokenizer.from_pretrained(str(output_dir))
    data = load_dataset(dataset, tokens_column="tokens", tags_column="tags", unseen_labels="unk")
    _, _, test_rows = _subsets(data, budget)
    collator = DataCollatorForWordLevel(tokenizer, max_length=args.max_length)
    inference = time_inference(model, _batches(test_rows, collator, drop=("intent_labels", "slot_labels")))
    return {
        "val": val, "test": test, "train_wall_s": wall, "train_time_s": wall - curve.eval_seconds, "curve": curve.as_dict(),
        "train_peak_rss_mb": curve.memory.peak_mb, "train_rss_increase_mb": curve.memory.increase_mb, "train_samples": results.get("train_samples"),
        **inference,
    }


SELECT_ON = {"plain_joint": "frame_accuracy", "two_models": "frame_accuracy"}


def lr_search(train_fn, data, path, budget, rates, seed) -> tuple[dict, list[dict]]:
    """Train once per learning rate; the run best on the validation split's exact-frame accuracy
    (then slot F1, then intent accuracy) and every run's figures."""
    runs = []
    for lr in rates:
        result = train_fn(data, path, budget, lr, seed)
        runs.append({"learning_rate": lr, **result})

    def key(r):
        v = r["val"]
        return tuple(-math.inf if v.get(k) is None else v[k] for k in ("frame_accuracy", "slot_f1", "intent_accuracy"))

    best = max(runs, key=key)
    summary = [{"learning_rate": r["learning_rate"], "val": {k: round(v, 3) for k, v in r["val"].items() if k in ("intent_accuracy", "slot_f1", "frame_accuracy")},
                "test": {k: round(v, 3) for k, v in r["test"].items() if k in ("intent_accuracy", "slot_f1", "frame_accuracy")},
                "train_time_s": round(r["train_time_s"], 1)} for r in runs]
    return best, summary
