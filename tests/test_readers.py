"""Readers on the real data sets (counts, label handling) and on small malformed files."""

import json
import warnings
from collections import Counter
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, DatasetDict

from hf_transfer.data.readers import (
    align_label_sets,
    load_clinc150,
    load_conll_intents,
    load_hub_dataset,
    load_jointbert,
    load_massive,
    load_multilingual_tsv,
    load_seed_ner,
    parse_annotated_utterance,
    read_label_file,
)
from hf_transfer.data.registry import data_dir
from hf_transfer.data.schema import DataWarning, canonical_split, validate_bio


DATA = data_dir()
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data not available")


def names(ds, col):
    feat = ds.features[col]
    return feat.feature.names if col == "tags" else feat.names


def decoded(ds, col):
    feat = ds.features[col]
    if col == "tags":
        return [[feat.feature.int2str(t) for t in seq] for seq in ds[col]]
    return [feat.int2str(x) for x in ds[col]]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jointbert_folder(root: Path, splits: dict) -> Path:
    """splits: {name: [(tokens, tags, intent), ...]}; lines are written verbatim."""
    for split, rows in splits.items():
        write(root / split / "seq.in", "".join(r[0] + "\n" for r in rows))
        write(root / split / "seq.out", "".join(r[1] + "\n" for r in rows))
        write(root / split / "label", "".join(r[2] + "\n" for r in rows))
    return root


# ---------------------------------------------------------------------------------- schema


def test_validate_bio_accepts_and_rejects():
    validate_bio(["O", "B-city", "I-city"], "f.txt", 3)
    validate_bio(["B-E", "I-E", "E-E", "S-P", "O"], "f.txt", 3, scheme="BIOES")
    with pytest.raises(ValueError, match=r"f\.txt, line 3, token 2: invalid BIO tag 'X-city'"):
        validate_bio(["O", "X-city"], "f.txt", 3)
    with pytest.raises(ValueError, match="E-E"):  # BIOES tag in a BIO file
        validate_bio(["B-E", "E-E"], "f.txt", 1)
    with pytest.raises(ValueError, match=r"g\.conll, line 11: invalid BIO tag 'B-'"):
        validate_bio(["O", "B-"], "g.conll", [10, 11])
    with pytest.raises(ValueError, match="unknown scheme"):
        validate_bio(["O"], scheme="XYZ")


def test_canonical_split():
    assert [canonical_split(s) for s in ("dev", "valid", "val", "train[:10%]", "test", "other")] == [
        "validation",
        "validation",
        "validation",
        "train",
        "test",
        "other",
    ]


# ---------------------------------------------------------------------------------- JointBERT


@pytest.fixture(scope="module")
def atis():
    """ATIS as the reader returns it by default, with the warnings it raised."""
    if not DATA.is_dir():
        pytest.skip("../shared/data not available")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        dd = load_jointbert(DATA / "atis")
    return dd, rec


def test_atis_counts_labels_and_unk_warning(atis):
    dd, rec = atis
    assert list(dd) == ["train", "validation", "test"]
    assert [len(dd[s]) for s in dd] == [4478, 500, 893]
    msgs = [str(w.message) for w in rec if issubclass(w.category, DataWarning) and "mapped to" in str(w.message)]
    assert len(msgs) == 1  # ONE warning for all splits and columns
    msg = msgs[0]
    assert "atis test: 4 intent labels not in intent_label.txt (5 utterances" in msg
    assert "atis test: 6 slot tags not in slot_label.txt (6 tokens" in msg
    assert "atis validation: 1 intent label" in msg

    file_intents = read_label_file(DATA / "atis" / "intent_label.txt")
    file_tags = read_label_file(DATA / "atis" / "slot_label.txt")
    assert "UNK" not in file_intents and "PAD" not in file_tags
    assert names(dd["train"], "intent") == file_intents + ["UNK"]
    assert names(dd["train"], "tags") == file_tags + ["B-UNK", "I-UNK"]
    assert names(dd["test"], "intent") == names(dd["train"], "intent")  # one label space

    test_intents = Counter(decoded(dd["test"], "intent"))
    assert test_intents["UNK"] == 5
    assert sum(t.endswith("-UNK") for seq in decoded(dd["test"], "tags") for t in seq) == 6
    assert "UNK" not in decoded(dd["train"], "intent")

    # rows match the files line by line
    first = dd["train"][0]
    lines_in = (DATA / "atis" / "train" / "seq.in").read_text().split("\n")
    assert first["tokens"] == lines_in[0].split() and first["text"] == " ".join(first["tokens"])
    assert first["id"] == "1"
    assert decoded(dd["train"], "tags")[0] == (DATA / "atis" / "train" / "seq.out").read_text().split("\n")[0].split()


def test_atis_keep_all_labels_and_align_label_sets(atis):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        kept = load_jointbert(DATA / "atis", unseen_labels="keep")
    assert "atis_day_name" in names(kept["test"], "intent")
    assert "B-booking_class" in names(kept["test"], "tags")
    # aligning the kept version to the label files gives the default reader output
    file_labels = {
        "intent": read_label_file(DATA / "atis" / "intent_label.txt"),
        "tags": read_label_file(DATA / "atis" / "slot_label.txt"),
    }
    with pytest.warns(DataWarning, match="5 utterances"):
        aligned = align_label_sets(kept, label_names=file_labels, name="atis")
    default = atis[0]
    for split in default:
        assert names(aligned[split], "intent") == names(default[split], "intent")
        assert aligned[split]["intent"] == default[split]["intent"]
        assert aligned[split]["tags"] == default[split]["tags"]
    with pytest.raises(ValueError, match="not in slot_label.txt"):
        load_jointbert(DATA / "atis", splits=("train", "test"), unseen_labels="error")


@needs_data
def test_snips_counts_and_labels():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # SNIPS has no unseen labels
        dd = load_jointbert(DATA / "snips", splits=("train", "validation", "test"))
    assert [len(dd[s]) for s in ("train", "validation", "test")] == [13084, 700, 700]
    assert len(names(dd["train"], "intent")) == 7
    assert names(dd["train"], "tags")[0] == "O"
    assert set(decoded(dd["validation"], "intent")) == set(names(dd["train"], "intent"))


def test_jointbert_unk_mapping_without_label_files(tmp_path):
    root = jointbert_folder(
        tmp_path / "toy",
        {
            "train": [("fly to boston", "O O B-city", "flight"), ("fare", "O", "fare")],
            "test": [("to paris", "O B-town", "hotel"), ("by car", "O B-car", "hotel"), ("fare", "O", "fare")],
        },
    )
    with pytest.warns(DataWarning) as rec:
        dd = load_jointbert(root, splits=("train", "test"))
    (msg,) = [str(w.message) for w in rec]
    assert "toy test: 1 intent label not in train (2 utterances; hotel) mapped to UNK" in msg
    assert "toy test: 2 slot tags not in train (2 tokens; B-car, B-town) mapped to B-UNK/I-UNK" in msg
    assert names(dd["train"], "intent") == ["fare", "flight", "UNK"]
    assert names(dd["train"], "tags") == ["O", "B-city", "B-UNK"]
    assert decoded(dd["test"], "intent") == ["UNK", "UNK", "fare"]
    assert decoded(dd["test"], "tags") == [["O", "B-UNK"], ["O", "B-UNK"], ["O"]]


def test_jointbert_errors(tmp_path):
    ok = [("a b", "O B-x", "i1")]
    root = jointbert_folder(tmp_path / "mismatch", {"train": ok + [("a b c", "O O", "i1")]})
    with pytest.raises(ValueError, match=r"mismatch/train/seq\.out, line 2: 2 tags for 3 tokens"):
        load_jointbert(root, splits=("train",))

    root = jointbert_folder(tmp_path / "prefix", {"train": ok + [("to nyc", "O X-city", "i1")]})
    with pytest.raises(ValueError, match=r"prefix/train/seq\.out, line 2, token 2: invalid BIO tag 'X-city'"):
        load_jointbert(root, splits=("train",))

    root = jointbert_folder(tmp_path / "nosplit", {"train": ok})
    with pytest.raises(ValueError, match=r"split 'dev' not found.*nosplit/dev"):
        load_jointbert(root)

    root = jointbert_folder(tmp_path / "nolabel", {"train": ok})
    (root / "train" / "label").unlink()
    with pytest.raises(ValueError, match=r"missing .*nolabel/train/label"):
        load_jointbert(root, splits=("train",))

    root = jointbert_folder(tmp_path / "counts", {"train": ok + ok})
    write(root / "train" / "label", "i1\n")
    with pytest.raises(ValueError, match="line counts differ: seq.in 2, seq.out 2, label 1"):
        load_jointbert(root, splits=("train",))

    root = jointbert_folder(tmp_path / "noint", {"train": ok + [("a", "O", " ")]})
    with pytest.raises(ValueError, match=r"noint/train/label, line 2: empty intent"):
        load_jointbert(root, splits=("train",))


def test_jointbert_empty_utterance_skipped_with_warning(tmp_path):
    root = jointbert_folder(tmp_path / "empty", {"train": [("a b", "O B-x", "i1"), ("", "", "i1"), ("c", "O", "i2")]})
    with pytest.warns(DataWarning, match=r"empty/train/seq\.in: skipped 1 empty utterance \(line 2\)"):
        dd = load_jointbert(root, splits=("train",))
    assert dd["train"]["id"] == ["1", "3"]
    assert dd["train"]["tokens"] == [["a", "b"], ["c"]]


# ---------------------------------------------------------------------------------- xSID CoNLL


@needs_data
def test_xsid_counts_languages_and_parallel_ids():
    files = [DATA / "xsid" / f"{lang}.{split}.conll" for lang in ("de-ba", "en") for split in ("valid", "test")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        dd = load_conll_intents(files)
    assert list(dd) == ["validation", "test"]
    assert Counter(dd["validation"]["language"]) == {"de-ba": 300, "en": 300}
    assert Counter(dd["test"]["language"]) == {"de-ba": 500, "en": 500}
    val = dd["validation"]
    en_ids = [i for i, lang in zip(val["id"], val["language"]) if lang == "en"]
    ba_ids = [i for i, lang in zip(val["id"], val["language"]) if lang == "de-ba"]
    assert ba_ids == [str(i) for i in range(1, 301)]
    assert en_ids == ba_ids  # en has no '# id' lines: counted 1, 2, ...
    # the same 300 queries in both languages (en is in another order): same intent counts
    en_int = [y for y, lang in zip(decoded(val, "intent"), val["language"]) if lang == "en"]
    ba_int = [y for y, lang in zip(decoded(val, "intent"), val["language"]) if lang == "de-ba"]
    assert Counter(en_int) == Counter(ba_int)
    first = val[0]  # de-ba sorts before en
    assert first["tokens"] == ["Werds", "heid", "regna", "?"]
    assert [names(val, "tags")[t] for t in first["tags"]] == ["O", "B-datetime", "B-weather/attribute", "O"]
    assert decoded(val, "intent")[0] == "weather/find"


@needs_data
def test_xsid_folder_language_filter_and_quirks():
    with pytest.warns(DataWarning) as rec:
        dd = load_conll_intents(DATA / "xsid", languages=["zh", "de-muc"])
    msgs = " | ".join(str(w.message) for w in rec)
    assert "zh.test.conll: skipped 6 rows with an empty token (line 2914" in msgs
    assert "de-muc.valid.conll: 2 rows whose intent column differs" in msgs
    assert Counter(dd["test"]["language"]) == {"zh": 500, "de-muc": 500}
    assert all(all(t for t in toks) for toks in dd["test"]["tokens"])
    with pytest.raises(ValueError, match=r"no file for languages \['xx'\]"):
        load_conll_intents(DATA / "xsid", languages=["xx"])


def test_conll_synthetic(tmp_path):
    f = write(
        tmp_path / "toy" / "xx.train.conll",
        "# id = 7\n# text = wake me\n# intent = alarm/set\n# slots: 0:4:x\n"
        "1\twake\talarm/set\tO\n1-2\twakeme\t_\t_\n2\tme\talarm/set\tB-person\n\n"
        "# intent = alarm/show\n1\tshow\talarm/show\tO\n",  # no blank line at the end
    )
    dd = load_conll_intents([f])
    assert list(dd) == ["train"]
    assert dd["train"]["id"] == ["7", "2"]
    assert dd["train"]["tokens"] == [["wake", "me"], ["show"]]
    assert dd["train"]["language"] == ["xx", "xx"]
    assert decoded(dd["train"], "intent") == ["alarm/set", "alarm/show"]


def test_conll_errors(tmp_path):
    head = "# id = 1\n# intent = a\n"
    f = write(tmp_path / "c" / "xx.valid.conll", head + "1\tfoo\ta\tO\n2\tbar\ta\tX-city\n")
    with pytest.raises(ValueError, match=r"xx\.valid\.conll, line 4: invalid BIO tag 'X-city'"):
        load_conll_intents([f])
    f = write(tmp_path / "d" / "xx.valid.conll", head + "1\tfoo\ta\tO\n2\tbar\ta\n")
    with pytest.raises(ValueError, match=r"xx\.valid\.conll, line 4: 3 tab-separated fields; expected 4"):
        load_conll_intents([f])
    f = write(tmp_path / "e" / "xx.valid.conll", head + "one\tfoo\ta\tO\n")
    with pytest.raises(ValueError, match=r"line 3: token index 'one'; expected an integer"):
        load_conll_intents([f])
    f = write(tmp_path / "f" / "noname.conll", head + "1\tfoo\ta\tO\n")
    with pytest.raises(ValueError, match=r"noname\.conll: cannot tell language and split"):
        load_conll_intents([f])
    f = write(tmp_path / "g" / "xx.valid.conll", head + "\n# id = 2\n# intent = a\n\n" + head + "1\tfoo\ta\tO\n")
    with pytest.warns(DataWarning, match=r"xx\.valid\.conll: skipped 2 empty utterances \(line 1, 4\)"):
        dd = load_conll_intents([f])
    assert len(dd["validation"]) == 1


# ---------------------------------------------------------------------------------- seed NER


@needs_data
def test_seed_ner_counts_and_alignment():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        dd = load_seed_ner(DATA / "seed" / "ner")
    assert [len(dd["train"]), len(dd["test"])] == [883, 71]
    assert "intent" not in dd["train"].column_names
    assert names(dd["train"], "tags") == ["O", "B-E", "I-E", "E-E", "B-P", "I-P", "E-P"]
    src = (DATA / "seed" / "ner.train.source.txt").read_text(encoding="utf-8").split("\n")
    tgt = (DATA / "seed" / "ner.train.target.txt").read_text(encoding="utf-8").split("\n")
    assert dd["train"][0]["tokens"] == src[0].split(" ")
    assert decoded(dd["train"], "tags")[0] == tgt[0].split(" ")
    assert all(len(a) == len(b) for a, b in zip(dd["train"]["tokens"], dd["train"]["tags"]))


def test_seed_ner_errors(tmp_path):
    write(tmp_path / "ner.train.source.txt", "a b\nc d e\n")
    write(tmp_path / "ner.train.target.txt", "B-E E-E\nO O\n")
    with pytest.raises(ValueError, match=r"ner\.train\.target\.txt, line 2: 2 tags for 3 characters"):
        load_seed_ner(tmp_path / "ner", splits=("train",))
    with pytest.raises(ValueError, match=r"missing .*ner\.test\.source\.txt"):
        load_seed_ner(tmp_path / "ner", splits=("test",))
    write(tmp_path / "ner.train.target.txt", "B-E E-E\nO Q-E O\n")
    with pytest.raises(ValueError, match=r"line 2, token 2: invalid BIOES tag 'Q-E'"):
        load_seed_ner(tmp_path / "ner", splits=("train",))


# ---------------------------------------------------------------------------------- MASSIVE


def test_parse_annotated_utterance():
    tokens, tags = parse_annotated_utterance("wake me up at [time : five am] this week")
    assert tokens == ["wake", "me", "up", "at", "five", "am", "this", "week"]
    assert tags == ["O", "O", "O", "O", "B-time", "I-time", "O", "O"]
    tokens, tags = parse_annotated_utterance("[date : today]'s [time : 5:30 pm] alarm")
    assert tokens == ["today", "'s", "5:30", "pm", "alarm"]
    assert tags == ["B-date", "O", "B-time", "I-time", "O"]
    assert parse_annotated_utterance("no slots here") == (["no", "slots", "here"], ["O", "O", "O"])


def test_load_massive(tmp_path):
    rows = [
        {
            "id": "1",
            "locale": "en-US",
            "partition": "train",
            "utt": "wake me up at five am this week",
            "annot_utt": "wake me up at [time : five am] this week",
            "intent": "alarm_set",
        },
        {
            "id": "2",
            "locale": "en-US",
            "partition": "train",
            "utt": "olly quiet",
            "annot_utt": "olly quiet",
            "intent": "audio_volume_mute",
        },
        {
            "id": "3",
            "locale": "en-US",
            "partition": "dev",
            "utt": "wake me at six",
            "annot_utt": "wake me at [time : six]",
            "intent": "alarm_set",
        },
        {
            "id": "4",
            "locale": "de-DE",
            "partition": "test",
            "utt": "wecke mich morgen",
            "annot_utt": "wecke mich [date : morgen]",
            "intent": "alarm_query",
        },
    ]
    f = write(tmp_path / "massive.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    with pytest.warns(DataWarning, match=r"massive test: 1 intent label not in train \(1 utterance; alarm_query\)"):
        dd = load_massive(f)
    assert list(dd) == ["train", "validation", "test"]
    assert dd["train"][0]["tokens"] == ["wake", "me", "up", "at", "five", "am", "this", "week"]
    assert decoded(dd["train"], "tags")[0] == ["O", "O", "O", "O", "B-time", "I-time", "O", "O"]
    assert dd["train"]["language"] == ["en-US", "en-US"]
    assert dd["test"]["language"] == ["de-DE"]
    assert decoded(dd["test"], "intent") == ["UNK"]
    assert decoded(dd["test"], "tags") == [["O", "O", "B-UNK"]]
    assert dd["validation"]["id"] == ["3"]
    only_de = load_massive([f], locales=["de-DE"], unseen_labels="keep")
    assert list(only_de) == ["test"] and len(only_de["test"]) == 1


def test_massive_errors(tmp_path):
    good = json.dumps({"partition": "train", "annot_utt": "hi", "intent": "greet"})
    f = write(
        tmp_path / "a.jsonl",
        good + "\n" + json.dumps({"partition": "train", "annot_utt": "wake [time : six", "intent": "x"}) + "\n",
    )
    with pytest.raises(ValueError, match=r"a\.jsonl, line 2: unbalanced"):
        load_massive(f)
    f = write(
        tmp_path / "b.jsonl",
        good + "\n" + json.dumps({"partition": "train", "annot_utt": "wake [six]", "intent": "x"}) + "\n",
    )
    with pytest.raises(ValueError, match=r"b\.jsonl, line 2: slot span \[six\]"):
        load_massive(f)
    f = write(
        tmp_path / "c.jsonl", good + "\n" + json.dumps({"partition": "train", "utt": "hi", "intent": "x"}) + "\n"
    )
    with pytest.raises(ValueError, match=r"c\.jsonl, line 2: missing key 'annot_utt'"):
        load_massive(f)
    f = write(tmp_path / "d.jsonl", good + "\n{not json\n")
    with pytest.raises(ValueError, match=r"d\.jsonl, line 2: invalid JSON"):
        load_massive(f)
    f = write(
        tmp_path / "e.jsonl", good + "\n" + json.dumps({"partition": "train", "annot_utt": "  ", "intent": "x"}) + "\n"
    )
    with pytest.warns(DataWarning, match=r"e\.jsonl: skipped 1 empty utterance \(line 2\)"):
        dd = load_massive(f)
    assert len(dd["train"]) == 1


# ---------------------------------------------------------------------------------- classification


@needs_data
def test_seed_multilingual_tsv():
    dd = load_multilingual_tsv([DATA / "seed" / "multi_lang.train.txt", DATA / "seed" / "multi_lang.test.txt"])
    assert [len(dd["train"]), len(dd["test"])] == [10800, 1200]
    assert isinstance(dd["train"].features["language"], ClassLabel)
    assert names(dd["train"], "language") == ["eyu", "xiyu"]
    assert len(names(dd["train"], "label")) == 6
    assert Counter(decoded(dd["train"], "language")) == {"eyu": 5422, "xiyu": 5378}
    first = (DATA / "seed" / "multi_lang.train.txt").read_text(encoding="utf-8").split("\n")[0].split("\t")
    assert (decoded(dd["train"], "label")[0], dd["train"][0]["text"], decoded(dd["train"], "language")[0]) == tuple(
        first
    )


def test_tsv_errors(tmp_path):
    f = write(tmp_path / "x.train.txt", "a\thello\ten\nb\tworld\n")
    with pytest.raises(ValueError, match=r"x\.train\.txt, line 2: 2 tab-separated fields; expected 3"):
        load_multilingual_tsv(f)
    f = write(tmp_path / "y.train.txt", "a\thello\ten\nb\t \ten\n")
    with pytest.warns(DataWarning, match=r"y\.train\.txt: skipped 1 empty utterance \(line 2\)"):
        dd = load_multilingual_tsv({"train": f})
    assert len(dd["train"]) == 1
    with pytest.raises(ValueError, match="cannot tell the split"):
        load_multilingual_tsv([f, write(tmp_path / "nosplit.txt", "a\tb\tc\n")])


@needs_data
def test_clinc150_counts():
    dd = load_clinc150(DATA / "clinc150" / "data_full.json")
    assert list(dd) == ["train", "validation", "test"]
    labels = names(dd["train"], "label")
    assert len(labels) == 150 and "oos" not in labels
    for split, per_intent in (("train", 100), ("validation", 20), ("test", 30)):
        counts = Counter(dd[split]["label"])
        assert len(counts) == 150 and set(counts.values()) == {per_intent}
    with_oos = load_clinc150(DATA / "clinc150" / "data_full.json", include_oos=True)
    assert "oos" in names(with_oos["train"], "label")
    assert [len(with_oos[s]) for s in with_oos] == [15100, 3100, 5500]


def test_clinc150_errors(tmp_path):
    f = write(tmp_path / "bad.json", json.dumps({"train": [["hi", "greet"], ["oops"]], "val": [], "test": []}))
    with pytest.raises(ValueError, match=r"bad\.json: train\[1\] is .*expected \[text, intent\]"):
        load_clinc150(f)
    f = write(tmp_path / "missing.json", json.dumps({"train": [["hi", "greet"]], "test": []}))
    with pytest.raises(ValueError, match=r"missing\.json: missing key 'val'"):
        load_clinc150(f)


# ---------------------------------------------------------------------------------- datasets.load_dataset


def test_hub_loader_classification_csv_folder(tmp_path):
    write(tmp_path / "d" / "train.csv", "sentence,intent\nbook a flight,book\ncancel it,cancel\nfly me,book\n")
    write(tmp_path / "d" / "test.csv", "sentence,intent\nwhat time,time\nbook,book\n")
    with pytest.warns(DataWarning, match=r"test: 1 label not in train \(1 utterance; time\)"):
        dd = load_hub_dataset(tmp_path / "d", text_column="sentence", label_column="intent")
    assert set(dd) == {"train", "test"}
    assert dd["train"].column_names == ["text", "label"]
    assert names(dd["train"], "label") == ["book", "cancel", "UNK"]
    assert decoded(dd["test"], "label") == ["UNK", "book"]
    with pytest.raises(
        ValueError, match=r"no column 'utterance' for text.*available columns: \['sentence', 'intent'\]"
    ):
        load_hub_dataset(tmp_path / "d", text_column="utterance", label_column="intent")


def test_hub_loader_joint_json_and_csv(tmp_path):
    rows = [
        {"words": ["fly", "to", "boston"], "slots": ["O", "O", "B-city"], "goal": "flight", "lang": "en"},
        {"words": ["fare"], "slots": ["O"], "goal": "fare", "lang": "en"},
    ]
    f = write(tmp_path / "train.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    dd = load_hub_dataset(f, tokens_column="words", tags_column="slots", intent_column="goal", language_column="lang")
    assert list(dd) == ["train"]
    ds = dd["train"]
    assert ds.column_names == ["id", "text", "tokens", "tags", "intent", "language"]
    assert ds["text"] == ["fly to boston", "fare"]
    assert decoded(ds, "tags") == [["O", "O", "B-city"], ["O"]]
    assert names(ds, "intent") == ["fare", "flight"]
    assert ds["language"] == ["en", "en"]
    # csv cannot hold lists: whitespace-separated strings; split slicing through load_dataset
    c = write(tmp_path / "dev.csv", "tokens,tags\nto nyc,O B-city\nto la,O B-city\n")
    dd = load_hub_dataset(c, split="validation[:1]", tokens_column="tokens", tags_column="tags")
    assert list(dd) == ["validation"] and "intent" not in dd["validation"].column_names
    assert dd["validation"]["tokens"] == [["to", "nyc"]]
    bad = write(tmp_path / "bad.csv", "tokens,tags\nto nyc,O X-city\n")
    with pytest.raises(ValueError, match=r"bad\.csv\[train\], row 0, token 2: invalid BIOES tag 'X-city'"):
        load_hub_dataset(bad, tokens_column="tokens", tags_column="tags")
    bad = write(tmp_path / "bad2.csv", "tokens,tags\nto nyc,O\n")
    with pytest.raises(ValueError, match=r"bad2\.csv\[train\], row 0: 1 tags for 2 tokens"):
        load_hub_dataset(bad, tokens_column="tokens", tags_column="tags")


def test_align_label_sets_on_built_dataset_dict():
    dd = DatasetDict(
        train=Dataset.from_dict({"text": ["a", "b"], "label": ["x", "y"]}),
        test=Dataset.from_dict({"text": ["c", "d", "e"], "label": ["z", "z", "x"]}),
    )
    with pytest.warns(DataWarning) as rec:
        out = align_label_sets(dd, name="toy")
    assert len(rec) == 1 and "toy test: 1 label not in train (2 utterances; z) mapped to UNK" in str(rec[0].message)
    assert names(out["train"], "label") == ["x", "y", "UNK"]
    assert decoded(out["test"], "label") == ["UNK", "UNK", "x"]
    assert out["test"]["text"] == ["c", "d", "e"]
    # idempotent: aligning again maps nothing new and warns nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        again = align_label_sets(out)
    assert decoded(again["test"], "label") == decoded(out["test"], "label")


# ---------------------------------------------------------------------------------- module layout


def test_readers_module_reexports_the_format_modules():
    """`hf_transfer.data.readers` is a compatibility module over `hf_transfer.data.formats`: the same
    function objects, and each shared helper defined once (in `formats.common`)."""
    import hf_transfer.data as data
    from hf_transfer.data import formats, readers
    from hf_transfer.data.formats import common, conll, jointbert, massive, seed_ner

    for name in readers.__all__:
        assert getattr(readers, name) is getattr(formats, name, None) or name == "validate_bio", name
        assert getattr(data, name) is getattr(readers, name), name
    assert readers.load_jointbert.__module__ == "hf_transfer.data.formats.jointbert"
    assert readers.load_hub_dataset.__module__ == "hf_transfer.data.formats.hub"
    assert readers.align_label_sets.__module__ == "hf_transfer.data.formats.common"
    for module in (conll, jointbert, massive, seed_ner):
        assert module._read_lines is common._read_lines and module._align is common._align
    assert conll._input_files is massive._input_files is common._input_files
