from .configuration_multilingual import AdversarialSharedPrivateConfig, ablation_config_kwargs
from .modeling_multilingual import (
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    AdversarialSharedPrivateModel,
    AdversarialSharedPrivateModelOutput,
    AdversarialSharedPrivateOutput,
    AdversarialSharedPrivatePreTrainedModel,
    AdversarialSharedPrivateTokenOutput,
)
from .pipeline_multilingual import WordTaggingPipeline


__all__ = [
    "AdversarialSharedPrivateConfig",
    "AdversarialSharedPrivateForSequenceClassification",
    "AdversarialSharedPrivateForTokenClassification",
    "AdversarialSharedPrivateModel",
    "AdversarialSharedPrivateModelOutput",
    "AdversarialSharedPrivateOutput",
    "AdversarialSharedPrivatePreTrainedModel",
    "AdversarialSharedPrivateTokenOutput",
    "WordTaggingPipeline",
    "ablation_config_kwargs",
]

from transformers import AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification  # noqa: E402

from ...auto import register  # noqa: E402
from ...pipelines import register_pipeline  # noqa: E402


register(
    AdversarialSharedPrivateConfig,
    (AutoModel, AdversarialSharedPrivateModel),
    (AutoModelForSequenceClassification, AdversarialSharedPrivateForSequenceClassification),
    (AutoModelForTokenClassification, AdversarialSharedPrivateForTokenClassification),
)
register_pipeline("word-tagging", WordTaggingPipeline, AutoModelForTokenClassification, AdversarialSharedPrivateForTokenClassification)
