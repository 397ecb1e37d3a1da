"""DataCollatorForWordLevel: word-level label padding, intent labels, truncation warnings, errors."""

from __future__ import annotations

import warnings

import pytest
import torch

from hf_transfer.data.collators import DataCollatorForWordLevel, require_columns
from hf_transfer.data.schema import DataWarning
from hf_transfer.data.tokenization import build_bcnn_tokenizer


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

WORDS = [["fly", "to", "new", "york"], ["book", "a", "flight", "on", "monday", "please"], ["hi"]]
TAGS = [[0, 0, 1, 2], [0, 0, 0, 0, 3, 0], [0]]
INTENTS = [2, 1, 0]



@pytest.fixture
def tokenizer():
    return build_bcnn_tokenizer(WORDS + [["x", "y", "z"]])


def _features(words=WORDS, tags=TAGS, intents=INTENTS):
    return [{"tokens": w, "tags": t, "intent": i, "id": str(k)} for k, (w, t, i) in enumerate(zip(words, tags, intents))]


def test_pads_word_labels_with_minus_100_and_carries_intents(tokenizer):
    batch = DataCollatorForWordLevel(tokenizer)(_features())
    assert batch["slot_labels"].shape == (3, 6)  # the batch's longest utterance in words
    expected = torch.full((3, 6), -100)
    for i, t in enumerate(TAGS):
        expected[i, : len(t)] = torch.tensor(t)
    assert torch.equal(batch["slot_labels"], expected)
    assert batch["intent_labels"].tolist() == INTENTS
    # word ids index the words; each word of a BCNN word tokenizer is one token here
    assert batch["word_ids"][0].tolist()[:4] == [0, 1, 2, 3]
    assert batch["word_ids"][2].tolist() == [0, -1, -1, -1, -1, -1]
    assert torch.equal(batch["attention_mask"].bool(), batch["word_ids"] >= 0)


def test_custom_label_names_and_string_labels(tokenizer):
    tag2id = {"O": 0, "B-city": 1, "I-city": 2, "B-date": 3}
    feats = [{"tokens": ["fly", "to", "york"], "tags": ["O", "O", "B-city"], "intent": "flight"}]
    collator = DataCollatorForWordLevel(tokenizer, tag2id=tag2id, intent2id={"flight": 4}, tag_label_name="labels", intent_label_name="intent")
    batch = collator(feats)
    assert batch["labels"].tolist() == [[0, 0, 1]] and batch["intent"].tolist() == [4]
    with pytest.raises(ValueError, match="unknown tag 'B-x'"):
        collator([{"tokens": ["a"], "tags": ["B-x"], "intent": "flight"}])
    with pytest.raises(ValueError, match="pass tag2id"):
        DataCollatorForWordLevel(tokenizer)(feats)


def test_slots_only_examples_have_no_intent_labels(tokenizer):
    batch = DataCollatorForWordLevel(tokenizer)([{"tokens": w, "tags": t} for w, t in zip(WORDS, TAGS)])
    assert "intent_labels" not in batch and batch["slot_labels"].shape == (3, 6)
    batch = DataCollatorForWordLevel(tokenizer)([{"tokens": w} for w in WORDS])  # prediction
    assert set(batch) == {"input_ids", "attention_mask", "word_ids"}


def test_truncation_warns_once_and_counts(tokenizer):
    collator = DataCollatorForWordLevel(tokenizer, max_length=3)
    with pytest.warns(DataWarning, match="truncated 2 over-long utterance"):
        batch = collator(_features())
    # tags of the cut words are dropped: the labels stop at the kept words
    assert batch["slot_labels"].tolist() == [[0, 0, 1], [0, 0, 0], [0, -100, -100]]
    assert int(batch["word_ids"].max()) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        collator(_features())  # no second warning
    assert collator.num_truncated == 4


def test_max_words_truncates(tokenizer):
    collator = DataCollatorForWordLevel(tokenizer, max_words=2)
    with pytest.warns(DataWarning, match="max_words=2"):
        batch = collator(_features())
    assert batch["slot_labels"].tolist() == [[0, 0], [0, 0], [0, -100]]


def test_check_lengths_names_split_and_rows(tokenizer):
    from datasets import Dataset

    ds = Dataset.from_dict({"tokens": WORDS, "tags": TAGS})
    collator = DataCollatorForWordLevel(tokenizer, max_length=4)
    with pytest.warns(DataWarning, match=r"split 'test': 1 of 3 utterances .*rows \[1\]"):
        assert collator.check_lengths(ds, "test") == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        collator(_features())  # already warned for this data
    with pytest.raises(ValueError, match=r"dataset\['test'\] has no column 'intent'"):
        require_columns(ds, ["tokens", "intent"], "test")


def test_bad_input_errors(tokenizer):
    collator = DataCollatorForWordLevel(tokenizer)
    with pytest.raises(ValueError, match="no 'tokens' column.*remove_unused_columns=False"):
        collator([{"text": "fly to york"}])
    with pytest.raises(ValueError, match="example 0 of the batch has 2 tags for 3 words"):
        collator([{"tokens": ["fly", "to", "york"], "tags": [0, 0]}])
    with pytest.raises(ValueError, match="example 1 of the batch has no 'intent'"):
        collator([{"tokens": ["a"], "intent": 0}, {"tokens": ["b"]}])


def test_empty_utterances_do_not_crash(tokenizer):
    collator = DataCollatorForWordLevel(tokenizer)
    batch = collator([{"tokens": [], "tags": [], "intent": 0}, {"tokens": [], "tags": [], "intent": 1}])
    assert batch["input_ids"].shape == (2, 1) and batch["slot_labels"].tolist() == [[-100], [-100]]
    batch = collator([{"tokens": [], "tags": [], "intent": 0}, {"tokens": ["hi"], "tags": [0], "intent": 1}])
    assert batch["slot_labels"].tolist() == [[-100], [0]]


def test_subword_tokenizer_keeps_word_level_labels(minilm_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(minilm_path)
    words = [["unbelievably", "cheap", "flights"], ["to", "tegucigalpa"]]
    batch = DataCollatorForWordLevel(tok, prefix="query:")([{"tokens": w, "tags": [1] * len(w)} for w in words])
    assert batch["slot_labels"].tolist() == [[1, 1, 1], [1, 1, -100]]
    wid = batch["word_ids"][1].tolist()
    pieces = tok(["query:"] + words[1], is_split_into_words=True).word_ids()
    # the prefix and special tokens are -1, the rest index the words
    assert wid[: len(pieces)] == [-1 if p is None or p == 0 else p - 1 for p in pieces]
    assert wid.count(1) == len(tok.tokenize("tegucigalpa")) > 1
