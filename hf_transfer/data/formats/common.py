"""What the format readers of :mod:`hf_transfer.data.formats` share.

* reading a UTF-8 text file into lines (:func:`_read_text`, :func:`_read_lines`): a byte
  that is not UTF-8 is a ``ValueError`` naming the file, line and byte offset; a BOM is
  dropped; Unicode line / paragraph separators inside a line become spaces with one warning
  (:class:`_Separators`);
* warning once about skipped lines or rows (:func:`_warn_skipped`, :func:`_warn_skipped_rows`)
  and refusing a file with no utterance (:func:`_no_utterances`);
* reading an ``I-x`` that starts a chunk as ``B-x`` with one warning per file
  (:func:`_repair_orphan_inside`, :func:`_warn_repaired`);
* fixing the label names of the ``intent``/``label``/``tags`` columns and mapping labels the
  reference split never shows to ``UNK`` (``B-UNK``/``I-UNK`` for slot tags) with one
  :class:`~hf_transfer.data.schema.DataWarning` (:func:`_align`), also on an already built
  ``DatasetDict`` (:func:`align_label_sets`);
* building the ``ClassLabel``-encoded ``DatasetDict`` of the joint or the classification schema
  (:func:`_joint_dict`, :func:`_classification_dict`);
* the joint-schema columns (:func:`_new_joint_split`, :func:`_add_joint`), line-aligned
  token / tag files (:func:`_aligned_lines`) and split names in file names
  (:func:`_split_from_filename`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict

from ...tagging import split_tag
from ..schema import (
    SPLIT_ALIASES,
    UNK,
    DataWarning,
    classification_features,
    joint_features,
    sort_labels,
    sort_tags,
    validate_bio,
)


__all__ = ["align_label_sets"]

_SPLIT_ORDER = ("train", "validation", "test")
_UNSEEN_CHOICES = ("unk", "keep", "error")
_COLUMN_WORDS = {
    "intent": ("intent label", "utterance"),
    "label": ("label", "utterance"),
    "tags": ("slot tag", "token"),
}

PathLike = str | os.PathLike


_BOM = b"\xef\xbb\xbf"

SEPARATORS = {
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\x1c": "FILE SEPARATOR",
    "\x1d": "GROUP SEPARATOR",
    "\x1e": "RECORD SEPARATOR",
    "\x1f": "UNIT SEPARATOR",
    "\x85": "NEXT LINE",
    "\u2028": "LINE SEPARATOR",
    "\u2029": "PARAGRAPH SEPARATOR",
}
"""Characters that ``str.split()`` reads as whitespace but that are neither a space nor a tab nor
a line end of the files: Unicode line / paragraph separators and the ASCII control separators.
Tokenizers disagree on them (Hugging Face fast tokenizers split words on U+2028 but delete
U+0085 and U+000B as control characters), so the readers replace each with a plain space,
which every tokenizer and every whitespace split read alike, and warn once per file."""

_SEPARATOR_RE = re.compile("[" + "".join(SEPARATORS) + "]")


def _decode_utf8(data: bytes, path) -> str:
    """``data`` as UTF-8 text (a leading BOM dropped); a ``ValueError`` naming the file, the line,
    the byte offset and the byte when it is not UTF-8."""
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = skip + e.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        bad = " ".join(f"0x{b:02x}" for b in data[offset : skip + e.end])
        raise ValueError(
            f"{path}, line {line}: byte {bad} at byte offset {offset} (byte {column} of the line) is not "
            f"UTF-8 ({e.reason}); expected UTF-8 text (re-encode the file, e.g. iconv -f latin1 -t utf-8)"
        ) from None


def _read_text(path: Path) -> str:
    """The text of a UTF-8 file (BOM dropped); see :func:`_decode_utf8` for bytes that are not UTF-8."""
    return _decode_utf8(Path(path).read_bytes(), path)


class _Separators:
    """Replace :data:`SEPARATORS` in the strings of one file (or split) with spaces, remembering
    where, for one :class:`DataWarning` (:meth:`warn`)."""

    def __init__(self, where, unit: str = "line"):
        self.where, self.unit = where, unit
        self.chars: Counter = Counter()
        self.places: list = []

    def clean(self, text: str, place) -> str:
        if not _SEPARATOR_RE.search(text):
            return text
        self.chars.update(c for c in text if c in SEPARATORS)
        if not self.places or self.places[-1] != place:
            self.places.append(place)
        return _SEPARATOR_RE.sub(" ", text)

    def warn(self, stacklevel: int = 4) -> None:
        if not self.chars:
            return
        n = sum(self.chars.values())
        which = ", ".join(f"U+{ord(c):04X} {SEPARATORS[c]} x{k}" for c, k in sorted(self.chars.items()))
        shown = ", ".join(str(x) for x in self.places[:10]) + (", ..." if len(self.places) > 10 else "")
        warnings.warn(
            f"{self.where}: replaced {_plural(n, 'Unicode line/paragraph separator')} with a space ({which}; "
            f"{self.unit} {shown}): str.split() and the tokenizers read them as whitespace, so they separate "
            "words exactly like a space",
            DataWarning,
            stacklevel=stacklevel,
        )


def _read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without line ends; one trailing newline does not make a line.

    ``str.splitlines`` is avoided on purpose: it also splits on characters such as U+2028
    and U+001C that may legitimately occur inside utterances. Those (:data:`SEPARATORS`) are
    replaced by a space instead, with one :class:`DataWarning` that counts them and names the
    lines. Bytes that are not UTF-8 raise a ``ValueError`` naming the file, line and byte offset."""
    text = _read_text(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if _SEPARATOR_RE.search(text):
        seps = _Separators(path)
        lines = [seps.clean(line, i) for i, line in enumerate(lines, start=1)]
        seps.warn()
    return lines


def _no_utterances(path, lines: Sequence[str], expected: str) -> ValueError:
    """The error for a data file that gave no utterance: empty, or only blank / skipped lines."""
    if not lines:
        why = "the file is empty"
    elif not any(line.strip() for line in lines):
        why = "its only line is blank" if len(lines) == 1 else f"all its {len(lines)} lines are blank"
    else:
        why = "its only line holds none" if len(lines) == 1 else f"none of its {len(lines)} lines holds one"
    return ValueError(f"{path}: no utterances ({why}); expected {expected}")


def _repair_orphan_inside(tags: Sequence[str]) -> tuple[list[str], list[int]]:
    """``I-x`` tags that do not continue an ``x`` chunk (after ``O``, another type, or ``E``/``S``/
    ``L``/``U``, or first) -> ``B-x``, as conlleval and seqeval read them (a chunk starts there).
    Returns the tags and the 0-based positions changed."""
    out = list(tags)
    fixed = []
    prev_prefix, prev_type = "O", ""
    for i, tag in enumerate(tags):
        prefix, typ = split_tag(tag, "-")
        if prefix == "I" and not (prev_prefix in "BI" and prev_type == typ):
            out[i] = f"B-{typ}"
            fixed.append(i)
            prefix = "B"
        prev_prefix, prev_type = prefix, typ
    return out, fixed


def _warn_repaired(where, places: list, unit: str = "line") -> None:
    """One warning for the ``I-x`` tags :func:`_repair_orphan_inside` read as ``B-x`` in one file."""
    if not places:
        return
    shown = ", ".join(str(x) for x in places[:10]) + (", ..." if len(places) > 10 else "")
    warnings.warn(
        f"{where}: {_plural(len(places), 'I- tag')} with no B- or I- tag of the same type before "
        f"{'it' if len(places) == 1 else 'them'} ({unit} {shown}) read as B- (a chunk starts there, as conlleval "
        "and seqeval read it) and stored so",
        DataWarning,
        stacklevel=4,
    )


def _ordered(split_names: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(split_names))
    return [s for s in _SPLIT_ORDER if s in names] + [s for s in names if s not in _SPLIT_ORDER]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _warn_skipped(file, lines: list[int], what: str, what_plural: str | None = None) -> None:
    if not lines:
        return
    shown = ", ".join(str(x) for x in lines[:10]) + (", ..." if len(lines) > 10 else "")
    noun = what if len(lines) == 1 else (what_plural or what + "s")
    warnings.warn(f"{file}: skipped {len(lines)} {noun} (line {shown})", DataWarning, stacklevel=3)


def _warn_skipped_rows(where, rows: list[int], detail: str = "") -> None:
    """One warning for the empty utterances skipped at ``rows`` (0-based rows of a JSON list or a
    loaded split); it points at the caller of the reader that calls this."""
    if rows:
        warnings.warn(
            f"{where}: skipped {_plural(len(rows), 'empty utterance')}{detail} (row {rows[:10]})",
            DataWarning,
            stacklevel=3,
        )


def _input_files(paths, pattern: str, reader: str) -> list[Path]:
    """A folder (its ``pattern`` files, sorted), one file or a list of files -> the files, each of
    which must exist."""
    if isinstance(paths, (str, os.PathLike)):
        p = Path(paths)
        if p.is_dir():
            files = sorted(p.glob(pattern))
            if not files:
                raise ValueError(f"{reader}: no {pattern} files in {p}")
            return files
        paths = [p]
    files = [Path(p) for p in paths]
    for p in files:
        if not p.is_file():
            raise ValueError(f"{reader}: {p} does not exist")
    return files


def _check_unseen(unseen_labels: str) -> None:
    if unseen_labels not in _UNSEEN_CHOICES:
        raise ValueError(f"unseen_labels={unseen_labels!r}; expected one of {_UNSEEN_CHOICES}")


def _align(
    splits: dict[str, dict[str, list]],
    *,
    name: str,
    reference_split: str | None,
    unseen_labels: str,
    known: Mapping[str, Sequence[str] | None] | None = None,
    known_source: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Fix the label names of the ``intent``/``label``/``tags`` columns and map unseen labels.

    ``splits`` holds string labels and is updated in place; returns ``{column: names}``.
    The known labels of a column are ``known[column]`` when given, else those of the reference
    split, else (reference split absent) those of every split."""
    _check_unseen(unseen_labels)
    known = dict(known or {})
    known_source = dict(known_source or {})
    columns = [c for c in ("intent", "label", "tags") if any(c in cols for cols in splits.values())]
    names: dict[str, list[str]] = {}
    reports: list[str] = []
    for col in columns:
        nested = col == "tags"
        order = sort_tags if nested else sort_labels

        def labels_of(split, _col=col, _nested=nested):
            values = splits[split].get(_col, [])
            return [t for seq in values for t in seq] if _nested else list(values)

        if known.get(col) is not None:
            base = list(dict.fromkeys(known[col]))
            source = known_source.get(col, "the given label list")
        elif reference_split is not None and reference_split in splits:
            base = order(labels_of(reference_split))
            source = f"{reference_split}"
        else:
            base = order(x for s in splits for x in labels_of(s))
            source = None
        if nested and "O" not in base:
            base.insert(0, "O")
        base_set = set(base)

        extras: set[str] = set()
        for split in _ordered(splits):
            if col not in splits[split]:
                continue
            unseen = Counter(x for x in labels_of(split) if x not in base_set)
            extras.update(unseen)
            for x in [x for x in unseen if x == UNK or x.endswith(f"-{UNK}")]:
                del unseen[x]  # already mapped (e.g. a second alignment): nothing to report
            if not unseen:
                continue
            word, unit = _COLUMN_WORDS[col]
            shown = ", ".join(sorted(unseen)[:6]) + (", ..." if len(unseen) > 6 else "")
            target = "B-UNK/I-UNK" if nested else UNK
            reports.append(
                f"{name} {split}: {_plural(len(unseen), word)} not in {source} "
                f"({_plural(sum(unseen.values()), unit)}; {shown}) mapped to {target}"
            )
            if unseen_labels == "unk":
                if nested:
                    splits[split][col] = [
                        [t if t in base_set else f"{t.partition('-')[0]}-{UNK}" for t in seq]
                        for seq in splits[split][col]
                    ]
                else:
                    splits[split][col] = [x if x in base_set else UNK for x in splits[split][col]]
        if unseen_labels == "keep" or not extras:
            names[col] = base + order(extras)
        elif nested:
            unk_tags = sort_tags(f"{t.partition('-')[0]}-{UNK}" for t in extras)
            names[col] = base + [t for t in unk_tags if t not in base_set]
        else:
            names[col] = base + ([UNK] if UNK not in base_set else [])
    if reports:
        if unseen_labels == "error":
            raise ValueError("; ".join(reports).replace(" mapped to B-UNK/I-UNK", "").replace(" mapped to UNK", ""))
        if unseen_labels == "unk":
            warnings.warn("; ".join(reports) + ". Pass unseen_labels='keep' to keep them.", DataWarning, stacklevel=3)
    return names


def _encode(values: list, names: Sequence[str], nested: bool) -> list:
    index = {n: i for i, n in enumerate(names)}
    if nested:
        return [[index[t] for t in seq] for seq in values]
    return [index[x] for x in values]


def _to_dataset_dict(splits: dict[str, dict[str, list]], features, encoded: dict[str, tuple[list[str], bool]]) -> DatasetDict:
    """Columns of each split -> `Dataset`s with `features`; `encoded` maps a column to the label
    names its values are encoded with (and whether it holds sequences)."""
    out = DatasetDict()
    for split in _ordered(splits):
        cols = splits[split]
        data = {}
        for col in features:
            values = cols.get(col)
            if values is None:
                raise ValueError(f"split {split!r} has no {col!r} column but other splits do")
            if col in encoded:
                values = _encode(values, *encoded[col])
            data[col] = values
        out[split] = Dataset.from_dict(data, features=features)
    return out


def _joint_dict(splits: dict[str, dict[str, list]], names: dict[str, list[str]]) -> DatasetDict:
    any_cols = set().union(*(cols.keys() for cols in splits.values())) if splits else set()
    features = joint_features(
        names.get("tags", ["O"]),
        names.get("intent") if "intent" in any_cols else None,
        with_id="id" in any_cols,
        with_language="language" in any_cols,
    )
    encoded = {"tags": (names.get("tags"), True)}
    if "intent" in any_cols:
        encoded["intent"] = (names["intent"], False)
    return _to_dataset_dict(splits, features, encoded)


def _classification_dict(splits: dict[str, dict[str, list]], names: dict[str, list[str]]) -> DatasetDict:
    any_cols = set().union(*(cols.keys() for cols in splits.values())) if splits else set()
    languages = None
    if "language" in any_cols:
        languages = sort_labels(x for cols in splits.values() for x in cols.get("language", []))
    features = classification_features(names["label"], languages, with_id="id" in any_cols)
    encoded = {"label": (names["label"], False)}
    if languages is not None:
        encoded["language"] = (languages, False)
    return _to_dataset_dict(splits, features, encoded)


def _aligned_lines(token_lines, tag_lines, token_file: Path, tag_file: Path, scheme: str, unit: str, unit_desc: str, empty_what: str):
    """Yield `(line_number, tokens, tags)` from two line-aligned files (tokens / tags), checking one
    tag per token and the tag scheme; empty lines are skipped with one warning at the end, ``I-x``
    tags that start a chunk become ``B-x`` with one warning, and a file that gives no utterance
    at all is a ``ValueError``."""
    skipped = []
    repaired = []
    n = 0
    for i, (token_line, tag_line) in enumerate(zip(token_lines, tag_lines), start=1):
        tokens, tags = token_line.split(), tag_line.split()
        if not tokens and not tags:
            skipped.append(i)
            continue
        if len(tokens) != len(tags):
            raise ValueError(
                f"{tag_file}, line {i}: {len(tags)} tags for {len(tokens)} {unit}s in {token_file.name} line {i}; "
                f"expected one tag per {unit_desc}"
            )
        validate_bio(tags, tag_file, i, scheme)
        tags, fixed = _repair_orphan_inside(tags)
        repaired.extend(f"{i} token {k + 1}" for k in fixed)
        n += 1
        yield i, tokens, tags
    _warn_skipped(token_file, skipped, empty_what)
    _warn_repaired(tag_file, repaired)
    if n == 0:
        raise _no_utterances(token_file, token_lines, f"one {empty_what.split()[-1]} per line ({unit_desc}s)")


def _new_joint_split(with_intent=True, with_language=False) -> dict[str, list]:
    cols = {"id": [], "text": [], "tokens": [], "tags": []}
    if with_intent:
        cols["intent"] = []
    if with_language:
        cols["language"] = []
    return cols


def _add_joint(cols, id_, tokens, tags, intent=None, language=None) -> None:
    cols["id"].append(str(id_))
    cols["text"].append(" ".join(tokens))
    cols["tokens"].append(list(tokens))
    cols["tags"].append(list(tags))
    if "intent" in cols:
        cols["intent"].append(intent)
    if "language" in cols:
        cols["language"].append(language)


def _split_from_filename(path: Path) -> str | None:
    """The first part of the file name (split on ``.``, ``_``, ``-``) that names a split."""
    for part in re.split(r"[._-]", path.name):
        if part.lower() in SPLIT_ALIASES:
            return SPLIT_ALIASES[part.lower()]
    return None


def _as_strings(values, feature, nested: bool):
    """Labels as strings: ``ClassLabel`` ids via their names, other values via ``str``;
    a string in a sequence column is split on whitespace (csv files cannot hold lists)."""

    def conv(x, feat):
        if isinstance(feat, ClassLabel) and isinstance(x, int):
            return feat.int2str(x)
        return str(x)

    if not nested:
        return [None if x is None else conv(x, feature) for x in values]
    inner = getattr(feature, "feature", None)
    out = []
    for seq in values:
        if isinstance(seq, str):
            seq = seq.split()
        out.append([] if seq is None else [conv(x, inner) for x in seq])
    return out


# --------------------------------------------------------------------------------------
# label alignment on a built DatasetDict
# --------------------------------------------------------------------------------------


def align_label_sets(
    dataset_dict: DatasetDict,
    reference_split: str = "train",
    *,
    unseen_labels: str = "unk",
    label_names: Mapping[str, Sequence[str]] | None = None,
    name: str = "dataset",
) -> DatasetDict:
    """Make the ``intent``/``label``/``tags`` label sets of a ``DatasetDict`` those of one split.

    Labels absent from ``reference_split`` (or from ``label_names[column]`` when given, e.g.
    the labels of the training set of another language) become ``UNK``; unseen slot tags
    keep their prefix and take type ``UNK`` (``B-UNK``/``I-UNK``) so seqeval still counts
    them as gold entities. Label names never seen in the reference are dropped from the
    ``ClassLabel``. Emits one :class:`DataWarning` that counts the mapped labels per split
    and column. The readers of this module do this by default.

    Args:
        dataset_dict: a ``DatasetDict`` in the joint or classification schema; label columns
            may be ``ClassLabel`` or strings.
        reference_split: the split whose labels are known.
        unseen_labels: ``"unk"`` (default), ``"keep"`` (only re-encode) or ``"error"``.
        label_names: ``{column: names}`` overriding the reference split.
        name: data set name for the warning.
    """
    columns = [c for c in ("intent", "label", "tags") if any(c in ds.column_names for ds in dataset_dict.values())]
    raw = {}
    for split, ds in dataset_dict.items():
        raw[split] = {
            c: _as_strings(ds[c], ds.features[c], nested=c == "tags") for c in columns if c in ds.column_names
        }
    known = dict(label_names or {})
    source = dict.fromkeys(known, "the given label list")
    if reference_split not in raw:
        if any(c not in known for c in columns):
            raise ValueError(f"align_label_sets: reference_split {reference_split!r} not in {list(dataset_dict)}")
    else:
        ref = dataset_dict[reference_split]
        for c in columns:
            if c in known or c not in ref.column_names:
                continue
            feature = ref.features[c].feature if c == "tags" else ref.features[c]
            if isinstance(feature, ClassLabel):  # keep the existing label order
                seen = (
                    {t for seq in raw[reference_split][c] for t in seq}
                    if c == "tags"
                    else set(raw[reference_split][c])
                )
                known[c] = [n for n in feature.names if n in seen]
                source[c] = reference_split
    names = _align(
        raw, name=name, reference_split=reference_split, unseen_labels=unseen_labels, known=known, known_source=source
    )
    out = DatasetDict()
    for split, ds in dataset_dict.items():
        order = ds.column_names
        present = [c for c in columns if c in order]
        new = ds.remove_columns(present)
        for c in present:
            if c == "tags":
                feature = joint_features(names["tags"])["tags"]
            else:
                feature = ClassLabel(names=names[c])
            new = new.add_column(c, _encode(raw[split][c], names[c], c == "tags"), feature=feature)
        out[split] = new.select_columns(order)
    return out
