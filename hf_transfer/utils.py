"""Checks of what users hand the library, written once for every model family: texts for
inference, label ids for training and evaluation, and the tokenizer files of a saved model.

- `check_texts`: a string (one text) or a list of strings; anything else is a `TypeError`
  naming the argument and the position.
- `empty_text_positions` / `warn_empty_texts`: empty or whitespace-only texts get no prediction
  (each entry point documents what it returns for them) and one warning per call counts them.
- `check_label_ids`: label ids outside the model's label set are a `ValueError` naming the field,
  the bad ids and the model's number of labels (instead of an `IndexError` deep in a loss).
- `load_tokenizer`: the tokenizer saved beside a model, or an error naming the directory and the
  files expected (instead of transformers' misleading "install sentencepiece or tiktoken", or a
  silently empty tokenizer).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch

from .tagging import IGNORE_INDEX


__all__ = [
    "TOKENIZER_FILES",
    "check_label_ids",
    "check_texts",
    "empty_text_positions",
    "has_tokenizer_files",
    "load_tokenizer",
    "missing_tokenizer_message",
    "warn_empty_texts",
]


# ------------------------------------------------------------------ texts


def check_texts(texts, argument: str = "texts", where: str | None = None) -> tuple[list[str], bool]:
    """`(texts as a list, whether one bare string was given)`.

    A bare string is one text (as transformers pipelines take it); otherwise `texts` must be an
    iterable of strings. `None`, numbers, bytes (or an iterable holding one) raise a `TypeError`
    naming `argument` (and `where`, the entry point) and the position of the bad item."""
    prefix = f"{where}: " if where else ""
    if isinstance(texts, str):
        return [texts], True
    if texts is None or isinstance(texts, (bytes, bytearray, Mapping)) or not isinstance(texts, Iterable):
        raise TypeError(f"{prefix}`{argument}` is {_describe(texts)}; expected a string or a list of strings")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{prefix}`{argument}[{i}]` is {_describe(text)}; expected a string or a list of strings")
    return texts, False


def _describe(value) -> str:
    if value is None:
        return "None"
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{type(value).__name__} {shown}"


def empty_text_positions(texts: list[str]) -> list[int]:
    """Positions of the empty or whitespace-only texts."""
    return [i for i, text in enumerate(texts) if not text.strip()]


def warn_empty_texts(n_empty: int, n_texts: int, where: str, result: str, stacklevel: int = 3) -> None:
    """One `UserWarning` counting the empty texts of a call and saying what they got."""
    if n_empty:
        warnings.warn(
            f"{where}: {n_empty} of {n_texts} texts are empty or whitespace only; they get no prediction ({result})",
            UserWarning,
            stacklevel=stacklevel,
        )


# ------------------------------------------------------------------ labels


def check_label_ids(labels, num_labels: int, field: str, names=None, names_attr: str = "config.id2label", mask=None) -> None:
    """Raise a `ValueError` when integer `labels` hold ids outside `0..num_labels-1` (`-100`, the
    ignored label, and positions outside `mask` are skipped). Cheap: one min and one max.

    Args:
        labels: an integer tensor of label ids (float labels, regression or multi-label, are not
            checked).
        num_labels: how many labels the model has.
        field: the input's name in the error (`"labels"`, `"intent_labels"`, `"slot_labels"`).
        names: the model's `{id: name}` labels, shown in the error.
        names_attr: where they live (`"config.id2label"`, `"config.id2tag"`).
        mask: optional bool mask of the positions that count (same shape as `labels`)."""
    if labels is None or not torch.is_tensor(labels) or labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool or labels.numel() == 0:
        return
    valid = labels != IGNORE_INDEX
    if mask is not None and tuple(mask.shape) == tuple(labels.shape):
        valid = valid & mask.bool()
    checked = labels.masked_fill(~valid, 0)
    lo, hi = torch.aminmax(checked)
    if int(lo) >= 0 and int(hi) < num_labels:
        return
    bad = checked[valid & ((checked < 0) | (checked >= num_labels))].unique().tolist()
    shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
    known = ""
    if names:
        items = list(names.items()) if isinstance(names, Mapping) else list(enumerate(names))
        known = ": " + ", ".join(f"{k}={v}" for k, v in items[:8]) + (f", ... ({len(items)} in all)" if len(items) > 8 else "")
    raise ValueError(
        f"`{field}` holds label id(s) {shown} that the model does not know: it has {num_labels} labels, ids 0..{num_labels - 1} "
        f"({IGNORE_INDEX} marks an ignored position). Labels are matched by id, so the data set's label names must be the "
        f"model's, in the model's order ({names_attr}{known}); re-number the data set's labels to the model's by name."
    )


# ------------------------------------------------------------------ tokenizer files

#: files of which a saved tokenizer has at least one (transformers' fast and slow formats)
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "vocab.json",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
)


def has_tokenizer_files(directory) -> bool:
    """Whether `directory` holds any of `TOKENIZER_FILES`."""
    return any(os.path.isfile(os.path.join(directory, name)) for name in TOKENIZER_FILES)


def missing_tokenizer_message(directory) -> str:
    return (
        f"{directory} holds no tokenizer: expected tokenizer.json or tokenizer_config.json (or a vocabulary: "
        f"{', '.join(TOKENIZER_FILES[2:])}) beside the model; save it there with `tokenizer.save_pretrained({str(directory)!r})`"
    )


def load_tokenizer(path, **kwargs):
    """`AutoTokenizer.from_pretrained(path)`, or, when `path` is a local directory without
    tokenizer files, a `FileNotFoundError` naming the directory and the files expected (a Hub id
    is passed to transformers as it is)."""
    from transformers import AutoTokenizer

    if os.path.isdir(path) and not has_tokenizer_files(path):
        raise FileNotFoundError(missing_tokenizer_message(Path(path)))
    return AutoTokenizer.from_pretrained(path, **kwargs)
