"""Metrics against hand-computed values (the `evaluate` modules: tests/test_metric_modules.py)."""

import math

import numpy as np
import pytest
from transformers import EvalPrediction

from hf_transfer.metrics import (
    classification_compute_metrics,
    compute_joint_metrics,
    episode_accuracies,
    frame_accuracy,
    intent_accuracy,
    macro_f1,
    make_joint_compute_metrics,
    mean_confidence_interval,
    slot_f1,
    slot_precision_recall_f1,
)


ID2TAG = {0: "O", 1: "B-city", 2: "I-city", 3: "B-date"}
ID2INTENT = {0: "flight", 1: "fare"}


def test_intent_accuracy():
    assert intent_accuracy([0, 1, 1, 2], [0, 1, 2, 2]) == 0.75
    assert intent_accuracy(np.array(["a", "b"]), ["a", "a"]) == 0.5
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        intent_accuracy([1, 2, 3], [1, 2])


def test_slot_f1_entity_level():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-LOC"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["O", "B-PER"]]
    # gold entities: PER(0-1), LOC(3), LOC(1); predicted: PER(0-1) right, PER(1) wrong
    p, r, f = slot_precision_recall_f1(pred, gold)
    assert (p, r) == (0.5, 1 / 3)
    assert f == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert slot_f1(pred, gold) == f
    # a partial span is wrong at entity level even though 1 of 2 tokens is right
    assert slot_f1([["B-PER", "O"]], [["B-PER", "I-PER"]]) == 0.0
    # conlleval-compatible default: an I- after O starts an entity
    assert slot_f1([["O", "B-LOC"]], [["O", "I-LOC"]]) == 1.0
    # BIOES tags (the seed NER set)
    assert slot_f1([["B-E", "E-E", "S-P"]], [["B-E", "E-E", "O"]]) == pytest.approx(2 / 3)
    assert slot_f1([["O"]], [["O"]]) == 0.0  # no entities at all: zero_division=0
    with pytest.raises(ValueError, match="sequence 0 has 1 predicted tags for 2 gold tags"):
        slot_f1([["O"]], [["O", "O"]])


def test_frame_accuracy():
    slots_gold = [["O", "B-city"], ["O"], ["B-date"]]
    slots_pred = [["O", "B-city"], ["O"], ["O"]]
    assert frame_accuracy([0, 1, 0], [0, 0, 0], slots_pred, slots_gold) == pytest.approx(1 / 3)
    assert frame_accuracy(None, None, slots_pred, slots_gold) == pytest.approx(2 / 3)


def test_compute_joint_metrics_ignores_minus_100():
    # padded label ids with -100 at special / continuation sub-tokens
    slot_labels = np.array([[-100, 0, 1, 2, -100], [-100, 3, 0, -100, -100]])
    slot_preds = np.array([[3, 0, 1, 2, 3], [1, 3, 1, 0, 0]])  # garbage at ignored positions
    intent_labels, intent_preds = [0, 1], [0, 0]
    out = compute_joint_metrics(intent_preds, intent_labels, slot_preds, slot_labels, ID2INTENT, ID2TAG)
    # kept: [O, B-city, I-city] vs gold same; [B-date, B-city] vs gold [B-date, O]
    # gold entities: city, date (2); predicted: city, date, city (3); correct: 2
    assert set(out) == {"intent_accuracy", "slot_precision", "slot_recall", "slot_f1", "frame_accuracy"}
    assert out["intent_accuracy"] == 50.0
    assert out["slot_precision"] == pytest.approx(200 / 3)
    assert out["slot_recall"] == 100.0
    assert out["slot_f1"] == pytest.approx(80.0)
    assert out["frame_accuracy"] == 50.0

    # logits give the same result; lists of names need no id maps
    intent_logits = np.eye(2)[intent_preds]
    slot_logits = np.eye(4)[slot_preds]
    assert (
        compute_joint_metrics(intent_logits, np.array(intent_labels), slot_logits, slot_labels, ID2INTENT, ID2TAG)
        == out
    )
    names = compute_joint_metrics(
        ["flight", "flight"],
        ["flight", "fare"],
        [["O", "B-city", "I-city"], ["B-date", "B-city"]],
        [["O", "B-city", "I-city"], ["B-date", "O"]],
    )
    assert names == pytest.approx(out)
    # CRF decode output: only the labelled positions
    crf = compute_joint_metrics(
        intent_preds, intent_labels, [[0, 1, 2], [3, 1]], slot_labels, ID2INTENT, ["O", "B-city", "I-city", "B-date"]
    )
    assert crf == pytest.approx(out)
    with pytest.raises(ValueError, match="sequence 1 has 4 predictions for 5 label positions"):
        compute_joint_metrics(intent_preds, intent_labels, [[0, 1, 2], [3, 1, 0, 0]], slot_labels, ID2INTENT, ID2TAG)


def test_compute_joint_metrics_tagger_only():
    out = compute_joint_metrics(None, None, [[1, 2], [0]], [[1, 2], [3]], id2tag=ID2TAG)
    assert "intent_accuracy" not in out
    assert out["frame_accuracy"] == 50.0
    assert out["slot_recall"] == 50.0 and out["slot_precision"] == 100.0


def test_mean_confidence_interval():
    mean, hw = mean_confidence_interval([0.5, 0.7])
    assert mean == pytest.approx(0.6)
    assert hw == pytest.approx(1.96 * 0.1 / math.sqrt(2))  # population std (ddof=0) = 0.1
    values = np.random.default_rng(0).uniform(60, 90, size=600)
    mean, hw = mean_confidence_interval(values)
    assert mean == pytest.approx(values.mean())
    assert hw == pytest.approx(1.96 * values.std(ddof=0) / math.sqrt(600))
    assert mean_confidence_interval([80.0]) == (80.0, 0.0)
    with pytest.raises(ValueError, match="no accuracies"):
        mean_confidence_interval([])


def test_classification_compute_metrics():
    logits = np.array([[2.0, 0.1, 0.0], [0.0, 3.0, 0.0], [0.0, 3.0, 0.0], [1.0, 0.0, 5.0]])
    labels = np.array([0, 1, 2, -100])
    out = classification_compute_metrics(EvalPrediction(predictions=logits, label_ids=labels))
    assert out["accuracy"] == pytest.approx(200 / 3)
    # per class F1 on the 3 labelled examples: class 0 1.0, class 1 2/3, class 2 0.0
    assert out["macro_f1"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)
    assert classification_compute_metrics((logits, labels)) == out


def test_make_joint_compute_metrics():
    fn = make_joint_compute_metrics(ID2INTENT, ID2TAG)
    slot_labels = np.array([[-100, 0, 1, 2, -100], [-100, 3, 0, -100, -100]])
    slot_logits = np.eye(4)[np.array([[3, 0, 1, 2, 3], [1, 3, 1, 0, 0]])]
    pred = EvalPrediction(predictions=(np.eye(2)[[0, 0]], slot_logits), label_ids=(np.array([0, 1]), slot_labels))
    out = fn(pred)
    assert out["intent_accuracy"] == 50.0 and out["slot_f1"] == pytest.approx(80.0)


def test_make_joint_compute_metrics_aligns_decoded_paths_to_the_outside_id():
    # Decoded paths ([n, words], -100 padded, narrower than the labels): a labelled word with no
    # prediction counts as "O", whose id is 2 here, not 0.
    import hf_transfer.tagging as tagging
    from hf_transfer import metrics

    assert metrics.IGNORE_INDEX is tagging.IGNORE_INDEX == -100
    assert metrics.outside_tag_id is tagging.outside_tag_id
    id2tag = {0: "B-city", 1: "I-city", 2: "O"}
    labels = np.array([[0, 1, 2], [0, 2, -100]])
    paths = np.array([[0, 1], [0, -100]])
    aligned = metrics.align_tag_paths(paths, labels, metrics.outside_tag_id(id2tag))
    assert aligned.tolist() == [[0, 1, 2], [0, 2, -100]]
    out = make_joint_compute_metrics(None, id2tag)(EvalPrediction(predictions=paths, label_ids=labels))
    assert out["slot_f1"] == 100.0 and out["frame_accuracy"] == 100.0
    # With O wrongly taken as id 0 the missing words would become B-city: not a perfect score.
    wrong = metrics.align_tag_paths(paths, labels, 0)
    assert metrics.compute_joint_metrics(None, None, wrong, labels, id2tag=id2tag)["slot_f1"] < 100.0


def test_strict_scheme_by_class_or_name():
    from seqeval.scheme import IOBES

    pred, gold = [["B-E", "I-E", "O"]], [["B-E", "E-E", "O"]]
    assert slot_f1(pred, gold) == 1.0  # lenient: same chunk
    assert slot_f1(pred, gold, mode="strict", scheme=IOBES) == 0.0  # B without E is no entity
    assert slot_f1(pred, gold, mode="strict", scheme="IOBES") == 0.0


def test_macro_f1_and_episode_accuracies():
    assert macro_f1([0, 1, 1], [0, 1, 2]) == pytest.approx((1 + 2 / 3 + 0) / 3)
    with pytest.raises(ValueError, match="no examples"):
        macro_f1([], [])
    assert episode_accuracies([[0, 1], [1, 1, 2, 2]], [[0, 0], [1, 1, 2, 0]]) == [0.5, 0.75]
    with pytest.raises(ValueError, match="episode 0 has 1 predictions for 2 query labels"):
        episode_accuracies([[0]], [[0, 1]])
