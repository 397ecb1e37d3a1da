"""Anything ``datasets.load_dataset`` reads (Hub ids, local csv/tsv/json/jsonl/parquet files and
folders), renamed and label-encoded into the joint or the classification schema."""

from __future__ import annotations

import csv
import glob
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path

from datasets import DatasetDict

from ..schema import canonical_split, validate_bio
from .common import (
    PathLike,
    _align,
    _as_strings,
    _classification_dict,
    _joint_dict,
    _read_text,
    _repair_orphan_inside,
    _Separators,
    _split_from_filename,
    _warn_repaired,
    _warn_skipped_rows,
)


__all__ = ["load_hub_dataset"]

_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet", ".txt": "text"}


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

    Raises:
        ValueError: when ``datasets.load_dataset`` fails on a local csv/tsv/json/jsonl file, the
            files are read to name the one at fault and its line (bytes that are not UTF-8, a
            csv row with more fields than the header or an unclosed quote, a line that is not
            JSON or not an object, a column whose type changes); datasets' error is its cause.
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
        args = (builder,)
    else:
        args = (str(name_or_path), config_name)
    try:
        loaded = datasets.load_dataset(*args, split=split, **kwargs)
    except Exception as err:  # datasets names neither file nor row: find them by reading the local files
        try:
            for f in _local_files(src, kwargs.get("data_files")):
                _diagnose(f, kwargs)  # a ValueError naming file and line when it finds the fault
        except ValueError as found:
            raise found from err
        except Exception:  # the search itself failed: datasets' own error is the one to see
            pass
        raise
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
            keep, skipped, repaired = [], [], []
            seps = _Separators(where, "row")
            for i, (tk, tg) in enumerate(zip(tokens, tags)):
                if not tk and not tg:
                    skipped.append(i)
                    continue
                if len(tk) != len(tg):
                    raise ValueError(
                        f"{where}, row {i}: {len(tg)} tags for {len(tk)} tokens; expected one tag per token"
                    )
                validate_bio(tg, where, f"row {i}", scheme)
                tags[i], fixed = _repair_orphan_inside(tg)
                repaired.extend(f"{i} token {k + 1}" for k in fixed)
                tokens[i] = [seps.clean(t, i) for t in tk]
                if intents is not None and not intents[i]:
                    raise ValueError(f"{where}, row {i}: empty intent in column {int_c!r}")
                keep.append(i)
            _warn_skipped_rows(where, skipped)
            seps.warn(stacklevel=3)
            _warn_repaired(where, repaired, "row")
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
            _warn_skipped_rows(where, skipped)
            seps = _Separators(where, "row")
            cols["text"] = [seps.clean(str(texts[i]), i) for i in keep]
            seps.warn(stacklevel=3)
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
# finding the file and line behind a datasets error
# --------------------------------------------------------------------------------------


def _local_files(src: Path, data_files) -> list[Path]:
    """The local text files ``datasets.load_dataset`` read: ``data_files`` (paths, globs, lists or a
    ``{split: ...}`` mapping, relative to ``src`` when it is a folder), else the data files under
    the folder ``src``; none for a Hub id."""
    files: list[Path] = []
    if data_files is not None:
        values = data_files.values() if isinstance(data_files, Mapping) else [data_files]
        for value in values:
            for x in [value] if isinstance(value, (str, os.PathLike)) else list(value):
                for base in ([src] if src.is_dir() else []) + [Path()]:
                    matches = sorted(glob.glob(str(base / x)))
                    if matches:
                        files += [Path(m) for m in matches]
                        break
    elif src.is_dir():
        files = [
            f
            for f in sorted(src.rglob("*"))
            if f.is_file()
            and f.suffix.lower() in _BUILDERS
            and not any(part.startswith((".", "__")) for part in f.relative_to(src).parts)
        ]
    return [f for f in dict.fromkeys(files) if f.is_file() and f.suffix.lower() != ".parquet"]


def _diagnose(path: Path, kwargs: dict) -> None:
    """Raise a ``ValueError`` naming ``path`` and the line at fault when the file is not UTF-8, or a
    csv row has more fields than the header / an unclosed quote, or a json(l) line is not JSON, not
    an object, or gives a column another type than earlier lines. Returns when it finds nothing."""
    text = _read_text(path)  # not UTF-8: ValueError with line and byte offset
    builder = _BUILDERS.get(path.suffix.lower())
    if builder == "csv":
        delimiter = kwargs.get("delimiter") or kwargs.get("sep") or ("\t" if path.suffix.lower() == ".tsv" else ",")
        _check_csv(path, text, delimiter)
    elif builder == "json":
        _check_json(path, text)


def _check_csv(path: Path, text: str, delimiter: str) -> None:
    header = None
    for strict in (False, True):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
        start = 1
        try:
            for fields in reader:
                line, start = start, reader.line_num + 1
                if not fields:
                    continue
                if header is None:
                    header = fields
                elif len(fields) > len(header):
                    raise ValueError(
                        f"{path}, line {line}: {len(fields)} {delimiter!r}-separated fields; expected "
                        f"{len(header)} as in the header ({', '.join(header)}); quote a field that holds {delimiter!r}"
                    )
        except csv.Error as e:
            raise ValueError(
                f"{path}, line {start}: malformed csv row ({e}); expected a closing '\"' for a quoted field "
                "that starts in this row"
            ) from None


def _kind(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)


def _check_json(path: Path, text: str) -> None:
    if not text.strip():
        return
    lines = text.split("\n")
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    try:
        json.loads(numbered[0][1])
        one_per_line = len(numbered) > 1
    except json.JSONDecodeError:
        one_per_line = False
    if one_per_line:
        records, unit = [], "line"
        for i, line in numbered:
            try:
                records.append((i, json.loads(line)))
            except json.JSONDecodeError as e:
                raise ValueError(
                    f"{path}, line {i}: invalid JSON ({e.msg} at column {e.colno}); expected one JSON object per line"
                ) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}, line {e.lineno}, column {e.colno}: invalid JSON ({e.msg})") from None
        if not isinstance(data, list):
            return
        records, unit = list(enumerate(data)), "row"
    first_seen: dict[str, tuple[str, int]] = {}
    for i, record in records:
        if not isinstance(record, dict):
            raise ValueError(f"{path}, {unit} {i}: a JSON {_kind(record)}; expected a JSON object (one record)")
        for key, value in record.items():
            kind = _kind(value)
            if kind is None:
                continue
            seen = first_seen.setdefault(key, (kind, i))
            if seen[0] != kind:
                raise ValueError(
                    f"{path}, {unit} {i}: {key!r} is a {kind} but a {seen[0]} in {unit} {seen[1]}; "
                    "expected one type per column"
                )
