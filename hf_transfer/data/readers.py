"""Readers that turn the common intent / slot / sentence-classification formats into
``datasets.DatasetDict`` objects with one schema (see :mod:`hf_transfer.data.schema`).

Every reader:

* names splits the Hugging Face way (``dev``/``valid``/``val`` -> ``validation``; see
  :data:`~hf_transfer.data.schema.SPLIT_ALIASES` for the mapping);
* stores labels as ``ClassLabel`` features, so their names travel into ``config.id2label``;
* by default maps labels that the reference split (``train``) never shows to an explicit
  ``UNK`` label (slot tags to ``B-UNK``/``I-UNK``) with one :class:`DataWarning` that counts
  them: a classifier cannot predict a class it was never trained on, and a label space that
  depends on the test split leaks test information into the model head. This mirrors
  JointBERT (Chen et al., 2019), whose vocabularies come from train and map the rest to
  ``UNK``. Pass ``unseen_labels="keep"`` to keep every label, or ``"error"`` to refuse;
* raises ``ValueError`` naming the file and line (or row) at fault for malformed input, and
  skips empty utterances with a warning.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict

from .schema import (
    SPECIAL_LABELS,
    SPLIT_ALIASES,
    UNK,
    DataWarning,
    canonical_split,
    classification_features,
    joint_features,
    sort_labels,
    _where,
    sort_tags,
    validate_bio,
)

__all__ = [
    "align_label_sets",
    "load_clinc150",
    "load_conll_intents",
    "load_hub_dataset",
    "load_jointbert",
    "load_massive",
    "load_multilingual_tsv",
    "load_seed_ner",
    "parse_annotated_utterance",
    "read_label_file",
    "validate_bio",
]

_SPLIT_ORDER = ("train", "validation", "test")
_UNSEEN_CHOICES = ("unk", "keep", "error")
_COLUMN_WORDS = {
    "intent": ("intent label", "utterance"),
    "label": ("label", "utterance"),
    "tags": ("slot tag", "token"),
}

PathLike = str | os.PathLike


# --------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without line ends; one trailing newline does not make a line.

    ``str.splitlines`` is avoided on purpose: it also splits on characters such as U+2028
    and U+001C that may legitimately occur inside utterances."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


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


def _check_unseen(unseen_labels: str) -> None:
    if unseen_labels not in _UNSEEN_CHOICES:
        raise ValueError(f"unseen_labels={unseen_labels!r}; expected one of {_UNSEEN_CHOICES}")


def read_label_file(path: PathLike) -> list[str]:
    """Label names from a JointBERT ``intent_label.txt``/``slot_label.txt``, in file order,
    without the special ``PAD``/``UNK`` entries (see :data:`~hf_transfer.data.schema.SPECIAL_LABELS`)."""
    names = [x.strip() for x in _read_lines(Path(path))]
    return list(dict.fromkeys(x for x in names if x and x not in SPECIAL_LABELS))


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
    tag per token and the tag scheme; empty lines are skipped with one warning at the end."""
    skipped = []
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
        yield i, tokens, tags
    _warn_skipped(token_file, skipped, empty_what)


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


# --------------------------------------------------------------------------------------
# JointBERT folders (ATIS, SNIPS)
# --------------------------------------------------------------------------------------


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
    names = _align(
        raw, name=name, reference_split="train", unseen_labels=unseen_labels, known=known, known_source=source
    )
    return _joint_dict(raw, names)


# --------------------------------------------------------------------------------------
# xSID-style CoNLL
# --------------------------------------------------------------------------------------

_COMMENT = re.compile(r"^#\s*([\w-]+)\s*[=:]\s?(.*)$")


def _conll_files(paths) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        p = Path(paths)
        if p.is_dir():
            files = sorted(p.glob("*.conll"))
            if not files:
                raise ValueError(f"load_conll_intents: no *.conll files in {p}")
            return files
        paths = [p]
    files = [Path(p) for p in paths]
    for p in files:
        if not p.is_file():
            raise ValueError(f"load_conll_intents: {p} does not exist")
    return files


def _parse_conll(path: Path, language: str, cols: dict, scheme: str) -> None:
    lines = _read_lines(path)
    state = {"meta": {}, "rows": [], "start": None}
    n_sent = 0
    empty_sentences: list[int] = []
    empty_tokens: list[int] = []
    intent_mismatch: list[int] = []

    def flush():
        nonlocal n_sent
        meta, rows, start = state["meta"], state["rows"], state["start"]
        state.update(meta={}, rows=[], start=None)
        if start is None:
            return
        n_sent += 1
        if not rows:
            empty_sentences.append(start)
            return
        tokens = [r[1] for r in rows]
        tags = [r[2] for r in rows]
        validate_bio(tags, path, [r[0] for r in rows], scheme)
        intent = meta.get("intent") or rows[0][3]
        intent_mismatch.extend(r[0] for r in rows if r[3] != intent)
        if not intent:
            raise ValueError(
                f"{path}, line {start}: sentence without intent; expected '# intent = ...' or a 3rd column"
            )
        _add_joint(cols, meta.get("id") or n_sent, tokens, tags, intent, language)

    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            flush()
            continue
        if state["start"] is None:
            state["start"] = lineno
        if line.startswith("#"):
            m = _COMMENT.match(line)
            if m:
                state["meta"][m.group(1).lower()] = m.group(2).strip()
            continue
        fields = line.split("\t")
        if len(fields) < 4:
            raise ValueError(
                f"{path}, line {lineno}: {len(fields)} tab-separated fields; "
                "expected 4: idx, token, intent, BIO slot tag"
            )
        idx, token, row_intent, tag = fields[0].strip(), fields[1], fields[2].strip(), fields[3].strip()
        if "-" in idx or "." in idx:  # CoNLL-U multiword range or empty node: not a token of its own
            continue
        if not idx.isdigit():
            raise ValueError(f"{path}, line {lineno}: token index {idx!r}; expected an integer (or a range like 3-4)")
        if not token.strip():
            empty_tokens.append(lineno)
            continue
        state["rows"].append((lineno, token.strip(), tag, row_intent))
    flush()
    _warn_skipped(path, empty_sentences, "empty utterance")
    _warn_skipped(path, empty_tokens, "row with an empty token", "rows with an empty token")
    if intent_mismatch:
        warnings.warn(
            f"{path}: {_plural(len(intent_mismatch), 'row')} whose intent column differs from the "
            f"'# intent' comment (line {', '.join(map(str, intent_mismatch[:10]))}); the comment was used",
            DataWarning,
            stacklevel=3,
        )


def load_conll_intents(
    paths: PathLike | Sequence[PathLike],
    languages: Sequence[str] | None = None,
    *,
    splits: Sequence[str] | None = None,
    reference_split: str | None = None,
    unseen_labels: str = "unk",
    intent_names: Sequence[str] | None = None,
    slot_names: Sequence[str] | None = None,
    scheme: str = "BIO",
) -> DatasetDict:
    """Load xSID-style CoNLL files (van der Goot et al., NAACL 2021) in the joint schema.

    Each sentence is a block of comment lines (``# id = ``, ``# text = ``, ``# text-en = ``,
    ``# intent = ``; others such as ``# slots:`` are ignored) and ``idx<TAB>token<TAB>intent
    <TAB>BIO-slot`` rows, blocks separated by blank lines. Files are named
    ``{language}.{split}.conll`` (``de-ba.valid.conll``: language ``de-ba``, split
    ``validation``); all languages of a split go into one ``Dataset`` with a ``language``
    column. Quirks of xSID 0.7 handled here: ``en`` files have no ``# id`` (ids are then
    counted 1, 2, ...; ``en`` lists the queries in another order than the translations, so
    match them by ``text-en``, not by id); ``ja`` holds 150/250
    sentences instead of 300/500; a few ``zh`` rows have an empty token (dropped with a
    warning); two ``de-muc`` rows disagree with the ``# intent`` comment (the comment wins).
    Multiword (``3-4``) and empty-node (``3.1``) rows are skipped as in CoNLL-U.

    Args:
        paths: a folder (all ``*.conll`` in it), one file, or a list of files.
        languages: keep only these languages (``ValueError`` for one that has no file).
        splits: keep only these splits (any alias, e.g. ``"valid"``).
        reference_split: split whose labels are known; default ``train`` if read, else
            ``validation``. xSID has no train split: labels of ``test`` unseen in
            ``validation`` become ``UNK``. Pass ``intent_names``/``slot_names`` to align to
            the labels of another (training) set instead.
        unseen_labels: ``"unk"`` (default), ``"keep"`` or ``"error"``.
        scheme: tagging scheme that :func:`validate_bio` enforces.
    """
    files = _conll_files(paths)
    wanted_splits = {canonical_split(s) for s in splits} if splits is not None else None
    parsed = []
    for p in files:
        stem = p.name[: -len(".conll")] if p.name.endswith(".conll") else p.stem
        lang, dot, split = stem.rpartition(".")
        if not dot or not lang:
            raise ValueError(
                f"{p}: cannot tell language and split from the file name; expected {{language}}.{{split}}.conll"
            )
        parsed.append((p, lang, canonical_split(split)))
    if languages is not None:
        available = sorted({lang for _, lang, _ in parsed})
        missing = [x for x in languages if x not in available]
        if missing:
            raise ValueError(f"load_conll_intents: no file for languages {missing}; available: {available}")
        parsed = [x for x in parsed if x[1] in set(languages)]
    if wanted_splits is not None:
        missing = wanted_splits - {s for _, _, s in parsed}
        if missing:
            raise ValueError(f"load_conll_intents: no file for splits {sorted(missing)}")
        parsed = [x for x in parsed if x[2] in wanted_splits]

    raw: dict[str, dict[str, list]] = {}
    for p, lang, split in sorted(parsed, key=lambda x: (x[2], x[1])):
        cols = raw.setdefault(split, _new_joint_split(with_language=True))
        _parse_conll(p, lang, cols, scheme)
    if reference_split is None:
        reference_split = next((s for s in ("train", "validation") if s in raw), None)
    name = Path(files[0]).parent.name or "conll"
    names = _align(
        raw,
        name=name,
        reference_split=reference_split,
        unseen_labels=unseen_labels,
        known={"intent": intent_names, "tags": slot_names},
    )
    return _joint_dict(raw, names)


# --------------------------------------------------------------------------------------
# the reference design's character-level NER
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# MASSIVE jsonl
# --------------------------------------------------------------------------------------

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
    if isinstance(path_or_files, (str, os.PathLike)) and Path(path_or_files).is_dir():
        files = sorted(Path(path_or_files).glob("*.jsonl"))
        if not files:
            raise ValueError(f"load_massive: no *.jsonl files in {path_or_files}")
    elif isinstance(path_or_files, (str, os.PathLike)):
        files = [Path(path_or_files)]
    else:
        files = [Path(p) for p in path_or_files]
    wanted = set(locales) if locales is not None else None
    raw: dict[str, dict[str, list]] = {}
    for path in files:
        if not path.is_file():
            raise ValueError(f"load_massive: {path} does not exist")
        skipped = []
        for i, line in enumerate(_read_lines(path), start=1):
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


# --------------------------------------------------------------------------------------
# sentence classification: the reference design's TSV, CLINC150
# --------------------------------------------------------------------------------------


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
        for i, line in enumerate(_read_lines(p), start=1):
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
    name = items[0][1].name.split(".")[0] if items else "tsv"
    names = _align(raw, name=name, reference_split="train", unseen_labels=unseen_labels)
    return _classification_dict(raw, names)


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
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON at line {e.lineno} ({e.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level is {type(data).__name__}; expected an object with train/val/test")
    raw: dict[str, dict[str, list]] = {}
    for key in ("train", "val", "test"):
        keys = [key] + ([f"oos_{key}"] if include_oos else [])
        cols = raw.setdefault(canonical_split(key), {"text": [], "label": []})
        for k in keys:
            if k not in data:
                raise ValueError(
                    f"{path}: missing key {k!r}; expected train, val, test (and oos_* with include_oos=True)"
                )
            skipped = []
            for i, row in enumerate(data[k]):
                if not (isinstance(row, (list, tuple)) and len(row) == 2 and all(isinstance(x, str) for x in row)):
                    raise ValueError(f"{path}: {k}[{i}] is {str(row)[:80]!r}; expected [text, intent]")
                text, label = row[0].strip(), row[1].strip()
                if not label:
                    raise ValueError(f"{path}: {k}[{i}]: empty intent; expected [text, intent]")
                if not text:
                    skipped.append(i)
                    continue
                cols["text"].append(text)
                cols["label"].append(label)
            if skipped:
                warnings.warn(
                    f"{path}: skipped {_plural(len(skipped), 'empty utterance')} in {k} (row {skipped[:10]})",
                    DataWarning,
                    stacklevel=2,
                )
    names = _align(raw, name=path.parent.name or "clinc150", reference_split="train", unseen_labels=unseen_labels)
    return _classification_dict(raw, names)


# --------------------------------------------------------------------------------------
# datasets.load_dataset (Hub ids, local csv/json/parquet files and folders)
# --------------------------------------------------------------------------------------

_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet", ".txt": "text"}


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


def load_hub_dataset(
    name_or_path: PathLike,
    split: str | None = None,
    *,
    text_column: str = "text",
    label_column: str = "label",
    tokens_column: str | None = None,
    tags_column: str | None = None,
    intent_column: str | None = None,
    language_column: str | None = None,
    id_column: str | None = None,
    config_name: str | None = None,
    data_files=None,
    reference_split: str = "train",
    unseen_labels: str = "unk",
    scheme: str = "BIOES",
    **load_kwargs,
) -> DatasetDict:
    """Load any ``datasets.load_dataset`` source into one of the two schemas.

    ``name_or_path`` is a Hub id (``"clinc_oos"``), a local folder (file names say the split,
    e.g. ``train.csv``/``test.csv``) or a local ``.csv``/``.tsv``/``.json``/``.jsonl``/
    ``.parquet`` file. Columns are renamed into the schema, string labels become
    ``ClassLabel`` (existing ``ClassLabel`` names are kept), ``dev``/``valid`` splits become
    ``validation``, and labels unseen in ``reference_split`` map to ``UNK``. The label
    columns are read into Python to do so, which is fine for intent data sets.

    The joint schema is used when ``tokens_column`` or ``tags_column`` is given: tokens and
    tags are lists, or whitespace-separated strings (csv); ``intent_column`` (default: an
    ``intent`` column if present) is optional. Otherwise the classification schema
    (``text_column``, ``label_column``) is used.

    Args:
        split: one split (slicing such as ``"train[:100]"`` allowed) instead of all.
        config_name, data_files, **load_kwargs: passed to ``datasets.load_dataset``.
        scheme: tagging scheme :func:`validate_bio` enforces (``BIOES`` also accepts BIO).
    """
    import datasets

    src = Path(name_or_path)
    kwargs = dict(load_kwargs)
    if data_files is not None:
        kwargs["data_files"] = data_files
    if src.is_file():
        builder = _BUILDERS.get(src.suffix.lower())
        if builder is None:
            raise ValueError(
                f"load_hub_dataset: {src}: unknown file type {src.suffix!r}; expected one of {sorted(_BUILDERS)}"
            )
        if src.suffix.lower() == ".tsv":
            kwargs.setdefault("delimiter", "\t")
        kwargs.setdefault("data_files", {_split_from_filename(src) or "train": str(src)})
        loaded = datasets.load_dataset(builder, split=split, **kwargs)
    else:
        loaded = datasets.load_dataset(str(name_or_path), config_name, split=split, **kwargs)
    if isinstance(loaded, datasets.Dataset):
        loaded = DatasetDict({canonical_split(split or "train"): loaded})
    elif not isinstance(loaded, DatasetDict):
        raise ValueError(
            f"load_hub_dataset: {name_or_path} gave a {type(loaded).__name__}; expected a map-style dataset"
        )

    joint = tokens_column is not None or tags_column is not None
    raw: dict[str, dict[str, list]] = {}
    for split_name, ds in loaded.items():
        where = f"{name_or_path}[{split_name}]"
        feats = ds.features

        def need(col, role, _ds=ds, _where=where):
            if col not in _ds.column_names:
                raise ValueError(f"{_where}: no column {col!r} for {role}; available columns: {_ds.column_names}")
            return col

        cols: dict[str, list] = {}
        if joint:
            tok_c = need(tokens_column or "tokens", "tokens (tokens_column)")
            tag_c = need(tags_column or "tags", "slot tags (tags_column)")
            tokens = _as_strings(ds[tok_c], feats[tok_c], nested=True)
            tags = _as_strings(ds[tag_c], feats[tag_c], nested=True)
            int_c = intent_column or ("intent" if "intent" in ds.column_names else None)
            intents = (
                _as_strings(ds[need(int_c, "intent (intent_column)")], feats[int_c], nested=False) if int_c else None
            )
            keep, skipped = [], []
            for i, (tk, tg) in enumerate(zip(tokens, tags)):
                if not tk and not tg:
                    skipped.append(i)
                    continue
                if len(tk) != len(tg):
                    raise ValueError(
                        f"{where}, row {i}: {len(tg)} tags for {len(tk)} tokens; expected one tag per token"
                    )
                validate_bio(tg, where, f"row {i}", scheme)
                if intents is not None and not intents[i]:
                    raise ValueError(f"{where}, row {i}: empty intent in column {int_c!r}")
                keep.append(i)
            if skipped:
                warnings.warn(
                    f"{where}: skipped {_plural(len(skipped), 'empty utterance')} (row {skipped[:10]})",
                    DataWarning,
                    stacklevel=2,
                )
            cols["id"] = [str(x) for x in ds[need(id_column, "id")]] if id_column else [str(i) for i in range(len(ds))]
            cols["tokens"] = [tokens[i] for i in keep]
            cols["text"] = [" ".join(t) for t in cols["tokens"]]
            cols["tags"] = [tags[i] for i in keep]
            if intents is not None:
                cols["intent"] = [intents[i] for i in keep]
            cols["id"] = [cols["id"][i] for i in keep]
        else:
            texts = ds[need(text_column, "text (text_column)")]
            labels = _as_strings(ds[need(label_column, "labels (label_column)")], feats[label_column], nested=False)
            keep, skipped = [], []
            for i, (t, y) in enumerate(zip(texts, labels)):
                if t is None or not str(t).strip():
                    skipped.append(i)
                    continue
                if y is None or not y.strip():
                    raise ValueError(f"{where}, row {i}: empty label in column {label_column!r}")
                keep.append(i)
            if skipped:
                warnings.warn(
                    f"{where}: skipped {_plural(len(skipped), 'empty utterance')} (row {skipped[:10]})",
                    DataWarning,
                    stacklevel=2,
                )
            cols["text"] = [str(texts[i]) for i in keep]
            cols["label"] = [labels[i].strip() for i in keep]
            if id_column:
                ids = ds[need(id_column, "id")]
                cols["id"] = [str(ids[i]) for i in keep]
        if language_column:
            langs = _as_strings(ds[need(language_column, "language")], feats[language_column], nested=False)
            cols["language"] = [langs[i] for i in keep]
        raw[canonical_split(split_name)] = cols
    names = _align(
        raw, name=Path(str(name_or_path)).name, reference_split=reference_split, unseen_labels=unseen_labels
    )
    return _joint_dict(raw, names) if joint else _classification_dict(raw, names)


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
    source = {c: "the given label list" for c in known}
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
