"""Metrics for intent detection, slot filling and few-shot evaluation.

* :func:`intent_accuracy`, :func:`slot_f1` and :func:`frame_accuracy` return fractions in
  [0, 1] like scikit-learn and seqeval; the dict-returning :func:`compute_joint_metrics` and
  the Trainer ``compute_metrics`` helpers report percentages (0-100), as the papers do.
* Slot F1 is seqeval's entity-level micro F1 (conlleval-compatible default mode), the metric
  of JointBERT (Chen et al., 2019) and of most joint intent/slot papers. seqeval is called
  directly: ``evaluate.load("seqeval")`` needs the network to fetch its metric script.
* Frame (sentence) accuracy counts an utterance right only when its intent and every slot
  tag are right (Goo et al., 2018, "Slot-Gated Modeling for Joint Slot Filling and Intent
  Prediction").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

# The ignore index and the `O` id are tag vocabulary, defined once in `hf_transfer.tagging`.
from .tagging import IGNORE_INDEX, outside_tag_id  # noqa: F401


__all__ = [
    "IGNORE_INDEX",
    "classification_compute_metrics",
    "compute_joint_metrics",
    "frame_accuracy",
    "intent_accuracy",
    "make_joint_compute_metrics",
    "mean_confidence_interval",
    "slot_f1",
    "slot_precision_recall_f1",
]


def _as_list(x) -> list:
    if hasattr(x, "tolist"):
        return x.tolist()
    return list(x)


def intent_accuracy(preds: Sequence, labels: Sequence) -> float:
    """Fraction of utterances whose predicted intent (id or name) equals the gold one."""
    preds, labels = _as_list(preds), _as_list(labels)
    if len(preds) != len(labels):
        raise ValueError(f"intent_accuracy: {len(preds)} predictions for {len(labels)} labels")
    if not labels:
        raise ValueError("intent_accuracy: no examples")
    return sum(p == y for p, y in zip(preds, labels)) / len(labels)


def _check_tag_lists(pred_tags, true_tags, fn: str) -> tuple[list, list]:
    pred_tags, true_tags = [list(p) for p in pred_tags], [list(t) for t in true_tags]
    if len(pred_tags) != len(true_tags):
        raise ValueError(f"{fn}: {len(pred_tags)} predicted sequences for {len(true_tags)} gold sequences")
    for i, (p, t) in enumerate(zip(pred_tags, true_tags)):
        if len(p) != len(t):
            raise ValueError(f"{fn}: sequence {i} has {len(p)} predicted tags for {len(t)} gold tags")
    return pred_tags, true_tags


def slot_precision_recall_f1(
    pred_tags: Sequence[Sequence[str]],
    true_tags: Sequence[Sequence[str]],
    *,
    mode: str | None = None,
    scheme=None,
) -> tuple[float, float, float]:
    """Entity-level micro precision, recall and F1 (fractions) with seqeval.

    ``mode=None`` is conlleval's lenient chunking (an ``I-`` after ``O`` starts an entity);
    pass ``mode="strict", scheme=seqeval.scheme.IOB2`` (or ``IOBES``) for strict matching.
    """
    from seqeval.metrics import f1_score, precision_score, recall_score

    pred_tags, true_tags = _check_tag_lists(pred_tags, true_tags, "slot_f1")
    kw = {"average": "micro", "zero_division": 0}
    if mode is not None:
        kw["mode"] = mode
    if scheme is not None:
        kw["scheme"] = scheme
    return (
        float(precision_score(true_tags, pred_tags, **kw)),
        float(recall_score(true_tags, pred_tags, **kw)),
        float(f1_score(true_tags, pred_tags, **kw)),
    )


def slot_f1(pred_tags: Sequence[Sequence[str]], true_tags: Sequence[Sequence[str]], **kwargs) -> float:
    """Entity-level micro F1 (fraction) of BIO/BIOES tag sequences, with seqeval."""
    return slot_precision_recall_f1(pred_tags, true_tags, **kwargs)[2]


def frame_accuracy(
    intent_preds: Sequence | None,
    intent_labels: Sequence | None,
    slot_preds: Sequence[Sequence],
    slot_labels: Sequence[Sequence],
) -> float:
    """Fraction of utterances with the intent and all slot tags right (tags only when the
    intents are ``None``, i.e. sentence accuracy of a tagger)."""
    slot_preds, slot_labels = _check_tag_lists(slot_preds, slot_labels, "frame_accuracy")
    if not slot_labels:
        raise ValueError("frame_accuracy: no examples")
    if intent_preds is None:
        intent_ok = [True] * len(slot_labels)
    else:
        intent_preds, intent_labels = _as_list(intent_preds), _as_list(intent_labels)
        if not len(intent_preds) == len(intent_labels) == len(slot_labels):
            raise ValueError(
                f"frame_accuracy: {len(intent_preds)} intent predictions, {len(intent_labels)} intent labels, "
                f"{len(slot_labels)} slot sequences; expected one of each per utterance"
            )
        intent_ok = [p == y for p, y in zip(intent_preds, intent_labels)]
    return sum(ok and p == t for ok, p, t in zip(intent_ok, slot_preds, slot_labels)) / len(slot_labels)


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
    """Intent accuracy, slot precision/recall/F1 and frame accuracy, in percent (0-100).

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
        out["intent_accuracy"] = 100.0 * intent_accuracy(intent_preds, intent_labels)
    p, r, f = slot_precision_recall_f1(pred_tags, true_tags)
    out["slot_precision"], out["slot_recall"], out["slot_f1"] = 100.0 * p, 100.0 * r, 100.0 * f
    out["frame_accuracy"] = 100.0 * frame_accuracy(intent_preds, intent_labels, pred_tags, true_tags)
    return out


def mean_confidence_interval(accuracies: Sequence[float], z: float = 1.96) -> tuple[float, float]:
    """Mean and 95% confidence half-width ``z * std / sqrt(n)`` over few-shot episodes.

    ``std`` is the population standard deviation (``ddof=0``), as in the few-shot literature
    (e.g. the episode evaluation code of Chen et al., 2019, "A Closer Look at Few-shot
    Classification", and Prototypical Networks implementations), so figures compare with
    published ``mean +- half_width`` numbers. One value gives a half-width of 0.
    """
    values = np.asarray(list(accuracies), dtype=np.float64)
    if values.size == 0:
        raise ValueError("mean_confidence_interval: no accuracies given")
    if not np.all(np.isfinite(values)):
        raise ValueError("mean_confidence_interval: accuracies contain NaN or inf")
    return float(values.mean()), float(z * values.std(ddof=0) / math.sqrt(values.size))


def classification_compute_metrics(eval_pred) -> dict[str, float]:
    """``Trainer(compute_metrics=classification_compute_metrics)`` for sentence classification:
    accuracy and macro F1 in percent. Takes an ``EvalPrediction`` (or ``(logits, labels)``);
    labels equal to -100 are ignored."""
    from sklearn.metrics import f1_score

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
    return {
        "accuracy": 100.0 * float((preds == labels).mean()),
        "macro_f1": 100.0 * float(f1_score(labels, preds, average="macro", zero_division=0)),
    }


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
