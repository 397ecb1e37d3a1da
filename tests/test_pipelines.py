"""`transformers.pipeline(task, ...)` for every family: the three tasks importing `hf_transfer`
registers (`joint-intent-slot`, `few-shot-classification`, `word-tagging`) and transformers' own
`text-classification` for the sequence classifiers. Each pipeline gives the library's own
predictions (`IntentSlotPipeline` / `predict`, `predict_proba`, `predict_texts`) in its
documented format, batches, runs on the device given, and travels with the model as remote code
(`custom_pipelines`, loaded where `hf_transfer` cannot be imported). Tiny random BCNN models."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoConfig, pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from hf_transfer import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    MatchingNetwork,
    MatchingNetworkConfig,
    PrototypicalNetwork,
    PrototypicalNetworkConfig,
    RelationNetwork,
    RelationNetworkConfig,
    SharedPrivateConfig,
    SharedPrivateForIntentAndSlotFilling,
    TransferConfig,
    TransferForSequenceClassification,
    build_bcnn_tokenizer,
)
from hf_transfer.data.tokenization import tokenize_words
from hf_transfer.inference import predict_texts
from hf_transfer.models.fewshot import FewShotClassificationPipeline
from hf_transfer.models.multilingual import WordTaggingPipeline
from hf_transfer.models.multitask import IntentSlotPipeline, JointIntentSlotPipeline, predict
from hf_transfer.pipelines import TextPipeline, pipeline_tasks, split_words
from hf_transfer.remote_code import REMOTE_CODE_FILE
from hf_transfer.tagging import tags_to_spans


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

WORDS = ["fly to new york", "weather on monday in paris", "hi there", "send money to bob", "play some jazz"]
TEXTS = ["  fly to\tnew   york ", "weather in paris on monday", "hi", "send money to bob now please", "play jazz", "new york"]
TAGS = {0: "O", 1: "B-city", 2: "I-city", 3: "B-date", 4: "I-date"}
INTENTS = {0: "flight", 1: "weather", 2: "greet"}
CLASSES = ["travel", "weather", "chat", "bank", "music"]
BCNN = dict(encoder_type="bcnn", embedding_size=8, num_filters=4, kernel_sizes=[1, 2])
EMPTY = "texts are empty or whitespace only"


@pytest.fixture(scope="module")
def tokenizer():
    return build_bcnn_tokenizer([t.split() for t in WORDS])


def multitask_model(tokenizer, **overrides):
    torch.manual_seed(0)
    kwargs = dict(BCNN, vocab_size=len(tokenizer), id2tag=TAGS, id2label=INTENTS, classifier_dropout=0.0)
    return SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(**{**kwargs, **overrides})).eval()


def fewshot_model(tokenizer, cls=PrototypicalNetwork, config_cls=PrototypicalNetworkConfig, fit=True):
    torch.manual_seed(0)
    model = cls(config_cls(**BCNN, vocab_size=len(tokenizer))).eval()
    model.set_tokenizer(tokenizer)
    return model.fit_support(WORDS, CLASSES) if fit else model


def tagger_model(tokenizer, **overrides):
    torch.manual_seed(0)
    kwargs = dict(BCNN, vocab_size=len(tokenizer), languages=["en", "de"], feature_size=4, id2label=TAGS, label2id={v: k for k, v in TAGS.items()},
                  use_crf=True, private_encoders="per_language", classifier_dropout=0.0)
    return AdversarialSharedPrivateForTokenClassification(AdversarialSharedPrivateConfig(**{**kwargs, **overrides})).eval()


def sequence_models(tokenizer, **overrides):
    torch.manual_seed(0)
    labels = {0: "neg", 1: "pos", 2: "neutral"}
    return {
        "finetune": TransferForSequenceClassification(TransferConfig(**BCNN, vocab_size=len(tokenizer), id2label=labels, **overrides)).eval(),
        "multilingual": AdversarialSharedPrivateForSequenceClassification(
            AdversarialSharedPrivateConfig(**BCNN, vocab_size=len(tokenizer), id2label=labels, languages=["en", "de"], feature_size=4, **overrides)
        ).eval(),
    }


def save(model, tokenizer, directory) -> str:
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return str(directory)


def spans_hold_their_text(text, spans):
    return all(text[s["start"] : s["end"]] == s["text"] and set(s) == {"entity", "text", "start", "end"} for s in spans)


# ------------------------------------------------------------------ registration


def test_tasks_are_registered_for_their_models(tokenizer):
    expected = {
        "joint-intent-slot": (JointIntentSlotPipeline, multitask_model(tokenizer)),
        "few-shot-classification": (FewShotClassificationPipeline, fewshot_model(tokenizer)),
        "word-tagging": (WordTaggingPipeline, tagger_model(tokenizer)),
    }
    for task, (cls, model) in expected.items():
        _, info, _ = PIPELINE_REGISTRY.check_task(task)
        assert info["impl"] is cls and info["type"] == "text"
        assert issubclass(cls, TextPipeline)
        assert list(pipeline_tasks(model)) == [task]
    for cls in (MatchingNetwork, RelationNetwork):
        assert list(pipeline_tasks(cls)) == ["few-shot-classification"]
    for model in sequence_models(tokenizer).values():  # served by transformers' text-classification
        assert pipeline_tasks(model) == {}


# ------------------------------------------------------------------ joint intents + slots


def test_joint_intent_slot_is_the_library_pipeline(tokenizer):
    model = multitask_model(tokenizer)
    nlu = pipeline("joint-intent-slot", model=model, tokenizer=tokenizer, device="cpu")
    assert type(nlu) is JointIntentSlotPipeline and issubclass(IntentSlotPipeline, JointIntentSlotPipeline)
    for batch_size in (1, 2, 8):  # the same batches give the same numbers, bit for bit
        expected = IntentSlotPipeline(model, tokenizer, batch_size=batch_size)(TEXTS)
        assert nlu(TEXTS, batch_size=batch_size) == expected
        assert predict(model, tokenizer, TEXTS, batch_size=batch_size) == expected
    one_by_one = [nlu(text) for text in TEXTS]
    for got, single in zip(nlu(TEXTS, batch_size=4), one_by_one):  # batching changes nothing but rounding
        assert got["intent"] == single["intent"] and got["slots"] == single["slots"]
        assert got["score"] == pytest.approx(single["score"], rel=1e-5)
    for text, result in zip(TEXTS, one_by_one):
        assert set(result) == {"intent", "score", "slots"} and result["intent"] in INTENTS.values() and 0 < result["score"] <= 1
        assert spans_hold_their_text(text, result["slots"])


def test_joint_intent_slot_offsets_follow_the_crf(tokenizer):
    model = multitask_model(tokenizer)
    with torch.no_grad():  # emissions favour I-city everywhere: constrained Viterbi gives B-city I-city ...
        model.slot_head.out_proj.weight.zero_()
        model.slot_head.out_proj.bias.copy_(torch.tensor([0.0, 3.0, 5.0, 0.0, 0.0]))
        model.crf.transitions.zero_(), model.crf.start_transitions.zero_(), model.crf.end_transitions.zero_()
    nlu = pipeline("joint-intent-slot", model=model, tokenizer=tokenizer, device="cpu")
    text = "  fly to\tnew   york  "
    assert nlu(text)["slots"] == [{"entity": "city", "text": "fly to\tnew   york", "start": 2, "end": 19}]
    assert nlu([text, "hi"], batch_size=2)[1]["slots"] == [{"entity": "city", "text": "hi", "start": 0, "end": 2}]


def test_joint_intent_slot_empty_and_bad_texts(tokenizer):
    nlu = pipeline("joint-intent-slot", model=multitask_model(tokenizer), tokenizer=tokenizer, device="cpu", batch_size=2)
    none = {"intent": None, "score": None, "slots": []}
    expected = nlu(["fly to paris", "play jazz"])
    with pytest.warns(UserWarning, match=f"2 of 4 {EMPTY}"):
        assert nlu(["", "fly to paris", " \t", "play jazz"]) == [none, expected[0], none, expected[1]]
    with pytest.warns(UserWarning, match=f"2 of 2 {EMPTY}"):
        assert nlu(["", " "]) == [none, none]
    with pytest.warns(UserWarning, match=f"1 of 1 {EMPTY}"):
        assert nlu("") == none
    assert nlu([]) == []
    for bad, message in ((None, r"`texts` is None"), (["a", 3], r"`texts\[1\]` is int 3"), (b"a", r"`texts` is bytes")):
        with pytest.raises(TypeError, match=message):
            nlu(bad)
    with pytest.raises(TypeError, match=r"a text of the stream is int 5; expected a string"):
        list(nlu(x for x in [5]))  # streamed texts are checked one by one
    assert list(nlu(x for x in ["fly to paris", "play jazz"])) == expected
    with pytest.raises(TypeError, match="unexpected arguments.*top_k"):
        nlu("fly", top_k=2)


def test_slots_only_model(tokenizer):
    model = multitask_model(tokenizer, intent_loss_weight=0.0, slot_loss_weight=1.0)
    result = pipeline("joint-intent-slot", model=model, tokenizer=tokenizer, device="cpu")("fly to new york")
    assert result["intent"] is None and result["score"] is None and spans_hold_their_text("fly to new york", result["slots"])


def test_truncation_warns_once_and_cut_words_get_no_slots(tokenizer):
    model = multitask_model(tokenizer)
    nlu = pipeline("joint-intent-slot", model=model, tokenizer=tokenizer, device="cpu", max_length=5)
    long = "fly to new york on monday in paris"
    with pytest.warns(UserWarning, match="truncated"):
        result = nlu(long)
    kept = 5 - tokenizer.num_special_tokens_to_add()  # one token per word here
    assert all(s["end"] <= len(" ".join(long.split()[:kept])) for s in result["slots"])
    with pytest.warns(UserWarning, match="truncated"):
        assert result == IntentSlotPipeline(model, tokenizer, max_length=5)(long)


# ------------------------------------------------------------------ few-shot classification


@pytest.mark.parametrize("cls,config_cls", [(PrototypicalNetwork, PrototypicalNetworkConfig), (MatchingNetwork, MatchingNetworkConfig),
                                            (RelationNetwork, RelationNetworkConfig)], ids=["proto", "matching", "relation"])
def test_few_shot_stored_support_set_is_predict_proba(tokenizer, cls, config_cls):
    model = fewshot_model(tokenizer, cls, config_cls)
    clf = pipeline("few-shot-classification", model=model, tokenizer=tokenizer, device="cpu")
    assert type(clf) is FewShotClassificationPipeline
    proba = model.predict_proba(TEXTS)
    got = clf(TEXTS, batch_size=len(TEXTS))  # one batch, as predict_proba's
    assert got == [{"label": CLASSES[int(row.argmax())], "score": float(row.max())} for row in proba]
    assert [r["label"] for r in got] == model.predict(TEXTS)
    single = clf(TEXTS[0])
    assert single["label"] == got[0]["label"] and single["score"] == pytest.approx(got[0]["score"], rel=1e-5)
    top = clf(TEXTS[0], top_k=3)
    assert [t["label"] for t in top] == [CLASSES[i] for i in np.argsort(-proba[0], kind="stable")[:3]]
    assert [t["score"] for t in top] == sorted((t["score"] for t in top), reverse=True)
    assert len(clf(TEXTS[0], top_k=None)) == len(CLASSES)
    with pytest.warns(UserWarning, match=f"1 of 2 {EMPTY}"):
        assert clf(["", TEXTS[0]], top_k=2)[0] == []
    with pytest.warns(UserWarning, match=f"1 of 2 {EMPTY}"):
        assert clf([" ", TEXTS[0]])[0] == {"label": None, "score": None}


def test_few_shot_support_set_or_descriptions_at_call_time(tokenizer):
    model = fewshot_model(tokenizer)
    stored_before = model.support_embeddings.clone()
    clf = pipeline("few-shot-classification", model=model, tokenizer=tokenizer, device="cpu")
    support, labels = ["send money", "pay the rent", "play jazz", "play rock"], ["bank", "bank", "music", "music"]
    refit = copy.deepcopy(model).fit_support(support, labels)
    expected = [{"label": refit.config.support_labels[int(r.argmax())], "score": float(r.max())} for r in refit.predict_proba(TEXTS)]
    assert clf(TEXTS, batch_size=len(TEXTS), support_texts=support, support_labels=labels) == expected
    descriptions = {"bank": "money and payments", "music": None}
    zero = copy.deepcopy(model).fit_descriptions(descriptions)
    expected = [{"label": zero.config.support_labels[int(r.argmax())], "score": float(r.max())} for r in zero.predict_proba(TEXTS)]
    assert clf(TEXTS, batch_size=len(TEXTS), descriptions=descriptions) == expected
    fixed = pipeline("few-shot-classification", model=model, tokenizer=tokenizer, device="cpu", descriptions=descriptions)  # at creation
    assert fixed(TEXTS, batch_size=len(TEXTS)) == expected
    assert torch.equal(model.support_embeddings, stored_before) and model.config.support_labels == CLASSES  # nothing stored
    assert {r["label"] for r in clf(TEXTS, descriptions=["bank", "music"])} <= {"bank", "music"}
    with pytest.raises(ValueError, match="not both"):
        clf("x", support_texts=support, support_labels=labels, descriptions=descriptions)
    with pytest.raises(ValueError, match="go together"):
        clf("x", support_texts=support)
    with pytest.raises(ValueError, match="4 support_texts but 1 support_labels"):
        clf("x", support_texts=support, support_labels=["bank"])
    with pytest.raises(ValueError, match="top_k"):
        clf("x", top_k=0)


def test_few_shot_without_a_support_set(tokenizer):
    model = fewshot_model(tokenizer, fit=False)
    clf = pipeline("few-shot-classification", model=model, tokenizer=tokenizer, device="cpu")
    with pytest.raises(RuntimeError, match="no support set"):
        clf("send money")
    assert clf("send money", descriptions={"bank": "money", "music": "songs"})["label"] in {"bank", "music"}


# ------------------------------------------------------------------ word tagging


def test_word_tagging_words_tags_and_spans(tokenizer):
    model = tagger_model(tokenizer)
    tagger = pipeline("word-tagging", model=model, tokenizer=tokenizer, device="cpu")
    assert type(tagger) is WordTaggingPipeline
    results = tagger(TEXTS, batch_size=3)
    for text, result in zip(TEXTS, results):
        assert set(result) == {"entities", "words", "tags"}
        assert result["words"] == text.split() == split_words(text)[0] and len(result["tags"]) == len(result["words"])
        assert set(result["tags"]) <= set(TAGS.values())
        assert spans_hold_their_text(text, result["entities"])
        assert [(e["entity"]) for e in result["entities"]] == [typ for typ, _, _ in tags_to_spans(result["tags"])]
    assert predict_texts(model, tokenizer, TEXTS, batch_size=3) == [{"tokens": r["words"], "tags": r["tags"]} for r in results]
    with pytest.warns(UserWarning, match=f"1 of 2 {EMPTY}"):
        assert tagger(["  ", TEXTS[0]])[0] == {"entities": [], "words": [], "tags": []}


def test_word_tagging_decodes_with_the_crf_and_reads_words_not_pieces(tokenizer):
    model = tagger_model(tokenizer)
    with torch.no_grad():  # emissions favour I-city everywhere: argmax would give I-city I-city ...
        model.classifier.out_proj.weight.zero_()
        model.classifier.out_proj.bias.copy_(torch.tensor([0.0, 3.0, 5.0, 0.0, 0.0]))
        model.crf.transitions.zero_(), model.crf.start_transitions.zero_(), model.crf.end_transitions.zero_()
    tagger = pipeline("word-tagging", model=model, tokenizer=tokenizer, device="cpu")
    text = "fly  to new\tyork"
    result = tagger(text)
    assert result["tags"] == ["B-city", "I-city", "I-city", "I-city"]  # constrained Viterbi, one tag per word
    assert result["entities"] == [{"entity": "city", "text": "fly  to new\tyork", "start": 0, "end": 16}]


def test_word_tagging_language(tokenizer):
    model = tagger_model(tokenizer)
    tagger = pipeline("word-tagging", model=model, tokenizer=tokenizer, device="cpu")
    enc = tokenize_words(tokenizer, [["fly", "to", "paris"]])
    tags = {}
    for language, language_id in (("en", 0), ("de", 1), (1, 1), (None, -100)):
        with torch.no_grad():
            paths = model(**enc, language_ids=torch.tensor([language_id])).tag_paths[0].tolist()
        tags[language] = tagger("fly to paris", language=language)["tags"]
        assert tags[language] == [TAGS[t] for t in paths]
    with pytest.raises(ValueError, match=r"language 'fr' is not one of the model's languages \['en', 'de'\]"):
        tagger("fly", language="fr")


# ------------------------------------------------------------------ the sequence classifiers: transformers' text-classification


def assert_same_labels(got, expected):
    """Same labels; scores equal up to rounding (transformers' softmax runs in numpy)."""
    assert [g["label"] for g in got] == [e["label"] for e in expected]
    assert [g["score"] for g in got] == pytest.approx([e["score"] for e in expected], rel=1e-6)


@pytest.mark.parametrize("family", ["finetune", "multilingual"])
def test_sequence_classifiers_with_the_standard_text_classification_pipeline(tokenizer, tmp_path, family):
    model = sequence_models(tokenizer)[family]
    classify = pipeline("text-classification", model=save(model, tokenizer, tmp_path), device="cpu")
    assert type(classify).__name__ == "TextClassificationPipeline" and type(classify.model) is type(model)
    expected = predict_texts(model, tokenizer, TEXTS, batch_size=1)
    assert_same_labels(classify(TEXTS), expected)  # one at a time (transformers' default batch_size=1)
    assert classify(TEXTS[0]) == classify([TEXTS[0]])  # a list of one dict for a string
    assert_same_labels(classify(TEXTS[0], top_k=None)[:1], expected[:1])


@pytest.mark.parametrize("family", ["finetune", "multilingual"])
def test_sequence_classifiers_batch_in_the_standard_pipeline(tokenizer, family):
    model = sequence_models(tokenizer)[family]
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    assert_same_labels(classify(TEXTS, batch_size=len(TEXTS)), predict_texts(model, tokenizer, TEXTS, batch_size=len(TEXTS)))


def test_input_prefix_is_the_callers_in_the_standard_pipeline(tokenizer):
    """transformers' text-classification tokenizes the text as given: for a model with an
    `input_prefix` (E5's "query: "), prepend it yourself."""
    model = sequence_models(tokenizer, input_prefix="send ")["finetune"]
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    expected = predict_texts(model, tokenizer, TEXTS, batch_size=1)
    assert_same_labels(classify([model.config.input_prefix + text for text in TEXTS]), expected)


# ------------------------------------------------------------------ saved directories, devices, save_pretrained


def _config_keeps_custom_pipelines(tmp_path_factory) -> bool:
    """Whether the library's configs expose `config.json`'s `custom_pipelines`; transformers then
    asks for `trust_remote_code=True` before it looks in PIPELINE_REGISTRY."""
    directory = tmp_path_factory.mktemp("config")
    SharedPrivateConfig(id2tag=TAGS).save_pretrained(directory)
    values = json.loads((directory / "config.json").read_text())
    values["custom_pipelines"] = {"joint-intent-slot": {"impl": f"{REMOTE_CODE_FILE[:-3]}.JointIntentSlotPipeline", "pt": ["AutoModel"]}}
    (directory / "config.json").write_text(json.dumps(values))
    return bool(getattr(AutoConfig.from_pretrained(directory), "custom_pipelines", None))


@pytest.fixture(scope="module")
def library_reads_registry(tmp_path_factory):
    # the library's configs drop config.json's `custom_pipelines` (written for remote code): else transformers
    # asks for trust_remote_code=True before it looks in PIPELINE_REGISTRY
    assert not _config_keeps_custom_pipelines(tmp_path_factory)


def _cases(tokenizer):
    """(task, model, texts, call kwargs) for each custom task."""
    return [
        ("joint-intent-slot", multitask_model(tokenizer), TEXTS, {}),
        ("few-shot-classification", fewshot_model(tokenizer), TEXTS, {}),
        ("few-shot-classification", fewshot_model(tokenizer, MatchingNetwork, MatchingNetworkConfig), TEXTS, {"descriptions": {"bank": "money", "music": None}}),
        ("word-tagging", tagger_model(tokenizer), TEXTS, {"language": "de"}),
    ]


def test_every_task_from_a_saved_directory(tokenizer, tmp_path, library_reads_registry):
    for i, (task, model, texts, kwargs) in enumerate(_cases(tokenizer)):
        directory = save(model, tokenizer, tmp_path / str(i))
        loaded = pipeline(task, model=directory, device="cpu")
        assert type(loaded).__module__.startswith("hf_transfer.")
        expected = pipeline(task, model=model, tokenizer=tokenizer, device="cpu")(texts, batch_size=2, **kwargs)
        assert loaded(texts, batch_size=2, **kwargs) == expected, task


def test_pipeline_save_pretrained_writes_the_remote_code(tokenizer, tmp_path):
    nlu = pipeline("joint-intent-slot", model=multitask_model(tokenizer), tokenizer=tokenizer, device="cpu")
    nlu.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["custom_pipelines"] == {"joint-intent-slot": {"impl": "modeling_hf_transfer.JointIntentSlotPipeline", "pt": ["AutoModel"], "type": "text"}}
    assert (tmp_path / REMOTE_CODE_FILE).is_file() and (tmp_path / "tokenizer.json").is_file()
    assert not (tmp_path / "pipeline.py").exists()  # not transformers' copy of the library module


def test_device_is_where_the_model_runs(tokenizer):
    for task, model, texts, kwargs in _cases(tokenizer):
        pipe = pipeline(task, model=model, tokenizer=tokenizer, device="cpu")
        assert pipe.device == torch.device("cpu") and model.device == torch.device("cpu")
    model = multitask_model(tokenizer)
    assert IntentSlotPipeline(model, tokenizer).device == model.device  # the library's wrapper: where the model is


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_every_task_on_a_gpu(tokenizer):
    for task, model, texts, kwargs in _cases(tokenizer):
        expected = pipeline(task, model=copy.deepcopy(model), tokenizer=tokenizer, device="cpu")(texts, batch_size=2, **kwargs)
        pipe = pipeline(task, model=model, tokenizer=tokenizer, device=0)
        assert pipe.device.type == "cuda" and model.device.type == "cuda"
        got = pipe(texts, batch_size=2, **kwargs)
        for g, e in zip(got, expected):
            assert _rounded(g) == _rounded(e), task


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


# ------------------------------------------------------------------ remote code: no hf_transfer


REMOTE = textwrap.dedent("""
    import json, sys
    sys.modules["hf_transfer"] = None  # the library cannot be imported here
    import torch
    torch.set_num_threads(1)  # as the library side (one_thread): identical reductions
    from transformers import pipeline
    cases = json.loads(open(sys.argv[1]).read())
    out = []
    for case in cases:
        pipe = pipeline(case["task"], model=case["dir"], trust_remote_code=True, device="cpu")
        out.append({"module": type(pipe).__module__, "model_module": type(pipe.model).__module__,
                    "results": pipe(case["texts"], batch_size=case["batch_size"], **case["kwargs"])})
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_every_pipeline_loads_without_the_library(tokenizer, tmp_path):
    cases = _cases(tokenizer) + [
        ("few-shot-classification", fewshot_model(tokenizer, RelationNetwork, RelationNetworkConfig), TEXTS,
         {"support_texts": ["send money", "play jazz", "pay bob"], "support_labels": ["bank", "music", "bank"], "top_k": 2}),
        ("text-classification", sequence_models(tokenizer)["finetune"], TEXTS, {}),
    ]
    specs, expected = [], []
    for i, (task, model, texts, kwargs) in enumerate(cases):
        directory = save(model, tokenizer, tmp_path / f"{i}-{task}")
        config = json.loads(Path(directory, "config.json").read_text())
        if task != "text-classification":
            assert config["custom_pipelines"][task]["impl"].startswith("modeling_hf_transfer.")
        expected.append(pipeline(task, model=model, tokenizer=tokenizer, device="cpu")(texts, batch_size=2, **kwargs))
        specs.append({"task": task, "dir": directory, "texts": texts, "batch_size": 2, "kwargs": kwargs})
    (tmp_path / "cases.json").write_text(json.dumps(specs))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", REMOTE, str(tmp_path / "cases.json")], cwd=tmp_path, env={**env, "HF_HUB_OFFLINE": "1"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for spec, remote, library in zip(specs, got, expected):
        assert remote["model_module"].startswith("transformers_modules."), spec["task"]
        if spec["task"] != "text-classification":
            assert remote["module"].startswith("transformers_modules."), spec["task"]
        assert remote["results"] == library, spec["task"]  # identical, floats included
