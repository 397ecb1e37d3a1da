"""The reference design's multilingual TSV: ``label<TAB>text<TAB>lang`` per line, one file per split."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from datasets import DatasetDict

from ..schema import canonical_split
from .common import (
    PathLike,
    _align,
    _classification_dict,
    _no_utterances,
    _read_lines,
    _split_from_filename,
    _warn_skipped,
)


__all__ = ["load_multilingual_tsv"]


def load_multilingual_tsv(
    files: PathLike | Sequence[PathLike] | Mapping[str, PathLike],
    *,
    unseen_labels: str = "unk",
) -> DatasetDict:
    """Load the reference design's multilingual TSV (``label<TAB>text<TAB>lang`` per line) in the
    sentence classification schema, with ``language`` as a ``ClassLabel`` (for a language
    discriminator, e.g. adversarial training as in Chen et al., 2018, "Adversarial Deep
    Averaging Networks for Cross-Lingual Sentiment Classification").

    Args:
        files: one file, a list of files whose names say the split
            (``multi_lang.train.txt`` -> ``train``), or a ``{split: file}`` mapping.
        unseen_labels: ``"unk"`` (default), ``"keep"`` or ``"error"``.
    """
    if isinstance(files, Mapping):
        items = [(canonical_split(s), Path(p)) for s, p in files.items()]
    else:
        paths = [Path(files)] if isinstance(files, (str, os.PathLike)) else [Path(p) for p in files]
        items = []
        for p in paths:
            split = _split_from_filename(p)
            if split is None:
                if len(paths) > 1:
                    raise ValueError(f"{p}: cannot tell the split from the file name; pass {{split: file}} instead")
                split = "train"
            items.append((split, p))
    raw: dict[str, dict[str, list]] = {}
    for split, p in items:
        if not p.is_file():
            raise ValueError(f"load_multilingual_tsv: split {split!r}: {p} does not exist")
        cols = raw.setdefault(split, {"text": [], "label": [], "language": []})
        skipped = []
        lines = _read_lines(p)
        n_before = len(cols["text"])
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise ValueError(
                    f"{p}, line {i}: {len(fields)} tab-separated fields; expected 3: label, text, language"
                )
            label, text, lang = (f.strip() for f in fields)
            if not label or not lang:
                raise ValueError(
                    f"{p}, line {i}: empty {'label' if not label else 'language'}; expected label<TAB>text<TAB>lang"
                )
            if not text:
                skipped.append(i)
                continue
            cols["text"].append(text)
            cols["label"].append(label)
            cols["language"].append(lang)
        _warn_skipped(p, skipped, "empty utterance")
        if len(cols["text"]) == n_before:
            raise _no_utterances(p, lines, "label<TAB>text<TAB>lang lines")
    name = items[0][1].name.split(".")[0] if items else "tsv"
    names = _align(raw, name=name, reference_split="train", unseen_labels=unseen_labels)
    return _classification_dict(raw, names)
