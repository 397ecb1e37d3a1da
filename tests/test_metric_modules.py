"""The metrics as `evaluate` modules shipped in the package (`hf_transfer/metrics/<name>/<name>.py`):
they load offline from the package path (and from an installed wheel), and every ``compute_metrics``
of the library, now computed through them, gives exactly the figures of the implementation they
replaced (kept below, in this test only, as the reference) on random and edge-case inputs."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from transformers import EvalPrediction

from hf_transfer import metrics
from hf_transfer.metrics import METRIC_NAMES, load_metric, metric_path
from hf_transfer.models.multitask import make_compute_metrics


ROOT = Path(__file__).resolve().parents[1]
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


# ---------------------------------------------------------------------------------------------
# reference: the implementation before the evaluate modules (hf_transfer/metrics.py, the intent-only
# branch of multitask `make_compute_metrics`, the accuracy / ci95 lines of `evaluate_episodes`)
# ---------------------------------------------------------------------------------------------


def _ref_as_list(x):
    return x.tolist() if hasattr(x, "tolist") else list(x)


def ref_intent_accuracy(preds, labels):
    preds, labels = _ref_as_list(preds), _ref_as_list(labels)
    if len(preds) != len(labels):
        raise ValueError(f"intent_accuracy: {len(preds)} predictions for {len(labels)} labels")
    if not labels:
        raise ValueError("intent_accuracy: no examples")
    return sum(p == y for p, y in zip(preds, labels)) / len(labels)


def _ref_check_tag_lists(pred_tags, true_tags, fn):
    pred_tags, true_tags = [list(p) for p in pred_tags], [list(t) for t in true_tags]
    if len(pred_tags) != len(true_tags):
        raise ValueError(f"{fn}: {len(pred_tags)} predicted sequences for {len(true_tags)} gold sequences")
    for i, (p, t) in enumerate(zip(pred_tags, true_tags)):
        if len(p) != len(t):
            raise ValueError(f"{fn}: sequence {i} has {len(p)} predicted tags for {len(t)} gold tags")
    return pred_tags, true_tags


def ref_slot_precision_recall_f1(pred_tags, true_tags, *, mode=None, scheme=None):
    from seqeval.metrics import f1_score, precision_score, recall_score

    pred_tags, true_tags = _ref_check_tag_lists(pred_tags, true_tags, "slot_f1")
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


def ref_frame_accuracy(intent_preds, intent_labels, slot_preds, slot_labels):
    slot_preds, slot_labels = _ref_check_tag_lists(slot_preds, slot_labels, "frame_accuracy")
    if not slot_labels:
        raise ValueError("frame_accuracy: no examples")
    if intent_preds is None:
        intent_ok = [True] * len(slot_labels)
    else:
        intent_preds, intent_labels = _ref_as_list(intent_preds), _ref_as_list(intent_labels)
        if not len(intent_preds) == len(intent_labels) == len(slot_labels):
            raise ValueError("frame_accuracy: lengths")
        intent_ok = [p == y for p, y in zip(intent_preds, intent_labels)]
    return sum(ok and p == t for ok, p, t in zip(intent_ok, slot_preds, slot_labels)) / len(slot_labels)


def _ref_to_name(x, id2x):
    if id2x is None or isinstance(x, str):
        return x
    return id2x[int(x)]


def _ref_strip_ignored(slot_preds, slot_labels, id2tag, ignore_index):
    if isinstance(slot_preds, np.ndarray) and slot_preds.ndim == 3:
        slot_preds = slot_preds.argmax(-1)
    slot_preds, slot_labels = _ref_as_list(slot_preds), _ref_as_list(slot_labels)
    if len(slot_preds) != len(slot_labels):
        raise ValueError("compute_joint_metrics: lengths")
    preds_out, labels_out = [], []
    for p, y in zip(slot_preds, slot_labels):
        p, y = _ref_as_list(p), _ref_as_list(y)
        kept = [b for b in y if b != ignore_index]
        if len(p) == len(y):
            pairs = [(a, b) for a, b in zip(p, y) if b != ignore_index]
        elif len(p) == len(kept):
            pairs = list(zip(p, kept))
        else:
            raise ValueError("compute_joint_metrics: sequence lengths")
        preds_out.append([_ref_to_name(a, id2tag) for a, _ in pairs])
        labels_out.append([_ref_to_name(b, id2tag) for _, b in pairs])
    return preds_out, labels_out


def ref_compute_joint_metrics(intent_preds, intent_labels, slot_preds, slot_labels, id2intent=None, id2tag=None, *, ignore_index=-100):
    pred_tags, true_tags = _ref_strip_ignored(slot_preds, slot_labels, id2tag, ignore_index)
    out = {}
    if intent_preds is not None:
        if isinstance(intent_preds, np.ndarray) and intent_preds.ndim == 2:
            intent_preds = intent_preds.argmax(-1)
        intent_preds = [_ref_to_name(x, id2intent) for x in _ref_as_list(intent_preds)]
        intent_labels = [_ref_to_name(x, id2intent) for x in _ref_as_list(intent_labels)]
        out["intent_accuracy"] = 100.0 * ref_intent_accuracy(intent_preds, intent_labels)
    p, r, f = ref_slot_precision_recall_f1(pred_tags, true_tags)
    out["slot_precision"], out["slot_recall"], out["slot_f1"] = 100.0 * p, 100.0 * r, 100.0 * f
    out["frame_accuracy"] = 100.0 * ref_frame_accuracy(intent_preds, intent_labels, pred_tags, true_tags)
    return out


def ref_mean_confidence_interval(accuracies, z=1.96):
    values = np.asarray(list(accuracies), dtype=np.float64)
    if values.size == 0:
        raise ValueError("mean_confidence_interval: no accuracies given")
    if not np.all(np.isfinite(values)):
        raise ValueError("mean_confidence_interval: accuracies contain NaN or inf")
    return float(values.mean()), float(z * values.std(ddof=0) / math.sqrt(values.size))


def ref_classification_compute_metrics(eval_pred):
    from sklearn.metrics import f1_score

    if hasattr(eval_pred, "predictions"):
        logits, labels = eval_pred.predictions, eval_pred.label_ids
    else:
        logits, labels = eval_pred
    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    logits, labels = np.asarray(logits), np.asarray(labels).reshape(-1)
    preds = logits.argmax(-1) if logits.ndim > 1 else logits
    keep = labels != -100
    preds, labels = preds[keep], labels[keep]
    if labels.size == 0:
        raise ValueError("classification_compute_metrics: no labelled examples")
    return {
        "accuracy": 100.0 * float((preds == labels).mean()),
        "macro_f1": 100.0 * float(f1_score(labels, preds, average="macro", zero_division=0)),
    }


def _ref_align_tag_paths(paths, labels, outside_id=0, ignore_index=-100):
    paths, labels = np.asarray(paths), np.asarray(labels)
    n, w = labels.shape
    out = np.full((n, w), ignore_index, dtype=np.int64)
    k = min(w, paths.shape[1])
    out[:, :k] = paths[:, :k]
    out[(out == ignore_index) & (labels != ignore_index)] = outside_id
    return out


def _ref_outside_id(id2tag):
    names = list(id2tag.values()) if isinstance(id2tag, dict) else list(id2tag or [])
    keys = list(id2tag.keys()) if isinstance(id2tag, dict) else list(range(len(names)))
    return int(keys[names.index("O")]) if "O" in names else 0


def ref_make_joint_compute_metrics(id2intent, id2tag, *, ignore_index=-100):
    def compute_metrics(eval_pred):
        preds, labels = eval_pred.predictions, eval_pred.label_ids
        if isinstance(preds, (tuple, list)) and len(preds) >= 2:
            intent_logits, slot_logits = preds[0], preds[1]
            intent_labels, slot_labels = labels[0], labels[1]
        else:
            intent_logits = intent_labels = None
            slot_logits, slot_labels = (preds[0] if isinstance(preds, (tuple, list)) else preds), labels
        slot_logits, slot_labels = np.asarray(slot_logits), np.asarray(slot_labels)
        if slot_logits.ndim == 2:
            slot_logits = _ref_align_tag_paths(slot_logits, slot_labels, _ref_outside_id(id2tag), ignore_index)
        return ref_compute_joint_metrics(
            None if intent_logits is None else np.asarray(intent_logits),
            None if intent_labels is None else np.asarray(intent_labels),
            np.asarray(slot_logits), np.asarray(slot_labels), id2intent, id2tag, ignore_index=ignore_index,
        )

    return compute_metrics


def ref_multitask_compute_metrics(config):
    id2intent = dict(config.id2label) if config.predicts_intent else None
    id2tag = dict(config.id2tag or {})
    outside_id = _ref_outside_id(id2tag)

    def compute_metrics(eval_pred):
        preds, labels = eval_pred.predictions, eval_pred.label_ids
        preds = list(preds) if isinstance(preds, (tuple, list)) else [preds]
        labels = list(labels) if isinstance(labels, (tuple, list)) else [labels]
        intent_logits = preds.pop(0) if config.predicts_intent else None
        tag_paths = preds[-1] if config.predicts_slots else None
        if len(labels) == 2:
            intent_labels, slot_labels = labels
        elif config.predicts_intent and not config.predicts_slots:
            intent_labels, slot_labels = labels[0], None
        else:
            intent_labels, slot_labels = None, labels[0]
        if tag_paths is None or slot_labels is None:
            return {"intent_accuracy": 100.0 * ref_intent_accuracy(np.asarray(intent_logits).argmax(-1).tolist(), np.asarray(intent_labels).tolist())}
        if intent_labels is None:
            intent_logits = None
        return ref_compute_joint_metrics(
            None if intent_logits is None else np.asarray(intent_logits).argmax(-1),
            None if intent_labels is None else np.asarray(intent_labels),
            _ref_align_tag_paths(tag_paths, slot_labels, outside_id), np.asarray(slot_labels), id2intent, id2tag,
        )

    return compute_metrics


def ref_episode_result(episode_predictions, episode_labels):
    accuracies = [float(np.mean(np.asarray(p) == np.asarray(y))) for p, y in zip(episode_predictions, episode_labels)]
    mean, half = ref_mean_confidence_interval(accuracies)
    return {"accuracy": 100 * mean, "ci95": 100 * half, "accuracies": accuracies}


# ---------------------------------------------------------------------------------------------
# random and edge-case inputs
# ---------------------------------------------------------------------------------------------

SCHEMES = {
    "BIO": ["O", "B-city", "I-city", "B-date", "I-date", "B-name", "I-name"],
    "BIOES": ["O", "B-city", "I-city", "E-city", "S-city", "B-date", "I-date", "E-date", "S-date"],
}


def _vocab(rng, scheme):
    tags = list(SCHEMES[scheme])
    rng.shuffle(tags)  # the O id is not always 0
    return dict(enumerate(tags)) if rng.random() < 0.5 else tags


def _labels(rng, n, width, num_tags, p_outside, outside_id):
    """Tag ids with -100 at special tokens, continuation sub-tokens and padding."""
    labels = np.where(rng.random((n, width)) < p_outside, outside_id, rng.integers(0, num_tags, (n, width)))
    labels[rng.random((n, width)) < 0.15] = -100
    labels[:, 0] = -100  # [CLS]
    for i in range(n):
        labels[i, rng.integers(1, width + 1):] = -100  # padding
    return labels


def _joint_case(rng, n=None, scheme=None, p_outside=None):
    scheme = scheme or rng.choice(list(SCHEMES))
    id2tag = _vocab(rng, scheme)
    names = list(id2tag.values()) if isinstance(id2tag, dict) else id2tag
    outside_id = names.index("O")
    n = int(rng.integers(1, 12)) if n is None else n
    width = int(rng.integers(2, 9))
    p_outside = rng.uniform(0.2, 0.9) if p_outside is None else p_outside
    labels = _labels(rng, n, width, len(names), p_outside, outside_id)
    # predictions: gold with random corruptions (so that scores vary)
    ids = np.where(rng.random((n, width)) < rng.uniform(0, 0.6), rng.integers(0, len(names), (n, width)), np.maximum(labels, 0))
    if p_outside >= 1.0:
        ids = np.full_like(ids, outside_id)
    num_intents = int(rng.integers(2, 5))
    id2intent = {i: f"intent_{i}" for i in range(num_intents)}
    intent_labels = rng.integers(0, num_intents, n)
    intent_preds = np.where(rng.random(n) < 0.3, rng.integers(0, num_intents, n), intent_labels)
    return SimpleNamespace(id2tag=id2tag, names=names, outside_id=outside_id, labels=labels, ids=ids, id2intent=id2intent,
                           intent_labels=intent_labels, intent_preds=intent_preds, num_intents=num_intents)


def _one_hot(ids, k, rng):
    return np.eye(k)[ids] + rng.uniform(0, 0.5, ids.shape + (k,))


def _paths(case, rng):
    """CRF decoded paths: one id per labelled word, left-aligned, -100 padded, sometimes narrower."""
    out = []
    for p, y in zip(case.ids, case.labels):
        out.append([a for a, b in zip(p, y) if b != -100])
    width = max(1, max(map(len, out)) - int(rng.integers(0, 2)))
    paths = np.full((len(out), width), -100)
    for i, row in enumerate(out):
        paths[i, : min(len(row), width)] = row[:width]
    return paths


def _outcome(fn, *args, **kwargs):
    """The result, or the exception's type (what both implementations must agree on)."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError) as e:
        return type(e)


@pytest.mark.parametrize("seed", range(40))
def test_compute_joint_metrics_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    case = _joint_case(rng, p_outside=1.0 if seed % 10 == 9 else None)
    k = len(case.names)
    variants = [
        (case.intent_preds, case.intent_labels, case.ids, case.labels, case.id2intent, case.id2tag),
        (_one_hot(case.intent_preds, case.num_intents, rng), case.intent_labels, _one_hot(case.ids, k, rng), case.labels, case.id2intent, case.id2tag),
        (case.intent_preds, case.intent_labels, case.ids, case.labels, None, case.id2tag),  # intent ids compared as ids
        (None, None, case.ids, case.labels, None, case.id2tag),  # a tagger
        (case.intent_preds, case.intent_labels, [[a for a, b in zip(p, y) if b != -100] for p, y in zip(case.ids, case.labels)],
         case.labels, case.id2intent, case.id2tag),  # CRF output: labelled positions only
    ]
    names = [[case.names[a] for a in row] for row in case.ids.tolist()]
    gold = [[case.names[b] if b != -100 else -100 for b in row] for row in case.labels.tolist()]
    variants.append(([case.id2intent[i] for i in case.intent_preds], [case.id2intent[i] for i in case.intent_labels],
                     names, gold, None, None))  # names need no maps
    for args in variants:
        new, ref = metrics.compute_joint_metrics(*args), ref_compute_joint_metrics(*args)
        assert new == ref, (args, new, ref)  # exactly: same floats, not approximately


@pytest.mark.parametrize("seed", range(20))
def test_trainer_compute_metrics_equal_the_reference(seed):
    rng = np.random.default_rng(1000 + seed)
    case = _joint_case(rng)
    k = len(case.names)
    slot_logits = _one_hot(case.ids, k, rng)
    intent_logits = _one_hot(case.intent_preds, case.num_intents, rng)
    paths = _paths(case, rng)
    joint, ref_joint = metrics.make_joint_compute_metrics(case.id2intent, case.id2tag), ref_make_joint_compute_metrics(case.id2intent, case.id2tag)
    tagger, ref_tagger = metrics.make_joint_compute_metrics(None, case.id2tag), ref_make_joint_compute_metrics(None, case.id2tag)
    for fn, ref, pred in [
        (joint, ref_joint, EvalPrediction(predictions=(intent_logits, slot_logits), label_ids=(case.intent_labels, case.labels))),
        (joint, ref_joint, EvalPrediction(predictions=(intent_logits, paths), label_ids=(case.intent_labels, case.labels))),
        (tagger, ref_tagger, EvalPrediction(predictions=slot_logits, label_ids=case.labels)),
        (tagger, ref_tagger, EvalPrediction(predictions=(paths,), label_ids=case.labels)),
    ]:
        assert fn(pred) == ref(pred)

    # the multi-task model's compute_metrics (intent logits, slot emissions, decoded tag paths)
    id2tag = case.id2tag if isinstance(case.id2tag, dict) else dict(enumerate(case.id2tag))
    for predicts_intent, predicts_slots in [(True, True), (False, True), (True, False)]:
        config = SimpleNamespace(predicts_intent=predicts_intent, predicts_slots=predicts_slots, id2label=case.id2intent, id2tag=id2tag)
        preds = ((intent_logits,) if predicts_intent else ()) + ((slot_logits, paths) if predicts_slots else ())
        labels = ((case.intent_labels,) if predicts_intent else ()) + ((case.labels,) if predicts_slots else ())
        pred = EvalPrediction(predictions=preds if len(preds) > 1 else preds[0], label_ids=labels if len(labels) > 1 else labels[0])
        assert make_compute_metrics(config)(pred) == ref_multitask_compute_metrics(config)(pred)


@pytest.mark.parametrize("seed", range(20))
def test_classification_compute_metrics_equals_the_reference(seed):
    rng = np.random.default_rng(2000 + seed)
    n, k = int(rng.integers(1, 40)), int(rng.integers(2, 7))
    labels = rng.integers(0, k, n)
    labels[rng.random(n) < 0.2] = -100
    labels[int(rng.integers(0, n))] = int(rng.integers(0, k))  # at least one labelled
    logits = rng.normal(size=(n, k))
    for pred in [EvalPrediction(predictions=logits, label_ids=labels), (logits, labels), ((logits, logits[:, :1]), labels),
                 (logits.argmax(-1), labels), (logits, labels.reshape(-1, 1))]:
        assert metrics.classification_compute_metrics(pred) == ref_classification_compute_metrics(pred)


def test_edge_cases_equal_the_reference():
    id2tag = {0: "O", 1: "B-city", 2: "I-city", 3: "E-city", 4: "S-city"}
    id2intent = {0: "flight", 1: "fare"}
    empty = np.zeros((0, 4), dtype=np.int64)
    all_ignored = np.full((2, 3), -100)
    cases = [
        # nothing at all: "no examples" (with intents), seqeval's TypeError (a tagger)
        (np.zeros(0, np.int64), np.zeros(0, np.int64), empty, empty, id2intent, id2tag),
        (None, None, empty, empty, None, id2tag),
        # every position -100: empty tag lists, frames right by intent alone
        (np.array([0, 1]), np.array([0, 0]), all_ignored, all_ignored, id2intent, id2tag),
        (None, None, all_ignored, all_ignored, None, id2tag),
        # all O: no entity anywhere, precision / recall / F1 0 (zero_division=0), frames right
        (np.array([1]), np.array([1]), np.zeros((1, 5), np.int64), np.zeros((1, 5), np.int64), id2intent, id2tag),
        # BIOES: a whole span, a single, a broken span (B without E), lenient I- after O
        (None, None, np.array([[1, 2, 3, 4, 0, 2]]), np.array([[1, 2, 3, 4, 0, 2]]), None, id2tag),
        (None, None, np.array([[1, 2, 0, 4, 4, -100]]), np.array([[1, 2, 3, 4, 0, -100]]), None, id2tag),
        # length mismatches
        (np.array([0, 1, 1]), np.array([0, 1]), np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64), id2intent, id2tag),
        (np.array([0, 1, 1]), np.array([0, 1, 0]), np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64), id2intent, id2tag),
        (None, None, [[0, 1, 2], [3, 1, 0, 0]], np.array([[-100, 0, 1, 2, -100], [-100, 3, 0, -100, -100]]), None, id2tag),
    ]
    for args in cases:
        new, ref = _outcome(metrics.compute_joint_metrics, *args), _outcome(ref_compute_joint_metrics, *args)
        assert new == ref, (args, new, ref)
    # the messages of "no examples" are today's too
    with pytest.raises(ValueError, match="intent_accuracy: no examples"):
        metrics.compute_joint_metrics(*cases[0])
    with pytest.raises(ValueError, match="classification_compute_metrics: no labelled examples"):
        metrics.classification_compute_metrics((np.ones((2, 3)), np.array([-100, -100])))
    with pytest.raises(ValueError, match="mean_confidence_interval: no accuracies given"):
        load_metric("episode_accuracy").compute(predictions=[], references=[])


def test_episode_accuracy_equals_the_reference():
    rng = np.random.default_rng(7)
    module = load_metric("episode_accuracy")
    for n_episodes in (1, 2, 5, 600):
        queries = int(rng.integers(1, 80))
        refs = [rng.integers(0, 5, queries).tolist() for _ in range(n_episodes)]
        preds = [[y if rng.random() < 0.7 else int(rng.integers(0, 5)) for y in ep] for ep in refs]
        result, ref = module.compute(predictions=preds, references=refs), ref_episode_result(preds, refs)
        assert 100 * result["accuracy"] == ref["accuracy"] and 100 * result["ci95"] == ref["ci95"]
        assert result["accuracies"] == ref["accuracies"]
        named = module.compute(predictions=[[f"c{p}" for p in ep] for ep in preds], references=[[f"c{y}" for y in ep] for ep in refs])
        assert named == result
    assert module.compute(predictions=[[1, 2]], references=[[1, 0]]) == {"accuracy": 0.5, "ci95": 0.0, "accuracies": [0.5]}


def test_evaluate_episodes_equals_the_reference():
    from datasets import ClassLabel, Dataset, Features, Value

    from hf_transfer.data.episodes import EpisodeSampler
    from hf_transfer.training.episodic import evaluate_episodes

    ds = Dataset.from_dict({"text": [f"w{c} x{i}" for c in range(4) for i in range(6)], "label": [c for c in range(4) for _ in range(6)]},
                           features=Features({"text": Value("string"), "label": ClassLabel(names=list("abcd"))}))

    class Noisy:  # a seeded guesser that records what it predicted, episode by episode
        def __init__(self):
            self.rng, self.seen = np.random.default_rng(3), []

        def fit_support(self, texts, labels):
            self.labels = sorted(set(labels))
            return self

        def predict(self, texts):
            out = np.asarray(self.rng.choice(self.labels, size=len(texts)))
            self.seen.append(out)
            return out

    sampler = EpisodeSampler(ds, n_way=3, n_shot=2, n_query=3, n_episodes=9, seed=11)
    model = Noisy()
    result = evaluate_episodes(model, sampler)
    gold = [sampler.episode(i).query_labels for i in range(9)]
    ref = ref_episode_result(model.seen, gold)
    assert {k: result[k] for k in ("accuracy", "ci95", "accuracies")} == ref and result["n_episodes"] == 9
    assert 0 < result["accuracy"] < 100 and result["ci95"] > 0


def test_slot_f1_module_schemes_equal_the_reference():
    from seqeval.scheme import IOB2, IOBES

    module = load_metric("slot_f1")
    pred = [["B-E", "E-E", "S-P", "I-X"], ["O", "I-LOC", "B-LOC"]]
    gold = [["B-E", "E-E", "O", "I-X"], ["O", "I-LOC", "I-LOC"]]
    bio = [["B-E", "I-E", "B-P", "I-X"], ["O", "I-LOC", "B-LOC"]]
    bio_gold = [["B-E", "I-E", "O", "B-X"], ["O", "B-LOC", "I-LOC"]]
    for p, g, kw in [(pred, gold, {}), (pred, gold, {"mode": "strict", "scheme": IOBES}), (bio, bio_gold, {}),
                     (bio, bio_gold, {"mode": "strict", "scheme": IOB2})]:
        p_, r_, f_ = ref_slot_precision_recall_f1(p, g, **kw)
        assert module.compute(predictions=p, references=g, **kw) == {"precision": p_, "recall": r_, "f1": f_}
        if "scheme" in kw:  # the scheme's name works too
            assert module.compute(predictions=p, references=g, mode="strict", scheme=kw["scheme"].__name__)["f1"] == f_


def test_frame_and_intent_modules_take_ids_or_names():
    frames = load_metric("frame_accuracy")
    pred = [{"intent": 1, "tags": ["O", "B-city"]}, {"intent": 0, "tags": []}, {"intent": 0, "tags": ["B-date"]}]
    gold = [{"intent": 1, "tags": ["O", "B-city"]}, {"intent": 1, "tags": []}, {"intent": 0, "tags": ["O"]}]
    assert frames.compute(predictions=pred, references=gold)["accuracy"] == pytest.approx(1 / 3)
    named = [[{"intent": f"i{f['intent']}", "tags": f["tags"]} for f in frs] for frs in (pred, gold)]
    assert frames.compute(predictions=named[0], references=named[1])["accuracy"] == pytest.approx(1 / 3)
    tags_only = frames.compute(predictions=[f["tags"] for f in pred], references=[f["tags"] for f in gold])
    assert tags_only["accuracy"] == pytest.approx(2 / 3)
    intents = load_metric("intent_accuracy")
    assert intents.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2]) == {"accuracy": 0.75}
    assert intents.compute(predictions=["a", "b"], references=["a", "a"], macro_f1=True) == {"accuracy": 0.5, "macro_f1": pytest.approx(1 / 3)}
    with pytest.raises(ValueError):
        intents.compute(predictions=[0, 1, 1], references=[0, 1])


def test_a_failed_compute_does_not_leak_into_the_next():
    """`evaluate` keeps the writer (and the feature option it chose) of a compute that failed on bad
    input; `load_metric` hands out a new instance each time, so the library's next call is clean."""
    with pytest.raises(ValueError):
        load_metric("intent_accuracy").compute(predictions=[0, 1, 1], references=[0, 1])
    assert load_metric("intent_accuracy").compute(predictions=["a", "b"], references=["a", "a"]) == {"accuracy": 0.5}
    with pytest.raises(ValueError):
        metrics.compute_joint_metrics([0, 1, 1], [0, 1], [["O"], ["O"]], [["O"], ["O"]])
    assert metrics.compute_joint_metrics(["x", "y"], ["x", "x"], [["O"], ["O"]], [["O"], ["O"]])["intent_accuracy"] == 50.0


# ---------------------------------------------------------------------------------------------
# the modules: layout, loading, offline
# ---------------------------------------------------------------------------------------------


def test_layout_and_accessor():
    import evaluate

    package = Path(metrics.__file__).parent
    folders = sorted(p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == sorted(METRIC_NAMES)
    for name in METRIC_NAMES:
        path = Path(metric_path(name))
        assert path.parent == package and (path / f"{name}.py").is_file()
        assert not (path / "__init__.py").exists()  # data folders, not subpackages shadowing `metrics.slot_f1` & co
        module = load_metric(name)
        assert isinstance(module, evaluate.Metric) and type(module) is type(load_metric(name))  # loaded once
        assert module is not load_metric(name)  # a new instance each time: no state shared between callers
        assert module.name == name and module.description.strip() and module.citation.strip() and module.features
    # the public functions keep their names (no folder import shadows them)
    assert metrics.slot_f1([["B-a"]], [["B-a"]]) == 1.0 and callable(metrics.intent_accuracy) and callable(metrics.frame_accuracy)
    with pytest.raises(ValueError, match="unknown metric 'bleu'"):
        metric_path("bleu")


OFFLINE_CHECK = r"""
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network access attempted")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

import evaluate
import hf_transfer
from hf_transfer.metrics import METRIC_NAMES, load_metric, metric_path

inputs = {
    "intent_accuracy": dict(predictions=["a", "b"], references=["a", "a"], macro_f1=True),
    "slot_f1": dict(predictions=[["B-city", "O"]], references=[["B-city", "I-city"]]),
    "frame_accuracy": dict(predictions=[{"intent": 0, "tags": ["O"]}], references=[{"intent": 0, "tags": ["O"]}]),
    "episode_accuracy": dict(predictions=[[0, 1], [1, 1]], references=[[0, 1], [0, 1]]),
}
out = {"package": hf_transfer.__file__, "results": {}, "paths": {}, "modules": {}}
for name in METRIC_NAMES:
    fresh = evaluate.load(metric_path(name))  # the plain evaluate call, not only the accessor
    out["results"][name] = [fresh.compute(**inputs[name]), load_metric(name).compute(**inputs[name])]
    out["paths"][name] = metric_path(name)
    out["modules"][name] = sys.modules[type(fresh).__module__].__file__
print(json.dumps(out))
"""


def _offline_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update(OFFLINE, HF_HOME=str(tmp_path / "hf_home"), HF_MODULES_CACHE=str(tmp_path / "modules"), OMP_NUM_THREADS="1", **extra)
    return env


def _check_offline_result(result, tmp_path, package_root):
    assert Path(result["package"]).resolve().is_relative_to(Path(package_root).resolve()), result["package"]
    for name in METRIC_NAMES:
        assert Path(result["paths"][name]).resolve().is_relative_to(Path(package_root).resolve())
        # evaluate imported a copy of the script from its modules cache (a fresh one: nothing cached before)
        assert Path(result["modules"][name]).resolve().is_relative_to((tmp_path / "modules").resolve()), result["modules"][name]
        fresh, cached = result["results"][name]
        assert fresh == cached
    assert result["results"]["intent_accuracy"][0] == {"accuracy": 0.5, "macro_f1": pytest.approx(1 / 3)}
    assert result["results"]["slot_f1"][0] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert result["results"]["frame_accuracy"][0] == {"accuracy": 1.0}
    assert result["results"]["episode_accuracy"][0]["accuracies"] == [1.0, 0.5]


def test_modules_load_offline_from_the_package_path(tmp_path):
    """Offline (HF_*_OFFLINE=1, sockets refused) with an empty modules cache: `evaluate.load` of the
    package path copies the scripts into the cache and their absolute imports of `hf_transfer` work."""
    proc = subprocess.run([sys.executable, "-c", OFFLINE_CHECK], capture_output=True, text=True, timeout=300,
                          env=_offline_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check_offline_result(json.loads(proc.stdout.strip().splitlines()[-1]), tmp_path, ROOT / "hf_transfer")


@pytest.mark.slow
def test_wheel_ships_the_metric_modules(tmp_path):
    """The wheel (built from the sdist, as `python -m build` does) carries the four scripts, and the
    package unpacked from it loads them offline."""
    pytest.importorskip("setuptools", reason="building the wheel without build isolation needs setuptools")
    src, dist, site = tmp_path / "src", tmp_path / "dist", tmp_path / "site"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", "*.whl",
                                                             ".pytest_cache", ".cache", "runs", "outputs", "logs", ".venv", "venv"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INDEX="1", OMP_NUM_THREADS="1")

    def run(cmd, **kwargs):
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kwargs)
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout

    build_sdist = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    sdist = dist / run([sys.executable, "-c", build_sdist, dist], cwd=src, env=env).strip().splitlines()[-1]
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, sdist], cwd=tmp_path, env=env)
    (wheel,) = dist.glob("hf_transfer_learning-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        for name in METRIC_NAMES:
            assert f"hf_transfer/metrics/{name}/{name}.py" in names, names
        z.extractall(site)
    # The unpacked package comes first on sys.path; the repository's editable install (a meta-path
    # finder after the path finder) cannot shadow it.
    proc = subprocess.run([sys.executable, "-c", OFFLINE_CHECK], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=_offline_env(tmp_path, PYTHONPATH=str(site)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check_offline_result(json.loads(proc.stdout.strip().splitlines()[-1]), tmp_path, site / "hf_transfer")
