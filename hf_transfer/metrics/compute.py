"""``Trainer`` ``compute_metrics`` helpers: model outputs (logits, decoded tag paths, -100 padded
labels) to the inputs of the packaged `evaluate` metric modules, and their results to percentages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# The ignore index and the `O` id are tag vocabulary, defined once in `hf_transfer.tagging`.
from ..tagging import IGNORE_INDEX, outside_tag_id
from .functional import _as_list
from .loading import load_metric


__all__ = [
    "align_tag_paths",
    "classification_compute_metrics",
    "compute_joint_metrics",
    "make_joint_compute_metrics",
]


def _to_name(x, id2x):
    if id2x is None or isinstance(x, str):
        return x
    return id2x[int(x)]


def _strip_ignored(slot_preds, slot_labels, id2tag, ignore_index):
    """Drop positions whose gold id is ``ignore_index``; map ids to tag names."""
    if isinstance(slot_preds, np.ndarray) and slot_preds.ndim == 3:
        slot_preds = slot_preds.argmax(-1)
    slot_preds, slot_labels = _as_list(slot_preds), _as_list(slot_labels)
    if len(slot_preds) != len(slot_labels):
        raise ValueError(
            f"compute_joint_metrics: {len(slot_preds)} predicted sequences for {len(slot_labels)} labelled"
        )
    preds_out, labels_out = [], []
    for i, (p, y) in enumerate(zip(slot_preds, slot_labels)):
        p, y = _as_list(p), _as_list(y)
        kept = [b for b in y if b != ignore_index]
        if len(p) == len(y):
            pairs = [(a, b) for a, b in zip(p, y) if b != ignore_index]
        elif len(p) == len(kept):  # predictions already restricted to labelled positions (e.g. CRF decode)
            pairs = list(zip(p, kept))
        else:
            raise ValueError(
                f"compute_joint_metrics: sequence {i} has {len(p)} predictions for {len(y)} label positions "
                f"({len(kept)} not {ignore_index}); expected one of the two counts"
            )
        preds_out.append([_to_name(a, id2tag) for a, _ in pairs])
        labels_out.append([_to_name(b, id2tag) for _, b in pairs])
    return preds_out, labels_out


def compute_joint_metrics(
    intent_preds,
    intent_labels,
    slot_preds,
    slot_labels,
    id2intent: Mapping[int, str] | Sequence[str] | None = None,
    id2tag: Mapping[int, str] | Sequence[str] | None = None,
    *,
    ignore_index: int = IGNORE_INDEX,
) -> dict[str, float]:
    """Intent accuracy, slot precision/recall/F1 and frame accuracy, in percent (0-100), computed
    by the packaged metric modules ``intent_accuracy``, ``slot_f1`` and ``frame_accuracy``.

    Args:
        intent_preds, intent_labels: intent ids (or logits of shape ``(n, num_intents)``,
            argmaxed here), or ``None`` for a tagger without intents.
        slot_preds, slot_labels: per utterance, tag ids aligned with the labels (or logits of
            shape ``(n, seq, num_tags)``); positions whose label is ``ignore_index`` (-100:
            padding, special tokens, non-first sub-tokens) are dropped from both. Predictions
            already restricted to the labelled positions (shorter lists, e.g. CRF output) are
            accepted too. Tag names instead of ids need no ``id2tag``.
        id2intent, id2tag: ``config.id2label``-style maps (or lists) from ids to names.

    Returns:
        ``{"intent_accuracy", "slot_precision", "slot_recall", "slot_f1", "frame_accuracy"}``
        (no ``intent_accuracy`` when ``intent_preds`` is None).
    """
    pred_tags, true_tags = _strip_ignored(slot_preds, slot_labels, id2tag, ignore_index)
    out = {}
    if intent_preds is not None:
        if isinstance(intent_preds, np.ndarray) and intent_preds.ndim == 2:
            intent_preds = intent_preds.argmax(-1)
        intent_preds = [_to_name(x, id2intent) for x in _as_list(intent_preds)]
        intent_labels = [_to_name(x, id2intent) for x in _as_list(intent_labels)]
        intents = load_metric("intent_accuracy").compute(predictions=intent_preds, references=intent_labels)
        out["intent_accuracy"] = 100.0 * intents["accuracy"]
    slots = load_metric("slot_f1").compute(predictions=pred_tags, references=true_tags)
    out["slot_precision"], out["slot_recall"], out["slot_f1"] = (
        100.0 * slots["precision"], 100.0 * slots["recall"], 100.0 * slots["f1"]
    )
    if intent_preds is None:
        frames_pred, frames_true = pred_tags, true_tags
    else:
        if not len(intent_preds) == len(intent_labels) == len(pred_tags):
            raise ValueError(
                f"compute_joint_metrics: {len(intent_preds)} intent predictions, {len(intent_labels)} intent labels, "
                f"{len(pred_tags)} slot sequences; expected one of each per utterance"
            )
        frames_pred = [{"intent": i, "tags": t} for i, t in zip(intent_preds, pred_tags)]
        frames_true = [{"intent": i, "tags": t} for i, t in zip(intent_labels, true_tags)]
    out["frame_accuracy"] = 100.0 * load_metric("frame_accuracy").compute(predictions=frames_pred, references=frames_true)["accuracy"]
    return out


def classification_compute_metrics(eval_pred) -> dict[str, float]:
    """``Trainer(compute_metrics=classification_compute_metrics)`` for sentence classification:
    accuracy and macro F1 in percent (the ``intent_accuracy`` metric module). Takes an
    ``EvalPrediction`` (or ``(logits, labels)``); labels equal to -100 are ignored."""
    if hasattr(eval_pred, "predictions"):
        logits, labels = eval_pred.predictions, eval_pred.label_ids
    else:
        logits, labels = eval_pred
    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    logits, labels = np.asarray(logits), np.asarray(labels).reshape(-1)
    preds = logits.argmax(-1) if logits.ndim > 1 else logits
    keep = labels != IGNORE_INDEX
    preds, labels = preds[keep], labels[keep]
    if labels.size == 0:
        raise ValueError("classification_compute_metrics: no labelled examples")
    result = load_metric("intent_accuracy").compute(predictions=preds.tolist(), references=labels.tolist(), macro_f1=True)
    return {"accuracy": 100.0 * result["accuracy"], "macro_f1": 100.0 * result["macro_f1"]}


def align_tag_paths(paths: np.ndarray, labels: np.ndarray, outside_id: int = 0, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Decoded tag ids ``[n, words]`` padded/cut to the labels' width (``Trainer`` concatenates
    batches of different word counts with -100 padding); a labelled word with no prediction (a
    word with no token, e.g. a character the tokenizer drops) counts as predicted ``outside_id``."""
    paths, labels = np.asarray(paths), np.asarray(labels)
    n, w = labels.shape
    out = np.full((n, w), ignore_index, dtype=np.int64)
    k = min(w, paths.shape[1])
    out[:, :k] = paths[:, :k]
    missing = (out == ignore_index) & (labels != ignore_index)
    out[missing] = outside_id
    return out


def make_joint_compute_metrics(id2intent, id2tag, *, ignore_index: int = IGNORE_INDEX):
    """A ``Trainer`` ``compute_metrics`` for joint models whose predictions are
    ``(intent_logits, slot_logits)`` and whose ``label_ids`` are ``(intent_labels, slot_labels)``
    (slot labels with -100 at ignored positions). Returns :func:`compute_joint_metrics`'s dict.
    A tagger without intents may return slot logits and slot labels alone. Slot predictions may
    also be decoded tag ids ``[n, words]`` (CRF paths, -100 padded; see `align_tag_paths`)."""

    def compute_metrics(eval_pred):
        preds, labels = eval_pred.predictions, eval_pred.label_ids
        if isinstance(preds, (tuple, list)) and len(preds) >= 2:
            intent_logits, slot_logits = preds[0], preds[1]
            intent_labels, slot_labels = labels[0], labels[1]
        else:
            intent_logits = intent_labels = None
            slot_logits, slot_labels = (preds[0] if isinstance(preds, (tuple, list)) else preds), labels
        slot_logits, slot_labels = np.asarray(slot_logits), np.asarray(slot_labels)
        if slot_logits.ndim == 2:  # decoded paths
            slot_logits = align_tag_paths(slot_logits, slot_labels, outside_tag_id(id2tag), ignore_index)
        return compute_joint_metrics(
            None if intent_logits is None else np.asarray(intent_logits),
            None if intent_labels is None else np.asarray(intent_labels),
            np.asarray(slot_logits),
            np.asarray(slot_labels),
            id2intent,
            id2tag,
            ignore_index=ignore_index,
        )

    return compute_metrics
