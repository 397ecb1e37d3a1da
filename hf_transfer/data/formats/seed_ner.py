"""The reference design's character-level NER: ``{prefix}.{split}.source.txt`` (space-separated
characters) and ``{prefix}.{split}.target.txt`` (aligned BIOES tags)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datasets import DatasetDict

from ..schema import canonical_split
from .common import PathLike, _add_joint, _align, _aligned_lines, _joint_dict, _new_joint_split, _read_lines


__all__ = ["load_seed_ner"]


def load_seed_ner(
    prefix: PathLike,
    splits: Sequence[str] = ("train", "test"),
    *,
    scheme: str = "BIOES",
    unseen_labels: str = "unk",
) -> DatasetDict:
    """Load the reference design's character-level NER files (slots only, no ``intent``).

    ``{prefix}.{split}.source.txt`` holds one sentence per line as space-separated characters,
    ``{prefix}.{split}.target.txt`` the aligned BIOES tags (e.g. ``prefix=".../seed/ner"``).
    ``text`` is the space-joined characters, as in the other readers.
    """
    prefix = str(prefix)
    name = Path(prefix).name
    raw: dict[str, dict[str, list]] = {}
    for requested in splits:
        src, tgt = Path(f"{prefix}.{requested}.source.txt"), Path(f"{prefix}.{requested}.target.txt")
        for p in (src, tgt):
            if not p.is_file():
                raise ValueError(
                    f"{name}: split {requested!r}: missing {p}; "
                    "expected {prefix}.{split}.source.txt and .target.txt"
                )
        chars, tag_lines = _read_lines(src), _read_lines(tgt)
        if len(chars) != len(tag_lines):
            raise ValueError(
                f"{src} has {len(chars)} lines but {tgt.name} has {len(tag_lines)}; "
                "expected one sentence per line in both"
            )
        cols = _new_joint_split(with_intent=False)
        for i, tokens, tags in _aligned_lines(chars, tag_lines, src, tgt, scheme, "character", "space-separated character", "empty sentence"):
            _add_joint(cols, i, tokens, tags)
        raw[canonical_split(requested)] = cols
    names = _align(raw, name=name, reference_split="train", unseen_labels=unseen_labels)
    return _joint_dict(raw, names)
