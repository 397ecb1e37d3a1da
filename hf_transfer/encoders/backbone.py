"""A transformer backbone (any `AutoModel`: BERT, RoBERTa, XLM-R, DistilBERT, E5, MiniLM ...) as
an encoder that returns word-level features, a word mask and a sentence vector, so that heads
never see sub-word pieces."""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoModel, PreTrainedConfig

from .outputs import EncoderOutput


class BackboneEncoder(nn.Module):
    """Wraps `AutoModel.from_config(backbone_config)`.

    The backbone is built from its config only (no download): pretrained weights come either from
    the enclosing model's own safetensors (`from_pretrained(saved_dir)`) or from
    `TransferPreTrainedModel.from_backbone(...)`, which copies them in once.
    """

    def __init__(self, backbone_config: PreTrainedConfig, word_pooling: str = "first", sentence_pooling: str = "mean"):
        super().__init__()
        self.model = AutoModel.from_config(backbone_config, add_pooling_layer=False) if _takes_pooling(backbone_config) else AutoModel.from_config(backbone_config)
        self.word_pooling = word_pooling
        self.sentence_pooling = sentence_pooling
        self._accepts_token_type_ids = "token_type_ids" in self.model.forward.__code__.co_varnames

    @property
    def hidden_size(self) -> int:
        config = self.model.config
        return getattr(config, "hidden_size", None) or getattr(config, "dim", None) or config.d_model

    def get_input_embeddings(self) -> nn.Module:
        return self.model.get_input_embeddings()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        num_words: int | None = None,
        **unused,
    ) -> EncoderOutput:
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask, "inputs_embeds": inputs_embeds}
        if token_type_ids is not None and self._accepts_token_type_ids:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.model(**kwargs).last_hidden_state
        if attention_mask is None:
            attention_mask = torch.ones(hidden.shape[:2], dtype=torch.bool, device=hidden.device)
        return EncoderOutput.from_tokens(hidden, attention_mask, word_ids, self.word_pooling, self.sentence_pooling, num_words)


def _takes_pooling(config: PreTrainedConfig) -> bool:
    """BERT-like base models build a pooler we never use (and whose weights would stay untrained)."""
    from transformers.models.auto.modeling_auto import MODEL_MAPPING

    try:
        model_class = MODEL_MAPPING[type(config)]
    except KeyError:
        return False
    import inspect

    return "add_pooling_layer" in inspect.signature(model_class.__init__).parameters
