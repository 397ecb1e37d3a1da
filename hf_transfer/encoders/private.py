"""The private encoder of the shared-private models, written once: the multi-task family (one per
task) and the adversarial multilingual family (one, or one per language) both build theirs here.

Shared-private scheme: Liu, Qiu & Huang, "Adversarial Multi-task Learning for Text
Classification", ACL 2017; private towers over one embedding table as in the reference design."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .bcnn import BCNNTower
from .outputs import EncoderOutput


PRIVATE_ENCODER_TYPES = ("copy", "tower")
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "none": nn.Identity}


class PrivateEncoder(nn.Module):
    """One private encoder, `"tower"` or `"copy"` (a config's `private_encoder_type`), returning an
    `EncoderOutput` as the shared encoders do.

    - `"tower"` (give `input_size`): a `BCNNTower` (parallel convolutions + ReLU) over token
      features that the model hands in: the shared BCNN's embeddings (the reference design's
      towers over one embedding table), a transformer's input embeddings, or the shared
      encoder's output token features; cheap beside a transformer.
    - `"copy"` (give `encoder`, from `build_encoder(config)`): an encoder of its own that reads the
      input ids.

    Args:
        input_size: width of the features a tower reads.
        kernel_sizes / num_filters: the tower's convolutions (a config's BCNN sizes).
        encoder: the encoder of a `"copy"`.
        word_pooling / sentence_pooling: how a tower's token features become word features and a
            sentence vector (a copy pools as its own encoder does).
        dropout: dropout on the features a tower reads.
        output_size / activation: a fully connected layer (`"relu"`, `"tanh"` or `"none"`) after the
            encoder, applied by `project` (the multilingual family's per-encoder feature layer).
    """

    def __init__(
        self,
        input_size: int | None = None,
        kernel_sizes: Sequence[int] = (1, 2, 3, 4, 5),
        num_filters: int = 128,
        *,
        encoder: nn.Module | None = None,
        word_pooling: str = "first",
        sentence_pooling: str = "max",
        dropout: float = 0.0,
        output_size: int | None = None,
        activation: str = "relu",
    ):
        super().__init__()
        if (input_size is None) == (encoder is None):
            raise ValueError("PrivateEncoder needs either input_size (a tower over given features) or encoder (a copy), not both or neither")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        # parameter names (`tower`, `encoder`, `fc`) and construction order are those of the
        # families' former private modules, so saved models load and seeded runs repeat
        self.dropout = nn.Dropout(dropout)
        self.tower = BCNNTower(input_size, kernel_sizes, num_filters) if encoder is None else None
        self.encoder = encoder
        self.word_pooling = word_pooling
        self.sentence_pooling = sentence_pooling
        self.fc = nn.Sequential(nn.Linear(self.hidden_size, output_size), ACTIVATIONS[activation]()) if output_size else None

    @property
    def private_encoder_type(self) -> str:
        return "tower" if self.tower is not None else "copy"

    @property
    def hidden_size(self) -> int:
        """Width of the encoder's features (before `project`)."""
        return self.tower.output_dim if self.tower is not None else self.encoder.hidden_size

    @property
    def output_size(self) -> int:
        """Width of `project`'s output."""
        return self.fc[0].out_features if self.fc is not None else self.hidden_size

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        num_words: int | None = None,
        features: torch.Tensor | None = None,
    ) -> EncoderOutput:
        """A copy reads `input_ids` (and `attention_mask`, `token_type_ids`); a tower reads
        `features` (`[batch, tokens, input_size]`) under `attention_mask` (`[batch, tokens]`).
        `word_ids` / `num_words` pool sub-word pieces into words (`EncoderOutput`)."""
        if self.tower is None:
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, word_ids=word_ids, num_words=num_words)
        if features is None:
            raise ValueError("a private tower reads `features` ([batch, tokens, input_size]: embeddings or the shared encoder's token features), got none")
        if attention_mask is None:
            attention_mask = torch.ones(features.shape[:2], dtype=torch.bool, device=features.device)
        mask = attention_mask.bool()
        tokens = self.tower(self.dropout(features), mask)
        return EncoderOutput.from_tokens(tokens, mask, word_ids, self.word_pooling, self.sentence_pooling, num_words)

    def project(self, hidden: torch.Tensor) -> torch.Tensor:
        """The fully connected layer after the encoder (the identity without `output_size`)."""
        return hidden if self.fc is None else self.fc(hidden)
