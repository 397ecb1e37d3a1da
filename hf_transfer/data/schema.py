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

from datasets import ClassLabel, Features, Value
from datasets import Sequence as HFSequence

# Tag-string helpers live in `hf_transfer.tagging`; re-exported here, where readers import them.
from ..tagging import SCHEME_PREFIXES, sort_tags, tag_sort_key, validate_bio  # noqa: F401
from ..tagging import location as _where  # noqa: F401


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


class DataWarning(UserWarning):
    """Warnings about the data (skipped rows, labels mapped to UNK), so they can be filtered."""


def canonical_split(name: str) -> str:
    """``"dev"`` -> ``"validation"`` etc.; names not in :data:`SPLIT_ALIASES` are kept.

    Slicing syntax (``"train[:10%]"``) is dropped from the name."""
    base = re.split(r"[\[+]", str(name), maxsplit=1)[0].strip()
    return SPLIT_ALIASES.get(base.lower(), base)


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
