from .baselines import FrozenEmbeddingClassifier, embed_texts
from .configuration_fewshot import (
    FewShotConfig,
    MatchingNetworkConfig,
    PrototypicalNetworkConfig,
    RelationNetworkConfig,
)
from .matching import MatchingNetwork
from .modeling_fewshot import FewShotOutput, FewShotPreTrainedModel, class_means, label_to_description
from .pipeline_fewshot import FewShotClassificationPipeline
from .prototypical import PrototypicalNetwork
from .relation import RelationNetwork


__all__ = [
    "FewShotClassificationPipeline",
    "FewShotConfig",
    "FewShotOutput",
    "FewShotPreTrainedModel",
    "FrozenEmbeddingClassifier",
    "MatchingNetwork",
    "MatchingNetworkConfig",
    "PrototypicalNetwork",
    "PrototypicalNetworkConfig",
    "RelationNetwork",
    "RelationNetworkConfig",
    "class_means",
    "embed_texts",
    "label_to_description",
]

from transformers import AutoModel  # noqa: E402

from ...auto import register  # noqa: E402
from ...pipelines import register_pipeline  # noqa: E402


register(PrototypicalNetworkConfig, (AutoModel, PrototypicalNetwork))
register(MatchingNetworkConfig, (AutoModel, MatchingNetwork))
register(RelationNetworkConfig, (AutoModel, RelationNetwork))
register_pipeline("few-shot-classification", FewShotClassificationPipeline, AutoModel, (PrototypicalNetwork, MatchingNetwork, RelationNetwork))
