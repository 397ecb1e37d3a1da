"""Bad input to the models gets a clear error or warning naming the argument, field or file:
a saved model of another `model_type`, a model directory without tokenizer files, empty and
non-string texts at inference, a bare string to the few-shot `predict`, and label ids a model
does not know. Tiny random BCNN / BERT configs; no data, no network."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import BertConfig, BertModel, Trainer, TrainingArguments

from hf_transfer.configuration_utils import TransferConfig
from hf_transfer.data.collators import DataCollatorForWordLevel
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.inference import load_model, predict_texts
from hf_transfer.layers.crf import CRF
from hf_transfer.models.fewshot import (
    FrozenEmbeddingClassifier,
    MatchingNetwork,
    MatchingNetworkConfig,
    PrototypicalNetwork,
    PrototypicalNetworkConfig,
    RelationNetwork,
    RelationNetworkConfig,
)
from hf_transfer.models.multilingual import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
)
from hf_transfer.models.multitask import (
    IntentSlotPipeline,
    SharedPrivateConfig,
    SharedPrivateForIntentAndSlotFilling,
    predict,
)
from hf_transfer.models.transfer import TransferForSequenceClassification
from hf_transfer.utils import check_label_ids, check_texts, load_tokenizer


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

WORDS = ["fly to new york", "weather on monday in paris", "hi there", "send money to bob", "play some jazz"]
TAGS = ["O", "B-city", "I-city", "B-date", "I-date"]
INTENTS = {0: "flight", 1: "weather", 2: "greet"}
BCNN = dict(embedding_size=8, num_filters=4, kernel_sizes=[1, 2])
EMPTY = re.compile(r"(\d+) of (\d+) texts are empty or whitespace only")


@pytest.fixture(scope="module")
def tokenizer():
    return build_bcnn_tokenizer([t.split() for t in WORDS])


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    """A plain `bert` model directory (config + weights, no tokenizer)."""
    path = tmp_path_factory.mktemp("bert")
    config = BertConfig(vocab_size=99, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, max_position_embeddings=32)
    BertModel(config).save_pretrained(path)
    return path


def multitask_model(tokenizer, **overrides):
    kwargs = dict(id2tag=TAGS, id2label=INTENTS, vocab_size=len(tokenizer), classifier_dropout=0.0, **BCNN)
    kwargs.update(overrides)
    return SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(**kwargs)).eval()


def transfer_model(tokenizer):
    return TransferForSequenceClassification(TransferConfig(vocab_size=len(tokenizer), id2label={0: "a", 1: "b"}, **BCNN)).eval()


def multilingual_model(tokenizer, token: bool = False):
    config = AdversarialSharedPrivateConfig(languages=["en", "de"], feature_size=4, vocab_size=len(tokenizer), id2label=dict(enumerate(TAGS)) if token else {0: "a", 1: "b"}, **BCNN)
    cls = AdversarialSharedPrivateForTokenClassification if token else AdversarialSharedPrivateForSequenceClassification
    return cls(config).eval()


def fewshot_model(tokenizer, cls=PrototypicalNetwork, config_cls=PrototypicalNetworkConfig):
    model = cls(config_cls(vocab_size=len(tokenizer), **BCNN)).eval()
    model.set_tokenizer(tokenizer)
    return model.fit_support(WORDS, ["travel", "weather", "chat", "bank", "music"])


def empty_warnings(record) -> list[tuple[int, int]]:
    return [tuple(map(int, EMPTY.search(str(w.message)).groups())) for w in record if EMPTY.search(str(w.message))]


# ------------------------------------------------------------------ a saved model of another model_type

LOADERS = [
    SharedPrivateForIntentAndSlotFilling,
    PrototypicalNetwork,
    MatchingNetwork,
    RelationNetwork,
    TransferForSequenceClassification,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
]


@pytest.mark.parametrize("cls", LOADERS, ids=lambda c: c.__name__)
def test_plain_backbone_dir_is_an_error_pointing_to_from_backbone(cls, bert_dir):
    with pytest.raises(ValueError) as err:
        cls.from_pretrained(bert_dir)
    message = str(err.value)
    assert "'bert'" in message and repr(cls.config_class.model_type) in message, message
    assert f"{cls.__name__}.from_backbone({str(bert_dir)!r}" in message and str(bert_dir) in message


def test_another_family_dir_names_its_class(tokenizer, tmp_path):
    multitask_model(tokenizer).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"'hf_transfer_shared_private'.*'hf_transfer'.*SharedPrivateForIntentAndSlotFilling\.from_pretrained"):
        TransferForSequenceClassification.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match=r"`config` is a BertConfig .*expected a SharedPrivateConfig"):
        SharedPrivateForIntentAndSlotFilling.from_pretrained(tmp_path, config=BertConfig())
    assert type(SharedPrivateForIntentAndSlotFilling.from_pretrained(tmp_path)) is SharedPrivateForIntentAndSlotFilling  # its own type loads


def test_from_backbone_still_reads_a_plain_backbone_dir(bert_dir):
    model = TransferForSequenceClassification.from_backbone(bert_dir, num_labels=2)
    assert model.config.encoder_type == "backbone" and model.config.backbone_config.model_type == "bert"


# ------------------------------------------------------------------ a model directory without tokenizer files


def test_load_model_without_tokenizer_files_names_dir_and_files(tokenizer, tmp_path):
    multitask_model(tokenizer).save_pretrained(tmp_path)
    for load in (load_model, IntentSlotPipeline.from_pretrained, load_tokenizer):
        with pytest.raises(FileNotFoundError) as err:
            load(tmp_path)
        message = str(err.value)
        assert str(tmp_path) in message and "tokenizer.json" in message and "tokenizer_config.json" in message and "vocab.txt" in message
        assert "install" not in message and "tiktoken" not in message
    tokenizer.save_pretrained(tmp_path)
    model, loaded = load_model(tmp_path)
    assert type(model) is SharedPrivateForIntentAndSlotFilling and len(loaded) == len(tokenizer)
    assert IntentSlotPipeline.from_pretrained(tmp_path)("fly to paris")["intent"] in INTENTS.values()


def test_fewshot_without_tokenizer_files_names_dir(tokenizer, tmp_path):
    fewshot_model(tokenizer).save_pretrained(tmp_path)
    reloaded = PrototypicalNetwork.from_pretrained(tmp_path)
    with pytest.raises(ValueError) as err:
        reloaded.predict(["send money"])
    message = str(err.value)
    assert str(tmp_path) in message and "tokenizer.json" in message and "tokenizer=" in message


# ------------------------------------------------------------------ empty and whitespace-only texts


def test_pipeline_empty_texts_get_none_and_one_warning(tokenizer):
    model = multitask_model(tokenizer)
    nlu = IntentSlotPipeline(model, tokenizer)
    expected = nlu(["fly to new york", "hi there"])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        results = nlu(["", "fly to new york", "  \t", "hi there"])
    assert empty_warnings(record) == [(2, 4)]
    none = {"intent": None, "score": None, "slots": []}
    assert results == [none, expected[0], none, expected[1]]
    with pytest.warns(UserWarning, match="1 of 1 texts are empty"):
        assert nlu(" ") == none
    with pytest.warns(UserWarning, match="1 of 1 texts are empty"):
        assert predict(model, tokenizer, [""]) == [none]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning without empty texts
        assert nlu(["fly to new york", "hi there"]) == expected


@pytest.mark.parametrize("cls,config_cls", [(PrototypicalNetwork, PrototypicalNetworkConfig), (MatchingNetwork, MatchingNetworkConfig), (RelationNetwork, RelationNetworkConfig)],
                         ids=["proto", "matching", "relation"])
def test_fewshot_empty_texts_get_none_and_nan(tokenizer, cls, config_cls):
    model = fewshot_model(tokenizer, cls, config_cls)
    texts = ["send money", "play jazz"]
    labels, proba = model.predict(texts), model.predict_proba(texts)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = model.predict(["", "send money", " ", "play jazz"])
        got_proba = model.predict_proba(["send money", "", "play jazz"])
    assert empty_warnings(record) == [(2, 4), (1, 3)]
    assert got == [None, labels[0], None, labels[1]]
    assert np.isnan(got_proba[1]).all() and got_proba.shape == (3, 5)
    np.testing.assert_allclose(got_proba[[0, 2]], proba, rtol=1e-6, atol=1e-7)
    with pytest.warns(UserWarning, match="2 of 2 texts are empty"):
        assert model.predict(["", " "]) == [None, None]


def test_frozen_baseline_empty_texts(tokenizer):
    table = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    clf = FrozenEmbeddingClassifier(embed_fn=lambda texts: np.stack([table[t] for t in texts])).fit_support(["a", "b"], ["x", "y"])
    with pytest.warns(UserWarning, match="1 of 3 texts are empty"):
        assert clf.predict(["a", "", "b"]) == ["x", None, "y"]
    with pytest.warns(UserWarning, match="1 of 2 texts are empty"):
        proba = clf.predict_proba(["", "b"])
    assert np.isnan(proba[0]).all() and proba[1].argmax() == 1


@pytest.mark.parametrize("family", ["finetune", "multitask", "fewshot", "multilingual", "multilingual_slots"])
def test_predict_texts_empty_texts_every_family(family, tokenizer):
    model = {
        "finetune": lambda: transfer_model(tokenizer),
        "multitask": lambda: multitask_model(tokenizer),
        "fewshot": lambda: fewshot_model(tokenizer),
        "multilingual": lambda: multilingual_model(tokenizer),
        "multilingual_slots": lambda: multilingual_model(tokenizer, token=True),
    }[family]()
    expected = predict_texts(model, tokenizer, ["fly to paris", "play jazz"])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = predict_texts(model, tokenizer, ["", "fly to paris", "   ", "play jazz"])
    assert empty_warnings(record) == [(2, 4)], [str(w.message) for w in record]
    none = {"multitask": {"intent": None, "score": None, "slots": []}, "multilingual_slots": {"tokens": [], "tags": []}}.get(family, {"label": None, "score": None})
    assert got[0] == got[2] == none
    assert got[1] == expected[0] and got[3] == expected[1]


# ------------------------------------------------------------------ texts that are not strings

BAD_TEXTS = [
    (None, r"`texts` is None"),
    (5, r"`texts` is int 5"),
    (b"send money", r"`texts` is bytes b'send money'"),
    (["send money", None], r"`texts\[1\]` is None"),
    (["send money", 3], r"`texts\[1\]` is int 3"),
    ([b"send money"], r"`texts\[0\]` is bytes"),
]


def _entry_points(tokenizer):
    multitask = multitask_model(tokenizer)
    fewshot = fewshot_model(tokenizer)
    frozen = FrozenEmbeddingClassifier(fewshot, tokenizer=tokenizer).fit_support(["send money", "play jazz"], ["bank", "music"])
    return {
        "IntentSlotPipeline": IntentSlotPipeline(multitask, tokenizer),
        "multitask.predict": lambda t: predict(multitask, tokenizer, t),
        "fewshot.predict": fewshot.predict,
        "fewshot.predict_proba": fewshot.predict_proba,
        "fewshot.embed_texts": fewshot.embed_texts,
        "fewshot.fit_support": lambda t: fewshot_model(tokenizer).fit_support(t, ["x", "y"]),
        "FrozenEmbeddingClassifier.predict": frozen.predict,
        "FrozenEmbeddingClassifier.predict_proba": frozen.predict_proba,
        "predict_texts[finetune]": lambda t: predict_texts(transfer_model(tokenizer), tokenizer, t),
        "predict_texts[multitask]": lambda t: predict_texts(multitask, tokenizer, t),
        "predict_texts[fewshot]": lambda t: predict_texts(fewshot, tokenizer, t),
        "predict_texts[multilingual]": lambda t: predict_texts(multilingual_model(tokenizer), tokenizer, t),
        "predict_texts[multilingual_slots]": lambda t: predict_texts(multilingual_model(tokenizer, token=True), tokenizer, t),
    }


def test_non_string_texts_are_a_type_error_naming_the_position(tokenizer):
    for name, entry in _entry_points(tokenizer).items():
        for texts, expected in BAD_TEXTS:
            with pytest.raises(TypeError, match=expected + r".*expected a string or a list of strings"):
                entry(texts)
            assert name  # (the loop's name shows in the traceback when an entry fails)


def test_check_texts():
    assert check_texts("a") == (["a"], True)
    assert check_texts(("a", "b")) == (["a", "b"], False)
    assert check_texts(np.array(["a", "b"]))[0] == ["a", "b"]
    with pytest.raises(TypeError, match=r"^predict: `queries\[2\]` is float 1.5; expected a string or a list of strings$"):
        check_texts(["a", "b", 1.5], "queries", "predict")


# ------------------------------------------------------------------ a bare string is one text


def test_fewshot_bare_string_is_one_text(tokenizer):
    model = fewshot_model(tokenizer)
    assert model.predict("send money") == model.predict(["send money"]) and len(model.predict("send money")) == 1
    assert model.predict_proba("send money").shape == (1, 5)
    assert model.embed_texts("send money").shape == (1, model.config.sentence_embedding_size)
    frozen = FrozenEmbeddingClassifier(model, tokenizer=tokenizer).fit_support(["send money", "play jazz"], ["bank", "music"])
    assert frozen.predict("play jazz") == ["music"] and frozen.predict_proba("play jazz").shape == (1, 2)
    assert len(predict_texts(model, tokenizer, "send money")) == 1


# ------------------------------------------------------------------ label ids the model does not know


def _multitask_batch(tokenizer, intents=(0, 1, 2), tags=None):
    words = [w.split() for w in WORDS[:3]]
    tags = tags or [[0] * len(w) for w in words]
    return DataCollatorForWordLevel(tokenizer)([{"tokens": w, "tags": t, "intent": i} for w, t, i in zip(words, tags, intents)])


def _assert_label_message(message: str, field: str, bad: str, n: int, names_attr: str):
    assert f"`{field}`" in message and bad in message and f"{n} labels" in message, message
    assert names_attr in message and "matched by id" in message, message


@pytest.mark.parametrize("use_crf", [True, False], ids=["crf", "softmax"])
def test_multitask_unknown_intent_and_tag_ids(tokenizer, use_crf):
    model = multitask_model(tokenizer, use_crf=use_crf).train()
    ok = model(**_multitask_batch(tokenizer))
    assert torch.isfinite(ok.loss)
    with pytest.raises(ValueError) as err:
        model(**_multitask_batch(tokenizer, intents=(0, 7, 2)))
    _assert_label_message(str(err.value), "intent_labels", "7", 3, "config.id2label")
    assert "2=greet" in str(err.value)
    with pytest.raises(ValueError) as err:
        model(**_multitask_batch(tokenizer, tags=[[0, 0, 9, 0], [0, 0, 0, 0, 0], [0, -4]]))
    _assert_label_message(str(err.value), "slot_labels", "-4, 9", 5, "config.id2tag")


def test_trainer_evaluation_with_unknown_intent_id(tokenizer, tmp_path):
    model = multitask_model(tokenizer)
    rows = Dataset.from_list([{"tokens": w.split(), "tags": [0] * len(w.split()), "intent": i} for w, i in zip(WORDS[:3], (0, 7, 1))])
    args = TrainingArguments(str(tmp_path), per_device_eval_batch_size=4, remove_unused_columns=False, label_names=["intent_labels", "slot_labels"], report_to=[])
    trainer = Trainer(model=model, args=args, data_collator=DataCollatorForWordLevel(tokenizer))
    with pytest.raises(ValueError) as err:
        trainer.evaluate(rows)
    _assert_label_message(str(err.value), "intent_labels", "7", 3, "config.id2label")


@pytest.mark.parametrize("family", ["finetune", "multilingual", "multilingual_slots"])
def test_sequence_and_token_classifiers_unknown_label_ids(family, tokenizer):
    ids = tokenizer(["fly to paris", "play some jazz"], padding=True, return_tensors="pt")["input_ids"]
    if family == "multilingual_slots":
        model, n, bad = multilingual_model(tokenizer, token=True), len(TAGS), torch.tensor([[0, 1, 5], [0, -100, -100]])
        good = torch.tensor([[0, 1, 2], [0, -100, -100]])
    else:
        model = transfer_model(tokenizer) if family == "finetune" else multilingual_model(tokenizer)
        n, bad, good = 2, torch.tensor([0, 5]), torch.tensor([1, -100])
    assert torch.isfinite(model(input_ids=ids, labels=good).loss)
    with pytest.raises(ValueError) as err:
        model(input_ids=ids, labels=bad)
    _assert_label_message(str(err.value), "labels", "5", n, "config.id2label")


def test_check_label_ids_skips_ignored_masked_and_float_labels():
    check_label_ids(torch.tensor([0, -100, 2]), 3, "labels")
    check_label_ids(torch.tensor([[0, 9]]), 3, "labels", mask=torch.tensor([[True, False]]))  # outside the mask
    check_label_ids(torch.tensor([[0.0, 1.0]]), 1, "labels")  # multi-label / regression targets
    with pytest.raises(ValueError, match=r"`labels` holds label id\(s\) -1, 3 .* 3 labels, ids 0..2"):
        check_label_ids(torch.tensor([3, -1, 0]), 3, "labels")


def test_crf_itself_names_tags():
    crf = CRF(3)
    with pytest.raises(ValueError, match=r"`tags` must be in \[0, 3\)"):
        crf(torch.zeros(1, 2, 3), torch.tensor([[0, 7]]))
