from .configuration_transfer import TransferConfig
from .modeling_transfer import TransferForSequenceClassification, TransferModel, TransferPreTrainedModel, build_encoder


__all__ = ["TransferConfig", "TransferForSequenceClassification", "TransferModel", "TransferPreTrainedModel", "build_encoder"]

from transformers import AutoModel, AutoModelForSequenceClassification  # noqa: E402

from ...auto import register  # noqa: E402


register(TransferConfig, (AutoModel, TransferModel), (AutoModelForSequenceClassification, TransferForSequenceClassification))
