from .configuration_multilingual import AdversarialSharedPrivateConfig, ablation_config_kwargs
from .modeling_multilingual import AdversarialSharedPrivateForSequenceClassification, AdversarialSharedPrivateOutput

__all__ = [
    "AdversarialSharedPrivateConfig",
    "AdversarialSharedPrivateForSequenceClassification",
    "AdversarialSharedPrivateOutput",
    "ablation_config_kwargs",
]

from transformers import AutoModelForSequenceClassification  # noqa: E402

from ...auto import register  # noqa: E402

register(AdversarialSharedPrivateConfig, (AutoModelForSequenceClassification, AdversarialSharedPrivateForSequenceClassification))
