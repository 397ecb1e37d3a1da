"""SharedPrivateForIntentAndSlotFilling: every variant trains, losses are weighted as configured,
slot emissions are word-level, save/load is exact, Trainer + metrics, predict() offsets, the
model card, and the example script end to end."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, BertConfig

from hf_transfer.data.collators import DataCollatorForWordLevel
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.models.multitask import (
    IntentSlotPipeline,
    SharedPrivateConfig,
    SharedPrivateForIntentAndSlotFilling,
    make_compute_metrics,
    predict,
    split_words,
    tags_to_spans,
)


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

REPO = Path(__file__).resolve().parents[1]
TAGS = ["O", "B-city", "I-city", "B-date", "I-date"]
INTENTS = {0: "flight", 1: "weather", 2: "greet"}
WORDS = [["fly", "to", "new", "york"], ["weather", "on", "monday", "in", "new", "york", "please"], ["hi"]]
TAG_IDS = [[0, 0, 1, 2], [0, 0, 3, 0, 1, 2, 0], [0]]
INTENT_IDS = [0, 1, 2]

VARIANTS = {
    "shared_private_full": dict(),
    "shared_private_towers": dict(private_encoder_type="tower"),
    "shared_only": dict(use_private=False),
    "intent_only": dict(use_private=False, slot_loss_weight=0.0),
    "slots_only": dict(use_private=False, intent_loss_weight=0.0),
}



@pytest.fixture(scope="module")
def tokenizer():
    return build_bcnn_tokenizer(WORDS + [["tomorrow", "paris"]])


@pytest.fixture(scope="module")
def batch(tokenizer):
    feats = [{"tokens": w, "tags": t, "intent": i} for w, t, i in zip(WORDS, TAG_IDS, INTENT_IDS)]
    return DataCollatorForWordLevel(tokenizer)(feats)


def tiny_bert():
    return BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, max_position_embeddings=64)


def make_config(encoder="bcnn", vocab_size=40, **overrides):
    kwargs = dict(id2tag=TAGS, id2label=INTENTS, embedding_size=16, num_filters=8, kernel_sizes=[1, 2, 3], classifier_hidden_size=24, classifier_dropout=0.0, vocab_size=vocab_size)
    if encoder == "bert":
        kwargs.update(encoder_type="backbone", backbone_config=tiny_bert())
    kwargs.update(overrides)
    return SharedPrivateConfig(**kwargs)


# ------------------------------------------------------------------ config


def test_config_validation_and_round_trip(tmp_path):
    with pytest.raises(ValueError, match="intent_loss_weight must be a number >= 0"):
        SharedPrivateConfig(intent_loss_weight=-1)
    with pytest.raises(ValueError, match="both 0"):
        SharedPrivateConfig(intent_loss_weight=0, slot_loss_weight=0)
    with pytest.raises(ValueError, match="private_encoder_type must be one of"):
        SharedPrivateConfig(private_encoder_type="lstm")
    with pytest.raises(ValueError, match="crf_constraints"):
        SharedPrivateConfig(crf_constraints="bilou2")
    with pytest.raises(ValueError, match="id2tag keys must be 0..1"):
        SharedPrivateConfig(id2tag={0: "O", 2: "B-x"})
    config = make_config("bert", private_encoder_type="tower", use_crf=False, max_words=30)
    assert (config.intent_loss_weight, config.slot_loss_weight, config.classifier_dropout) == (0.75, 0.25, 0.0)
    assert config.sentence_pooling == "max" and config.num_tags == 5 and config.tag2id["I-date"] == 4
    config.save_pretrained(tmp_path)
    loaded = SharedPrivateConfig.from_pretrained(tmp_path)
    assert loaded.id2tag == dict(enumerate(TAGS)) and loaded.id2label == INTENTS
    assert (loaded.private_encoder_type, loaded.use_crf, loaded.max_words) == ("tower", False, 30)
    assert loaded.backbone_config.hidden_size == 32
    assert SharedPrivateConfig(id2tag=["O", "S-x", "E-x"]).resolved_crf_scheme() == "BIOES"
    assert SharedPrivateConfig(id2tag=TAGS).resolved_crf_scheme() == "BIO"
    assert SharedPrivateConfig(id2tag=TAGS, crf_constraints=None).resolved_crf_scheme() is None


# ------------------------------------------------------------------ variants


@pytest.mark.parametrize("use_crf", [True, False], ids=["crf", "softmax"])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("encoder", ["bcnn", "bert"])
def test_forward_backward_every_variant(encoder, variant, use_crf, batch, tokenizer):
    config = make_config(encoder, vocab_size=len(tokenizer), use_crf=use_crf, **VARIANTS[variant])
    model = SharedPrivateForIntentAndSlotFilling(config)
    n_encoders = sum(m is not None for m in (model.intent_encoder, model.slot_encoder))
    assert n_encoders == {"shared_private_full": 2, "shared_private_towers": 2}.get(variant, 0)
    if encoder == "bert":  # three transformer copies only for "copy"
        assert len(model.backbone_encoders()) == (3 if variant == "shared_private_full" else 1)
    out = model(**batch)
    assert torch.isfinite(out.loss)
    words = batch["slot_labels"].shape[1]
    if config.predicts_slots:
        assert out.slot_logits.shape == (3, words, len(TAGS))
        assert (model.crf is not None) == use_crf
    else:
        assert out.slot_logits is None and model.slot_head is None and out.slot_loss is None
    if config.predicts_intent:
        assert out.intent_logits.shape == (3, len(INTENTS))
    else:
        assert out.intent_logits is None and model.intent_head is None and out.intent_loss is None
    assert out.tag_paths is None  # training mode: no decoding unless asked
    out.loss.backward()
    without_grad = [n for n, p in model.named_parameters() if p.grad is None]
    # every parameter built takes part in the loss (position/token-type tables may be partly unused)
    assert not [n for n in without_grad if "embeddings" not in n], without_grad
    model.eval()
    with torch.no_grad():
        evaluated = model(**batch)
    if config.predicts_slots:
        paths = evaluated.tag_paths
        assert paths.shape == (3, words)
        assert torch.equal(paths == -100, batch["slot_labels"] == -100)


def test_bcnn_private_towers_share_one_embedding(tokenizer):
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer)))
    embeddings = [m for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    assert len(embeddings) == 1
    assert model.intent_encoder.tower.convs[0].in_channels == 16  # towers read the embeddings
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len(set(names)) and sum("embeddings" in n for n in names) == 1


# ------------------------------------------------------------------ losses


def test_loss_is_the_weighted_sum_and_tasks_do_not_leak(batch, tokenizer):
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer), intent_loss_weight=0.3, slot_loss_weight=0.9))
    out = model(**batch)
    torch.testing.assert_close(out.loss, 0.3 * out.intent_loss + 0.9 * out.slot_loss)
    # the slot loss does not reach the intent head or the intent-private tower, and vice versa
    intent_params = list(model.intent_head.parameters()) + list(model.intent_encoder.parameters())
    slot_params = list(model.slot_head.parameters()) + list(model.slot_encoder.parameters()) + list(model.crf.parameters())
    grads = torch.autograd.grad(out.slot_loss, intent_params, allow_unused=True, retain_graph=True)
    assert all(g is None for g in grads)
    grads = torch.autograd.grad(out.intent_loss, slot_params, allow_unused=True, retain_graph=True)
    assert all(g is None for g in grads)
    # the shared encoder gets both
    shared = next(model.shared_encoder.parameters())
    g_total = torch.autograd.grad(out.loss, shared, retain_graph=True)[0]
    g_i = torch.autograd.grad(out.intent_loss, shared, retain_graph=True)[0]
    g_s = torch.autograd.grad(out.slot_loss, shared)[0]
    torch.testing.assert_close(g_total, 0.3 * g_i + 0.9 * g_s)
    assert g_i.abs().sum() > 0 and g_s.abs().sum() > 0


def test_weight_zero_task_contributes_nothing(batch, tokenizer):
    torch.manual_seed(0)
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer), intent_loss_weight=0.0, slot_loss_weight=1.0))
    assert model.intent_head is None and model.intent_encoder is None
    out = model(**batch)
    assert out.intent_loss is None and out.intent_logits is None
    torch.testing.assert_close(out.loss, out.slot_loss)
    # equals a pure CRF NLL on the emissions (mean over utterances)
    mask = batch["slot_labels"] != -100
    torch.testing.assert_close(out.slot_loss, -model.crf(out.slot_logits, batch["slot_labels"], mask, reduction="mean"))
    # labels of the dropped task are accepted and ignored
    torch.testing.assert_close(model(**batch).loss, model(**{k: v for k, v in batch.items() if k != "intent_labels"}).loss)


def test_softmax_slot_loss_is_word_cross_entropy(batch, tokenizer):
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer), use_crf=False, intent_loss_weight=0.0, slot_loss_weight=1.0))
    out = model(**batch)
    labels = batch["slot_labels"]
    ref = torch.nn.functional.cross_entropy(out.slot_logits[labels != -100], labels[labels != -100])
    torch.testing.assert_close(out.slot_loss, ref)


# ------------------------------------------------------------------ word-level emissions


def test_emissions_are_word_level_first_piece(minilm_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(minilm_path)
    bert = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37)
    config = make_config(encoder_type="backbone", backbone_config=bert, use_private=False, intent_loss_weight=0.0, slot_loss_weight=1.0)
    model = SharedPrivateForIntentAndSlotFilling(config).eval()
    words = [["flights", "to", "tegucigalpa", "tomorrow"], ["xylophonists", "brrrzzt"]]
    batch = DataCollatorForWordLevel(tok)([{"tokens": w, "tags": [0] * len(w)} for w in words])
    assert batch["input_ids"].shape[1] > 6  # sub-word pieces present
    seen = {}
    original = model.crf.neg_log_likelihood

    def spy(emissions, tags, mask, **kw):
        seen["shape"], seen["mask"] = emissions.shape, mask.clone()
        return original(emissions, tags, mask, **kw)

    model.crf.neg_log_likelihood = spy
    with torch.no_grad():
        out = model(**batch)
        hidden = model.shared_encoder.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"]).last_hidden_state
    assert seen["shape"] == (2, 4, len(TAGS))  # words, not sub-word pieces, reach the CRF
    assert seen["mask"].tolist() == [[True] * 4, [True, True, False, False]]
    for b, ws in enumerate(words):
        ids = batch["word_ids"][b].tolist()
        for w in range(len(ws)):
            first = ids.index(w)
            torch.testing.assert_close(out.slot_logits[b, w], model.slot_head(hidden[b, first]))


# ------------------------------------------------------------------ save / load


@pytest.mark.parametrize("encoder", ["bcnn", "bert"])
def test_save_load_round_trip_is_exact(encoder, batch, tokenizer, tmp_path):
    model = SharedPrivateForIntentAndSlotFilling(make_config(encoder, vocab_size=len(tokenizer), private_encoder_type="tower" if encoder == "bert" else "copy"))
    with torch.no_grad():  # make the CRF transitions matter
        model.crf.transitions.normal_(0, 2.0)
    model.eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    reloaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(reloaded) is SharedPrivateForIntentAndSlotFilling
    with torch.no_grad():
        a, b = model(**batch), reloaded(**batch)
    assert torch.equal(a.intent_logits, b.intent_logits) and torch.equal(a.slot_logits, b.slot_logits)
    assert torch.equal(a.tag_paths, b.tag_paths) and torch.equal(a.loss, b.loss)
    # BIO constraints are rebuilt from id2tag: never I-x after O or at the start
    paths = reloaded.decode_tags(torch.randn(64, 9, len(TAGS)) * 5, torch.ones(64, 9, dtype=torch.bool))
    for row in paths.tolist():
        for prev, cur in zip([0] + row, row):
            if TAGS[cur].startswith("I-"):
                assert TAGS[prev][2:] == TAGS[cur][2:]


def test_from_backbone_copies_weights_into_every_copy(tmp_path):
    from transformers import BertModel

    bert = BertModel(tiny_bert(), add_pooling_layer=False)
    bert.save_pretrained(tmp_path)
    model = SharedPrivateForIntentAndSlotFilling.from_backbone(str(tmp_path), id2tag=TAGS, id2label=INTENTS, classifier_hidden_size=8)
    encoders = model.backbone_encoders()
    assert len(encoders) == 3
    ref = bert.state_dict()
    for enc in encoders:
        for k, v in enc.model.state_dict().items():
            if k in ref:
                assert torch.equal(v, ref[k]), k


# ------------------------------------------------------------------ Trainer


def _dataset(with_intent=True, n=24, seed=0):
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    rng = random.Random(seed)
    rows = {"tokens": [], "tags": [], "intent": []}
    for _ in range(n):
        i = rng.randrange(len(WORDS))
        rows["tokens"].append(WORDS[i])
        rows["tags"].append(TAG_IDS[i])
        rows["intent"].append(INTENT_IDS[i])
    feats = {"tokens": Sequence(Value("string")), "tags": Sequence(ClassLabel(names=TAGS)), "intent": ClassLabel(names=list(INTENTS.values()))}
    if not with_intent:
        del rows["intent"], feats["intent"]
    return Dataset.from_dict(rows, features=Features(feats))


@pytest.mark.parametrize("with_intent", [True, False], ids=["joint", "slots_only"])
def test_trainer_trains_and_reports_metrics(with_intent, tokenizer, tmp_path):
    from transformers import Trainer, TrainingArguments

    from hf_transfer.metrics import compute_joint_metrics

    train, evalset = _dataset(with_intent), _dataset(with_intent, n=10, seed=1)
    config = make_config(vocab_size=len(tokenizer), intent_loss_weight=0.75 if with_intent else 0.0)
    model = SharedPrivateForIntentAndSlotFilling(config)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=4,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=4,
        learning_rate=1e-2,
        remove_unused_columns=False,
        label_names=(["intent_labels"] if with_intent else []) + ["slot_labels"],
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
    )
    collator = DataCollatorForWordLevel(tokenizer)
    trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=collator, compute_metrics=make_compute_metrics(config))
    before = [p.detach().clone() for p in model.parameters()]
    trainer.train()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    metrics = trainer.evaluate(evalset)
    assert {"eval_slot_f1", "eval_frame_accuracy", "eval_loss"} <= set(metrics)
    assert ("eval_intent_accuracy" in metrics) == with_intent
    # same figures as decoding by hand and scoring with hf_transfer.metrics
    model.eval()
    feats = [evalset[i] for i in range(len(evalset))]
    inputs = collator(feats)
    with torch.no_grad():
        out = model(**inputs)
    ref = compute_joint_metrics(
        out.intent_logits.argmax(-1).numpy() if with_intent else None,
        inputs["intent_labels"].numpy() if with_intent else None,
        out.tag_paths.numpy(),
        inputs["slot_labels"].numpy(),
        INTENTS,
        dict(enumerate(TAGS)),
    )
    for key, value in ref.items():
        assert metrics[f"eval_{key}"] == pytest.approx(value), key


def test_compute_metrics_uses_crf_paths_not_emission_argmax():
    from transformers import EvalPrediction

    config = make_config()
    labels_i = np.array([0, 1])
    labels_s = np.array([[1, 2, -100], [0, 3, 4]])
    paths = np.array([[1, 2, -100], [0, 3, 4]])
    logits_s = np.zeros((2, 3, len(TAGS)))  # argmax would give all "O"
    intent_logits = np.array([[5.0, 0, 0], [0, 0, 5.0]])
    m = make_compute_metrics(config)(EvalPrediction(predictions=(intent_logits, logits_s, paths), label_ids=(labels_i, labels_s)))
    assert m["slot_f1"] == 100.0 and m["intent_accuracy"] == 50.0 and m["frame_accuracy"] == 50.0


# ------------------------------------------------------------------ predict


def test_tags_to_spans_matches_seqeval():
    from seqeval.metrics.sequence_labeling import get_entities

    rng = random.Random(0)
    names = ["O", "B-a", "I-a", "B-b", "I-b"]
    for _ in range(300):
        seq = [rng.choice(names) for _ in range(rng.randrange(1, 12))]
        assert sorted(tags_to_spans(seq)) == sorted(get_entities(seq)), seq
    assert tags_to_spans(["S-x", "B-y", "I-y", "E-y", "O", "B-x", "E-x"]) == [("x", 0, 0), ("y", 1, 3), ("x", 5, 6)]


def test_predict_format_and_character_offsets(tokenizer):
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer))).eval()
    with torch.no_grad():  # emissions favour I-city everywhere: constrained Viterbi gives B-city I-city ...
        model.slot_head.out_proj.weight.zero_()
        model.slot_head.out_proj.bias.copy_(torch.tensor([0.0, 3.0, 5.0, 0.0, 0.0]))
        model.crf.transitions.zero_(), model.crf.start_transitions.zero_(), model.crf.end_transitions.zero_()
        model.intent_head.out_proj.weight.zero_()
        model.intent_head.out_proj.bias.copy_(torch.tensor([0.0, 2.0, 0.0]))
    text = "  fly to\tnew   york  "
    result = predict(model, tokenizer, text)
    assert set(result) == {"intent", "score", "slots"}
    assert result["intent"] == "weather"
    assert result["score"] == pytest.approx(float(torch.tensor([0.0, 2.0, 0.0]).softmax(0)[1]))
    assert result["slots"] == [{"entity": "city", "text": "fly to\tnew   york", "start": 2, "end": 19}]
    slot = result["slots"][0]
    assert text[slot["start"] : slot["end"]] == slot["text"]
    # a list in, a list out; empty text gives no slots
    many = IntentSlotPipeline(model, tokenizer, batch_size=2)(["hi", "", "new york"])
    assert [r["slots"] for r in many][:2] == [[{"entity": "city", "text": "hi", "start": 0, "end": 2}], []]
    assert many[2]["slots"][0]["text"] == "new york"
    words, spans = split_words(text)
    assert [text[s:e] for s, e in spans] == words == ["fly", "to", "new", "york"]


def test_predict_on_slots_only_model(tokenizer):
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer), intent_loss_weight=0.0, slot_loss_weight=1.0))
    result = predict(model, tokenizer, "fly to new york")
    assert result["intent"] is None and result["score"] is None
    for slot in result["slots"]:
        assert "fly to new york"[slot["start"] : slot["end"]] == slot["text"]


# ------------------------------------------------------------------ model card


def test_model_card_holds_the_given_metrics(tmp_path):
    import yaml

    from hf_transfer.cards import write_model_card

    metrics = {"intent_accuracy": 97.1234, "slot_f1": 91.5, "frame_accuracy": 80.25}
    path = write_model_card(tmp_path, model_name="mt-test", family="multitask", task="token-classification", metrics=metrics, dataset="snips", eval_split="snips test", template="multitask.md", training={"epochs": 3})
    text = path.read_text()
    meta = yaml.safe_load(text.split("---")[1])
    values = {m["name"]: m["value"] for result in meta["model-index"][0]["results"] for m in result["metrics"]}
    assert values == {"intent_accuracy": 97.1234, "slot_f1": 91.5, "frame_accuracy": 80.25}
    assert "| intent_accuracy | 97.1234 |" in text and "| epochs | 3 |" in text
    assert "IntentSlotPipeline.from_pretrained(\"mt-test\")" in text and "{" not in text.split("## Results")[1].split("```")[0]


# ------------------------------------------------------------------ example script


@pytest.mark.slow
def test_example_script_end_to_end(shared_data, tmp_path):
    out = tmp_path / "run"
    cmd = [
        sys.executable, str(REPO / "examples" / "run_multitask.py"),
        "--dataset", "snips", "--encoder_type", "bcnn", "--max_train_samples", "32", "--max_eval_samples", "40",
        "--num_train_epochs", "1", "--per_device_train_batch_size", "16", "--embedding_size", "32", "--num_filters", "16",
        "--classifier_hidden_size", "64", "--output_dir", str(out), "--torch_threads", "1", "--disable_tqdm", "true",
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "all_results.json").read_text())
    assert results["train_samples"] == 32
    card = (out / "README.md").read_text()
    for key in ("intent_accuracy", "slot_f1", "frame_accuracy"):
        assert f"| {key} | {round(results[f'test_{key}'], 4)!r} |" in card
    model = SharedPrivateForIntentAndSlotFilling.from_pretrained(out)
    assert model.config.id2label[0] and len(model.config.id2tag) == 72
    nlu = IntentSlotPipeline.from_pretrained(out)
    r = nlu("play some jazz on spotify")
    assert r["intent"] in model.config.label2id


def test_empty_utterance_in_a_batch(tokenizer):
    model = SharedPrivateForIntentAndSlotFilling(make_config(vocab_size=len(tokenizer)))
    feats = [{"tokens": [], "tags": [], "intent": 0}, {"tokens": ["fly", "to", "york"], "tags": [0, 0, 1], "intent": 1}]
    batch = DataCollatorForWordLevel(tokenizer)(feats)
    out = model(**batch)
    assert torch.isfinite(out.loss)
    out.loss.backward()
    model.eval()
    with torch.no_grad():
        paths = model(**batch).tag_paths
    assert paths[0].tolist() == [-100, -100, -100] and (paths[1] >= 0).all()


def _train(argv):
    """`hf-transfer train multitask ARGV`, in process."""
    from hf_transfer.cli import parse_train_args
    from hf_transfer.training import train_multitask

    return train_multitask(*parse_train_args("multitask", argv))


@pytest.fixture
def jointbert_folder(tmp_path):
    root = tmp_path / "toy"
    rows = [(w, [TAGS[t] for t in tg], INTENTS[i]) for w, tg, i in zip(WORDS, TAG_IDS, INTENT_IDS)]
    for split in ("train", "dev", "test"):
        (root / split).mkdir(parents=True)
        (root / split / "seq.in").write_text("".join(" ".join(w) + "\n" for w, _, _ in rows * 3))
        (root / split / "seq.out").write_text("".join(" ".join(t) + "\n" for _, t, _ in rows * 3))
        (root / split / "label").write_text("".join(i + "\n" for _, _, i in rows * 3))
    return root


def test_example_main_in_process_and_split_errors(jointbert_folder, tmp_path):
    common = ["--dataset", str(jointbert_folder), "--encoder_type", "bcnn", "--embedding_size", "8", "--num_filters", "4", "--classifier_hidden_size", "8", "--report_to", "none", "--disable_tqdm", "true"]
    with pytest.raises(ValueError, match=r"--test_split 'nope' is not in the data set; available splits: \['train', 'validation', 'test'\]"):
        _train(common + ["--test_split", "nope", "--output_dir", str(tmp_path / "x")])
    results = _train(common + ["--max_steps", "2", "--output_dir", str(tmp_path / "run"), "--no_use_crf", "--private_encoder_type", "tower"])
    assert {"eval_intent_accuracy", "test_slot_f1", "test_frame_accuracy"} <= set(results)
    model = SharedPrivateForIntentAndSlotFilling.from_pretrained(tmp_path / "run")
    assert model.config.use_crf is False and model.config.private_encoder_type == "tower"
    assert model.config.private_encoder == "bcnn_tower"  # the old name reads the old value
    assert set(model.config.id2tag.values()) == set(TAGS) - {"I-date"}  # train's tags (no label files here)


def test_example_head_learning_rate_over_a_backbone(jointbert_folder, tmp_path, minilm_path):
    argv = ["--dataset", str(jointbert_folder), "--encoder_type", "backbone", "--model_name_or_path", str(minilm_path), "--private_encoder_type", "tower",
            "--num_filters", "4", "--classifier_hidden_size", "8", "--max_steps", "1", "--learning_rate", "1e-5", "--head_learning_rate", "1e-3",
            "--report_to", "none", "--disable_tqdm", "true", "--output_dir", str(tmp_path / "run")]  # fmt: skip
    _train(argv)
    card = (tmp_path / "run" / "README.md").read_text()
    assert "1e-05 (backbone), 0.001 (layers trained from scratch)" in card
