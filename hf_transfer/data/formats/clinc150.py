"""CLINC150 (Larson et al., EMNLP 2019) ``data_full.json``: ``{"train": [[text, intent], ...], ...}``."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import DatasetDict

from ..schema import canonical_split
from .common import PathLike, _align, _classification_dict, _read_text, _Separators, _warn_skipped_rows


__all__ = ["load_clinc150"]


def load_clinc150(
    path: PathLike,
    *,
    include_oos: bool = False,
    unseen_labels: str = "unk",
) -> DatasetDict:
    """Load CLINC150 (Larson et al., EMNLP 2019) ``data_full.json`` in the sentence
    classification schema: 150 intents, 100 train / 20 validation / 30 test each.

    Args:
        path: ``data_full.json`` (``{"train": [[text, intent], ...], "val": ..., "test": ...,
            "oos_train": ..., "oos_val": ..., "oos_test": ...}``).
        include_oos: add the out-of-scope queries (label ``oos``) to each split; off by
            default, as in the in-scope few-shot benchmarks (e.g. CPFT, Zhang et al., 2021).
        unseen_labels: ``"unk"`` (default), ``"keep"`` or ``"error"``.
    """
    path = Path(path)
    try:
        data = json.loads(_read_text(path))  # UTF-8, with or without a BOM
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON at line {e.lineno} ({e.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level is {type(data).__name__}; expected an object with train/val/test")
    raw: dict[str, dict[str, list]] = {}
    seps = _Separators(path, "row")
    for key in ("train", "val", "test"):
        keys = [key] + ([f"oos_{key}"] if include_oos else [])
        cols = raw.setdefault(canonical_split(key), {"text": [], "label": []})
        for k in keys:
            if k not in data:
                raise ValueError(
                    f"{path}: missing key {k!r}; expected train, val, test (and oos_* with include_oos=True)"
                )
            skipped = []
            if not isinstance(data[k], list):
                raise ValueError(f"{path}: {k} is {type(data[k]).__name__}; expected a list of [text, intent]")
            for i, row in enumerate(data[k]):
                if not (isinstance(row, (list, tuple)) and len(row) == 2 and all(isinstance(x, str) for x in row)):
                    raise ValueError(f"{path}: {k}[{i}] is {str(row)[:80]!r}; expected [text, intent]")
                text, label = seps.clean(row[0], f"{k}[{i}]").strip(), row[1].strip()
                if not label:
                    raise ValueError(f"{path}: {k}[{i}]: empty intent; expected [text, intent]")
                if not text:
                    skipped.append(i)
                    continue
                cols["text"].append(text)
                cols["label"].append(label)
            _warn_skipped_rows(path, skipped, f" in {k}")
    seps.warn(stacklevel=3)
    names = _align(raw, name=path.parent.name or "clinc150", reference_split="train", unseen_labels=unseen_labels)
    return _classification_dict(raw, names)
