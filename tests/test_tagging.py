"""`hf_transfer.tagging`: tag parsing, schemes, validation, spans and CRF transitions."""

import random

import pytest
import torch

from hf_transfer import tagging
from hf_transfer.tagging import (
    IGNORE_INDEX,
    OUTSIDE_TAG,
    TransitionConstraints,
    allowed_transitions,
    bio_transition_mask,
    check_crf_constraints,
    check_scheme,
    detect_scheme,
    label_names,
    outside_tag_id,
    resolve_crf_scheme,
    sort_tags,
    split_tag,
    tags_to_spans,
    validate_bio,
)


def test_constants():
    assert IGNORE_INDEX == -100 and OUTSIDE_TAG == "O"


# ------------------------------------------------------------------------------ parsing
@pytest.mark.parametrize(
    "tag,expected",
    [
        ("B-PER", ("B", "PER")),
        ("I-city_name", ("I", "city_name")),
        ("E-x-y", ("E", "x-y")),  # only the first separator splits
        ("U-LOC", ("U", "LOC")),
        ("B_PER", ("B", "PER")),  # the CRF reads `_` too
        ("B-", ("B", "")),  # bare prefix: empty type
        ("O", ("O", "")),
        ("PAD", ("O", "")),
        ("UNK", ("O", "")),  # not a U- chunk of type NK
        ("BB-x", ("O", "")),
        ("X-city", ("O", "")),
        ("", ("O", "")),
    ],
)
def test_split_tag(tag, expected):
    assert split_tag(tag) == expected


def test_split_tag_separators():
    assert split_tag("B_PER", "-") == ("O", "")
    assert split_tag("B-PER", "_") == ("O", "")


def test_label_names():
    assert label_names(["O", "B-x"]) == ["O", "B-x"]
    assert label_names({"1": "B-x", "0": "O"}) == ["O", "B-x"]  # JSON-style keys, any order
    with pytest.raises(ValueError, match=r"0\.\.1 without gaps, got \[0, 2\]"):
        label_names({0: "O", 2: "B-x"})
    with pytest.raises(ValueError, match="integers"):
        label_names({"a": "O"})


def test_outside_tag_id():
    assert outside_tag_id(["B-x", "I-x", "O"]) == 2
    assert outside_tag_id({5: "B-x", 7: "O"}) == 7
    assert outside_tag_id(["B-x", "I-x"]) == 0
    assert outside_tag_id(None) == 0


def test_sort_tags():
    tags = ["I-b", "O", "B-b", "S-a", "E-a", "B-a", "I-a", "B-b"]
    assert sort_tags(tags) == ["O", "B-a", "I-a", "E-a", "S-a", "B-b", "I-b"]


# ------------------------------------------------------------------------------ schemes
def test_check_scheme():
    assert check_scheme("iob2", "f") == "IOB2"
    with pytest.raises(ValueError, match=r"myfn: unknown scheme 'XYZ'; expected one of \['BILOU', 'BIO', 'BIOES', 'IOB2', 'IOBES'\]"):
        check_scheme("XYZ", "myfn")


def test_scheme_family():
    assert tagging.SCHEME_FAMILY == {"BIO": "BIO", "IOB2": "BIO", "BIOES": "BIOES", "IOBES": "BIOES", "BILOU": "BIOES"}


def test_detect_scheme():
    assert detect_scheme(["O", "B-x", "I-x", "PAD"]) == "BIO"
    assert detect_scheme(["O", "B-x", "I-x", "E-x"]) == "BIOES"
    assert detect_scheme(["O", "S-x"]) == "BIOES"
    assert detect_scheme(["O", "U-x"]) == "BILOU"  # its own answer since 1b7aeab (L-/U- decodable)
    assert detect_scheme(["O", "UNK", "E_x"]) == "BIO"  # UNK is no U- tag; `_` is not read here
    assert detect_scheme([]) == "BIO"


def test_crf_constraints_config_values():
    assert check_crf_constraints(None) is None
    assert check_crf_constraints("BIOES") == "bioes"
    with pytest.raises(ValueError, match="crf_constraints must be one of"):
        check_crf_constraints("iob")
    assert resolve_crf_scheme("auto", {0: "O", 1: "S-x"}) == "BIOES"
    assert resolve_crf_scheme("auto", ["O", "B-x"]) == "BIO"
    assert resolve_crf_scheme("bio", ["O", "S-x"]) == "BIO"  # explicit wins
    assert resolve_crf_scheme(None, ["O", "B-x"]) is None
    assert resolve_crf_scheme("auto", None) is None and resolve_crf_scheme("auto", []) is None


# --------------------------------------------------------------------------- validation
def test_validate_bio_accepts():
    validate_bio(["O", "B-city", "I-city", "B-x-y"])
    validate_bio(["B-E", "I-E", "E-E", "S-P", "O"], scheme="BIOES")
    validate_bio(["B-E", "I-E"], scheme="iobes")  # BIOES also accepts BIO
    validate_bio(["B-E", "I-E", "L-E", "U-P", "O"], scheme="BILOU")
    validate_bio([])


@pytest.mark.parametrize(
    "tags,kwargs,message",
    [
        (["O", "X-city"], {"file": "f.txt", "line": 3}, "f.txt, line 3, token 2: invalid BIO tag 'X-city'; expected 'O' or B-<type> or I-<type>"),
        (["B-E", "E-E"], {"file": "f.txt", "line": 1}, "f.txt, line 1, token 2: invalid BIO tag 'E-E'"),
        (["O", "B-"], {"file": "g.conll", "line": [10, 11]}, "g.conll, line 11: invalid BIO tag 'B-'"),
        (["B_city"], {"file": "hub", "line": "row 4"}, "hub, row 4, token 1: invalid BIO tag 'B_city'"),
        (["PAD"], {}, "<input>, token 1: invalid BIO tag 'PAD'"),
        (["o"], {"line": 2}, "line 2, token 1: invalid BIO tag 'o'"),
        (["L-x"], {"scheme": "BIOES"}, "invalid BIOES tag 'L-x'; expected 'O' or B-<type> or I-<type> or E-<type> or S-<type>"),
        (["E-x"], {"scheme": "BILOU"}, "expected 'O' or B-<type> or I-<type> or L-<type> or U-<type>"),
    ],
)
def test_validate_bio_errors_name_file_line_and_token(tags, kwargs, message):
    with pytest.raises(ValueError) as err:
        validate_bio(tags, **kwargs)
    assert message in str(err.value)


def test_validate_bio_unknown_scheme():
    with pytest.raises(ValueError, match="validate_bio: unknown scheme 'XYZ'"):
        validate_bio(["O"], scheme="XYZ")


# -------------------------------------------------------------------------------- spans
@pytest.mark.parametrize(
    "tags,spans",
    [
        ([], []),
        (["O", "O"], []),
        (["B-a", "I-a", "O", "B-b"], [("a", 0, 1), ("b", 3, 3)]),
        (["I-a", "I-a", "O"], [("a", 0, 1)]),  # I-x without B-x starts a chunk (conlleval)
        (["B-a", "I-b", "I-b"], [("a", 0, 0), ("b", 1, 2)]),  # a type change starts a new chunk
        (["B-a", "B-a"], [("a", 0, 0), ("a", 1, 1)]),
        (["O", "I-a"], [("a", 1, 1)]),  # a chunk open at the end is closed
        (["S-x", "B-y", "I-y", "E-y", "O", "B-x", "E-x"], [("x", 0, 0), ("y", 1, 3), ("x", 5, 6)]),
        (["E-a", "I-a", "E-a"], [("a", 0, 0), ("a", 1, 2)]),  # E ends a chunk; I after E starts one
        (["B-a", "S-a", "E-a"], [("a", 0, 0), ("a", 1, 1), ("a", 2, 2)]),
        (["B-a", "L-a", "U-b"], [("a", 0, 1), ("b", 2, 2)]),  # BILOU
        (["B-a", "PAD", "I-a", "UNK"], [("a", 0, 0), ("a", 2, 2)]),  # prefix-less labels are O
        (["B-a", "B_a"], [("a", 0, 0)]),  # `_` is not a separator for spans
        (["B-", "I-"], [("", 0, 1)]),  # bare prefixes: type "", kept
        (["B-x-y", "I-x-y"], [("x-y", 0, 1)]),
    ],
)
def test_tags_to_spans(tags, spans):
    assert tags_to_spans(tags) == spans


def test_tags_to_spans_accepts_any_iterable():
    assert tags_to_spans(t for t in ("B-a", "I-a")) == [("a", 0, 1)]
    assert tags_to_spans(("O", "S-b")) == [("b", 1, 1)]


def _conlleval_spans(tags):
    """Reference: conlleval's chunking, written out (what the pipeline did before seqeval)."""
    spans, current = [], None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, typ = (tag[0], tag[2:]) if tag[:2] in {f"{p}-" for p in "BIESLU"} else ("O", "")
        if prefix in "IEL" and current is not None and current[0] == typ:
            current[2] = i
            if prefix in "EL":
                spans.append(tuple(current))
                current = None
            continue
        if current is not None:
            spans.append(tuple(current))
            current = None
        if prefix in "BI":
            current = [typ, i, i]
        elif prefix in "SUEL":
            spans.append((typ, i, i))
    return spans


def test_tags_to_spans_matches_conlleval_and_seqeval():
    from seqeval.metrics.sequence_labeling import get_entities

    rng = random.Random(0)
    bio = ["O", "B-a", "I-a", "B-b", "I-b"]
    every = bio + ["E-a", "S-a", "E-b", "S-b", "L-a", "U-b", "PAD", "UNK", "B-", "I_a"]
    for _ in range(500):
        seq = [rng.choice(bio) for _ in range(rng.randrange(0, 12))]
        assert tags_to_spans(seq) == get_entities(seq) == _conlleval_spans(seq), seq
        seq = [rng.choice(every) for _ in range(rng.randrange(0, 12))]
        assert tags_to_spans(seq) == _conlleval_spans(seq), seq


def test_tags_to_spans_word_indices_give_character_offsets():
    from hf_transfer.models.multitask.pipeline import split_words

    text = "  fly to  new york\ttomorrow "
    words, offsets = split_words(text)
    tags = ["O", "O", "B-city", "I-city", "B-date"]
    assert len(words) == len(tags)
    found = [(typ, text[offsets[first][0] : offsets[last][1]]) for typ, first, last in tags_to_spans(tags)]
    assert found == [("city", "new york"), ("date", "tomorrow")]


# -------------------------------------------------------------------------- transitions
BIO = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "PAD"]
BIOES = ["O", "B-E", "I-E", "E-E", "S-E", "B-P", "I-P", "E-P", "S-P"]


def _allowed(c, labels):
    return {(labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels)) if c.transitions[i, j]}


def test_bio_transitions():
    c = bio_transition_mask(BIO)
    assert isinstance(c, TransitionConstraints)
    assert all(t.dtype == torch.bool for t in c)
    assert c.start.tolist() == [True, True, False, True, False, True]
    assert c.end.all()
    allowed = _allowed(c, BIO)
    assert {("B-PER", "I-PER"), ("I-PER", "I-PER"), ("PAD", "B-LOC"), ("I-LOC", "O")} <= allowed
    assert not {("O", "I-PER"), ("B-LOC", "I-PER"), ("PAD", "I-LOC"), ("I-PER", "I-LOC")} & allowed
    assert len(allowed) == 6 * 4 + 2 * 2
    iob2 = allowed_transitions({str(i): t for i, t in enumerate(BIO)}, scheme="iob2")
    assert all(torch.equal(a, b) for a, b in zip(iob2, c))


def test_bioes_transitions():
    c = allowed_transitions(BIOES, scheme="BIOES")
    allowed = _allowed(c, BIOES)
    assert {("B-E", "I-E"), ("B-E", "E-E"), ("I-E", "E-E"), ("E-E", "B-P"), ("S-E", "O"), ("O", "S-P")} <= allowed
    assert not {("B-E", "O"), ("B-E", "E-P"), ("O", "I-E"), ("O", "E-E"), ("I-E", "B-E"), ("E-E", "I-E")} & allowed
    assert [BIOES[i] for i in range(9) if c.start[i]] == ["O", "B-E", "S-E", "B-P", "S-P"]
    assert [BIOES[i] for i in range(9) if c.end[i]] == ["O", "E-E", "S-E", "E-P", "S-P"]
    bilou = allowed_transitions(["O", "B-E", "I-E", "L-E", "U-E"], scheme="BILOU")
    bioes = allowed_transitions(BIOES[:5], scheme="IOBES")
    assert all(torch.equal(a, b) for a, b in zip(bilou, bioes))


def test_transitions_read_underscores_and_treat_bare_prefixes_as_outside():
    under = allowed_transitions(["O", "B_X", "I_X"])
    dash = allowed_transitions(["O", "B-X", "I-X"])
    assert all(torch.equal(a, b) for a, b in zip(under, dash))
    bare = allowed_transitions(["O", "I-", "B-X", "I-X"], scheme="BIOES")
    assert bare.start[1] and bare.end[1]  # "I-" behaves like O
    assert bare.transitions[1, 2] and not bare.transitions[1, 3]


def test_transition_errors():
    with pytest.raises(ValueError, match="allowed_transitions: unknown scheme 'XYZ'"):
        allowed_transitions(["O", "B-X"], scheme="XYZ")
    with pytest.raises(ValueError, match=r"label 'E-X' \(id 1\) has prefix 'E', which scheme 'BIO' does not use"):
        allowed_transitions(["O", "E-X"], scheme="BIO")
    with pytest.raises(ValueError, match="empty"):
        allowed_transitions([])
    with pytest.raises(ValueError, match="id2label"):
        bio_transition_mask({0: "O", 2: "B-X"})


def test_auto_scheme_of_bilou_tags_decodes_their_last_and_unit_tags():
    """BILOU tags detected as BIOES would keep L-/U- out of every allowed path."""
    from hf_transfer.tagging import allowed_transitions, detect_scheme, resolve_crf_scheme

    tags = ["O", "B-x", "I-x", "L-x", "U-x"]
    assert detect_scheme(tags) == "BILOU" and resolve_crf_scheme("auto", tags) == "BILOU"
    assert detect_scheme(["O", "B-x", "E-x", "S-x"]) == "BIOES" and detect_scheme(["O", "B-x", "I-x"]) == "BIO"
    allowed = allowed_transitions(tags, "BILOU")
    assert bool(allowed.transitions[1, 3]) and bool(allowed.end[3]) and bool(allowed.start[4]) and bool(allowed.end[4])
