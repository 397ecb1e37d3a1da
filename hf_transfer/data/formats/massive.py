"""MASSIVE-style jsonl (FitzGerald et al., 2022): one JSON object a line with ``partition``,
``annot_utt`` (``[slot : value]`` spans), ``intent`` and optionally ``locale`` and ``id``."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from datasets import DatasetDict

from ..schema import _where, canonical_split
from .common import (
    PathLike,
    _add_joint,
    _align,
    _input_files,
    _joint_dict,
    _new_joint_split,
    _no_utterances,
    _read_lines,
    _warn_skipped,
)


__all__ = ["load_massive", "parse_annotated_utterance"]

_SLOT_SPAN = re.compile(r"\[([^\[\]]*)\]")
_SLOT_INNER = re.compile(r"^\s*([^\s:\[\]]+)\s*:\s*(.*?)\s*$", re.S)


def parse_annotated_utterance(annot: str, file=None, line=None) -> tuple[list[str], list[str]]:
    """``"wake me up at [time : five am] this week"`` -> tokens and BIO tags
    (``[..., "at", "five", "am", "this", ...]``, ``[..., "O", "B-time", "I-time", "O", ...]``).

    Tokens are whitespace-separated; text glued to a bracket (``[date : today]'s``) becomes a
    token of its own, and a span in a language written without spaces is one token.
    """

    def outside(chunk):
        if "[" in chunk or "]" in chunk:
            raise ValueError(
                f"{_where(file, line)}: unbalanced '[' or ']' in annot_utt {annot!r}; expected [slot : value] spans"
            )
        return chunk.split()

    tokens, tags, pos = [], [], 0
    for m in _SLOT_SPAN.finditer(annot):
        words = outside(annot[pos : m.start()])
        tokens += words
        tags += ["O"] * len(words)
        inner = _SLOT_INNER.match(m.group(1))
        value = inner.group(2).split() if inner else []
        if not value:
            raise ValueError(
                f"{_where(file, line)}: slot span [{m.group(1)}] in annot_utt; "
                "expected [slot : value] with a non-empty value"
            )
        tokens += value
        tags += [f"B-{inner.group(1)}"] + [f"I-{inner.group(1)}"] * (len(value) - 1)
        pos = m.end()
    words = outside(annot[pos:])
    tokens += words
    tags += ["O"] * len(words)
    return tokens, tags


def load_massive(
    path_or_files: PathLike | Sequence[PathLike],
    *,
    locales: Sequence[str] | None = None,
    unseen_labels: str = "unk",
) -> DatasetDict:
    """Load MASSIVE-style jsonl (FitzGerald et al., 2022) in the joint schema.

    One JSON object per line with ``partition`` (``train``/``dev``/``test``), ``annot_utt``
    (``"wake me up at [time : five am] this week"``, parsed by
    :func:`parse_annotated_utterance` into tokens + BIO tags), ``intent``, and optionally
    ``locale`` (-> ``language``) and ``id``.

    Args:
        path_or_files: a ``.jsonl`` file, a folder of them (MASSIVE ships ``data/{locale}.jsonl``),
            or a list of files.
        locales: keep only these locales.
        unseen_labels: ``"unk"`` (default), ``"keep"`` or ``"error"``.
    """
    files = _input_files(path_or_files, "*.jsonl", "load_massive")
    wanted = set(locales) if locales is not None else None
    raw: dict[str, dict[str, list]] = {}
    for path in files:
        skipped = []
        lines = _read_lines(path)
        if not any(line.strip() for line in lines):
            raise _no_utterances(path, lines, "one JSON object per line with partition, annot_utt and intent")
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(
                    f"{path}, line {i}: invalid JSON ({e.msg}); expected one JSON object per line"
                ) from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}, line {i}: {type(row).__name__}; expected a JSON object")
            for key in ("partition", "annot_utt", "intent"):
                if key not in row:
                    raise ValueError(
                        f"{path}, line {i}: missing key {key!r}; "
                        "expected partition, annot_utt, intent (locale, id optional)"
                    )
            locale = row.get("locale")
            if wanted is not None and locale not in wanted:
                continue
            tokens, tags = parse_annotated_utterance(str(row["annot_utt"]), path, i)
            if not tokens:
                skipped.append(i)
                continue
            intent = str(row["intent"]).strip()
            if not intent:
                raise ValueError(f"{path}, line {i}: empty intent; expected an intent name")
            split = canonical_split(str(row["partition"]))
            cols = raw.setdefault(split, _new_joint_split(with_language=True))
            _add_joint(cols, row.get("id", i), tokens, tags, intent, None if locale is None else str(locale))
        _warn_skipped(path, skipped, "empty utterance")
    if not raw:
        raise ValueError(f"load_massive: no utterances read from {[str(f) for f in files]} (locales={locales})")
    if all(x is None for cols in raw.values() for x in cols["language"]):
        for cols in raw.values():
            del cols["language"]
    else:
        for cols in raw.values():
            cols["language"] = [x or "" for x in cols["language"]]
    name = files[0].stem if len(files) == 1 else files[0].parent.name
    names = _align(raw, name=name, reference_split="train", unseen_labels=unseen_labels)
    return _joint_dict(raw, names)
