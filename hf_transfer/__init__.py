"""hf_transfer: transfer learning for text on the Hugging Face stack.

Reuse and freeze pretrained layers, few-shot and zero-shot learning, multi-task shared-private
models with a CRF, and adversarial multilingual models, over a text CNN (BCNN) or any transformer.
"""

__version__ = "0.1.0"

from ._clash import DistributionClashWarning, check_distribution_clash


check_distribution_clash()

from .alignment import AlignmentResult, align_embeddings, retrieval_precision  # noqa: E402
from .data import (  # noqa: E402
    BUILTIN_DATASETS,
    EpisodeCollator,
    EpisodeSampler,
    build_bcnn_tokenizer,
    data_dir,
    load_clinc150,
    load_conll_intents,
    load_dataset,
    load_hub_dataset,
    load_jointbert,
    load_massive,
    load_multilingual_tsv,
    load_seed_ner,
    split_classes,
    tokenize_words,
)
from .data.collators import DataCollatorForWordLevel  # noqa: E402
from .encoders import (  # noqa: E402
    BCNN,
    BackboneEncoder,
    BCNNTower,
    EncoderOutput,
    PrivateEncoder,
    init_embeddings_from_vectors,
    load_word_vectors,
)
from .layers import CRF, DifferenceLoss, GradientReversal, allowed_transitions, difference_loss, grad_reverse  # noqa: E402
from .metrics import classification_compute_metrics, compute_joint_metrics, mean_confidence_interval  # noqa: E402
from .models.fewshot import (  # noqa: E402
    FewShotConfig,
    FewShotOutput,
    FewShotPreTrainedModel,
    FrozenEmbeddingClassifier,
    MatchingNetwork,
    MatchingNetworkConfig,
    PrototypicalNetwork,
    PrototypicalNetworkConfig,
    RelationNetwork,
    RelationNetworkConfig,
)
from .models.multilingual import (  # noqa: E402
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    AdversarialSharedPrivateModel,
    AdversarialSharedPrivateOutput,
    AdversarialSharedPrivateTokenOutput,
)
from .models.multitask import (  # noqa: E402
    IntentSlotPipeline,
    SharedPrivateConfig,
    SharedPrivateForIntentAndSlotFilling,
    SharedPrivateOutput,
)
from .models.transfer import TransferConfig, TransferForSequenceClassification, TransferModel, TransferPreTrainedModel  # noqa: E402
from .reuse import (  # noqa: E402
    ReuseReport,
    find_layers,
    freeze,
    freeze_lower_layers,
    head_lr_groups,
    head_lr_optimizer,
    layerwise_lr_groups,
    reuse_layers,
    trainable_parameters,
    unfreeze,
)


__all__ = [
    "AdversarialSharedPrivateModel",
    "BUILTIN_DATASETS",
    "PrivateEncoder",
    "data_dir",
    "load_dataset",
    "AdversarialSharedPrivateConfig",
    "AdversarialSharedPrivateForSequenceClassification",
    "AdversarialSharedPrivateForTokenClassification",
    "AdversarialSharedPrivateOutput",
    "AdversarialSharedPrivateTokenOutput",
    "AlignmentResult",
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
    "DataCollatorForWordLevel",
    "IntentSlotPipeline",
    "SharedPrivateConfig",
    "SharedPrivateForIntentAndSlotFilling",
    "SharedPrivateOutput",
    "CRF",
    "allowed_transitions",
    "DifferenceLoss",
    "EpisodeCollator",
    "EpisodeSampler",
    "GradientReversal",
    "align_embeddings",
    "classification_compute_metrics",
    "compute_joint_metrics",
    "difference_loss",
    "grad_reverse",
    "load_clinc150",
    "load_conll_intents",
    "load_hub_dataset",
    "load_jointbert",
    "load_massive",
    "load_multilingual_tsv",
    "load_seed_ner",
    "mean_confidence_interval",
    "retrieval_precision",
    "split_classes",
    "BCNN",
    "BCNNTower",
    "BackboneEncoder",
    "DistributionClashWarning",
    "EncoderOutput",
    "ReuseReport",
    "TransferConfig",
    "TransferForSequenceClassification",
    "TransferModel",
    "TransferPreTrainedModel",
    "build_bcnn_tokenizer",
    "check_distribution_clash",
    "find_layers",
    "freeze",
    "freeze_lower_layers",
    "init_embeddings_from_vectors",
    "head_lr_groups",
    "head_lr_optimizer",
    "layerwise_lr_groups",
    "load_word_vectors",
    "reuse_layers",
    "tokenize_words",
    "trainable_parameters",
    "unfreeze",
]
