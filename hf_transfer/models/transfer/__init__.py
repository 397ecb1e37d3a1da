from .configuration_transfer import TransferConfig
from .modeling_transfer import TransferForSequenceClassification, TransferModel, TransferPreTrainedModel, build_encoder

__all__ = ["TransferConfig", "TransferForSequenceClassification", "TransferModel", "TransferPreTrainedModel", "build_encoder"]
