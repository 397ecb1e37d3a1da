"""Gradient reversal layer for adversarial domain / language adaptation.

Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015
(and Ganin et al., "Domain-Adversarial Training of Neural Networks", JMLR 2016).

The layer is the identity in the forward pass and multiplies the incoming gradient by
``-lambda_`` in the backward pass. Placed between a shared encoder and a domain (or
language) discriminator, the discriminator learns to tell domains apart while the encoder
receives the *reversed* gradient and learns features the discriminator cannot separate.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class GradientReversalFunction(torch.autograd.Function):
    """Identity forward, ``-lambda_ * grad`` backward (Ganin & Lempitsky, 2015)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, lambda_: float) -> torch.Tensor:
        ctx.lambda_ = float(lambda_)
        # `view_as` returns a new tensor node so autograd routes the gradient through
        # `backward` below instead of short-circuiting an identity.
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output * (-ctx.lambda_), None


def _check_lambda(lambda_) -> float:
    if isinstance(lambda_, bool) or not isinstance(lambda_, (int, float)):
        raise TypeError(f"`lambda_` must be a real number, got {type(lambda_).__name__}.")
    lambda_ = float(lambda_)
    if not math.isfinite(lambda_):
        raise ValueError(f"`lambda_` must be finite, got {lambda_}.")
    return lambda_


def grad_reverse(x: torch.Tensor, lambda_: float = 1.0) -> torch.Tensor:
    """Return ``x`` unchanged; its gradient is multiplied by ``-lambda_`` on the way back."""
    return GradientReversalFunction.apply(x, _check_lambda(lambda_))


def dann_lambda_schedule(progress: float, gamma: float = 10.0) -> float:
    """DANN adaptation factor ``2 / (1 + exp(-gamma * p)) - 1`` (Ganin et al., 2016, Sec. 5.2.2).

    ``progress`` is the fraction of training done, ``p`` in ``[0, 1]``; the factor rises
    smoothly from 0 to ~1 so that the noisy discriminator signal is suppressed early on.
    """
    progress = float(progress)
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"`progress` must be in [0, 1] (fraction of training done), got {progress}.")
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


class GradientReversal(nn.Module):
    """Module form of :func:`grad_reverse` with a settable ``lambda_``.

    ``lambda_`` may be changed during training, e.g. following the DANN schedule::

        grl = GradientReversal()
        for step in range(num_steps):
            grl.lambda_ = dann_lambda_schedule(step / num_steps)
    """

    def __init__(self, lambda_: float = 1.0):
        super().__init__()
        self.lambda_ = lambda_

    @property
    def lambda_(self) -> float:
        return self._lambda

    @lambda_.setter
    def lambda_(self, value: float) -> None:
        self._lambda = _check_lambda(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return GradientReversalFunction.apply(x, self._lambda)

    def extra_repr(self) -> str:
        return f"lambda_={self._lambda}"
