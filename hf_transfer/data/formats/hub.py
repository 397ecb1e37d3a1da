"""Anything ``datasets.load_dataset`` reads (Hub ids, local csv/tsv/json/jsonl/parquet files and
folders), renamed and label-encoded into the joint or the classification schema."""

from __future__ import annotations

from pathlib import Path

from datasets import DatasetDict

from ..schema import canonical_split, validate_bio
from .common import (
    PathLike,
    _align,
    _as_strings,
    _classification_dict,
    _joint_dict,
    _split_from_filename,
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
            _warn_skipped_rows(where, skipped)
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
