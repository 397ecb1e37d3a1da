"""xSID-style CoNLL (van der Goot et al., NAACL 2021): ``# intent = `` comment lines and
``idx<TAB>token<TAB>intent<TAB>BIO-slot`` rows, one ``{language}.{split}.conll`` file each."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from datasets import DatasetDict

from ..schema import DataWarning, canonical_split, validate_bio
from .common import (
    PathLike,
    _add_joint,
    _align,
    _input_files,
    _joint_dict,
    _new_joint_split,
    _no_utterances,
    _plural,
    _read_lines,
    _repair_orphan_inside,
    _warn_repaired,
    _warn_skipped,
)


__all__ = ["load_conll_intents"]

_COMMENT = re.compile(r"^#\s*([\w-]+)\s*[=:]\s?(.*)$")


def _parse_conll(path: Path, language: str, cols: dict, scheme: str) -> None:
    lines = _read_lines(path)
    state = {"meta": {}, "rows": [], "start": None, "last_idx": None}
    n_sent = 0
    n_read = 0
    empty_sentences: list[int] = []
    empty_tokens: list[int] = []
    intent_mismatch: list[int] = []
    unseparated: list[int] = []
    repaired: list[int] = []

    def flush():
        nonlocal n_sent, n_read
        meta, rows, start = state["meta"], state["rows"], state["start"]
        state.update(meta={}, rows=[], start=None, last_idx=None)
        if start is None:
            return
        n_sent += 1
        if not rows:
            empty_sentences.append(start)
            return
        tokens = [r[1] for r in rows]
        tags = [r[2] for r in rows]
        validate_bio(tags, path, [r[0] for r in rows], scheme)
        tags, fixed = _repair_orphan_inside(tags)
        repaired.extend(rows[k][0] for k in fixed)
        intent = meta.get("intent") or rows[0][3]
        intent_mismatch.extend(r[0] for r in rows if r[3] != intent)
        if not intent:
            raise ValueError(
                f"{path}, line {start}: sentence without intent; expected '# intent = ...' or a 3rd column"
            )
        _add_joint(cols, meta.get("id") or n_sent, tokens, tags, intent, language)
        n_read += 1

    def new_sentence_here(lineno):
        """A sentence starts at `lineno` although the previous one's token rows were not closed by a
        blank line: close it here (and warn once at the end)."""
        unseparated.append(lineno)
        flush()
        state["start"] = lineno

    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            flush()
            continue
        if state["start"] is None:
            state["start"] = lineno
        if line.startswith("#"):
            if state["rows"]:  # comments only open a sentence: the blank line before this one is missing
                new_sentence_here(lineno)
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
        if state["last_idx"] is not None and int(idx) <= state["last_idx"]:  # the index starts again
            new_sentence_here(lineno)
        state["last_idx"] = int(idx)
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
    if unseparated:
        shown = ", ".join(map(str, unseparated[:10])) + (", ..." if len(unseparated) > 10 else "")
        warnings.warn(
            f"{path}: {_plural(len(unseparated), 'sentence')} not separated from the previous one by a blank "
            f"line (line {shown}); split there, since a comment line or a token index that does not increase "
            "after token rows starts a new sentence. Expected a blank line between sentences",
            DataWarning,
            stacklevel=3,
        )
    _warn_repaired(path, repaired)
    if n_read == 0:
        raise _no_utterances(
            path, lines, "sentences of '# ...' comment lines and idx<TAB>token<TAB>intent<TAB>slot rows"
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
    files = _input_files(paths, "*.conll", "load_conll_intents")
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
