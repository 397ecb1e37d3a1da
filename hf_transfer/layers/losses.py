"""Losses shared by the shared-private and adversarial model families.

The difference (orthogonality) loss pushes the private and shared representations of the
same inputs to encode different things:

- Bousmalis et al., "Domain Separation Networks", NeurIPS 2016 (Eq. 4, ``L_difference``);
- Liu, Qiu & Huang, "Adversarial Multi-task Learning for Text Classification", ACL 2017
  (the "orthogonality constraint", Eq. 14).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..tagging import IGNORE_INDEX


def _check_features(name: str, x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"`{name}` must be a torch.Tensor of shape [batch, hidden], got {type(x).__name__}.")
    if x.dim() != 2:
        raise ValueError(f"`{name}` must have shape [batch, hidden], got shape {tuple(x.shape)}.")
    if not x.is_floating_point():
        raise TypeError(f"`{name}` must be a floating-point tensor, got dtype {x.dtype}.")


def difference_loss(
    private: torch.Tensor, shared: torch.Tensor, center: bool = True, eps: float = 1e-12
) -> torch.Tensor:
    """Squared soft-orthogonality between private and shared features.

    Following the Domain Separation Networks reference code, each feature matrix is
    centred over the batch (column mean removed), every row is L2-normalised, and the
    loss is the mean of the squared entries of ``Pᵀ S`` (a ``[H1, H2]`` matrix), i.e.
    ``(P.T @ S).pow(2).mean()``. The loss is 0 when the centred, normalised columns of
    ``private`` are orthogonal to those of ``shared``.

    Args:
        private: ``[batch, H1]`` private (task- or language-specific) features.
        shared: ``[batch, H2]`` shared features of the same inputs.
        center: subtract the batch mean of each column first (as in the papers' code).
            Without centring the loss is invariant to rescaling any row; with centring it
            is invariant to rescaling a whole matrix and to adding a constant per column.
        eps: lower bound on row norms, so a row that is all zeros after centring stays
            zero and has a finite gradient instead of ``nan``.
    """
    _check_features("private", private)
    _check_features("shared", shared)
    if private.shape[0] != shared.shape[0]:
        raise ValueError(
            f"`private` and `shared` must have the same batch size, got {private.shape[0]} "
            f"(private shape {tuple(private.shape)}) and {shared.shape[0]} (shared shape {tuple(shared.shape)})."
        )
    if center:
        private = private - private.mean(dim=0, keepdim=True)
        shared = shared - shared.mean(dim=0, keepdim=True)
    private = F.normalize(private, p=2, dim=1, eps=eps)
    shared = F.normalize(shared, p=2, dim=1, eps=eps)
    return (private.transpose(0, 1) @ shared).pow(2).mean()


class DifferenceLoss(nn.Module):
    """Module wrapper around :func:`difference_loss`, optionally weighted (``weight * loss``)."""

    def __init__(self, weight: float = 1.0, center: bool = True, eps: float = 1e-12):
        super().__init__()
        self.weight = float(weight)
        self.center = center
        self.eps = eps

    def forward(self, private: torch.Tensor, shared: torch.Tensor) -> torch.Tensor:
        return self.weight * difference_loss(private, shared, center=self.center, eps=self.eps)

    def extra_repr(self) -> str:
        return f"weight={self.weight}, center={self.center}"


@torch.no_grad()
def language_discriminator_accuracy(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> float:
    """Accuracy of a language/domain discriminator, ignoring ``ignore_index`` labels.

    Useful to monitor adversarial training: near chance (``1 / num_languages``) means the
    shared encoder has become language-invariant (Chen et al., "Adversarial Deep Averaging
    Networks for Cross-Lingual Sentiment Classification", TACL 2018). Returns ``nan`` when
    every label is ignored.
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() < 1:
        raise ValueError("`logits` must be a tensor of shape [..., num_languages].")
    if not isinstance(labels, torch.Tensor) or labels.shape != logits.shape[:-1]:
        raise ValueError(
            f"`labels` must have shape {tuple(logits.shape[:-1])} (the shape of `logits` without its last "
            f"dimension), got {tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__}."
        )
    mask = labels != ignore_index
    total = int(mask.sum())
    if total == 0:
        return float("nan")
    correct = (logits.argmax(dim=-1) == labels) & mask
    return int(correct.sum()) / total
