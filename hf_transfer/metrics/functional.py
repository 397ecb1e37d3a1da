"""The metrics' arithmetic, written once: plain functions on Python lists (no `evaluate`).

The `evaluate` modules shipped in this package (`hf_transfer/metrics/<name>/<name>.py`) compute
through these functions, and so do the ``Trainer`` helpers (through the modules); the functions are
also public (`hf_transfer.metrics.slot_f1`, ...) for scoring without `evaluate`. All return
fractions in [0, 1], like scikit-learn and seqeval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


__all__ = [
    "episode_accuracies",
    "frame_accuracy",
    "intent_accuracy",
    "macro_f1",
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


def macro_f1(preds: Sequence, labels: Sequence) -> float:
    """Unweighted mean of the per-class F1 (scikit-learn's ``average="macro"``; a class with no
    prediction and no example scores 0)."""
    from sklearn.metrics import f1_score

    preds, labels = _as_list(preds), _as_list(labels)
    if len(preds) != len(labels):
        raise ValueError(f"macro_f1: {len(preds)} predictions for {len(labels)} labels")
    if not labels:
        raise ValueError("macro_f1: no examples")
    return float(f1_score(labels, preds, average="macro", zero_division=0))


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
    pass ``mode="strict", scheme=seqeval.scheme.IOB2`` (or ``IOBES``; the scheme's name as a
    string works too) for strict matching.
    """
    from seqeval.metrics import f1_score, precision_score, recall_score

    pred_tags, true_tags = _check_tag_lists(pred_tags, true_tags, "slot_f1")
    kw = {"average": "micro", "zero_division": 0}
    if mode is not None:
        kw["mode"] = mode
    if scheme is not None:
        if isinstance(scheme, str):
            import seqeval.scheme

            scheme = getattr(seqeval.scheme, scheme)
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


def episode_accuracies(predictions: Sequence[Sequence], references: Sequence[Sequence]) -> list[float]:
    """Query accuracy of each few-shot episode (one list of predicted and of gold labels per episode)."""
    predictions, references = _as_list(predictions), _as_list(references)
    if len(predictions) != len(references):
        raise ValueError(f"episode_accuracies: {len(predictions)} predicted episodes for {len(references)} labelled")
    out = []
    for i, (p, y) in enumerate(zip(predictions, references)):
        p, y = np.asarray(p), np.asarray(y)
        if p.shape != y.shape:
            raise ValueError(f"episode_accuracies: episode {i} has {len(p)} predictions for {len(y)} query labels")
        out.append(float(np.mean(p == y)))
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
