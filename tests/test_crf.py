"""`hf_transfer.layers.crf` against pytorch-crf (`torchcrf.CRF`), the reference implementation."""

import pytest
import torch
import torchcrf

from hf_transfer.layers.crf import (
    CONSTRAINT_PENALTY,
    CRF,
    TransitionConstraints,
    allowed_transitions,
    bio_transition_mask,
)


# pytorch-crf builds a uint8 mask when none is given; torch warns about it.
pytestmark = [pytest.mark.filterwarnings("ignore:where received a uint8 condition tensor"), pytest.mark.usefixtures("one_thread")]


def _pair(num_tags, seed, scale=1.0, batch_first=True, dtype=torch.float32):
    """A pytorch-crf CRF with random parameters and ours loaded from its state dict."""
    g = torch.Generator().manual_seed(seed)
    ref = torchcrf.CRF(num_tags, batch_first=batch_first)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
    ref = ref.to(dtype)
    ours = CRF(num_tags, batch_first=batch_first).to(dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def _batch(B, T, C, seed, min_len=1, scale=1.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(1000 + seed)
    emissions = (torch.randn(B, T, C, generator=g) * scale).to(dtype)
    tags = torch.randint(0, C, (B, T), generator=g)
    lengths = torch.randint(min_len, T + 1, (B,), generator=g)
    lengths[0] = T
    mask = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)
    return emissions, tags, mask


def _compact(x, mask, fill=0):
    """Move each row's valid positions to the front (the reference for holes / -100)."""
    out = torch.full_like(x, fill)
    new_mask = torch.zeros_like(mask)
    for b in range(x.shape[0]):
        vals = x[b][mask[b]]
        out[b, : len(vals)] = vals
        new_mask[b, : len(vals)] = True
    return out, new_mask


CASES = [(1, 1, 3), (4, 1, 5), (5, 7, 4), (8, 12, 9), (3, 20, 40), (16, 9, 122)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("B,T,C", CASES)
def test_log_likelihood_matches_torchcrf(B, T, C, seed):
    ref, ours = _pair(C, seed, scale=0.5)
    emissions, tags, mask = _batch(B, T, C, seed, scale=2.0)
    for reduction in ("none", "sum", "mean", "token_mean"):
        expected = ref(emissions, tags, mask, reduction=reduction)
        got = ours(emissions, tags, mask, reduction=reduction)
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(ours(emissions, tags), ref(emissions, tags), rtol=1e-4, atol=1e-4)  # no mask, 'sum'
    nll = ours.neg_log_likelihood(emissions, tags, mask)
    torch.testing.assert_close(nll, -ref(emissions, tags, mask, reduction="mean"), rtol=1e-4, atol=1e-4)


def test_log_likelihood_is_a_log_probability():
    # Brute force over all 3**4 paths: the probabilities sum to one.
    _, ours = _pair(3, 0)
    emissions = torch.randn(1, 4, 3)
    paths = torch.cartesian_prod(*[torch.arange(3)] * 4)
    llh = ours(emissions.expand(len(paths), -1, -1), paths, reduction="none")
    torch.testing.assert_close(llh.exp().sum(), torch.tensor(1.0), rtol=1e-5, atol=1e-5)


def test_gradients_match_torchcrf():
    ref, ours = _pair(11, 3, scale=0.5, dtype=torch.float64)
    emissions, tags, mask = _batch(6, 9, 11, 3, scale=2.0, dtype=torch.float64)
    e_ref = emissions.clone().requires_grad_()
    e_ours = emissions.clone().requires_grad_()
    ref(e_ref, tags, mask, reduction="mean").backward()
    ours(e_ours, tags, mask, reduction="mean").backward()
    torch.testing.assert_close(e_ours.grad, e_ref.grad, rtol=1e-6, atol=1e-9)
    for name in ("start_transitions", "end_transitions", "transitions"):
        torch.testing.assert_close(getattr(ours, name).grad, getattr(ref, name).grad, rtol=1e-6, atol=1e-9)


def test_gradients_match_torchcrf_float32():
    ref, ours = _pair(30, 4, scale=0.3)
    emissions, tags, mask = _batch(8, 15, 30, 4, scale=2.0)
    e_ref = emissions.clone().requires_grad_()
    e_ours = emissions.clone().requires_grad_()
    ref(e_ref, tags, mask, reduction="sum").backward()
    ours(e_ours, tags, mask, reduction="sum").backward()
    torch.testing.assert_close(e_ours.grad, e_ref.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.transitions.grad, ref.transitions.grad, rtol=1e-4, atol=1e-4)


def test_wide_score_ranges_fall_back_exactly():
    # Emissions spanning hundreds of nats underflow the scaled recursion: the exact path must take over.
    ref, ours = _pair(7, 5, scale=5.0)
    emissions, tags, mask = _batch(5, 10, 7, 5, scale=300.0)
    e = emissions.clone().requires_grad_()
    got = ours(e, tags, mask, reduction="none")
    torch.testing.assert_close(got, ref(emissions, tags, mask, reduction="none"), rtol=1e-4, atol=1e-3)
    got.sum().backward()
    assert torch.isfinite(e.grad).all()


def test_time_first_and_float64_match_torchcrf():
    ref, ours = _pair(6, 6, batch_first=False, dtype=torch.float64)
    emissions, tags, mask = _batch(4, 8, 6, 6, dtype=torch.float64)
    args = (emissions.transpose(0, 1), tags.t(), mask.t())
    torch.testing.assert_close(ours(*args, reduction="none"), ref(*args, reduction="none"))
    assert ours.decode(args[0], args[2]) == ref.decode(args[0], args[2])
    assert ours.decode(args[0], args[2], as_tensor=True).shape == (8, 4)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("B,T,C,scale", [(7, 11, 5, 1.0), (9, 25, 40, 1.0), (9, 25, 40, 6.0), (5, 30, 122, 0.1)])
def test_decode_matches_torchcrf(B, T, C, scale, seed):
    ref, ours = _pair(C, seed, scale=scale)
    emissions, _, mask = _batch(B, T, C, seed, scale=3.0)
    with torch.no_grad():
        assert ours.decode(emissions, mask) == ref.decode(emissions, mask)
        assert ours.decode(emissions) == ref.decode(emissions)


def test_decode_breaks_ties_like_torchcrf():
    # Integer scores produce many equal-scoring paths; the same one must be chosen.
    for seed in range(6):
        ref, ours = _pair(20, seed)
        with torch.no_grad():
            for p in (ref.transitions, ref.start_transitions, ref.end_transitions):
                p.copy_(torch.randint(-1, 2, p.shape).float())
        ours.load_state_dict(ref.state_dict())
        g = torch.Generator().manual_seed(seed)
        emissions = torch.randint(0, 3, (6, 10, 20), generator=g).float()
        _, _, mask = _batch(6, 10, 20, seed)
        assert ours.decode(emissions, mask) == ref.decode(emissions, mask)


def test_decode_as_tensor():
    ref, ours = _pair(9, 7)
    emissions, _, mask = _batch(6, 8, 9, 7)
    paths = ref.decode(emissions, mask)
    tensor = ours.decode(emissions, mask, as_tensor=True, pad_tag=-1)
    assert tensor.dtype == torch.long and tensor.shape == (6, 8)
    for b, path in enumerate(paths):
        assert tensor[b, : len(path)].tolist() == path
        assert (tensor[b, len(path) :] == -1).all()
    default = ours.decode(emissions, mask, as_tensor=True, pad_tag=-100)
    assert torch.equal(ours.decode(emissions, mask, as_tensor=True), default)  # pad_tag defaults to -100
    assert not hasattr(ours, "viterbi_decode")  # one decoding entry point: decode(..., as_tensor=True)


def test_ignore_index_equals_compacted_sequences():
    ref, ours = _pair(8, 8)
    emissions, tags, mask = _batch(6, 10, 8, 8)
    g = torch.Generator().manual_seed(0)
    ignored = (torch.rand(6, 10, generator=g) < 0.3) & mask
    ignored[1, 0] = True  # an ignored first word
    tags_100 = tags.masked_fill(ignored, -100)
    keep = mask & ~ignored
    em_c, _ = _compact(emissions, keep)
    tags_c, mask_c = _compact(tags, keep)
    got = ours(emissions, tags_100, mask, reduction="none")
    torch.testing.assert_close(got, ref(em_c, tags_c, mask_c, reduction="none"), rtol=1e-4, atol=1e-4)
    # Without a mask, -100 alone marks the padding.
    got_nomask = ours(emissions, tags.masked_fill(~keep, -100), reduction="none")
    torch.testing.assert_close(got_nomask, got, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours(emissions, tags_100, mask, reduction="token_mean"), got.sum() / keep.sum())


def test_masks_with_holes_and_leading_zeros_equal_compacted():
    ref, ours = _pair(10, 9)
    emissions, tags, _ = _batch(5, 9, 10, 9)
    mask = torch.tensor(
        [
            [0, 1, 1, 1, 0, 1, 1, 1, 1],
            [0, 0, 0, 1, 1, 0, 0, 0, 0],
            [1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 0, 0, 0, 1],
            [1, 0, 1, 0, 1, 0, 1, 0, 1],
        ],
        dtype=torch.uint8,
    )
    em_c, mask_c = _compact(emissions, mask.bool())
    tags_c, _ = _compact(tags, mask.bool())
    got = ours(emissions, tags, mask, reduction="none")
    torch.testing.assert_close(got, ref(em_c, tags_c, mask_c, reduction="none"), rtol=1e-4, atol=1e-4)
    expected = ref.decode(em_c, mask_c)
    assert ours.decode(emissions, mask) == expected
    tensor = ours.decode(emissions, mask, as_tensor=True)
    for b in range(5):
        assert tensor[b][mask[b].bool()].tolist() == expected[b]
        assert (tensor[b][~mask[b].bool()] == -100).all()


def test_empty_sequences():
    ref, ours = _pair(6, 10)
    emissions, tags, mask = _batch(4, 5, 6, 10)
    mask[2] = False
    e = emissions.clone().requires_grad_()
    llh = ours(e, tags, mask, reduction="none")
    assert llh[2] == 0
    keep = torch.tensor([0, 1, 3])
    torch.testing.assert_close(llh[keep], ref(emissions[keep], tags[keep], mask[keep], reduction="none"))
    llh.sum().backward()
    assert torch.isfinite(e.grad).all() and (e.grad[2] == 0).all()
    paths = ours.decode(emissions, mask)
    assert paths[2] == [] and [paths[i] for i in (0, 1, 3)] == ref.decode(emissions[keep], mask[keep])
    # A batch of empty sequences, and sequences of no words at all.
    none = torch.zeros(4, 5, dtype=torch.bool)
    assert ours(emissions, tags, none).item() == 0 and ours(emissions, tags, none, reduction="token_mean").item() == 0
    assert ours.decode(emissions, none) == [[]] * 4
    assert ours(torch.randn(3, 0, 6), torch.zeros(3, 0, dtype=torch.long), reduction="none").tolist() == [0, 0, 0]
    assert ours.decode(torch.randn(3, 0, 6)) == [[], [], []]


def test_padding_garbage_does_not_leak():
    # NaN/inf in masked-out emissions must not reach the value or the gradient.
    _, ours = _pair(5, 11)
    emissions, tags, mask = _batch(4, 6, 5, 11, min_len=2)
    mask[1, 0] = False  # leading zero as well
    dirty = emissions.masked_fill(~mask.unsqueeze(2), float("nan")).requires_grad_()
    clean = emissions.masked_fill(~mask.unsqueeze(2), 0.0)
    llh = ours(dirty, tags, mask, reduction="sum")
    torch.testing.assert_close(llh, ours(clean, tags, mask, reduction="sum"))
    llh.backward()
    assert torch.isfinite(dirty.grad).all()
    assert ours.decode(dirty, mask) == ours.decode(clean, mask)


BIO = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "PAD"]


def test_bio_allowed_transitions():
    c = bio_transition_mask({str(i): label for i, label in enumerate(BIO)})  # JSON-style keys
    assert isinstance(c, TransitionConstraints)
    assert c.start.tolist() == [True, True, False, True, False, True]
    assert c.end.all()
    allowed = {(BIO[i], BIO[j]) for i in range(6) for j in range(6) if c.transitions[i, j]}
    assert ("B-PER", "I-PER") in allowed and ("I-PER", "I-PER") in allowed
    for frm in ("O", "B-LOC", "I-LOC", "PAD"):
        assert (frm, "I-PER") not in allowed
    assert all((frm, to) in allowed for frm in BIO for to in ("O", "B-PER", "B-LOC", "PAD"))
    assert int(c.transitions.sum()) == 6 * 4 + 2 * 2


def test_bioes_allowed_transitions():
    labels = ["O", "B-E", "I-E", "E-E", "S-E", "B-P", "I-P", "E-P", "S-P"]
    c = allowed_transitions(labels, scheme="BIOES")
    ok = lambda a, b: bool(c.transitions[labels.index(a), labels.index(b)])  # noqa: E731
    assert ok("B-E", "I-E") and ok("B-E", "E-E") and ok("I-E", "E-E") and ok("E-E", "B-P") and ok("S-E", "O")
    assert not ok("B-E", "O") and not ok("B-E", "E-P") and not ok("O", "I-E") and not ok("O", "E-E")
    assert not ok("I-E", "B-E") and not ok("E-E", "I-E") and not ok("S-P", "E-P")
    assert [labels[i] for i in range(9) if c.start[i]] == ["O", "B-E", "S-E", "B-P", "S-P"]
    assert [labels[i] for i in range(9) if c.end[i]] == ["O", "E-E", "S-E", "E-P", "S-P"]
    bilou = allowed_transitions(["O", "B-E", "I-E", "L-E", "U-E"], scheme="BILOU")
    assert torch.equal(bilou.transitions, allowed_transitions(labels[:5], scheme="BIOES").transitions)


def _violations(paths, labels, c):
    bad = 0
    for path in paths:
        if path and not c.start[path[0]]:
            bad += 1
        if path and not c.end[path[-1]]:
            bad += 1
        bad += sum(not c.transitions[a, b] for a, b in zip(path, path[1:]))
    return bad


BIOES = ["O", "B-E", "I-E", "E-E", "S-E", "B-P", "I-P", "E-P", "S-P"]


@pytest.mark.parametrize("scheme,labels", [("BIO", BIO), ("BIOES", BIOES)])
def test_constrained_decode_is_well_formed(scheme, labels):
    c = allowed_transitions(labels, scheme=scheme)
    crf = CRF(len(labels), constraints=c)
    emissions, _, mask = _batch(32, 12, len(labels), 12, scale=3.0)
    free = CRF(len(labels))
    free.load_state_dict(crf.state_dict())
    assert _violations(free.decode(emissions, mask), labels, c) > 0  # the random case does test something
    paths = crf.decode(emissions, mask)
    assert _violations(paths, labels, c) == 0
    assert [len(p) for p in paths] == mask.sum(1).tolist()
    # Per-call constraints give the same; clearing them restores the free decode.
    assert free.decode(emissions, mask, constraints=c) == paths
    crf.set_constraints(None)
    assert crf.decode(emissions, mask) == free.decode(emissions, mask)


def test_constrained_decode_is_the_best_allowed_path():
    # Brute force: the constrained path is the highest-scoring allowed path.
    c = bio_transition_mask(BIO[:5])
    crf = CRF(5, constraints=c)
    emissions = torch.randn(1, 4, 5) * 3
    paths = torch.cartesian_prod(*[torch.arange(5)] * 4)
    free = CRF(5)
    free.load_state_dict(crf.state_dict())
    llh = free(emissions.expand(len(paths), -1, -1), paths, reduction="none")
    ok = torch.tensor([_violations([p.tolist()], BIO, c) == 0 for p in paths])
    assert crf.decode(emissions)[0] == paths[llh.masked_fill(~ok, -1e9).argmax()].tolist()


def test_constrain_training():
    c = bio_transition_mask(BIO)
    emissions, _, mask = _batch(4, 6, 6, 13)
    tags = torch.tensor([[1, 2, 0, 3, 4, 0]] * 4)  # well-formed
    free = CRF(6)
    crf = CRF(6, constraints=c, constrain_training=True)
    crf.load_state_dict(free.state_dict())
    a, b = free(emissions, tags, mask, reduction="none"), crf(emissions, tags, mask, reduction="none")
    assert (b > a).all()  # same gold score, fewer competing paths
    bad = torch.tensor([[0, 2, 0, 3, 4, 0]] * 4)  # O -> I-PER
    assert (crf(emissions, bad, reduction="none") < CONSTRAINT_PENALTY / 2).all()
    # Without the flag the constraints only affect decoding.
    plain = CRF(6, constraints=c)
    plain.load_state_dict(free.state_dict())
    torch.testing.assert_close(plain(emissions, tags, mask, reduction="none"), a)
    crf.constrain_training = False
    torch.testing.assert_close(crf(emissions, tags, mask, reduction="none"), a)


def test_state_dict_compatible_with_torchcrf():
    ref = torchcrf.CRF(7, batch_first=True)
    ours = CRF(7, constraints=bio_transition_mask(["O", "B-A", "I-A", "B-B", "I-B", "B-C", "I-C"]))
    assert set(ours.state_dict()) == set(ref.state_dict()) == {"start_transitions", "end_transitions", "transitions"}
    ours.load_state_dict(ref.state_dict())  # strict
    back = torchcrf.CRF(7, batch_first=True)
    back.load_state_dict(ours.state_dict())
    for k, v in ref.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)
    assert isinstance(ours, torchcrf.CRF) and ours.batch_first
    fresh = CRF(50)
    for p in fresh.parameters():  # pytorch-crf's initialisation
        assert p.abs().max() <= 0.1


def test_tag_helpers_are_reexported_from_tagging():
    import hf_transfer.layers as layers
    import hf_transfer.layers.crf as crf
    import hf_transfer.tagging as tagging

    for name in ("IGNORE_INDEX", "TransitionConstraints", "allowed_transitions", "bio_transition_mask",
                 "CRF_CONSTRAINTS", "check_crf_constraints", "resolve_crf_scheme"):
        assert getattr(crf, name) is getattr(tagging, name), name
    assert layers.allowed_transitions is tagging.allowed_transitions
    assert layers.TransitionConstraints is tagging.TransitionConstraints


def test_errors_name_the_parameter():
    crf = CRF(4)
    em = torch.randn(2, 3, 4)
    tags = torch.zeros(2, 3, dtype=torch.long)
    cases = [
        (lambda: crf(em[0], tags), "emissions"),
        (lambda: crf(torch.randn(2, 3, 5), tags), "emissions"),
        (lambda: crf(em.long(), tags), "emissions"),
        (lambda: crf(em, tags[:, :2]), "tags"),
        (lambda: crf(em, tags.float()), "tags"),
        (lambda: crf(em, tags + 4), "tags"),
        (lambda: crf(em, tags - 2), "tags"),
        (lambda: crf(em, tags, torch.ones(2, 4, dtype=torch.bool)), "mask"),
        (lambda: crf(em, tags, torch.ones(2, 3)), "mask"),
        (lambda: crf(em, tags, reduction="avg"), "reduction"),
        (lambda: crf.decode(em, torch.ones(3, 3, dtype=torch.bool)), "mask"),
        (lambda: CRF(0), "num_tags"),
        (lambda: crf.set_constraints(torch.ones(3, 3, dtype=torch.bool)), "constraints"),
        (lambda: crf.set_constraints(torch.ones(4, 4)), "constraints"),
        (lambda: allowed_transitions(["O", "B-X"], scheme="XYZ"), "scheme"),
        (lambda: allowed_transitions(["O", "E-X"], scheme="BIO"), "E-X"),
        (lambda: bio_transition_mask({0: "O", 2: "B-X"}), "id2label"),
    ]
    for fn, name in cases:
        with pytest.raises(ValueError, match=name):
            fn()


@pytest.mark.parametrize("rows", [33, 600])  # 600: split into row chunks
@pytest.mark.parametrize("spread", [0.01, 0.5, 5.0, 50.0])
def test_pruned_max_plus_is_exact(spread, rows):
    # The pruned (max, +) product must give bit-identical maxima to the dense one.
    g = torch.Generator().manual_seed(int(spread * 100))
    trans = torch.randn(64, 64, generator=g) * spread
    score = torch.randn(rows, 64, generator=g) * 10
    score[:3] = score[:3].round()  # ties
    bound = float(score.abs().max() + trans.abs().max())
    slack = float((trans.amax(0) - trans.amin(0)).max()) + 1e-3 + 1e-5 * bound
    dense = (score.unsqueeze(2) + trans).amax(1)
    torch.testing.assert_close(CRF._max_plus(score, trans, trans.t().contiguous(), slack, True), dense, rtol=0, atol=0)
