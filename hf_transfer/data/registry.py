"""One entry point for data: :func:`load_dataset` reads a built-in data set by name or any local
file, folder or Hub id, picking the reader of :mod:`hf_transfer.data.formats` for its format.

Built-in names (:data:`BUILTIN_DATASETS`) resolve under :func:`data_dir`: the environment
variable ``HF_TRANSFER_DATA_DIR`` if set, else ``shared/data`` next to the repository checkout
the package lives in, else ``../shared/data`` relative to the current directory.

=================================  ======================================================================
``name_or_path``                   reader
=================================  ======================================================================
``"snips"``, ``"atis"``            :func:`load_jointbert` on ``data_dir()/snips`` (``/atis``)
``"xsid"``, ``"xsid:de"``,         :func:`load_conll_intents` on ``data_dir()/xsid`` (all languages,
``"xsid:de,nl"``                   or those after the colon / in ``languages``)
``"clinc150"``                     :func:`load_clinc150` on ``data_dir()/clinc150/data_full.json``
``"seed"``                         :func:`load_multilingual_tsv` on ``data_dir()/seed/multi_lang.{train,test}.txt``
``"seed_ner"``                     :func:`load_seed_ner` on ``data_dir()/seed/ner``
``"sample"``                       :func:`hf_transfer.data.sample.load_sample`
folder with ``train/seq.in``       :func:`load_jointbert`
``*.conll`` file / folder          :func:`load_conll_intents`
``*.jsonl`` file / folder          :func:`load_massive` when its first record has ``annot_utt``
``{prefix}``                       :func:`load_seed_ner` when ``{prefix}.train.source.txt`` exists
``{prefix}``, ``*.txt``            :func:`load_multilingual_tsv` for ``{prefix}.{split}.txt`` files (or one
                                   ``.txt`` file) of ``label<TAB>text<TAB>lang`` lines
CLINC150-style ``.json``           :func:`load_clinc150` (``data_full.json``, a ``*clinc*.json`` name, or
                                   an object with ``train``/``val``/``test`` lists)
anything else                      :func:`load_hub_dataset`: csv/tsv/json/jsonl/parquet file, folder, Hub id
=================================  ======================================================================
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from datasets import ClassLabel, DatasetDict

from .formats import (
    load_clinc150,
    load_conll_intents,
    load_hub_dataset,
    load_jointbert,
    load_massive,
    load_multilingual_tsv,
    load_seed_ner,
)
from .formats.common import PathLike, _check_unseen
from .schema import SPLIT_ALIASES, canonical_split


__all__ = ["BUILTIN_DATASETS", "DATA_DIR_ENV", "data_dir", "load_dataset"]

DATA_DIR_ENV = "HF_TRANSFER_DATA_DIR"
"""Environment variable that overrides the directory of the built-in data sets."""

BUILTIN_DATASETS = {
    "snips": "SNIPS voice-assistant queries, 7 intents + BIO slots (JointBERT folder; train/validation/test 13,084/700/700)",
    "atis": "ATIS flight-booking queries, intents + BIO slots (JointBERT folder; train/validation/test 4,478/500/893)",
    "xsid": "xSID 0.7, SNIPS-like queries in 13 languages, 16 intents + slots (CoNLL; validation/test); "
    "'xsid:de' or languages=[...] for some",
    "clinc150": "CLINC150, 150 intents over 10 domains (data_full.json; train/validation/test 15,000/3,000/4,500; "
    "include_oos=True adds out-of-scope)",
    "seed": "the reference design's multilingual intents, Russian (eyu) and Spanish (xiyu), 6 labels "
    "(TSV; train/test 10,800/1,200)",
    "seed_ner": "the reference design's Chinese character-level NER, BIOES types E and P (train/test 883/71)",
    "sample": "embedded English smoke-test sample, 5 intents + slots (MASSIVE jsonl, written on first use; no download)",
}
"""Built-in data set names -> one-line descriptions (for ``--help`` texts)."""

# where each built-in lives under data_dir(), and what the error says should be there
_BUILTIN_PATHS = {
    "snips": ("snips", "a JointBERT folder snips/{train,dev,test}/{seq.in,seq.out,label}"),
    "atis": ("atis", "a JointBERT folder atis/{train,dev,test}/{seq.in,seq.out,label}"),
    "xsid": ("xsid", "xsid/{language}.{valid,test}.conll"),
    "clinc150": ("clinc150/data_full.json", "clinc150/data_full.json"),
    "seed": ("seed", "seed/multi_lang.{train,test}.txt"),
    "seed_ner": ("seed", "seed/ner.{train,test}.{source,target}.txt"),
}
_HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
_LOCAL_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".parquet", ".txt", ".conll"}
_SNIFF_MAX_BYTES = 50_000_000  # CLINC150's data_full.json is 2.5 MB


def data_dir() -> Path:
    """The directory of the built-in data sets: ``$HF_TRANSFER_DATA_DIR`` if set, else
    ``shared/data`` next to the repository checkout the package lives in (``../shared/data``
    seen from the repository root, as the examples and benchmarks expect), else
    ``../shared/data`` relative to the current directory. The directory need not exist."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    # hf_transfer/data/registry.py -> parents[3] is the folder that holds the checkout,
    # i.e. Path(hf_transfer.__file__).parents[2]
    beside_checkout = Path(__file__).resolve().parents[3] / "shared" / "data"
    if beside_checkout.is_dir():
        return beside_checkout
    return Path.cwd().parent / "shared" / "data"


def _builtin_list() -> str:
    return ", ".join(f"'{n}'" for n in BUILTIN_DATASETS)


def _builtin_path(name: str) -> Path:
    rel, layout = _BUILTIN_PATHS[name]
    root = data_dir()
    path = root / rel
    if not path.exists():
        env = os.environ.get(DATA_DIR_ENV)
        how = f"{DATA_DIR_ENV} is set to {env!r}" if env else f"{DATA_DIR_ENV} is not set"
        raise FileNotFoundError(
            f"load_dataset: built-in data set {name!r} not found: looked at {path} ({how}); "
            f"set {DATA_DIR_ENV} to the folder that holds {layout}"
        )
    return path


def _select(dd: DatasetDict, name: str, splits: Sequence[str] | None, languages: Sequence[str] | None) -> DatasetDict:
    """Keep only `splits` (any alias) and the rows of `languages` (``language`` column, a string or a
    ``ClassLabel``), with the features unchanged."""
    if isinstance(splits, str):
        splits = [splits]
    if isinstance(languages, str):
        languages = [languages]
    if splits is not None:
        wanted = [canonical_split(s) for s in splits]
        missing = [s for s in wanted if s not in dd]
        if missing:
            raise ValueError(f"load_dataset: {name} has no split {missing}; it has {list(dd)}")
        dd = DatasetDict({s: ds for s, ds in dd.items() if s in wanted})
    if languages is not None:
        if not dd or any("language" not in ds.column_names for ds in dd.values()):
            raise ValueError(f"load_dataset: {name} has no 'language' column to select languages={list(languages)} from")

        def names_of(ds):
            feat = ds.features["language"]
            col = ds["language"]
            return [feat.int2str(x) for x in col] if isinstance(feat, ClassLabel) else col

        per_split = {s: names_of(ds) for s, ds in dd.items()}
        available = sorted({x for col in per_split.values() for x in col})
        missing = [x for x in languages if x not in available]
        if missing:
            raise ValueError(f"load_dataset: {name} has no language {missing}; available: {available}")
        keep = set(languages)
        dd = DatasetDict(
            {s: ds.select([i for i, x in enumerate(per_split[s]) if x in keep]) for s, ds in dd.items()}
        )
    return dd


def _first_line(path: Path) -> str | None:
    """The first non-blank line of a text file (None when empty or unreadable). Bytes that are not
    UTF-8 are replaced here, so that the format is still recognised and its reader names the
    line and byte at fault."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.rstrip("\r\n")
    except OSError:
        return None
    return None


def _is_blank_file(path: Path) -> bool:
    """An existing file with no non-blank line (its reader then says it holds no utterance)."""
    return path.is_file() and _first_line(path) is None


def _is_massive(path: Path) -> bool:
    """A ``.jsonl`` file (or a folder of them) whose first record has ``annot_utt``; one whose first
    line is not JSON counts too, so that :func:`load_massive` names the line at fault."""
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            return False
        path = files[0]
    elif path.suffix != ".jsonl":
        return False
    line = _first_line(path)
    if line is None:
        return _is_blank_file(path)  # load_massive names the empty file
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return True
    return not isinstance(row, dict) or "annot_utt" in row


def _is_clinc150(spec: str, path: Path) -> bool:
    """``data_full.json``, a ``.json`` file with ``clinc`` in its name, or a ``.json`` object whose
    ``train``/``val``/``test`` entries are lists (CLINC150's layout)."""
    if not path.is_file() or path.suffix.lower() != ".json":
        return False
    if spec.endswith("data_full.json") or ("clinc" in path.name.lower() and spec.endswith(".json")):
        return True
    if path.stat().st_size > _SNIFF_MAX_BYTES:
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig", errors="replace"))
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and all(isinstance(data.get(k), list) for k in ("train", "val", "test"))


def _is_tsv_file(path: Path) -> bool:
    """A ``label<TAB>text<TAB>lang`` file, or an empty ``.txt`` file (which the TSV reader refuses,
    naming it)."""
    line = _first_line(path) if path.is_file() else None
    if line is None:
        return path.suffix.lower() == ".txt" and _is_blank_file(path)
    return len(line.split("\t")) == 3


def _tsv_prefix_files(spec: str) -> dict[str, Path] | None:
    """``{split: file}`` for ``{spec}.{split}.txt`` files of ``label<TAB>text<TAB>lang`` lines, when
    ``{spec}.train.txt`` is one."""
    if not _is_tsv_file(Path(f"{spec}.train.txt")):
        return None
    files: dict[str, Path] = {}
    for alias, split in SPLIT_ALIASES.items():
        p = Path(f"{spec}.{alias}.txt")
        if split not in files and p.is_file():
            files[split] = p
    return files


def _looks_local(spec: str) -> bool:
    """True when `spec` cannot be a Hub id (``name`` or ``org/name``) or names a data file."""
    return not _HUB_ID.match(spec) or Path(spec).suffix.lower() in _LOCAL_SUFFIXES


def _not_found(spec: str, why: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"load_dataset: {spec!r} is not a built-in data set ({_builtin_list()}); {why}; "
        f"built-in sets are read from {data_dir()} (set {DATA_DIR_ENV} to change it)"
    )


def load_dataset(
    name_or_path: PathLike,
    *,
    languages: Sequence[str] | None = None,
    splits: Sequence[str] | None = None,
    unseen_labels: str = "unk",
    text_column: str | None = None,
    label_column: str | None = None,
    tokens_column: str | None = None,
    tags_column: str | None = None,
    **kwargs,
) -> DatasetDict:
    """Load a built-in data set by name, or a local file / folder / Hub id in whatever format it is.

    A string that is a built-in name (:data:`BUILTIN_DATASETS`) is read from :func:`data_dir`,
    even when a local folder of that name exists (pass a ``Path`` or ``./snips`` for that).
    Anything else is a path whose format is detected (see the table in this module's
    docstring), falling back to :func:`load_hub_dataset` for csv/tsv/json/parquet files,
    folders and Hub ids. Every spec returns exactly what the format's reader returns.

    Args:
        name_or_path: a built-in name (``"xsid:de"`` / ``"xsid:de,nl"`` select languages), a
            path, a ``{prefix}`` of ``{prefix}.{split}.source.txt`` / ``{prefix}.{split}.txt``
            files, or a Hub id.
        languages: keep only these languages: passed to the reader for xSID / CoNLL
            (``languages``) and MASSIVE (``locales``); otherwise rows are selected on the
            ``language`` column (``ValueError`` when there is none).
        splits: keep only these splits (any alias, e.g. ``"dev"``): passed to the reader for
            JointBERT, CoNLL and seed NER (which then read only those files); otherwise the
            other splits are dropped after reading (labels are those of the full set).
        unseen_labels: ``"unk"`` (default), ``"keep"`` or ``"error"`` (see the readers); the
            embedded sample has no unseen labels.
        text_column, label_column: columns of the classification schema for the
            :func:`load_hub_dataset` fallback (default ``text``, ``label``).
        tokens_column, tags_column: when either is given, the fallback reads the joint schema
            from these columns. The four column arguments are ignored by the other formats,
            whose columns are fixed.
        **kwargs: passed to the reader (e.g. ``include_oos`` for ``clinc150``, ``scheme``,
            ``use_label_files``, ``cache_dir`` for ``sample``; ``split``, ``config_name``,
            ``data_files``, ``intent_column``, ``language_column`` for the fallback).

    Raises:
        FileNotFoundError: a built-in set whose folder is missing (naming the path looked at
            and ``HF_TRANSFER_DATA_DIR``), or a name that is neither a built-in, an existing
            path, nor loadable with ``datasets.load_dataset`` (listing the built-in names).
        ValueError: malformed files (naming file and line), unknown splits or languages.
    """
    _check_unseen(unseen_labels)
    if isinstance(languages, str):
        languages = [languages]
    if isinstance(splits, str):
        splits = [splits]
    builtin = isinstance(name_or_path, str) and name_or_path.partition(":")[0] in BUILTIN_DATASETS
    if builtin:
        name, colon, arg = name_or_path.partition(":")
        return _load_builtin(name, arg if colon else None, languages, splits, unseen_labels, kwargs)

    spec = os.fspath(name_or_path)
    path = Path(spec)
    common = {"unseen_labels": unseen_labels}
    if not path.exists():
        if Path(f"{spec}.train.source.txt").is_file():
            return _select(load_seed_ner(spec, **_splits_arg(splits), **common, **kwargs), path.name, None, languages)
        tsv_files = _tsv_prefix_files(spec)
        if tsv_files:
            return _select(load_multilingual_tsv(tsv_files, **common, **kwargs), path.name, splits, languages)
        if not isinstance(name_or_path, str) or _looks_local(spec):  # a Path is never a Hub id
            raise _not_found(spec, f"no such file or folder exists ({path.absolute()})")

    if path.is_dir() and (path / "train" / "seq.in").is_file():
        dd = load_jointbert(path, **_splits_arg(splits), **common, **kwargs)
    elif path.suffix == ".conll" or (path.is_dir() and any(path.glob("*.conll"))):
        return load_conll_intents(path, languages=languages, splits=splits, **common, **kwargs)
    elif (path.suffix == ".jsonl" or (path.is_dir() and any(path.glob("*.jsonl")))) and _is_massive(path):
        dd = load_massive(path, locales=languages, **common, **kwargs)
        return _select(dd, path.name, splits, None)
    elif _is_clinc150(spec, path):
        dd = load_clinc150(path, **common, **kwargs)
    elif path.suffix.lower() == ".txt" and _is_tsv_file(path):
        dd = load_multilingual_tsv(path, **common, **kwargs)
    else:
        try:
            dd = load_hub_dataset(
                spec,
                text_column=text_column or "text",
                label_column=label_column or "label",
                tokens_column=tokens_column,
                tags_column=tags_column,
                **common,
                **kwargs,
            )
        except OSError as e:  # ConnectionError (not on the Hub / offline), FileNotFoundError
            if path.exists():
                raise
            raise _not_found(
                spec, f"not an existing file or folder either, nor loadable from the Hub ({type(e).__name__}: {e})"
            ) from e
    return _select(dd, path.name or spec, splits, languages)


def _splits_arg(splits: Sequence[str] | None) -> dict:
    return {} if splits is None else {"splits": tuple(splits)}


def _load_builtin(
    name: str, arg: str | None, languages, splits, unseen_labels: str, kwargs: dict
) -> DatasetDict:
    common = {"unseen_labels": unseen_labels}
    if arg is not None and name != "xsid":
        raise ValueError(f"load_dataset: {name}:{arg}: only 'xsid' takes ':languages' (e.g. 'xsid:de' or 'xsid:de,nl')")
    if name == "sample":
        from .sample import load_sample

        return _select(load_sample(**kwargs), name, splits, languages)
    path = _builtin_path(name)
    if name in ("snips", "atis"):
        dd = load_jointbert(path, **_splits_arg(splits), **common, **kwargs)
        return _select(dd, name, None, languages)
    if name == "xsid":
        if arg is not None:
            from_spec = [x.strip() for x in arg.split(",") if x.strip()]
            if not from_spec:
                raise ValueError(f"load_dataset: 'xsid:{arg}': expected languages after the colon, e.g. 'xsid:de'")
            if languages is not None and list(languages) != from_spec:
                raise ValueError(f"load_dataset: 'xsid:{arg}' and languages={list(languages)} disagree; give one")
            languages = from_spec
        return load_conll_intents(path, languages=languages, splits=splits, **common, **kwargs)
    if name == "clinc150":
        return _select(load_clinc150(path, **common, **kwargs), name, splits, languages)
    if name == "seed":
        files = {"train": path / "multi_lang.train.txt", "test": path / "multi_lang.test.txt"}
        return _select(load_multilingual_tsv(files, **common, **kwargs), name, splits, languages)
    if name == "seed_ner":
        dd = load_seed_ner(path / "ner", **_splits_arg(splits), **common, **kwargs)
        return _select(dd, name, None, languages)
    raise AssertionError(name)  # every name of BUILTIN_DATASETS is handled above
