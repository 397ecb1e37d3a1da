"""`hf_transfer.data.load_dataset`: built-in names, `data_dir` / HF_TRANSFER_DATA_DIR, format
detection for local paths, and its errors."""

import json
import warnings
from collections import Counter
from pathlib import Path

import pytest

import hf_transfer
from hf_transfer.data import BUILTIN_DATASETS, data_dir, load_dataset, registry
from hf_transfer.data.readers import (
    load_clinc150,
    load_conll_intents,
    load_hub_dataset,
    load_jointbert,
    load_massive,
    load_multilingual_tsv,
    load_seed_ner,
)
from hf_transfer.data.sample import load_sample
from hf_transfer.data.schema import DataWarning


DATA = Path(hf_transfer.__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data not available")
ENV = "HF_TRANSFER_DATA_DIR"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    """Each test starts from the default data directory (a developer's HF_TRANSFER_DATA_DIR is ignored)."""
    monkeypatch.delenv(ENV, raising=False)


def assert_same(a, b):
    """Same splits in the same order, same features, same rows."""
    assert list(a) == list(b)
    for split in a:
        assert a[split].features == b[split].features, split
        assert a[split].to_dict() == b[split].to_dict(), split


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fn(*args, **kwargs)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jointbert_folder(root: Path, rows=None) -> Path:
    rows = rows or {
        "train": [("book a flight", "O O O", "book"), ("play jazz", "O B-genre", "play")],
        "dev": [("play rock", "O B-genre", "play")],
        "test": [("book it", "O O", "book")],
    }
    for split, items in rows.items():
        write(root / split / "seq.in", "".join(r[0] + "\n" for r in items))
        write(root / split / "seq.out", "".join(r[1] + "\n" for r in items))
        write(root / split / "label", "".join(r[2] + "\n" for r in items))
    return root


CONLL = (
    "# id = 1\n# text = wake me\n# intent = alarm/set\n1\twake\talarm/set\tO\n2\tme\talarm/set\tB-person\n\n"
    "# id = 2\n# intent = weather/find\n1\train\tweather/find\tB-cond\n\n"
)


# ---------------------------------------------------------------------------------- built-ins


def test_builtin_names_and_descriptions():
    assert list(BUILTIN_DATASETS) == ["snips", "atis", "xsid", "clinc150", "seed", "seed_ner", "sample"]
    for name, desc in BUILTIN_DATASETS.items():
        assert isinstance(desc, str) and desc.strip() and "\n" not in desc, name


@needs_data
@pytest.mark.parametrize(
    "spec, kwargs, sizes, columns",
    [
        ("snips", {}, {"train": 13084, "validation": 700, "test": 700}, ["id", "text", "tokens", "tags", "intent"]),
        ("atis", {"splits": ["dev", "test"]}, {"validation": 500, "test": 893}, ["id", "text", "tokens", "tags", "intent"]),
        ("xsid", {"languages": ["en", "ja"]}, {"validation": 450, "test": 750}, ["id", "text", "tokens", "tags", "intent", "language"]),
        ("xsid:de", {}, {"validation": 300, "test": 500}, ["id", "text", "tokens", "tags", "intent", "language"]),
        ("clinc150", {}, {"train": 15000, "validation": 3000, "test": 4500}, ["text", "label"]),
        ("seed", {}, {"train": 10800, "test": 1200}, ["text", "label", "language"]),
        ("seed_ner", {}, {"train": 883, "test": 71}, ["id", "text", "tokens", "tags"]),
        ("sample", {}, {"train": 150, "validation": 40, "test": 40}, ["id", "text", "tokens", "tags", "intent", "language"]),
    ],
)
def test_builtin_loads(spec, kwargs, sizes, columns, tmp_path):
    if spec == "sample":
        kwargs = {"cache_dir": tmp_path}
    dd = quiet(load_dataset, spec, **kwargs)
    assert {s: len(ds) for s, ds in dd.items()} == sizes
    assert list(dd) == list(sizes)  # train, validation, test order
    for ds in dd.values():
        assert ds.column_names == columns


@needs_data
def test_builtins_equal_direct_reader_calls(tmp_path):
    assert_same(quiet(load_dataset, "snips"), quiet(load_jointbert, DATA / "snips"))
    assert_same(
        quiet(load_dataset, "atis", unseen_labels="keep", splits=["test"]),
        quiet(load_jointbert, DATA / "atis", splits=["test"], unseen_labels="keep"),
    )
    # run_multilingual reads xsid with splits=["valid", "test"]: the only splits there are
    xsid_direct = quiet(load_conll_intents, DATA / "xsid", splits=["valid", "test"])
    assert_same(quiet(load_dataset, "xsid"), xsid_direct)
    assert Counter(quiet(load_dataset, "xsid")["test"]["language"])["ja"] == 250
    assert_same(quiet(load_dataset, "xsid:de,nl"), quiet(load_conll_intents, DATA / "xsid", languages=["de", "nl"]))
    assert_same(quiet(load_dataset, "xsid", languages=["de"]), quiet(load_dataset, "xsid:de"))
    assert_same(quiet(load_dataset, "clinc150"), quiet(load_clinc150, DATA / "clinc150" / "data_full.json"))
    oos = quiet(load_dataset, "clinc150", include_oos=True)  # kwargs reach the reader
    assert "oos" in oos["train"].features["label"].names and len(oos["train"]) == 15100
    seed_direct = quiet(
        load_multilingual_tsv,
        {"train": DATA / "seed" / "multi_lang.train.txt", "test": DATA / "seed" / "multi_lang.test.txt"},
    )
    assert_same(quiet(load_dataset, "seed"), seed_direct)
    assert_same(quiet(load_dataset, "seed_ner"), quiet(load_seed_ner, DATA / "seed" / "ner"))
    assert_same(load_dataset("sample", cache_dir=tmp_path), load_sample(tmp_path))


@needs_data
def test_builtin_warnings_are_the_readers():
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        load_jointbert(DATA / "atis")
    with warnings.catch_warnings(record=True) as via:
        warnings.simplefilter("always")
        load_dataset("atis")
    msgs = [str(w.message) for w in via if issubclass(w.category, DataWarning)]
    assert msgs == [str(w.message) for w in direct if issubclass(w.category, DataWarning)]
    assert len(msgs) == 1 and "atis test: 4 intent labels not in intent_label.txt" in msgs[0]
    with pytest.raises(ValueError, match="atis test: 4 intent labels not in intent_label.txt"):
        load_dataset("atis", unseen_labels="error")


@needs_data
def test_select_languages_and_splits_keep_features(tmp_path):
    full = quiet(load_dataset, "seed")
    ru = quiet(load_dataset, "seed", languages=["eyu"], splits=["test"])
    assert list(ru) == ["test"]
    assert ru["test"].features == full["test"].features  # language stays a ClassLabel over both languages
    lang = full["test"].features["language"]
    assert {lang.int2str(x) for x in ru["test"]["language"]} == {"eyu"}
    assert len(ru["test"]) == sum(lang.int2str(x) == "eyu" for x in full["test"]["language"])
    assert 0 < len(ru["test"]) < len(full["test"])

    sample = load_dataset("sample", splits=["dev"], cache_dir=tmp_path)
    assert list(sample) == ["validation"] and len(sample["validation"]) == 40
    with pytest.raises(ValueError, match=r"seed has no split \['validation'\]; it has \['train', 'test'\]"):
        quiet(load_dataset, "seed", splits=["valid"])
    with pytest.raises(ValueError, match=r"seed has no language \['xx'\]; available: \['eyu', 'xiyu'\]"):
        quiet(load_dataset, "seed", languages=["xx"])
    with pytest.raises(ValueError, match=r"snips has no 'language' column"):
        quiet(load_dataset, "snips", languages=["en"], splits=["test"])
    with pytest.raises(ValueError, match=r"no file for languages \['xx'\]"):
        load_dataset("xsid:xx")
    with pytest.raises(ValueError, match="disagree"):
        load_dataset("xsid:de", languages=["nl"])
    with pytest.raises(ValueError, match="only 'xsid' takes"):
        load_dataset("snips:de")


# ---------------------------------------------------------------------------------- data_dir


@needs_data
def test_data_dir_default_is_beside_the_checkout():
    assert data_dir() == DATA


def test_data_dir_env_is_honoured(monkeypatch, tmp_path):
    root = tmp_path / "mydata"
    jointbert_folder(root / "snips")
    monkeypatch.setenv(ENV, str(root))
    assert data_dir() == root
    dd = load_dataset("snips")
    assert {s: len(ds) for s, ds in dd.items()} == {"train": 2, "validation": 1, "test": 1}
    assert dd["train"]["tokens"] == [["book", "a", "flight"], ["play", "jazz"]]
    assert dd["train"].features["intent"].names == ["book", "play"]
    assert_same(dd, load_jointbert(root / "snips"))

    with pytest.raises(FileNotFoundError) as err:  # a built-in whose folder is missing
        load_dataset("atis")
    msg = str(err.value)
    assert str(root / "atis") in msg and ENV in msg and str(root) in msg
    with pytest.raises(FileNotFoundError, match=r"clinc150[/\\]data_full\.json"):
        load_dataset("clinc150")


def test_data_dir_falls_back_to_the_current_directory(monkeypatch, tmp_path):
    # a package not inside a checkout with ../shared/data: ../shared/data from the current directory
    monkeypatch.setattr(registry, "__file__", str(tmp_path / "site" / "hf_transfer" / "data" / "registry.py"))
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    assert data_dir() == tmp_path / "shared" / "data"
    jointbert_folder(tmp_path / "shared" / "data" / "atis")
    assert len(load_dataset("atis")["train"]) == 2
    with pytest.raises(FileNotFoundError, match=ENV):
        load_dataset("snips")


# ---------------------------------------------------------------------------------- local paths


def test_detect_jointbert_folder(tmp_path):
    folder = jointbert_folder(tmp_path / "toy")
    dd = load_dataset(str(folder))
    assert_same(dd, load_jointbert(folder))
    assert list(dd) == ["train", "validation", "test"]
    assert_same(load_dataset(folder, splits=["test"]), load_jointbert(folder, splits=["test"]))  # a Path works too
    # text/label columns are for the csv/json fallback; a JointBERT folder ignores them
    assert_same(load_dataset(folder, text_column="text", label_column="intent"), dd)


def test_detect_conll_file_and_folder(tmp_path):
    f = write(tmp_path / "cx" / "xx.valid.conll", CONLL)
    write(tmp_path / "cx" / "yy.valid.conll", CONLL)
    dd = load_dataset(str(f))
    assert_same(dd, load_conll_intents(f))
    assert dd["validation"]["tokens"] == [["wake", "me"], ["rain"]]
    folder = load_dataset(str(tmp_path / "cx"), languages=["yy"])
    assert_same(folder, load_conll_intents(tmp_path / "cx", languages=["yy"]))
    assert folder["validation"]["language"] == ["yy", "yy"]


def test_detect_massive_jsonl_file_and_folder(tmp_path):
    rows = [
        {"id": "1", "locale": "en-US", "partition": "train", "intent": "alarm_set", "annot_utt": "wake me at [time : five am]"},
        {"id": "2", "locale": "de-DE", "partition": "train", "intent": "alarm_set", "annot_utt": "weck mich um [time : fünf]"},
        {"id": "3", "locale": "en-US", "partition": "test", "intent": "alarm_set", "annot_utt": "alarm [time : noon]"},
    ]
    f = write(tmp_path / "mv" / "all.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    dd = load_dataset(str(f))
    assert_same(dd, load_massive(f))
    assert dd["train"]["tags"][0] == [0, 0, 0, 1, 2]  # O O O B-time I-time
    en = load_dataset(str(tmp_path / "mv"), languages=["en-US"])
    assert_same(en, load_massive(tmp_path / "mv", locales=["en-US"]))
    assert en["train"]["language"] == ["en-US"]


def test_detect_seed_ner_prefix(tmp_path):
    write(tmp_path / "ner.train.source.txt", "a b c\nd e\n")
    write(tmp_path / "ner.train.target.txt", "B-E I-E E-E\nS-E S-P\n")
    write(tmp_path / "ner.test.source.txt", "f g\n")
    write(tmp_path / "ner.test.target.txt", "S-E O\n")
    dd = load_dataset(str(tmp_path / "ner"))
    assert_same(dd, load_seed_ner(tmp_path / "ner"))
    assert "intent" not in dd["train"].column_names and len(dd["test"]) == 1


def test_detect_clinc150_json(tmp_path):
    data = {"train": [["hi there", "greet"], ["bye", "leave"]], "val": [["hello", "greet"]], "test": [["ciao", "leave"]],
            "oos_train": [["what", "oos"]], "oos_val": [], "oos_test": []}
    for name in ("data_full.json", "my_clinc_small.json", "intents.json"):  # by name, and by content
        f = write(tmp_path / name, json.dumps(data))
        dd = load_dataset(str(f))
        assert_same(dd, load_clinc150(f))
        assert dd["train"].features["label"].names == ["greet", "leave"]
        assert list(dd) == ["train", "validation", "test"]


def test_detect_multilingual_tsv(tmp_path):
    write(tmp_path / "ml.train.txt", "a\thola\tes\nb\tprivet\tru\n")
    write(tmp_path / "ml.test.txt", "a\tbuenas\tes\n")
    dd = load_dataset(str(tmp_path / "ml"))  # a {prefix} of {prefix}.{split}.txt
    assert_same(dd, load_multilingual_tsv({"train": tmp_path / "ml.train.txt", "test": tmp_path / "ml.test.txt"}))
    assert dd["train"].features["language"].names == ["es", "ru"]
    one = load_dataset(str(tmp_path / "ml.train.txt"))
    assert_same(one, load_multilingual_tsv(tmp_path / "ml.train.txt"))
    es = load_dataset(str(tmp_path / "ml"), languages=["es"])
    assert [len(es["train"]), len(es["test"])] == [1, 1]


def test_fallback_csv_and_json_through_load_hub_dataset(tmp_path):
    folder = tmp_path / "csvs"
    write(folder / "train.csv", "utterance,intent\nhello there,greet\nsee you,leave\n")
    write(folder / "test.csv", "utterance,intent\nhi,greet\nwhat,other\n")
    dd = quiet(load_dataset, str(folder), text_column="utterance", label_column="intent")
    assert_same(dd, quiet(load_hub_dataset, str(folder), text_column="utterance", label_column="intent"))
    assert dd["train"].column_names == ["text", "label"]
    assert dd["test"].features["label"].names == ["greet", "leave", "UNK"]

    # joint schema when tokens/tags columns are named (as run_multitask does); a jsonl without annot_utt is not MASSIVE
    f = write(
        tmp_path / "joint.jsonl",
        json.dumps({"tokens": ["play", "jazz"], "tags": ["O", "B-genre"], "intent": "play"}) + "\n",
    )
    joint = load_dataset(str(f), tokens_column="tokens", tags_column="tags")
    assert_same(joint, load_hub_dataset(str(f), tokens_column="tokens", tags_column="tags"))
    assert joint["train"].column_names == ["id", "text", "tokens", "tags", "intent"]


# ---------------------------------------------------------------------------------- errors


def test_unknown_name_lists_the_builtins(monkeypatch, tmp_path):
    import datasets

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # fail at once instead of retrying the network
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("no_such_dataset_name")
    msg = str(err.value)
    assert "'no_such_dataset_name' is not a built-in data set" in msg
    assert all(f"'{name}'" in msg for name in BUILTIN_DATASETS)
    assert ENV in msg
    missing = tmp_path / "nowhere" / "train.csv"
    with pytest.raises(FileNotFoundError, match=r"no such file or folder exists .*nowhere") as err:
        load_dataset(str(missing))  # looks like a path: no Hub lookup
    assert "'snips', 'atis', 'xsid'" in str(err.value)
    with pytest.raises(FileNotFoundError, match="no such file or folder exists"):
        load_dataset(Path("plainname"))  # a Path is never looked up on the Hub, though "plainname" could be a Hub id
    with pytest.raises(ValueError, match="unseen_labels='drop'"):
        load_dataset("snips", unseen_labels="drop")
