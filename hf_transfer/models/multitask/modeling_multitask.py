"""Joint intent classification + slot filling with shared and private feature extractors and a
CRF (the reference design's multi-task model).

Three extractors read the same utterance: one private to the intent task, one shared, one
private to the slot task (the shared-private scheme of Liu, Qiu & Huang, ACL 2017). The intent
task reads `concat(intent-private, shared)` max-pooled over time; the slot task reads
`concat(slot-private, shared)` per word and feeds a linear-chain CRF (Lafferty et al., 2001;
Lample et al., NAACL 2016). Slot emissions are word-level: sub-word pieces are pooled into
words before the head, so the CRF never sees them (Chen et al., 2019, "BERT for Joint Intent
Classification and Slot Filling", tag the first piece of each word; so do we by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from transformers.utils import ModelOutput

from ...encoders.pooling import word_level_inputs
from ...encoders.private import PrivateEncoder
from ...layers.crf import CRF, CRFTaggingMixin, tagging_loss
from ...layers.heads import ClassificationHead
from ...modeling_utils import TransferPreTrainedModel, build_encoder
from ...tagging import IGNORE_INDEX
from ...utils import check_label_ids
from .configuration_multitask import SharedPrivateConfig


@dataclass
class SharedPrivateOutput(ModelOutput):
    """
    Args:
        loss: `intent_loss_weight * intent_loss + slot_loss_weight * slot_loss` (the tasks whose
            labels were given and whose weight is not 0).
        intent_loss: cross-entropy of the intents.
        slot_loss: CRF negative log-likelihood (mean over utterances) or token cross-entropy.
        intent_logits: `[batch, num_intents]`.
        slot_logits: `[batch, words, num_tags]` word-level emissions (never sub-word pieces).
        tag_paths: `[batch, words]` decoded tag ids (CRF Viterbi, or argmax without CRF), -100
            at padding; returned in eval mode or with `return_tag_paths=True` (the multilingual
            tagger's name; formerly `slot_paths`, still readable).
    """

    loss: torch.Tensor | None = None
    intent_loss: torch.Tensor | None = None
    slot_loss: torch.Tensor | None = None
    intent_logits: torch.Tensor | None = None
    slot_logits: torch.Tensor | None = None
    tag_paths: torch.Tensor | None = None

    @property
    def slot_paths(self) -> torch.Tensor | None:
        """The old name of `tag_paths`."""
        return self.tag_paths


class SharedPrivateForIntentAndSlotFilling(CRFTaggingMixin, TransferPreTrainedModel):
    """Shared-private multi-task model for intents and slots (see `SharedPrivateConfig`).

    Encoders:
    - BCNN (`encoder_type="bcnn"`): one embedding; the shared extractor is a `BCNN` and the
      private ones (`PrivateEncoder`) are BCNN towers over the same embeddings (the reference
      design), or with `private_encoder_type="tower"` towers over the shared BCNN's features.
    - Transformer (`encoder_type="backbone"`, build with `from_backbone(path, ...)`):
      `private_encoder_type="copy"` uses three copies of the transformer (each fine-tuned; 3x
      the parameters and compute); `"tower"` one shared transformer and light BCNN towers over
      its token features (about the cost of one transformer).
    - `use_private=False`: shared-only (one encoder, two heads). A loss weight of 0 drops a
      task (its head and private extractor are not built): single-task models.

    Heads (`classifier_hidden_size=2048` is the reference design): intent: concat -> pool over time
    -> dropout -> Linear+ReLU -> Linear, cross-entropy; slots: concat per word -> Linear+ReLU
    -> dropout -> Linear -> CRF.

    Training with `transformers.Trainer`: use `DataCollatorForWordLevel`, keep the raw columns
    (`remove_unused_columns=False`), `label_names=["intent_labels", "slot_labels"]` (or
    `["slot_labels"]` for slots-only data) and `compute_metrics=make_compute_metrics(config)`.
    """

    config_class = SharedPrivateConfig
    config: SharedPrivateConfig
    crf_tag_names_attr = "id2tag"

    def __init__(self, config: SharedPrivateConfig):
        super().__init__(config)
        if config.predicts_slots and config.num_tags < 1:
            raise ValueError("SharedPrivateConfig.id2tag is empty: slot filling needs the tag names (or set slot_loss_weight=0)")
        if config.predicts_intent and config.num_labels < 1:
            raise ValueError("SharedPrivateConfig needs id2label (the intent names), or intent_loss_weight=0")
        self.shared_encoder = build_encoder(config)
        shared_dim = config.encoder_hidden_size
        self.intent_encoder = self._private() if config.use_private and config.predicts_intent else None
        self.slot_encoder = self._private() if config.use_private and config.predicts_slots else None
        hidden, dropout = config.classifier_hidden_size, config.classifier_dropout
        if config.predicts_intent:
            in_dim = shared_dim + (self.intent_encoder.hidden_size if self.intent_encoder is not None else 0)
            self.intent_head = ClassificationHead(in_dim, config.num_labels, hidden, dropout)
        else:
            self.intent_head = None
        if config.predicts_slots:
            in_dim = shared_dim + (self.slot_encoder.hidden_size if self.slot_encoder is not None else 0)
            self.slot_head = ClassificationHead(in_dim, config.num_tags, hidden, dropout, dropout_after_hidden=True)
            self.crf = CRF(config.num_tags, batch_first=True) if config.use_crf else None
        else:
            self.slot_head = self.crf = None
        self.post_init()

    def _private(self) -> nn.Module:
        """One private extractor: a `PrivateEncoder` tower over the shared encoder's token features
        (`"tower"`) or over the shared BCNN's embeddings (`"copy"` of a BCNN: the reference
        design), or a full copy of the transformer (`"copy"` of a backbone; a plain encoder, so
        the parameter names of saved models stay `intent_encoder.model.*`)."""
        config = self.config
        if config.private_encoder_type == "tower":
            input_size, dropout = config.encoder_hidden_size, 0.0
        elif config.encoder_type == "bcnn":
            input_size, dropout = config.embedding_size, config.embedding_dropout
        else:
            return build_encoder(config)  # a full copy of the transformer
        return PrivateEncoder(
            input_size, config.kernel_sizes, config.num_filters, word_pooling=config.word_pooling, sentence_pooling=config.sentence_pooling, dropout=dropout
        )

    def get_input_embeddings(self):
        return self.shared_encoder.get_input_embeddings()

    def _extract(self, encoder, input_ids, attention_mask, word_ids, token_type_ids, num_words, shared):
        """Features of one private extractor."""
        if isinstance(encoder, PrivateEncoder):
            if self.config.private_encoder_type == "tower":
                features = shared.token_hidden_state
            else:
                features = self.shared_encoder.get_input_embeddings()(input_ids)
            return encoder(attention_mask=shared.token_mask, word_ids=word_ids, num_words=num_words, features=features)
        return encoder(input_ids=input_ids, attention_mask=attention_mask, word_ids=word_ids, token_type_ids=token_type_ids, num_words=num_words)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        intent_labels: torch.Tensor | None = None,
        slot_labels: torch.Tensor | None = None,
        return_tag_paths: bool | None = None,
        return_slot_paths: bool | None = None,
    ) -> SharedPrivateOutput:
        r"""
        Args:
            input_ids, attention_mask, token_type_ids: `[batch, tokens]` as the tokenizer gives them.
            word_ids: `[batch, tokens]` word index of each token, -1 for special tokens and
                padding (`tokenize_words`); without it every token counts as a word.
            intent_labels: `[batch]` intent ids (`config.id2label`'s; -100 is ignored).
            slot_labels: `[batch, words]` tag ids per word (`config.id2tag`'s), -100 at padding (and
                at words to ignore). An id the model does not know is a `ValueError` naming the
                field (labels are matched by id: the data set's label names must be the model's).
            return_tag_paths: decode the best tag paths (default: in eval mode only);
                `return_slot_paths` is its old name.
        """
        config = self.config
        if return_tag_paths is None:
            return_tag_paths = return_slot_paths
        if input_ids is None:
            raise ValueError("SharedPrivateForIntentAndSlotFilling.forward needs input_ids")
        attention_mask, word_ids, num_words = word_level_inputs(input_ids, attention_mask, word_ids, slot_labels, config.pad_token_id, "slot_labels")
        shared = self.shared_encoder(input_ids=input_ids, attention_mask=attention_mask, word_ids=word_ids, token_type_ids=token_type_ids, num_words=num_words)
        if num_words is None:
            num_words = shared.last_hidden_state.shape[1]

        losses, weights = {}, {}
        intent_logits = slot_logits = tag_paths = None
        if config.predicts_intent:
            feats = [shared.pooler_output]
            if self.intent_encoder is not None:
                feats.insert(0, self._extract(self.intent_encoder, input_ids, attention_mask, word_ids, token_type_ids, num_words, shared).pooler_output)
            intent_logits = self.intent_head(torch.cat(feats, -1))
            if intent_labels is not None:
                check_label_ids(intent_labels, config.num_labels, "intent_labels", config.id2label)
                losses["intent"] = nn.functional.cross_entropy(intent_logits, intent_labels.view(-1).long(), ignore_index=IGNORE_INDEX)
                weights["intent"] = config.intent_loss_weight
        word_mask = shared.mask
        if config.predicts_slots:
            feats = [shared.last_hidden_state]
            if self.slot_encoder is not None:
                feats.insert(0, self._extract(self.slot_encoder, input_ids, attention_mask, word_ids, token_type_ids, num_words, shared).last_hidden_state)
            slot_logits = self.slot_head(torch.cat(feats, -1))
            if slot_labels is not None:
                check_label_ids(slot_labels, config.num_tags, "slot_labels", config.id2tag, "config.id2tag", mask=word_mask)
                losses["slot"] = tagging_loss(self.crf, slot_logits, slot_labels, word_mask)
                weights["slot"] = config.slot_loss_weight
            if return_tag_paths or (return_tag_paths is None and not self.training):
                tag_paths = self.decode_tags(slot_logits, word_mask)
        loss = None
        if losses:
            loss = sum(weights[k] * v for k, v in losses.items())
        return SharedPrivateOutput(
            loss=loss,
            intent_loss=losses.get("intent"),
            slot_loss=losses.get("slot"),
            intent_logits=intent_logits,
            slot_logits=slot_logits,
            tag_paths=tag_paths,
        )

    def decode_slots(self, slot_logits: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
        """The old name of `decode_tags`."""
        return self.decode_tags(slot_logits, word_mask)


def make_compute_metrics(config: SharedPrivateConfig):
    """A `Trainer` `compute_metrics` for this model: intent accuracy, slot precision / recall /
    F1 (seqeval, entity level) and exact-frame accuracy, in percent, computed on the decoded
    `tag_paths` (Viterbi with a CRF), never on the emissions' argmax, by the packaged `evaluate`
    metric modules (`hf_transfer.metrics.load_metric`).

    Expects the model's eval predictions (`intent_logits`, `slot_logits`, `tag_paths` in that
    order, the losses being ignored through `config.keys_to_ignore_at_inference`) and labels in
    the order `label_names=["intent_labels", "slot_labels"]` (or `["slot_labels"]`)."""
    from ...metrics import align_tag_paths, compute_joint_metrics, load_metric, outside_tag_id

    id2intent = dict(config.id2label) if config.predicts_intent else None
    id2tag = dict(config.id2tag or {})
    outside_id = outside_tag_id(id2tag)

    def compute_metrics(eval_pred):
        preds, labels = eval_pred.predictions, eval_pred.label_ids
        preds = list(preds) if isinstance(preds, (tuple, list)) else [preds]
        labels = list(labels) if isinstance(labels, (tuple, list)) else [labels]
        intent_logits = preds.pop(0) if config.predicts_intent else None
        tag_paths = preds[-1] if config.predicts_slots else None
        if len(labels) == 2:
            intent_labels, slot_labels = labels
        elif config.predicts_intent and not config.predicts_slots:
            intent_labels, slot_labels = labels[0], None
        else:
            intent_labels, slot_labels = None, labels[0]
        if tag_paths is None or slot_labels is None:
            if intent_logits is None or intent_labels is None:
                raise ValueError("compute_metrics: no intent or slot predictions with labels; check label_names")
            intents = load_metric("intent_accuracy").compute(
                predictions=np.asarray(intent_logits).argmax(-1).tolist(), references=np.asarray(intent_labels).tolist()
            )
            return {"intent_accuracy": 100.0 * intents["accuracy"]}
        if intent_labels is None:
            intent_logits = None
        return compute_joint_metrics(
            None if intent_logits is None else np.asarray(intent_logits).argmax(-1),
            None if intent_labels is None else np.asarray(intent_labels),
            align_tag_paths(tag_paths, slot_labels, outside_id),
            np.asarray(slot_labels),
            id2intent,
            id2tag,
        )

    return compute_metrics
