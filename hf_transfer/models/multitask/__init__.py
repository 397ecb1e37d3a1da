from .configuration_multitask import SharedPrivateConfig
from .modeling_multitask import SharedPrivateForIntentAndSlotFilling, SharedPrivateOutput, make_compute_metrics
from .pipeline import IntentSlotPipeline, JointIntentSlotPipeline, predict, split_words, tags_to_spans


__all__ = [
    "IntentSlotPipeline",
    "JointIntentSlotPipeline",
    "SharedPrivateConfig",
    "SharedPrivateForIntentAndSlotFilling",
    "SharedPrivateOutput",
    "make_compute_metrics",
    "predict",
    "split_words",
    "tags_to_spans",
]

from transformers import AutoModel  # noqa: E402

from ...auto import register  # noqa: E402
from ...pipelines import register_pipeline  # noqa: E402


# Registered with AutoModel only: AutoModelForTokenClassification's users (its pipeline) expect
# token-level `logits` and tag names in `id2label`, while this model returns word-level
# `slot_logits` and keeps intents in `id2label`.
register(SharedPrivateConfig, (AutoModel, SharedPrivateForIntentAndSlotFilling))
register_pipeline("joint-intent-slot", JointIntentSlotPipeline, AutoModel, SharedPrivateForIntentAndSlotFilling)
