"""Bad data files get a clear error or warning that names the file and the line (or row), and
says what was expected (issue 13). Tiny files in tmp_path; no model, no real data.

Cases: bytes that are not UTF-8 (every reader), files with no utterance, CoNLL sentences not
separated by a blank line, csv / JSON lines that ``datasets`` fails on, a BOM in CLINC150's
JSON, Unicode line / paragraph separators, and ``I-x`` with no ``B-x`` before it. See
``tests/README.md`` for the table of cases."""

import json
import re
import warnings
from pathlib import Path

import pytest

from hf_transfer.data.formats.common import SEPARATORS
from hf_transfer.data.readers import (
    load_clinc150,
    load_conll_intents,
    load_hub_dataset,
    load_jointbert,
    load_massive,
    load_multilingual_tsv,
    load_seed_ner,
    read_label_file,
)
from hf_transfer.data.registry import load_dataset
from hf_transfer.data.schema import DataWarning


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch):
    """`datasets` builds its cache under tmp_path, not in the user's cache."""
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_cache", raising=False)


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def tags_of(ds):
    feat = ds.features["tags"].feature
    return [[feat.int2str(t) for t in seq] for seq in ds["tags"]]


def jointbert(root: Path, files: dict) -> Path:
    """files: {"seq.in": ..., "seq.out": ..., "label": ...} of the train split (str or bytes)."""
    for name, data in files.items():
        write(root / "train" / name, data)
    return root


JB = {"seq.in": "fly to boston\nfares\n", "seq.out": "O O B-city\nO\n", "label": "flight\nfare\n"}
CONLL = "# id = 1\n# intent = flight\n1\tfly\tflight\tO\n2\tboston\tflight\tB-city\n\n"
LATIN1 = "caf\u00e9".encode("latin-1")  # b"caf\xe9": 0xe9 is not UTF-8 before a newline


# ------------------------------------------------------------------------------ not UTF-8


def _bad_second_line(text: str) -> tuple[bytes, int, int]:
    """`text` with latin-1 bytes at the end of its 2nd line: (data, byte offset of 0xe9, column)."""
    first, rest = text.split("\n", 1)
    second, tail = rest.split("\n", 1)
    data = (first + "\n" + second).encode() + b" " + LATIN1 + b"\n" + tail.encode()
    offset = data.index(b"\xe9")
    return data, offset, offset - len(first.encode())  # 1-based column of the byte in line 2


def _utf8_error(path: Path, offset: int, column: int) -> str:
    return (
        rf"{re.escape(str(path))}, line 2: byte 0xe9 at byte offset {offset} \(byte {column} of the line\) "
        r"is not UTF-8.*expected UTF-8 text"
    )


@pytest.mark.parametrize("name", ["seq.in", "seq.out", "label"])
def test_not_utf8_jointbert_names_file_line_and_byte(tmp_path, name):
    files = dict(JB)
    files[name], offset, column = _bad_second_line(JB[name])
    root = jointbert(tmp_path / "atis", files)
    with pytest.raises(ValueError, match=_utf8_error(root / "train" / name, offset, column)) as err:
        load_jointbert(root, splits=("train",))
    assert not isinstance(err.value, UnicodeDecodeError)  # our message, not the codec's "position 8"


def test_not_utf8_label_file(tmp_path):
    data, offset, column = _bad_second_line("PAD\nflight\nfare\n")
    f = write(tmp_path / "intent_label.txt", data)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, column)):
        read_label_file(f)
    root = jointbert(tmp_path / "atis", JB)
    write(root / "intent_label.txt", data)
    with pytest.raises(ValueError, match=_utf8_error(root / "intent_label.txt", offset, column)):
        load_jointbert(root, splits=("train",))


def test_not_utf8_tsv(tmp_path):
    data, offset, column = _bad_second_line("greet\thello\ten\nbye\tciao\tit\n")
    f = write(tmp_path / "ml.train.txt", data)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, column)):
        load_multilingual_tsv(f)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, column)):  # recognised as TSV all the same
        load_dataset(str(f))


@pytest.mark.parametrize("which", ["source", "target"])
def test_not_utf8_seed_ner(tmp_path, which):
    texts = {"source": "a b\nc d\n", "target": "B-E E-E\nO O\n"}
    data, offset, column = _bad_second_line(texts[which])
    for w, text in texts.items():
        write(tmp_path / f"ner.train.{w}.txt", data if w == which else text)
    with pytest.raises(ValueError, match=_utf8_error(tmp_path / f"ner.train.{which}.txt", offset, column)):
        load_seed_ner(tmp_path / "ner", splits=("train",))


def test_not_utf8_conll(tmp_path):
    data, offset, column = _bad_second_line("# id = 1\n# text = fly\n# intent = flight\n1\tfly\tflight\tO\n")
    f = write(tmp_path / "xsid" / "de.valid.conll", data)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, column)):
        load_conll_intents(tmp_path / "xsid")


def test_not_utf8_massive_jsonl(tmp_path):
    ok = json.dumps({"partition": "train", "intent": "x", "annot_utt": "hi"})
    data = (ok + "\n").encode() + b'{"partition": "train", "intent": "x", "annot_utt": "' + LATIN1 + b'"}\n'
    f = write(tmp_path / "en.jsonl", data)
    offset = data.index(b"\xe9")
    with pytest.raises(ValueError, match=_utf8_error(f, offset, offset - len(ok))):
        load_massive(f)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, offset - len(ok))):
        load_dataset(str(f))


def test_not_utf8_clinc150_json(tmp_path):
    data = b'{"train": [["hi", "greet"],\n ["' + LATIN1 + b'", "greet"]], "val": [], "test": []}\n'
    f = write(tmp_path / "data_full.json", data)
    offset = data.index(b"\xe9")
    with pytest.raises(ValueError, match=_utf8_error(f, offset, offset - data.index(b"\n"))):
        load_clinc150(f)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_not_utf8_generic_loader(tmp_path, suffix):
    text = "text,label\nhello,greet\n" if suffix == ".csv" else '{"text": "hi", "label": "greet"}\n{"text": "x", "label": "y"}\n'
    data, offset, column = _bad_second_line(text)
    f = write(tmp_path / f"train{suffix}", data)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, column)):
        load_hub_dataset(f)
    with pytest.raises(ValueError, match=_utf8_error(f, offset, column)):
        load_dataset(str(f))


# ------------------------------------------------------------------------------ no utterances


@pytest.mark.parametrize("content, why", [("", "the file is empty"), ("\n \n", "all its 2 lines are blank")])
def test_empty_jointbert_split_names_the_file(tmp_path, content, why):
    root = jointbert(tmp_path / "atis", {"seq.in": content, "seq.out": content, "label": content})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the skipped blank lines
        with pytest.raises(ValueError, match=rf"atis/train/seq\.in: no utterances \({why}\); expected one utterance per line"):
            load_jointbert(root, splits=("train",))
        with pytest.raises(ValueError, match=r"atis/train/seq\.in: no utterances"):
            load_dataset(root, splits=["train"])


def test_empty_label_file_is_an_error(tmp_path):
    root = jointbert(tmp_path / "atis", JB)
    write(root / "slot_label.txt", "PAD\nUNK\n")
    write(root / "intent_label.txt", "")
    with pytest.raises(ValueError, match=r"atis/intent_label\.txt: no labels"):
        load_jointbert(root, splits=("train",))


def test_empty_tsv_names_the_file(tmp_path):
    write(tmp_path / "ml.train.txt", "greet\thello\ten\n")
    empty = write(tmp_path / "ml.test.txt", "")
    with pytest.raises(ValueError, match=rf"{re.escape(str(empty))}: no utterances \(the file is empty\); expected label<TAB>text<TAB>lang"):
        load_multilingual_tsv({"train": tmp_path / "ml.train.txt", "test": empty})
    only_empty_texts = write(tmp_path / "e.train.txt", "greet\t \ten\n")
    with pytest.warns(DataWarning, match="skipped 1 empty utterance"):
        with pytest.raises(ValueError, match=r"e\.train\.txt: no utterances \(its only line holds none\)"):
            load_multilingual_tsv(only_empty_texts)
    alone = write(tmp_path / "x" / "blank.train.txt", "")
    with pytest.raises(ValueError, match=r"blank\.train\.txt: no utterances"):
        load_dataset(str(tmp_path / "x" / "blank"))  # {prefix} of an empty TSV
    with pytest.raises(ValueError, match=r"blank\.train\.txt: no utterances"):
        load_dataset(str(alone))


def test_empty_seed_ner_source_names_the_file(tmp_path):
    write(tmp_path / "ner.train.source.txt", "")
    write(tmp_path / "ner.train.target.txt", "")
    with pytest.raises(ValueError, match=r"ner\.train\.source\.txt: no utterances \(the file is empty\)"):
        load_seed_ner(tmp_path / "ner", splits=("train",))


def test_empty_conll_file_does_not_drop_its_language_silently(tmp_path):
    write(tmp_path / "xsid" / "de.valid.conll", CONLL)
    empty = write(tmp_path / "xsid" / "nl.valid.conll", "")
    with pytest.raises(ValueError, match=rf"{re.escape(str(empty))}: no utterances \(the file is empty\)"):
        load_conll_intents(tmp_path / "xsid")
    with pytest.raises(ValueError, match=r"nl\.valid\.conll: no utterances"):
        load_dataset(tmp_path / "xsid")
    load_conll_intents(tmp_path / "xsid", languages=["de"])  # the empty file is not read
    write(empty, "# id = 1\n# intent = x\n\n")  # only a sentence without token rows
    with pytest.warns(DataWarning, match="skipped 1 empty utterance"):
        with pytest.raises(ValueError, match=r"nl\.valid\.conll: no utterances"):
            load_conll_intents(tmp_path / "xsid")


def test_empty_massive_file_names_the_file(tmp_path):
    f = write(tmp_path / "m" / "en.jsonl", "\n")
    with pytest.raises(ValueError, match=r"en\.jsonl: no utterances \(its only line is blank\)"):
        load_massive(f)
    with pytest.raises(ValueError, match=r"en\.jsonl: no utterances"):
        load_dataset(str(f))


# ------------------------------------------------------------------------------ CoNLL: missing blank line


def test_conll_missing_blank_line_before_a_comment_block_splits_with_a_warning(tmp_path):
    f = write(
        tmp_path / "xx.valid.conll",
        "# id = 1\n# text = fly boston\n# intent = flight\n1\tfly\tflight\tO\n2\tboston\tflight\tB-city\n"
        "# id = 2\n# text = fares\n# intent = fare\n1\tfares\tfare\tO\n",  # line 6 opens sentence 2
    )
    with pytest.warns(DataWarning) as rec:
        dd = load_conll_intents([f])
    msgs = [str(w.message) for w in rec]
    assert any(
        m.startswith(f"{f}: 1 sentence not separated from the previous one by a blank line (line 6); split there")
        for m in msgs
    ), msgs
    ds = dd["validation"]
    assert ds["id"] == ["1", "2"]
    assert ds["tokens"] == [["fly", "boston"], ["fares"]]
    assert [ds.features["intent"].int2str(x) for x in ds["intent"]] == ["flight", "fare"]


def test_conll_missing_blank_line_token_index_restarts(tmp_path):
    f = write(tmp_path / "xx.valid.conll", "# intent = a\n1\tx\ta\tO\n2\ty\ta\tO\n1\tz\ta\tO\n")
    with pytest.warns(DataWarning, match=r"xx\.valid\.conll: 1 sentence not separated .*\(line 4\)"):
        dd = load_conll_intents([f])
    assert dd["validation"]["tokens"] == [["x", "y"], ["z"]]


def test_conll_well_separated_file_gives_no_warning(tmp_path):
    f = write(tmp_path / "xx.valid.conll", CONLL + CONLL.replace("id = 1", "id = 2"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert len(load_conll_intents([f])["validation"]) == 2


# ------------------------------------------------------------------------------ generic loader: bad rows


def test_bad_json_line_names_file_and_line(tmp_path):
    f = write(tmp_path / "train.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": \n{"text": "c", "label": "y"}\n')
    pattern = rf"{re.escape(str(f))}, line 2: invalid JSON \(Expecting value at column \d+\); expected one JSON object per line"
    with pytest.raises(ValueError, match=pattern):
        load_hub_dataset(f)
    with pytest.raises(ValueError, match=pattern):
        load_dataset(str(f))


def test_bad_json_document_names_line_and_column(tmp_path):
    f = write(tmp_path / "train.json", '[\n {"text": "a",\n  "label": "x"},\n {"text": "b" "label": "y"}\n]\n')
    with pytest.raises(ValueError, match=rf"{re.escape(str(f))}, line 4, column \d+: invalid JSON \(Expecting ',' delimiter\)"):
        load_hub_dataset(f)


def test_json_line_that_is_not_an_object(tmp_path):
    f = write(tmp_path / "train.jsonl", '{"text": "a", "label": "x"}\n["b", "y"]\n')
    with pytest.raises(ValueError, match=r"train\.jsonl, line 2: a JSON list; expected a JSON object"):
        load_hub_dataset(f)


def test_bad_csv_row_names_file_and_line(tmp_path):
    f = write(tmp_path / "d" / "train.csv", "text,label\nhello,greet\nbook a flight, please,book\nbye,leave\n")
    pattern = rf"{re.escape(str(f))}, line 3: 3 ','-separated fields; expected 2 as in the header \(text, label\)"
    with pytest.raises(ValueError, match=pattern):
        load_hub_dataset(f)
    with pytest.raises(ValueError, match=pattern):  # a folder: the file is found among its files
        load_dataset(str(tmp_path / "d"))


def test_unclosed_csv_quote_names_the_line(tmp_path):
    f = write(tmp_path / "train.csv", 'text,label\nhello,greet\n"unclosed,greet\nbye,leave\n')
    with pytest.raises(ValueError, match=r"train\.csv, line 3: malformed csv row .*closing '\"'"):
        load_hub_dataset(f)


def test_bad_row_in_data_files_argument(tmp_path):
    good = write(tmp_path / "good.csv", "text,label\nhi,greet\n")
    bad = write(tmp_path / "bad.tsv", "text\tlabel\nhi\tgreet\textra\n")
    with pytest.raises(ValueError, match=r"bad\.tsv, line 2: 3 '\\t'-separated fields; expected 2"):
        load_hub_dataset("csv", data_files={"train": str(good), "test": str(bad)}, delimiter="\t")


# ------------------------------------------------------------------------------ BOM


def test_clinc150_json_with_a_bom_is_read(tmp_path):
    data = {"train": [["hi", "greet"], ["bye", "leave"]], "val": [["hello", "greet"]], "test": [["ciao", "leave"]]}
    plain = write(tmp_path / "plain" / "data_full.json", json.dumps(data))
    bom = write(tmp_path / "bom" / "data_full.json", b"\xef\xbb\xbf" + json.dumps(data).encode())
    a, b = load_clinc150(plain), load_clinc150(bom)
    assert {s: b[s].to_dict() for s in b} == {s: a[s].to_dict() for s in a}
    sniffed = write(tmp_path / "other" / "intents.json", b"\xef\xbb\xbf" + json.dumps(data).encode())
    assert load_dataset(str(sniffed))["train"]["text"] == ["hi", "bye"]  # recognised as CLINC150 layout


def test_bom_is_accepted_by_the_line_readers(tmp_path):
    root = jointbert(tmp_path / "atis", {k: b"\xef\xbb\xbf" + v.encode() for k, v in JB.items()})
    assert load_jointbert(root, splits=("train",))["train"]["tokens"][0] == ["fly", "to", "boston"]
    f = write(tmp_path / "xsid" / "de.valid.conll", b"\xef\xbb\xbf" + CONLL.encode())
    assert load_conll_intents([f])["validation"]["id"] == ["1"]


# ------------------------------------------------------------------------------ line / paragraph separators


@pytest.mark.parametrize("sep", list(SEPARATORS))
def test_separator_inside_a_conll_token_becomes_a_space_with_a_warning(tmp_path, sep):
    f = write(tmp_path / "xx.valid.conll", f"# id = 1\n# intent = a\n1\tnew{sep}york\ta\tB-city\n2\tnow\ta\tO\n")
    name = f"U\\+{ord(sep):04X} {SEPARATORS[sep]}"
    with pytest.warns(DataWarning, match=rf"xx\.valid\.conll: replaced 1 Unicode line/paragraph separator with a space \({name} x1; line 3\)"):
        dd = load_conll_intents([f])
    ds = dd["validation"]
    assert ds["tokens"] == [["new york", "now"]] and tags_of(ds) == [["B-city", "O"]]
    assert not any(c in ds["text"][0] for c in SEPARATORS)


def test_separators_in_whitespace_split_files_count_and_agree_with_str_split(tmp_path):
    tokens = "fly\u2028to\u0085boston"  # three words to str.split() and to the tokenizers
    root = jointbert(tmp_path / "atis", {"seq.in": f"{tokens}\nfares\n", "seq.out": "O O B-city\nO\n", "label": "flight\nfare\n"})
    with pytest.warns(DataWarning, match=r"train/seq\.in: replaced 2 Unicode line/paragraph separators .*line 1\)") as rec:
        ds = load_jointbert(root, splits=("train",))["train"]
    assert len(rec) == 1
    assert ds["tokens"][0] == tokens.split() == ["fly", "to", "boston"]
    assert ds["text"][0] == "fly to boston" and ds["text"][0].split() == ds["tokens"][0]


def test_separators_count_on_several_lines_and_in_tsv_text(tmp_path):
    f = write(tmp_path / "ml.train.txt", "greet\thi\u2029there\ten\nbye\tciao\x0bciao\x0c!\tit\nok\tok\ten\n")
    with pytest.warns(DataWarning, match=r"replaced 3 Unicode .*U\+000B LINE TABULATION x1, U\+000C FORM FEED x1, U\+2029 PARAGRAPH SEPARATOR x1; line 1, 2\)"):
        dd = load_multilingual_tsv(f)
    assert dd["train"]["text"][:2] == ["hi there", "ciao ciao !"]


def test_separators_in_json_sources(tmp_path):
    data = {"train": [["hi\u2028there", "greet"]], "val": [], "test": []}
    f = write(tmp_path / "data_full.json", json.dumps(data))  # json.dumps escapes U+2028 as \u2028
    with pytest.warns(DataWarning, match=r"data_full\.json: replaced 1 .*U\+2028 LINE SEPARATOR x1; row train\[0\]"):
        assert load_clinc150(f)["train"]["text"] == ["hi there"]
    rows = [{"tokens": ["new\u2029york", "now"], "tags": ["B-city", "O"]}]
    j = write(tmp_path / "train.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    with pytest.warns(DataWarning, match=r"train\.jsonl\[train\]: replaced 1 .*row 0\)"):
        ds = load_hub_dataset(j, tokens_column="tokens", tags_column="tags")["train"]
    assert ds["tokens"] == [["new york", "now"]]


def test_separator_words_go_through_the_collator_with_their_tags(tmp_path):
    """What the reader stores is what the collator and tokenizer see: one tag per word."""
    from hf_transfer.data.collators import DataCollatorForWordLevel
    from hf_transfer.data.tokenization import build_bcnn_tokenizer

    f = write(tmp_path / "xx.valid.conll", "# intent = a\n1\tnew\x1cyork\ta\tB-city\n2\tnow\ta\tO\n")
    with pytest.warns(DataWarning, match="replaced 1"):
        ds = load_conll_intents([f])["validation"]
    root = jointbert(tmp_path / "atis", {"seq.in": "fly\u2028boston\n", "seq.out": "O B-city\n", "label": "flight\n"})
    with pytest.warns(DataWarning, match="replaced 1"):
        jb = load_jointbert(root, splits=("train",))["train"]
    tok = build_bcnn_tokenizer(["new york now fly boston"])
    collator = DataCollatorForWordLevel(tok, intent_column=None)
    batch = collator([{"tokens": d["tokens"][0], "tags": d["tags"][0]} for d in (ds, jb)])
    assert batch["slot_labels"].tolist() == [list(ds["tags"][0]), list(jb["tags"][0])]  # one label per word
    assert batch["word_ids"].max(1).values.tolist() == [1, 1]  # "new york": one word of two tokens


# ------------------------------------------------------------------------------ I-x with no B-x


def test_orphan_inside_tag_is_read_as_begin_with_one_warning_jointbert(tmp_path):
    root = jointbert(
        tmp_path / "atis",
        {
            "seq.in": "fly to boston\nfrom new york to la\nok\n",
            "seq.out": "O O I-city\nO I-city I-city O I-city\nO\n",
            "label": "flight\nflight\nok\n",
        },
    )
    with pytest.warns(DataWarning) as rec:
        ds = load_jointbert(root, splits=("train",))["train"]
    msgs = [str(w.message) for w in rec if "I- tag" in str(w.message)]
    assert msgs == [
        f"{root / 'train' / 'seq.out'}: 3 I- tags with no B- or I- tag of the same type before them "
        "(line 1 token 3, 2 token 2, 2 token 5) read as B- (a chunk starts there, as conlleval and seqeval read it) and stored so"
    ]
    assert tags_of(ds) == [["O", "O", "B-city"], ["O", "B-city", "I-city", "O", "B-city"], ["O"]]


def test_orphan_inside_tag_conll_and_generic_loader(tmp_path):
    f = write(tmp_path / "xx.valid.conll", "# intent = a\n1\tto\ta\tO\n2\tnew\ta\tI-city\n3\tyork\ta\tI-city\n4\tnow\ta\tI-time\n")
    with pytest.warns(DataWarning, match=r"xx\.valid\.conll: 2 I- tags .*\(line 3, 5\) read as B-"):
        ds = load_conll_intents([f])["validation"]
    assert tags_of(ds) == [["O", "B-city", "I-city", "B-time"]]
    j = write(tmp_path / "train.jsonl", json.dumps({"tokens": ["a", "b"], "tags": ["B-x", "I-y"]}) + "\n")
    with pytest.warns(DataWarning, match=r"train\.jsonl\[train\]: 1 I- tag .*\(row 0 token 2\)"):
        ds = load_hub_dataset(j, tokens_column="tokens", tags_column="tags", scheme="BIO")["train"]
    assert tags_of(ds) == [["B-x", "B-y"]]


def test_orphan_inside_tag_bioes_and_valid_sequences_untouched(tmp_path):
    write(tmp_path / "ner.train.source.txt", "a b c\nd e\n")
    write(tmp_path / "ner.train.target.txt", "O I-E E-E\nB-P E-P\n")
    with pytest.warns(DataWarning, match=r"ner\.train\.target\.txt: 1 I- tag .*\(line 1 token 2\)"):
        ds = load_seed_ner(tmp_path / "ner", splits=("train",))["train"]
    assert tags_of(ds) == [["O", "B-E", "E-E"], ["B-P", "E-P"]]
    root = jointbert(tmp_path / "ok", JB)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert tags_of(load_jointbert(root, splits=("train",))["train"]) == [["O", "O", "B-city"], ["O"]]
