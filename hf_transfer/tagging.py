"""BIO / BIOES tag strings, written once: parsing, schemes, validation, spans, CRF transitions.

Every part of the library that reads tag names (the data readers' validation, the CRF's
transition constraints, the metrics' ``O`` id, the pipeline's slot spans) uses these helpers,
so a tag means the same thing everywhere. This module is plain Python: it imports neither the
models nor, at import time, torch (`allowed_transitions` imports it when called), so that
`hf_transfer.layers.crf`, `hf_transfer.data.schema` and `hf_transfer.metrics` can all import
it.

Tags are ``<prefix><sep><type>`` with a one-letter prefix (``B``, ``I``, ``E``, ``S``, or BILOU's
``L`` = ``E`` and ``U`` = ``S``) or ``O``. Labels without such a prefix (``O``, ``PAD``, ``UNK``)
count as outside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Union


if TYPE_CHECKING:
    import torch

__all__ = [
    "BILOU_TO_BIOES",
    "CHUNK_PREFIXES",
    "CRF_CONSTRAINTS",
    "IGNORE_INDEX",
    "OUTSIDE_TAG",
    "SCHEME_FAMILY",
    "SCHEME_PREFIXES",
    "TransitionConstraints",
    "allowed_transitions",
    "bio_transition_mask",
    "check_crf_constraints",
    "check_scheme",
    "detect_scheme",
    "label_names",
    "location",
    "outside_tag_id",
    "resolve_crf_scheme",
    "sort_tags",
    "split_tag",
    "tag_sort_key",
    "tags_to_spans",
    "validate_bio",
]

IGNORE_INDEX = -100
"""Label id of positions to ignore (padding, sub-word continuations), as in Hugging Face models."""

OUTSIDE_TAG = "O"
"""The tag of words outside every chunk."""

CHUNK_PREFIXES = "BIESLU"
"""One-letter prefixes that make a tag a chunk tag (any scheme)."""

BILOU_TO_BIOES = {"L": "E", "U": "S"}
"""BILOU's last / unit prefixes are BIOES's end / single ones."""

SCHEME_PREFIXES = {
    "BIO": frozenset("BI"),
    "IOB2": frozenset("BI"),
    "BIOES": frozenset("BIES"),
    "IOBES": frozenset("BIES"),
    "BILOU": frozenset("BILU"),
}
"""Allowed chunk prefixes per tagging scheme (``O`` is always allowed)."""

SCHEME_FAMILY = {name: "BIO" if prefixes == frozenset("BI") else "BIOES" for name, prefixes in SCHEME_PREFIXES.items()}
"""Scheme name (or alias) -> ``"BIO"`` or ``"BIOES"``: the transition rules it follows."""

CRF_CONSTRAINTS = ("auto", "bio", "bioes")
"""Values of a model config's `crf_constraints` (or `None`: unconstrained)."""

_PREFIX_ORDER = {p: i for i, p in enumerate("BILEUS")}


# ------------------------------------------------------------------------------ parsing
def split_tag(tag: str, separators: str = "-_") -> tuple[str, str]:
    """``"B-PER" -> ("B", "PER")``; a label that is not ``<B|I|E|S|L|U><sep><type>`` (``O``,
    ``PAD``, ``UNK``) -> ``("O", "")``.

    A bare prefix such as ``"B-"`` gives an empty type: `validate_bio` rejects it and
    `allowed_transitions` treats it as outside, while `tags_to_spans` keeps it (type ``""``),
    as conlleval does. ``separators``: the CRF also reads ``B_PER``; data files and spans only
    ``-``.
    """
    if len(tag) >= 2 and tag[1] in separators and tag[0] in CHUNK_PREFIXES:
        return tag[0], tag[2:]
    return OUTSIDE_TAG, ""


def label_names(labels: Union[Sequence[str], Mapping]) -> list[str]:
    """Tag names in id order from a list or an ``id2label`` mapping (keys ints or int strings,
    as JSON configs store them, ``0..n-1`` without gaps)."""
    if isinstance(labels, Mapping):
        try:
            items = sorted((int(k), v) for k, v in labels.items())
        except (TypeError, ValueError) as err:
            raise ValueError(f"`id2label` keys must be integers (or integer strings), got {list(labels)[:5]}") from err
        ids = [k for k, _ in items]
        if ids != list(range(len(ids))):
            raise ValueError(f"`id2label` keys must be 0..{len(ids) - 1} without gaps, got {ids}")
        return [str(v) for _, v in items]
    return [str(v) for v in labels]


def outside_tag_id(id2tag) -> int:
    """The id of the `O` tag in an `id2tag` map or list (0 when there is none): what a word
    with no prediction counts as."""
    names = list(id2tag.values()) if isinstance(id2tag, Mapping) else list(id2tag or [])
    keys = list(id2tag.keys()) if isinstance(id2tag, Mapping) else list(range(len(names)))
    return int(keys[names.index(OUTSIDE_TAG)]) if OUTSIDE_TAG in names else 0


def tag_sort_key(tag: str):
    """Sort key that keeps ``O`` first and the tags of one slot type together (B, I, E, S), so
    that label ids do not depend on the order tags were first seen."""
    if tag == OUTSIDE_TAG:
        return (0, "", 0)
    prefix, _, typ = tag.partition("-")
    return (1, typ, _PREFIX_ORDER.get(prefix, 99))


def sort_tags(tags: Iterable[str]) -> list[str]:
    """Deterministic slot label order: ``O``, then by slot type, then B/I/E/S."""
    return sorted(set(tags), key=tag_sort_key)


# ------------------------------------------------------------------------------ schemes
def check_scheme(scheme: str, caller: str) -> str:
    """``scheme`` upper-cased, or a ValueError naming `caller` and the known schemes."""
    key = str(scheme).upper()
    if key not in SCHEME_PREFIXES:
        raise ValueError(f"{caller}: unknown scheme {scheme!r}; expected one of {sorted(SCHEME_PREFIXES)}")
    return key


def detect_scheme(tags: Iterable[str]) -> str:
    """``"BIOES"`` when a tag has an ``E-``/``S-`` prefix, ``"BILOU"`` when it has ``L-``/``U-``
    ones instead, else ``"BIO"`` (a tag set with only B/I cannot tell the schemes apart, and BIO
    is then the weaker constraint). BILOU is its own answer so that constrained decoding maps
    ``L``/``U`` to the end / single states; read as BIOES they could never be decoded."""
    prefixes = {split_tag(str(t), "-")[0] for t in tags}
    if prefixes & {"E", "S"}:
        return "BIOES"
    return "BILOU" if prefixes & {"L", "U"} else "BIO"


def check_crf_constraints(crf_constraints: str | None) -> str | None:
    """Normalise a config's `crf_constraints`; raises naming the parameter when it is not one of
    `CRF_CONSTRAINTS` or None."""
    if crf_constraints is None:
        return None
    value = str(crf_constraints).lower()
    if value not in CRF_CONSTRAINTS:
        raise ValueError(f"crf_constraints must be one of {CRF_CONSTRAINTS} or None, got {crf_constraints!r}")
    return value


def resolve_crf_scheme(crf_constraints: str | None, tag_names: Union[Sequence[str], Mapping, None]) -> str | None:
    """The tagging scheme (`"BIO"`, `"BIOES"` or None) a config's `crf_constraints` means for
    these tags: `"auto"` is `detect_scheme` of the tags."""
    names = label_names(tag_names) if tag_names else []
    if crf_constraints is None or not names:
        return None
    if crf_constraints == "auto":
        return detect_scheme(names)
    return crf_constraints.upper()


# --------------------------------------------------------------------------- validation
def location(file, line) -> str:
    """``"train.txt, line 3"``-style prefix of an error message (``"<input>"`` when unknown)."""
    parts = []
    if file is not None:
        parts.append(str(file))
    if line is not None:
        parts.append(f"line {line}" if isinstance(line, int) else str(line))
    return ", ".join(parts) if parts else "<input>"


def validate_bio(
    tags: Sequence[str],
    file: str | None = None,
    line: int | str | Sequence[int] | None = None,
    scheme: str = "BIO",
) -> None:
    """Check that every tag is ``O`` or ``<prefix>-<type>`` with a prefix allowed by ``scheme``,
    so that a malformed file fails where it is read, not as a silent loss of entities.

    Args:
        tags: the tags of one utterance.
        file: file (or data set) name for the error message.
        line: line number of the utterance (int), a description such as ``"row 3"`` (str), or
            one line number per tag (CoNLL files, where every tag has its own line).
        scheme: ``"BIO"``/``"IOB2"`` (``B-``, ``I-``), ``"BIOES"``/``"IOBES"`` (adds ``E-``,
            ``S-``) or ``"BILOU"``.

    Raises:
        ValueError: naming the file, line, position and tag at fault and what was expected.
    """
    key = check_scheme(scheme, "validate_bio")
    allowed = SCHEME_PREFIXES[key]
    per_tag_lines = line is not None and not isinstance(line, (int, str))
    for i, tag in enumerate(tags):
        if tag == OUTSIDE_TAG:
            continue
        prefix, typ = split_tag(tag, "-")
        if typ and prefix in allowed:
            continue
        where = location(file, line[i] if per_tag_lines else line)
        pos = "" if per_tag_lines else f", token {i + 1}"
        expected = " or ".join(f"{p}-<type>" for p in sorted(allowed, key=_PREFIX_ORDER.get))
        raise ValueError(f"{where}{pos}: invalid {key} tag {tag!r}; expected 'O' or {expected}")


# -------------------------------------------------------------------------------- spans
def tags_to_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """`(type, first_word, last_word)` chunks (inclusive word indices) of a BIO / BIOES / BILOU
    tag sequence, read as conlleval reads it: an `I-x` or `E-x` that does not continue an `x`
    chunk starts a new one.

    seqeval's `get_entities` does the chunking; tags are first rewritten to what it reads
    unambiguously (outside labels such as `PAD` -> `O`, `L`/`U` -> `E`/`S`, types -> indices,
    so an empty type stays distinct), and types are mapped back.
    """
    from seqeval.metrics.sequence_labeling import get_entities

    types: dict[str, int] = {}
    canonical = []
    for tag in tags:
        prefix, typ = split_tag(tag, "-")
        if prefix == OUTSIDE_TAG:
            canonical.append(OUTSIDE_TAG)
        else:
            canonical.append(f"{BILOU_TO_BIOES.get(prefix, prefix)}-{types.setdefault(typ, len(types))}")
    names = list(types)
    return [(names[int(typ)], first, last) for typ, first, last in get_entities(canonical)]


# -------------------------------------------------------------------------- transitions
class TransitionConstraints(NamedTuple):
    """Allowed tags at the start, allowed ``from -> to`` transitions and allowed tags at the end.

    ``start``: ``[C]`` bool, ``transitions``: ``[C, C]`` bool (row = previous tag, column =
    next tag), ``end``: ``[C]`` bool.
    """

    start: torch.Tensor
    transitions: torch.Tensor
    end: torch.Tensor


def _transition_tag(label: str, scheme: str) -> tuple[str, str]:
    """`split_tag` as the CRF reads it: ``-`` or ``_``, a bare prefix (``"B-"``) is outside, and
    ``L``/``U`` are ``E``/``S`` only under BILOU."""
    prefix, typ = split_tag(label)
    if not typ:
        return OUTSIDE_TAG, ""
    return (BILOU_TO_BIOES.get(prefix, prefix) if scheme == "BILOU" else prefix), typ


def allowed_transitions(labels: Union[Sequence[str], Mapping], scheme: str = "BIO") -> TransitionConstraints:
    """The transitions a well-formed BIO or BIOES tag sequence may take.

    BIO (IOB2): ``I-x`` may only follow ``B-x`` or ``I-x`` and cannot start a sequence.
    BIOES (IOBES, or BILOU with L = E and U = S): after ``B-x`` / ``I-x`` come only ``I-x`` /
    ``E-x``; after ``O`` / ``E-*`` / ``S-*`` (and at the start) come only ``O`` / ``B-*`` /
    ``S-*``; a sequence ends on ``O`` / ``E-*`` / ``S-*``. Labels without a prefix (``O``,
    ``PAD``, ``UNK``) behave like ``O``.

    Args:
        labels: the tag names in id order, or an ``id2label`` mapping.
        scheme: ``"BIO"`` (alias ``"IOB2"``), ``"BIOES"`` (alias ``"IOBES"``) or ``"BILOU"``.
    """
    import torch

    key = check_scheme(scheme, "allowed_transitions")
    names = label_names(labels)
    if not names:
        raise ValueError("`labels` is empty: expected at least one tag name")
    family = SCHEME_FAMILY[key]
    parsed = [_transition_tag(n, key) for n in names]
    if family == "BIO":
        for i, (p, _) in enumerate(parsed):
            if p not in "BIO":
                raise ValueError(f"label {names[i]!r} (id {i}) has prefix {p!r}, which scheme {scheme!r} does not use")
    C = len(names)
    start = torch.ones(C, dtype=torch.bool)
    end = torch.ones(C, dtype=torch.bool)
    trans = torch.ones(C, C, dtype=torch.bool)
    for j, (pj, tj) in enumerate(parsed):
        if family == "BIO":
            start[j] = pj != "I"
            for i, (pi, ti) in enumerate(parsed):
                trans[i, j] = pj != "I" or (pi in "BI" and ti == tj)
        else:
            start[j] = pj in "OBS"
            end[j] = pj in "OES"
            for i, (pi, ti) in enumerate(parsed):
                trans[i, j] = (pj in "IE" and ti == tj) if pi in "BI" else pj in "OBS"
    return TransitionConstraints(start, trans, end)


def bio_transition_mask(id2label: Union[Sequence[str], Mapping]) -> TransitionConstraints:
    """`allowed_transitions` for a BIO tag set given as ``id2label`` (a dict or a list)."""
    return allowed_transitions(id2label, scheme="BIO")
