"""BCNN: the reference design's text CNN encoder.

Token embeddings (word or character level), five parallel `Conv1d` of widths 1-5 with 128 filters
each, same padding, ReLU, concatenated to 640 features per token (Kim, 2014, "Convolutional Neural
Networks for Sentence Classification", without the pooling, so that token-level heads such as a
CRF can read it). All sizes are configurable.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .outputs import EncoderOutput


class BCNNTower(nn.Module):
    """Parallel same-padded 1-D convolutions + ReLU over `[batch, length, input_dim]` features.

    Used on its own as a light private tower over another encoder's token features, and as the
    body of `BCNN` over its embeddings.
    """

    def __init__(self, input_dim: int, kernel_sizes: Sequence[int] = (1, 2, 3, 4, 5), num_filters: int = 128):
        super().__init__()
        if not kernel_sizes or any(int(k) < 1 for k in kernel_sizes):
            raise ValueError(f"kernel_sizes must be a non-empty list of positive widths, got {list(kernel_sizes)}")
        if num_filters < 1:
            raise ValueError(f"num_filters must be positive, got {num_filters}")
        self.kernel_sizes = [int(k) for k in kernel_sizes]
        self.convs = nn.ModuleList(nn.Conv1d(input_dim, num_filters, k) for k in self.kernel_sizes)
        self.output_dim = num_filters * len(kernel_sizes)
        # "same" padding as PyTorch defines it (left (k-1)//2, right k//2), applied once for all widths
        self._left = max((k - 1) // 2 for k in self.kernel_sizes)
        self._right = max(k // 2 for k in self.kernel_sizes)

    def forward(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is not None:
            # padding must not leak into real tokens through the wider kernels
            features = features * mask.unsqueeze(-1).to(features.dtype)
        length = features.shape[1]
        x = nn.functional.pad(features.transpose(1, 2), (self._left, self._right))  # [batch, dim, length + pads]
        outs = []
        for k, conv in zip(self.kernel_sizes, self.convs):
            start = self._left - (k - 1) // 2
            outs.append(torch.relu(conv(x[:, :, start : start + length + k - 1])))
        out = torch.cat(outs, dim=1).transpose(1, 2)
        if mask is not None:
            out = out * mask.unsqueeze(-1).to(out.dtype)
        return out


class BCNN(nn.Module):
    """Embedding layer + `BCNNTower`: the reference design's encoder.

    Args:
        vocab_size: size of the tokenizer's vocabulary (see `build_bcnn_tokenizer`).
        embedding_size: width of the token embeddings (300 in the reference design; the old
            keyword `embedding_dim` still works).
        kernel_sizes: convolution widths (1-5 in the reference design).
        num_filters: filters per width (128 in the reference design): 640 features per token.
        dropout: dropout on the embeddings.
        pad_token_id: the padding id, whose embedding stays zero.
        word_pooling / sentence_pooling: see `pool_words` / `pool_sentence` (max-pool over time
            by default, as the reference heads do).
        embeddings: share an existing `nn.Embedding` (e.g. three towers over one embedding).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int = 300,
        kernel_sizes: Sequence[int] = (1, 2, 3, 4, 5),
        num_filters: int = 128,
        dropout: float = 0.0,
        pad_token_id: int = 0,
        word_pooling: str = "first",
        sentence_pooling: str = "max",
        embeddings: nn.Embedding | None = None,
        embedding_dim: int | None = None,
    ):
        super().__init__()
        if embedding_dim is not None:  # the old name
            embedding_size = embedding_dim
        self.embeddings = embeddings if embeddings is not None else nn.Embedding(vocab_size, embedding_size, padding_idx=pad_token_id)
        self.dropout = nn.Dropout(dropout)
        self.tower = BCNNTower(self.embeddings.embedding_dim, kernel_sizes, num_filters)
        self.pad_token_id = pad_token_id
        self.word_pooling = word_pooling
        self.sentence_pooling = sentence_pooling

    @property
    def hidden_size(self) -> int:
        return self.tower.output_dim

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        num_words: int | None = None,
        **unused,
    ) -> EncoderOutput:
        if inputs_embeds is None:
            if input_ids is None:
                raise ValueError("BCNN.forward needs input_ids or inputs_embeds")
            if attention_mask is None:
                attention_mask = input_ids.ne(self.pad_token_id)
            inputs_embeds = self.embeddings(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones(inputs_embeds.shape[:2], dtype=torch.bool, device=inputs_embeds.device)
        tokens = self.tower(self.dropout(inputs_embeds), attention_mask)
        return EncoderOutput.from_tokens(tokens, attention_mask.bool(), word_ids, self.word_pooling, self.sentence_pooling, num_words)
