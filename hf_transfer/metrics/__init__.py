"""Metrics for intent detection, slot filling and few-shot evaluation, as `evaluate` modules.

The package ships four `evaluate` metric modules, one folder each, loaded offline from their path
inside the package (`load_metric(name)`: ``evaluate.load(metric_path(name))``, once per process):

* ``intent_accuracy``: fraction of utterances with the right intent (optionally macro F1 too).
* ``slot_f1``: seqeval's entity-level micro precision / recall / F1 (conlleval-compatible default
  mode, or strict with a scheme), the metric of JointBERT (Chen et al., 2019) and of most joint
  intent/slot papers. (The canonical ``evaluate.load("seqeval")`` would need the network.)
* ``frame_accuracy``: an utterance is right only when its intent and every slot tag are right
  (Goo et al., 2018, "Slot-Gated Modeling for Joint Slot Filling and Intent Prediction").
* ``episode_accuracy``: mean few-shot query accuracy over episodes with its 95% interval.

Layout: `functional` holds the arithmetic, once (plain functions, also exported here:
:func:`intent_accuracy`, :func:`slot_f1`, ... returning fractions in [0, 1] like scikit-learn and
seqeval); each module script computes through it; `compute` turns model outputs into module inputs
for the ``Trainer`` helpers, whose dicts (:func:`compute_joint_metrics`,
:func:`classification_compute_metrics`, :func:`make_joint_compute_metrics`) report percentages
(0-100), as the papers do.
"""

from __future__ import annotations

# The ignore index and the `O` id are tag vocabulary, defined once in `hf_transfer.tagging`.
from ..tagging import IGNORE_INDEX, outside_tag_id
from .compute import align_tag_paths, classification_compute_metrics, compute_joint_metrics, make_joint_compute_metrics
from .functional import (
    episode_accuracies,
    frame_accuracy,
    intent_accuracy,
    macro_f1,
    mean_confidence_interval,
    slot_f1,
    slot_precision_recall_f1,
)
from .loading import METRIC_NAMES, load_metric, metric_path


__all__ = [
    "IGNORE_INDEX",
    "METRIC_NAMES",
    "align_tag_paths",
    "classification_compute_metrics",
    "compute_joint_metrics",
    "episode_accuracies",
    "frame_accuracy",
    "intent_accuracy",
    "load_metric",
    "macro_f1",
    "make_joint_compute_metrics",
    "mean_confidence_interval",
    "metric_path",
    "outside_tag_id",
    "slot_f1",
    "slot_precision_recall_f1",
]
