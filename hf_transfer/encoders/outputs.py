"""What every encoder returns: word-level features, their mask, a sentence vector."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers.utils import ModelOutput

from .pooling import pool_sentence, pool_words


@dataclass
class EncoderOutput(ModelOutput):
    """
    Args:
        last_hidden_state: `[batch, words, dim]` word-level features when `word_ids` were given
            (one vector per word, never a sub-word piece), else `[batch, tokens, dim]`.
        mask: `[batch, words]` (or `[batch, tokens]`) boolean mask of real positions.
        pooler_output: `[batch, dim]` sentence vector.
        token_hidden_state: `[batch, tokens, dim]` features before word pooling.
        token_mask: `[batch, tokens]` attention mask of `token_hidden_state`.
    """

    last_hidden_state: torch.Tensor | None = None
    mask: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    token_hidden_state: torch.Tensor | None = None
    token_mask: torch.Tensor | None = None

    @classmethod
    def from_tokens(cls, tokens, token_mask, word_ids=None, word_pooling="first", sentence_pooling="mean", num_words=None):
        """Build the output from token features: pool words when `word_ids` is given, and the sentence."""
        token_mask = token_mask.bool()
        pooled = pool_sentence(tokens, token_mask, sentence_pooling)
        if word_ids is None:
            return cls(last_hidden_state=tokens, mask=token_mask, pooler_output=pooled, token_hidden_state=tokens, token_mask=token_mask)
        words, word_mask = pool_words(tokens, word_ids.masked_fill(~token_mask, -1), word_pooling, num_words)
        return cls(last_hidden_state=words, mask=word_mask, pooler_output=pooled, token_hidden_state=tokens, token_mask=token_mask)
