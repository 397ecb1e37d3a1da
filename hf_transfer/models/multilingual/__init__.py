from .configuration_multilingual import AdversarialSharedPrivateConfig, ablation_config_kwargs
from .modeling_multilingual import (
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    AdversarialSharedPrivateOutput,
    AdversarialSharedPrivatePreTrainedModel,
    AdversarialSharedPrivateTokenOutput,
)

__all__ = [
    "AdversarialSharedPrivateConfig",
    "AdversarialSharedPrivateForSequenceClassification",
    "AdversarialSharedPrivateForTokenClassification",
    "AdversarialSharedPrivateOutput",
    "AdversarialSharedPrivatePreTrainedModel",
    "AdversarialSharedPrivateTokenOutput",
    "ablation_config_kwargs",
]

from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification  # noqa: E402

from ...auto import register  # noqa: E402

register(
    AdversarialSharedPrivateConfig,
    (AutoModelForSequenceClassification, AdversarialSharedPrivateForSequenceClassification),
    (AutoModelForTokenClassification, AdversarialSharedPrivateForTokenClassification),
)
