import math

import pytest
import torch

from hf_transfer.layers.gradient_reversal import (
    GradientReversal,
    GradientReversalFunction,
    dann_lambda_schedule,
    grad_reverse,
)
from hf_transfer.layers.losses import DifferenceLoss, difference_loss, language_discriminator_accuracy


# ----------------------------------------------------------------------------- gradient reversal


def _reference_grad(x, weight):
    x = x.detach().clone().requires_grad_(True)
    (torch.tanh(x) * weight).sum().backward()
    return x.grad


@pytest.mark.parametrize("lambda_", [1.0, 0.5, 0.1234, 3.0, 0.0])
def test_grad_reverse_flips_and_scales_gradient_exactly(lambda_):
    torch.manual_seed(0)
    x = torch.randn(4, 7)
    weight = torch.randn(4, 7)
    ref = _reference_grad(x, weight)

    xr = x.clone().requires_grad_(True)
    out = grad_reverse(xr, lambda_)
    assert torch.equal(out, xr)  # identity forward
    (torch.tanh(out) * weight).sum().backward()
    assert torch.equal(xr.grad, -lambda_ * ref)


def test_module_lambda_is_settable_and_used():
    torch.manual_seed(0)
    x = torch.randn(3, 5)
    weight = torch.randn(3, 5)
    ref = _reference_grad(x, weight)
    grl = GradientReversal()
    assert grl.lambda_ == 1.0
    for lam in (1.0, 0.25, dann_lambda_schedule(0.3)):
        grl.lambda_ = lam
        xr = x.clone().requires_grad_(True)
        (torch.tanh(grl(xr)) * weight).sum().backward()
        assert torch.equal(xr.grad, -lam * ref)
    assert "lambda_=" in repr(grl)


def test_reversal_only_affects_the_branch_behind_it():
    # Encoder parameters receive task grad minus lambda * discriminator grad.
    torch.manual_seed(0)
    enc = torch.nn.Linear(4, 3)
    task, disc = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
    x = torch.randn(5, 4)

    def encoder_grads(reverse, lam):
        enc.zero_grad()
        h = enc(x)
        d_in = grad_reverse(h, lam) if reverse else h
        loss_t, loss_d = task(h).pow(2).sum(), disc(d_in).pow(2).sum()
        (loss_t + loss_d).backward()
        return enc.weight.grad.clone(), disc.weight.grad.clone()

    def single(loss_fn):
        enc.zero_grad()
        disc.zero_grad()
        loss_fn(enc(x)).backward()
        return enc.weight.grad.clone()

    g_task = single(lambda h: task(h).pow(2).sum())
    g_disc = single(lambda h: disc(h).pow(2).sum())
    disc.zero_grad()
    g_enc, g_d = encoder_grads(True, 0.5)
    torch.testing.assert_close(g_enc, g_task - 0.5 * g_disc)
    disc.zero_grad()
    _, g_d_plain = encoder_grads(False, 0.5)
    torch.testing.assert_close(g_d, g_d_plain)  # discriminator itself is trained normally


def test_analytic_jacobian_is_minus_lambda_identity():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    lam = 0.7
    jac = torch.autograd.functional.jacobian(lambda t: GradientReversalFunction.apply(t, lam), x)
    eye = torch.eye(12, dtype=torch.float64).reshape(3, 4, 3, 4)
    assert torch.equal(jac, -lam * eye)


def test_gradcheck_fails_as_expected_and_double_reversal_passes():
    # gradcheck must *fail* on a single reversal (analytic != numeric by design) ...
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(lambda t: grad_reverse(t, 0.5), (x,), raise_exception=False)
    # ... and pass when reversal is composed with an explicit compensation, here two
    # reversals with lambdas whose product is 1 (the gradient is flipped twice).
    assert torch.autograd.gradcheck(lambda t: grad_reverse(grad_reverse(t, 0.5), 2.0), (x,))
    # and the double backward (grad of grad) is consistent too
    assert torch.autograd.gradgradcheck(lambda t: grad_reverse(grad_reverse(t, 0.5), 2.0).pow(2), (x,))


def test_dann_schedule():
    assert dann_lambda_schedule(0.0) == 0.0
    assert dann_lambda_schedule(1.0) == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert dann_lambda_schedule(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    values = [dann_lambda_schedule(p / 10) for p in range(11)]
    assert all(a < b for a, b in zip(values, values[1:]))
    with pytest.raises(ValueError, match="progress"):
        dann_lambda_schedule(1.5)


def test_lambda_validation():
    with pytest.raises(TypeError, match="lambda_"):
        GradientReversal("1")
    with pytest.raises(ValueError, match="lambda_"):
        grad_reverse(torch.zeros(2), float("nan"))
    grl = GradientReversal()
    with pytest.raises(ValueError, match="lambda_"):
        grl.lambda_ = float("inf")


# ----------------------------------------------------------------------------- difference loss


def _reference_difference_loss(p, s):
    p = p.double() - p.double().mean(0)
    s = s.double() - s.double().mean(0)
    p = p / p.norm(dim=1, keepdim=True)
    s = s / s.norm(dim=1, keepdim=True)
    return ((p.T @ s) ** 2).sum() / (p.shape[1] * s.shape[1])


def _hadamard(n):
    h = torch.ones(1, 1, dtype=torch.float64)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return h


def test_difference_loss_matches_reference():
    torch.manual_seed(0)
    p, s = torch.randn(6, 5), torch.randn(6, 3)
    torch.testing.assert_close(difference_loss(p, s).double(), _reference_difference_loss(p, s), rtol=1e-5, atol=1e-7)
    assert difference_loss(p, s) > 0
    torch.testing.assert_close(DifferenceLoss(weight=0.5)(p, s), 0.5 * difference_loss(p, s))


def test_difference_loss_zero_for_orthogonal_centred_features():
    # Columns 1.. of a Hadamard matrix are centred and mutually orthogonal, and every row
    # has the same norm, so row-normalisation keeps Pᵀ S = 0 exactly.
    h = _hadamard(8)
    torch.manual_seed(0)
    offset_p, offset_s = torch.randn(1, 3, dtype=torch.float64), torch.randn(1, 4, dtype=torch.float64)
    p = h[:, 1:4] * 2.5 + offset_p  # per-column constants vanish after centring
    s = h[:, 4:8] * 0.3 + offset_s
    assert difference_loss(p, s).item() < 1e-7
    assert difference_loss(p.float(), s.float()).item() < 1e-7
    # Disjoint sample support: rows where P is zero are exactly where S is not.
    p2 = torch.tensor([[1.0, 2.0], [-1.0, -2.0], [0.0, 0.0], [0.0, 0.0]])
    s2 = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [3.0, 1.0, -1.0], [-3.0, -1.0, 1.0]])
    assert difference_loss(p2, s2).item() == 0.0
    # Positive once the features share a direction.
    assert difference_loss(p, torch.cat([s, p[:, :1]], 1)).item() > 1e-3


def test_difference_loss_scale_invariance():
    torch.manual_seed(1)
    p, s = torch.randn(7, 4, dtype=torch.float64), torch.randn(7, 6, dtype=torch.float64)
    base = difference_loss(p, s)
    torch.testing.assert_close(difference_loss(3.7 * p, 0.01 * s), base)
    torch.testing.assert_close(difference_loss(p + 5.0, s - torch.randn(1, 6, dtype=torch.float64)), base)
    # Without centring, rescaling any row of either matrix leaves the loss unchanged.
    row_scale = torch.rand(7, 1, dtype=torch.float64) * 10 + 0.1
    torch.testing.assert_close(
        difference_loss(p * row_scale, s / row_scale.sqrt(), center=False), difference_loss(p, s, center=False)
    )
    # With centring, per-row rescaling changes the column means, so the loss changes.
    assert not torch.allclose(difference_loss(p * row_scale, s), base)


def test_difference_loss_zero_row_has_finite_gradient():
    torch.manual_seed(0)
    p = torch.randn(4, 3)
    p[2] = p[[0, 1, 3]].mean(0)  # row 2 equals the column mean -> all zeros after centring
    p.requires_grad_(True)
    s = torch.randn(4, 5, requires_grad=True)
    loss = difference_loss(p, s)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(p.grad).all() and torch.isfinite(s.grad).all()
    # Constant input: everything centres to zero.
    c = torch.ones(4, 3, requires_grad=True)
    difference_loss(c, s).backward()
    assert torch.isfinite(c.grad).all()


def test_difference_loss_trains_features_apart():
    torch.manual_seed(0)
    shared = torch.randn(16, 4)
    private = (shared @ torch.randn(4, 4) + 0.1 * torch.randn(16, 4)).requires_grad_(True)
    opt = torch.optim.SGD([private], lr=5.0)
    start = difference_loss(private, shared).item()
    for _ in range(100):
        opt.zero_grad()
        loss = difference_loss(private, shared)
        loss.backward()
        opt.step()
    assert difference_loss(private, shared).item() < 0.1 * start


def test_difference_loss_errors():
    with pytest.raises(ValueError, match="`private`.*\\[batch, hidden\\]"):
        difference_loss(torch.zeros(2, 3, 4), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="`shared`"):
        difference_loss(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="batch size"):
        difference_loss(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(TypeError, match="`shared`.*floating"):
        difference_loss(torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="`private`"):
        difference_loss([[1.0]], torch.zeros(1, 1))


def test_language_discriminator_accuracy():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    labels = torch.tensor([0, 1, 0, -100])
    assert language_discriminator_accuracy(logits, labels) == pytest.approx(2 / 3)
    assert math.isnan(language_discriminator_accuracy(logits, torch.full((4,), -100)))
    with pytest.raises(ValueError, match="labels"):
        language_discriminator_accuracy(logits, torch.tensor([0, 1]))
