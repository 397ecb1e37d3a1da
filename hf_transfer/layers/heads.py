"""Classification heads shared by every model family."""

from __future__ import annotations

import torch
from torch import nn

from ..tagging import IGNORE_INDEX
from ..utils import check_label_ids


class ClassificationHead(nn.Module):
    """`dropout -> [Linear -> ReLU (hidden_size)] -> Linear(num_labels)`.

    With `hidden_size=2048` this is the reference design's intent head (after max-pooling); with
    `dropout_after_hidden=True` the dropout moves after the ReLU layer, as its slot head has it.
    """

    def __init__(self, input_dim: int, num_labels: int, hidden_size: int | None = None, dropout: float = 0.1, dropout_after_hidden: bool = False):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dropout_after_hidden = dropout_after_hidden and hidden_size is not None
        self.dense = nn.Linear(input_dim, hidden_size) if hidden_size else None
        self.out_proj = nn.Linear(hidden_size or input_dim, num_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = features if self.dropout_after_hidden else self.dropout(features)
        if self.dense is not None:
            x = torch.relu(self.dense(x))
            if self.dropout_after_hidden:
                x = self.dropout(x)
        return self.out_proj(x)


def sequence_classification_loss(logits: torch.Tensor, labels: torch.Tensor, problem_type: str | None, num_labels: int, id2label=None):
    """The loss `transformers`' `*ForSequenceClassification` heads use, by `config.problem_type`
    (inferred as they infer it when unset); single-label examples labelled -100 are ignored (a
    batch of them only gives a zero loss), and single-label ids outside `0..num_labels-1` are a
    `ValueError` naming `labels` (`check_label_ids`; `id2label`, the model's label names, go into
    its message). Returns `(loss, problem_type)`."""
    if problem_type is None:
        if num_labels == 1:
            problem_type = "regression"
        elif labels.dtype in (torch.long, torch.int):
            problem_type = "single_label_classification"
        else:
            problem_type = "multi_label_classification"
    if problem_type == "regression":
        loss = nn.functional.mse_loss(logits.squeeze(-1), labels.to(logits.dtype).view(-1)) if num_labels == 1 else nn.functional.mse_loss(logits, labels.to(logits.dtype))
    elif problem_type == "single_label_classification":
        labels = labels.view(-1)
        check_label_ids(labels, num_labels, "labels", id2label)
        if bool((labels == IGNORE_INDEX).all()):  # unlabeled examples only (e.g. text for an adversary): no task signal, not NaN
            loss = logits.sum() * 0.0
        else:
            loss = nn.functional.cross_entropy(logits.view(-1, num_labels), labels)
    else:
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    return loss, problem_type
