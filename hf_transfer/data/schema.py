"""The two data set schemas every reader in :mod:`hf_transfer.data.readers` produces.

Joint intent detection + slot filling (Liu & Lane, 2016; Chen et al., 2019, "BERT for
Joint Intent Classification and Slot Filling"):

===========  =====================================  ==========================================
column       feature                                note
===========  =====================================  ==========================================
``id``       ``Value("string")``                    line number, ``# id`` or the source's id
``text``     ``Value("string")``                    ``" ".join(tokens)``
``tokens``   ``Sequence(Value("string"))``          words (characters for character-level sets)
``tags``     ``Sequence(ClassLabel(slot names))``   BIO (or BIOES) slot tags, one per token
``intent``   ``ClassLabel(intent names)``           absent for slot-only (NER) sets
``language`` ``Value("string")``                    only for multilingual sets
===========  =====================================  ==========================================

Sentence classification: ``text``, ``label`` (``ClassLabel``), optional ``language``
(``ClassLabel``, so that it can feed a language discriminator directly) and ``id``.

Label names travel in the ``ClassLabel`` features, so a model config is built with
``id2label = dict(enumerate(ds["train"].features["intent"].names))``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from datasets import ClassLabel, Features, Sequence as HFSequence, Value

UNK = "UNK"
"""Label name that intents (or sentence labels) unseen in the reference split are mapped to.

Unseen slot tags keep their prefix and take the type ``UNK`` (``B-city_code`` -> ``B-UNK``),
so that seqeval still counts them as gold entities: mapping them to ``O`` would silently drop
them from recall, and a bare ``UNK`` tag would be read by seqeval as a BILOU ``U-`` chunk of
type ``NK``."""

SPECIAL_LABELS = ("PAD", "UNK")
"""Entries in JointBERT's ``intent_label.txt`` / ``slot_label.txt`` that are not labels of the
data: ``PAD`` is a padding id (the Hugging Face stack uses -100 instead) and ``UNK`` is only
needed when some split holds labels unseen in train, in which case it is added back."""

SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "dev": "validation",
    "valid": "validation",
    "val": "validation",
    "validation": "validation",
    "eval": "validation",
    "test": "test",
}
"""Split names in the wild -> the Hugging Face names (``dev``/``valid``/``val`` -> ``validation``)."""

SCHEME_PREFIXES = {
    "BIO": frozenset("BI"),
    "IOB2": frozenset("BI"),
    "BIOES": frozenset("BIES"),
    "IOBES": frozenset("BIES"),
    "BILOU": frozenset("BILU"),
}
"""Allowed chunk prefixes per tagging scheme (``O`` is always allowed)."""

_PREFIX_ORDER = {p: i for i, p in enumerate("BILEUS")}


class DataWarning(UserWarning):
    """Warnings about the data (skipped rows, labels mapped to UNK), so they can be filtered."""


def canonical_split(name: str) -> str:
    """``"dev"`` -> ``"validation"`` etc.; names not in :data:`SPLIT_ALIASES` are kept.

    Slicing syntax (``"train[:10%]"``) is dropped from the name."""
    base = re.split(r"[\[+]", str(name), maxsplit=1)[0].strip()
    return SPLIT_ALIASES.get(base.lower(), base)


def _where(file, line) -> str:
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
    """Check that every tag is ``O`` or ``<prefix>-<type>`` with a prefix allowed by ``scheme``.

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
    key = scheme.upper()
    if key not in SCHEME_PREFIXES:
        raise ValueError(f"validate_bio: unknown scheme {scheme!r}; expected one of {sorted(SCHEME_PREFIXES)}")
    allowed = SCHEME_PREFIXES[key]
    per_tag_lines = line is not None and not isinstance(line, (int, str))
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        prefix, sep, typ = tag.partition("-")
        if sep and prefix in allowed and typ:
            continue
        where = _where(file, line[i] if per_tag_lines else line)
        pos = "" if per_tag_lines else f", token {i + 1}"
        expected = " or ".join(f"{p}-<type>" for p in sorted(allowed, key=_PREFIX_ORDER.get))
        raise ValueError(f"{where}{pos}: invalid {key} tag {tag!r}; expected 'O' or {expected}")


def tag_sort_key(tag: str):
    """Sort key that keeps ``O`` first and the tags of one slot type together (B, I, E, S)."""
    if tag == "O":
        return (0, "", 0)
    prefix, _, typ = tag.partition("-")
    return (1, typ, _PREFIX_ORDER.get(prefix, 99))


def sort_tags(tags: Iterable[str]) -> list[str]:
    """Deterministic slot label order: ``O``, then by slot type, then B/I/E/S."""
    return sorted(set(tags), key=tag_sort_key)


def sort_labels(labels: Iterable[str]) -> list[str]:
    """Deterministic label order: numerically when all labels are integers, else alphabetically."""
    labels = set(labels)
    if labels and all(re.fullmatch(r"-?\d+", str(x)) for x in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def joint_features(
    slot_names: Sequence[str],
    intent_names: Sequence[str] | None = None,
    *,
    with_id: bool = True,
    with_language: bool = False,
) -> Features:
    """Features of the joint intent + slots schema (no ``intent`` column when ``intent_names`` is None)."""
    feats = {}
    if with_id:
        feats["id"] = Value("string")
    feats["text"] = Value("string")
    feats["tokens"] = HFSequence(Value("string"))
    feats["tags"] = HFSequence(ClassLabel(names=list(slot_names)))
    if intent_names is not None:
        feats["intent"] = ClassLabel(names=list(intent_names))
    if with_language:
        feats["language"] = Value("string")
    return Features(feats)


def classification_features(
    label_names: Sequence[str],
    language_names: Sequence[str] | None = None,
    *,
    with_id: bool = False,
) -> Features:
    """Features of the sentence classification schema (``language`` as ``ClassLabel`` when given)."""
    feats = {}
    if with_id:
        feats["id"] = Value("string")
    feats["text"] = Value("string")
    feats["label"] = ClassLabel(names=list(label_names))
    if language_names is not None:
        feats["language"] = ClassLabel(names=list(language_names))
    return Features(feats)
