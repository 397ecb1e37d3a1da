"""The fine-tuning family: the bare encoder (`TransferModel`) and a sentence classifier over it
(`TransferForSequenceClassification`), on the shared bases of `hf_transfer.modeling_utils`
(re-exported here: `TransferPreTrainedModel`, `build_encoder`)."""

from __future__ import annotations

from transformers.modeling_outputs import SequenceClassifierOutput

from ...configuration_utils import TransferConfig
from ...encoders.outputs import EncoderOutput
from ...layers.heads import ClassificationHead, sequence_classification_loss
from ...modeling_utils import TransferPreTrainedModel, build_encoder


__all__ = ["TransferForSequenceClassification", "TransferModel", "TransferPreTrainedModel", "build_encoder"]


class TransferModel(TransferPreTrainedModel):
    """The bare encoder: word-level features, their mask and a sentence vector
    (sentence embeddings for few-shot baselines, features for new heads)."""

    def __init__(self, config: TransferConfig):
        super().__init__(config)
        self.encoder = build_encoder(config)
        self.post_init()

    def get_input_embeddings(self):
        return self.encoder.get_input_embeddings()

    def forward(self, input_ids=None, attention_mask=None, word_ids=None, token_type_ids=None, **kwargs) -> EncoderOutput:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask, word_ids=word_ids, token_type_ids=token_type_ids)


class TransferForSequenceClassification(TransferPreTrainedModel):
    """Encoder -> sentence vector -> `ClassificationHead`. With a BCNN and
    `classifier_hidden_size=2048` this is the reference design's sentence classifier."""

    def __init__(self, config: TransferConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.encoder = build_encoder(config)
        self.classifier = ClassificationHead(config.encoder_hidden_size, config.num_labels, config.classifier_hidden_size, config.classifier_dropout)
        self.post_init()

    def get_input_embeddings(self):
        return self.encoder.get_input_embeddings()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs) -> SequenceClassifierOutput:
        encoded = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        logits = self.classifier(encoded.pooler_output)
        loss = None
        if labels is not None:
            loss, self.config.problem_type = sequence_classification_loss(logits, labels, self.config.problem_type, self.num_labels, self.config.id2label)
        return SequenceClassifierOutput(loss=loss, logits=logits)
