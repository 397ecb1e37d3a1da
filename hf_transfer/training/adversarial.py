"""Training helpers for the adversarial shared-private model: a `Trainer` that logs the loss parts
and the language discriminator's accuracy, the GRL / alternating min-max schedule as a callback,
feature extraction and a fresh language probe (the honest test of language invariance: a new
classifier trained on frozen features, not only the adversary the encoder was trained against)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
from transformers import Trainer, TrainerCallback

from ..encoders.pooling import pool_sentence
from ..layers.gradient_reversal import dann_lambda_schedule
from ..models.multilingual.configuration_multilingual import UNKNOWN_LANGUAGE_ID


def _unwrap(model):
    while hasattr(model, "module"):
        model = model.module
    return model


class _Parts:
    """Running sums of the loss parts, discriminator accuracy and per-language task accuracy."""

    def __init__(self, languages):
        self.languages = list(languages)
        self.sums = defaultdict(float)
        self.counts = defaultdict(int)

    def add(self, outputs, inputs) -> None:
        for key in ("task_loss", "adversarial_loss", "difference_loss"):
            value = outputs.get(key) if hasattr(outputs, "get") else getattr(outputs, key, None)
            if value is not None:
                self.sums[key] += float(value.detach())
                self.counts[key] += 1
        language_ids = inputs.get("language_ids")
        language_logits = outputs.get("language_logits")
        if language_ids is not None and language_logits is not None:
            known = language_ids != UNKNOWN_LANGUAGE_ID
            hits = (language_logits.detach().argmax(-1) == language_ids) & known
            self.sums["discriminator_accuracy"] += float(hits.sum())
            self.counts["discriminator_accuracy"] += int(known.sum())
        labels, logits = inputs.get("labels"), outputs.get("logits")
        if labels is not None and logits is not None and labels.dim() == 1:
            hits = logits.detach().argmax(-1) == labels
            self.sums["accuracy"] += float(hits.sum())
            self.counts["accuracy"] += hits.numel()
            if language_ids is not None:
                for lang, name in enumerate(self.languages):
                    rows = language_ids == lang
                    if rows.any():
                        self.sums[f"accuracy_{name}"] += float(hits[rows].sum())
                        self.counts[f"accuracy_{name}"] += int(rows.sum())

    def summary(self, with_accuracy: bool = True) -> dict[str, float]:
        out = {}
        for key, total in self.sums.items():
            if self.counts[key] and (with_accuracy or not key.startswith("accuracy")):
                scale = 100.0 if "accuracy" in key else 1.0
                out[key] = round(scale * total / self.counts[key], 4)
        return out

    def __bool__(self) -> bool:
        return bool(self.counts)


class AdversarialTrainer(Trainer):
    """`Trainer` that also logs `task_loss`, `adversarial_loss`, `difference_loss` and
    `discriminator_accuracy` (percent, on the known languages) with every training log and every
    evaluation (as `eval_task_loss` ...), plus `eval_accuracy` and `eval_accuracy_{language}`
    (sentence classification). For `AdversarialSharedPrivateForTokenClassification` the
    predictions are the decoded `tag_paths`: pass
    `compute_metrics=make_joint_compute_metrics(None, config.id2label)` for slot F1.
    `language_ids` is a model input, not a label: keep `label_names=["labels"]`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._train_parts = _Parts(self._languages())
        self._eval_parts = None

    def _languages(self):
        return getattr(_unwrap(self.model).config, "languages", [])

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        if model.training:
            self._train_parts.add(outputs, inputs)
        loss = outputs["loss"]
        return (loss, outputs) if return_outputs else loss

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        inputs = self._prepare_inputs(inputs)
        with torch.no_grad():
            outputs = model(**inputs)
        if self._eval_parts is not None:
            self._eval_parts.add(outputs, inputs)
        loss = outputs["loss"].detach() if outputs.get("loss") is not None else None
        if prediction_loss_only:
            return loss, None, None
        # a tagger's predictions are its decoded paths (with a CRF the emissions' argmax is not)
        predictions = outputs.get("tag_paths")
        if predictions is None:
            predictions = outputs["logits"]
        return loss, predictions.detach(), inputs.get("labels")

    def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None, metric_key_prefix="eval"):
        self._eval_parts = _Parts(self._languages())
        try:
            output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix)
        finally:
            parts, self._eval_parts = self._eval_parts, None
        for key, value in parts.summary().items():
            output.metrics.setdefault(f"{metric_key_prefix}_{key}", value)
        return output

    def log(self, logs, start_time=None):
        if "loss" in logs and self._train_parts:
            logs = {**logs, **self._train_parts.summary(with_accuracy=False)}
            self._train_parts = _Parts(self._languages())
        super().log(logs, start_time)


class AdversarialScheduleCallback(TrainerCallback):
    """Drives the adversarial schedule during `Trainer.train`.

    - `grl_schedule="dann"` anneals the gradient reversal factor from 0 to `config.grl_lambda`
      with `2 / (1 + exp(-10 p)) - 1` (Ganin et al., JMLR 2016), `p` the fraction of steps done;
      `"constant"` keeps `config.grl_lambda`.
    - With `config.adversarial_schedule="alternating"`, `discriminator_steps` optimizer steps
      train the discriminator alone, then one step trains the rest (GAN-style min-max).
    """

    def __init__(self, grl_schedule: str = "constant", discriminator_steps: int = 1):
        if grl_schedule not in ("constant", "dann"):
            raise ValueError(f"grl_schedule must be 'constant' or 'dann', got {grl_schedule!r}")
        if discriminator_steps < 1:
            raise ValueError(f"discriminator_steps must be >= 1, got {discriminator_steps}")
        self.grl_schedule = grl_schedule
        self.discriminator_steps = discriminator_steps

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        model = _unwrap(model)
        if model is None or not hasattr(model, "grl"):
            return
        if self.grl_schedule == "dann":
            progress = min(state.global_step / max(state.max_steps, 1), 1.0)
            model.grl.lambda_ = model.config.grl_lambda * dann_lambda_schedule(progress)
        if model.config.adversarial_schedule == "alternating":
            cycle = self.discriminator_steps + 1
            model.adversarial_phase = "discriminator" if state.global_step % cycle < self.discriminator_steps else "encoder"

    def on_train_end(self, args, state, control, model=None, **kwargs):
        model = _unwrap(model)
        if model is not None and hasattr(model, "grl"):
            model.adversarial_phase = "joint"
            model.grl.lambda_ = model.config.grl_lambda


@torch.no_grad()
def collect_features(model, dataset, data_collator, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Run `model` (eval mode) over `dataset` and return numpy arrays: `shared`, `private` (if the
    model has private encoders), `logits`, `language_logits` (if any), `labels`, `language_ids`.
    For word-level models (`...ForTokenClassification`, fed with `tokens` / `tags` columns through
    `DataCollatorForWordLevel`) `shared` and `private` are each sentence's mean word features, and
    `logits` / `labels` are left out (their lengths differ between batches)."""
    model = _unwrap(model)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    wanted = ("input_ids", "attention_mask", "token_type_ids", "language_ids", "labels", "label", "tokens", "tags")
    columns = [c for c in wanted if c in dataset.column_names]
    collected = defaultdict(list)
    for start in range(0, len(dataset), batch_size):
        rows = dataset[start : start + batch_size]
        features = [{c: rows[c][i] for c in columns} for i in range(len(rows[columns[0]]))]
        batch = data_collator(features)
        labels = batch.pop("labels", None)
        batch.pop("label", None)
        batch = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids", "language_ids", "word_ids")}
        out = model(**batch)
        word_level = out.get("shared_features") is not None and out["shared_features"].dim() == 3
        if word_level:  # each sentence's words: 0 .. max(word_ids) (word_ids: -1 off words)
            n_words = batch["word_ids"].max(dim=1).values + 1
            word_mask = torch.arange(out["shared_features"].shape[1], device=device)[None, :] < n_words[:, None]
        for key in ("shared_features", "private_features") + (() if word_level else ("logits",)) + ("language_logits",):
            value = out.get(key)
            if value is None:
                continue
            if word_level and key.endswith("_features"):
                value = pool_sentence(value, word_mask, "mean")
            collected[key.replace("_features", "")].append(value.float().cpu().numpy())
        if labels is not None and not word_level:
            collected["labels"].append(labels.cpu().numpy())
        if "language_ids" in batch:
            collected["language_ids"].append(batch["language_ids"].cpu().numpy())
    model.train(was_training)
    return {k: np.concatenate(v) for k, v in collected.items()}


def language_probe_accuracy(train_features, train_languages, test_features, test_languages, seed: int = 0) -> float:
    """Accuracy (percent) of a fresh logistic-regression language classifier trained on
    `train_features` and tested on `test_features`: how language-identifiable the features are
    (chance is `100 / num_languages` when the languages are balanced). Rows with language
    `-100` (unknown) are left out."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_languages, test_languages = np.asarray(train_languages), np.asarray(test_languages)
    keep_train, keep_test = train_languages != UNKNOWN_LANGUAGE_ID, test_languages != UNKNOWN_LANGUAGE_ID
    if len(np.unique(train_languages[keep_train])) < 2:
        raise ValueError("language_probe_accuracy needs training features of at least 2 languages")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(np.asarray(train_features)[keep_train], train_languages[keep_train])
    return 100.0 * float(probe.score(np.asarray(test_features)[keep_test], test_languages[keep_test]))
