"""JointBERT data folders (Chen et al., 2019: ATIS, SNIPS): ``{split}/seq.in``, ``seq.out``,
``label`` plus ``intent_label.txt`` / ``slot_label.txt``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datasets import DatasetDict

from ..schema import SPECIAL_LABELS, SPLIT_ALIASES, canonical_split
from .common import PathLike, _add_joint, _align, _aligned_lines, _joint_dict, _new_joint_split, _read_lines


__all__ = ["load_jointbert", "read_label_file"]


def read_label_file(path: PathLike) -> list[str]:
    """Label names from a JointBERT ``intent_label.txt``/``slot_label.txt``, in file order,
    without the special ``PAD``/``UNK`` entries (see :data:`~hf_transfer.data.schema.SPECIAL_LABELS`)."""
    names = [x.strip() for x in _read_lines(Path(path))]
    return list(dict.fromkeys(x for x in names if x and x not in SPECIAL_LABELS))


def load_jointbert(
    folder: PathLike,
    splits: Sequence[str] = ("train", "dev", "test"),
    *,
    unseen_labels: str = "unk",
    use_label_files: bool = True,
    scheme: str = "BIO",
) -> DatasetDict:
    """Load a JointBERT data folder (Chen et al., 2019: ATIS, SNIPS) in the joint schema.

    The folder holds ``{split}/seq.in`` (whitespace-separated tokens), ``{split}/seq.out``
    (one BIO tag per token) and ``{split}/label`` (intent), one utterance per line, plus
    ``intent_label.txt`` / ``slot_label.txt``. Label names come from those files, in file
    order, without their ``PAD``/``UNK`` entries; labels outside them (ATIS test has 4 such
    intents in 5 utterances and 6 such slot tags) become ``UNK`` / ``B-UNK``/``I-UNK`` with
    one warning, unless ``unseen_labels="keep"``. Without the files, train's labels are used
    (those of all loaded splits when train is not loaded).

    Args:
        folder: the data folder, e.g. ``../shared/data/atis``.
        splits: split folders to read; ``dev`` is returned as ``validation`` (either name works).
        unseen_labels: ``"unk"`` (default), ``"keep"`` or ``"error"``.
        use_label_files: read ``intent_label.txt``/``slot_label.txt`` when present.
        scheme: tagging scheme that :func:`validate_bio` enforces.

    Returns:
        ``DatasetDict`` with columns ``id`` (1-based line number), ``text``, ``tokens``,
        ``tags``, ``intent``.
    """
    folder = Path(folder)
    name = folder.name or str(folder)
    if not folder.is_dir():
        raise ValueError(f"load_jointbert: {folder} is not a folder; expected {{split}}/seq.in, seq.out, label")
    raw: dict[str, dict[str, list]] = {}
    for requested in splits:
        split = canonical_split(requested)
        candidates = [requested] + [a for a, c in SPLIT_ALIASES.items() if c == split and a != requested]
        split_dir = next((folder / c for c in candidates if (folder / c).is_dir()), None)
        if split_dir is None:
            raise ValueError(
                f"{name}: split {requested!r} not found: expected a folder {folder / requested} "
                "with seq.in, seq.out and label"
            )
        files = {}
        for fname in ("seq.in", "seq.out", "label"):
            p = split_dir / fname
            if not p.is_file():
                raise ValueError(f"{name}: missing {p}; a JointBERT split folder holds seq.in, seq.out and label")
            files[fname] = (p, _read_lines(p))
        (p_in, words), (p_out, tag_lines), (p_lab, intents) = files["seq.in"], files["seq.out"], files["label"]
        if not len(words) == len(tag_lines) == len(intents):
            raise ValueError(
                f"{split_dir}: line counts differ: seq.in {len(words)}, seq.out {len(tag_lines)}, "
                f"label {len(intents)}; expected one utterance per line in each"
            )
        cols = _new_joint_split()
        for i, tokens, tags in _aligned_lines(words, tag_lines, p_in, p_out, scheme, "token", "whitespace-separated token", "empty utterance"):
            intent = intents[i - 1].strip()
            if not intent:
                raise ValueError(f"{p_lab}, line {i}: empty intent; expected one intent label per line")
            _add_joint(cols, i, tokens, tags, intent)
        raw[split] = cols

    known, source = {}, {}
    if use_label_files:
        for col, fname in (("intent", "intent_label.txt"), ("tags", "slot_label.txt")):
            if (folder / fname).is_file():
                known[col] = read_label_file(folder / fname)
                source[col] = fname
                if not known[col]:
                    raise ValueError(
                        f"{folder / fname}: no labels (empty, or only PAD/UNK); expected one label name per line, "
                        "or no such file (use_label_files=False) to take the labels of train"
                    )
    names = _align(
        raw, name=name, reference_split="train", unseen_labels=unseen_labels, known=known, known_source=source
    )
    return _joint_dict(raw, names)
