"""Layers written once and shared by every model family."""

from ..tagging import TransitionConstraints, allowed_transitions, bio_transition_mask
from .crf import CONSTRAINT_PENALTY, CRF
from .gradient_reversal import GradientReversal, GradientReversalFunction, dann_lambda_schedule, grad_reverse
from .heads import ClassificationHead, sequence_classification_loss
from .losses import DifferenceLoss, difference_loss, language_discriminator_accuracy


__all__ = [
    "CONSTRAINT_PENALTY",
    "CRF",
    "TransitionConstraints",
    "allowed_transitions",
    "bio_transition_mask",
    "ClassificationHead",
    "DifferenceLoss",
    "GradientReversal",
    "GradientReversalFunction",
    "dann_lambda_schedule",
    "difference_loss",
    "grad_reverse",
    "language_discriminator_accuracy",
    "sequence_classification_loss",
]
