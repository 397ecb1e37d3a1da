"""The adversarial shared-private model with a word-level tagging head (slot filling across
languages): shapes and loss parts, word-level emissions over sub-word pieces, routing per
language, CRF decoding constraints, learning a toy tagging problem, save/load, Trainer with
DataCollatorForWordLevel and slot-F1 metrics, errors."""

from __future__ import annotations

import pytest
import torch

from hf_transfer.layers.losses import difference_loss
from hf_transfer.models.multilingual import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForTokenClassification,
)


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

VOCAB = 40
TAGS = ["O", "B-city", "I-city", "B-date"]


def tiny_config(**kwargs):
    defaults = dict(
        languages=["en", "de"], vocab_size=VOCAB, embedding_size=8, kernel_sizes=[1, 3], num_filters=6, feature_size=6,
        discriminator_hidden_size=7, id2label=dict(enumerate(TAGS)), label2id={t: i for i, t in enumerate(TAGS)},
        classifier_dropout=0.0, discriminator_dropout=0.0,
    )
    defaults.update(kwargs)
    return AdversarialSharedPrivateConfig(**defaults)


def batch(n=4, length=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, VOCAB, (n, length), generator=g)
    ids[0, -2:] = 0
    labels = torch.randint(0, len(TAGS), (n, length), generator=g)
    labels[0, -2:] = -100
    return dict(input_ids=ids, attention_mask=ids.ne(0).long(), language_ids=torch.arange(n) % 2, labels=labels)


def test_outputs_and_weighted_loss_parts():
    model = AdversarialSharedPrivateForTokenClassification(tiny_config(adversarial_weight=0.3, difference_weight=0.7)).train()
    b = batch()
    out = model(**b)
    assert out.logits.shape == (4, 6, len(TAGS))
    assert out.shared_features.shape == (4, 6, 6) and out.private_features.shape == (4, 6, 6)
    assert out.language_logits.shape == (4, 2) and out.tag_paths is None  # no decoding in training by default
    torch.testing.assert_close(out.loss, out.task_loss + 0.3 * out.adversarial_loss + 0.7 * out.difference_loss)
    # the difference loss compares the sentence means of the real words' features
    mask = b["attention_mask"].bool()
    m = mask.unsqueeze(-1).float()
    mean = lambda x: (x * m).sum(1) / m.sum(1)  # noqa: E731
    torch.testing.assert_close(out.difference_loss, difference_loss(mean(out.private_features), mean(out.shared_features)))
    # the task loss is the CRF's NLL on the word emissions, padding ignored
    expected = model.crf.neg_log_likelihood(out.logits, b["labels"], mask, reduction="mean")
    torch.testing.assert_close(out.task_loss, expected)
    model.eval()
    paths = model(**b).tag_paths
    assert paths.shape == (4, 6) and (paths[0, -2:] == -100).all() and (paths[mask] >= 0).all()


def test_discriminator_reads_mean_of_shared_word_features_through_reversal():
    model = AdversarialSharedPrivateForTokenClassification(tiny_config(use_private=False, use_difference=False, adversarial_weight=1.0)).train()
    b = batch()
    out = model(**b)
    mask = b["attention_mask"].bool().unsqueeze(-1).float()
    pooled = (out.shared_features * mask).sum(1) / mask.sum(1)
    torch.testing.assert_close(out.language_logits, model.discriminator(pooled))
    # the adversarial loss alone pushes the shared encoder the other way round
    shared_param = model.shared_fc[0].weight
    (g_rev,) = torch.autograd.grad(out.adversarial_loss, shared_param, retain_graph=True)
    (g_plain,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model.discriminator(pooled), b["language_ids"]), shared_param)
    torch.testing.assert_close(g_rev, -g_plain)


def test_word_level_emissions_over_subword_pieces(tiny_bert_config):
    from transformers import AutoModel

    backbone = AutoModel.from_config(tiny_bert_config)
    for kind in ("tower", "copy"):
        model = AdversarialSharedPrivateForTokenClassification.from_backbone(
            backbone, languages=["en", "de"], id2label=dict(enumerate(TAGS)), feature_size=5, kernel_sizes=[1], num_filters=4,
            private_encoder_type=kind,
        ).eval()
        ids = torch.randint(5, 99, (2, 7))
        # [CLS] w0 w0 w1 w2 w2 [SEP] / [CLS] w0 w1 [SEP] pad pad pad
        word_ids = torch.tensor([[-1, 0, 0, 1, 2, 2, -1], [-1, 0, 1, -1, -1, -1, -1]])
        attention = torch.tensor([[1] * 7, [1, 1, 1, 1, 0, 0, 0]])
        labels = torch.tensor([[1, 2, 0], [3, 0, -100]])
        out = model(input_ids=ids, attention_mask=attention, word_ids=word_ids, language_ids=torch.tensor([0, 1]), labels=labels)
        assert out.logits.shape == (2, 3, len(TAGS)), kind  # one emission per word, never per piece
        assert out.tag_paths.shape == (2, 3) and out.tag_paths[1, 2] == -100


def test_per_language_private_encoders_route_words():
    model = AdversarialSharedPrivateForTokenClassification(tiny_config(private_encoders="per_language")).eval()
    b = batch()
    out = model(**b)
    embeds = model.get_input_embeddings()(b["input_ids"])
    for row in range(4):
        branch = model.private[int(b["language_ids"][row])]
        mask = b["attention_mask"][row : row + 1]
        word_ids = torch.arange(6).unsqueeze(0).masked_fill(~mask.bool(), -1)
        alone = branch.project(branch(attention_mask=mask, word_ids=word_ids, num_words=6, features=embeds[row : row + 1]).last_hidden_state)
        torch.testing.assert_close(out.private_features[row], alone[0])


def test_crf_decoding_respects_bio_constraints():
    model = AdversarialSharedPrivateForTokenClassification(tiny_config()).eval()
    with torch.no_grad():  # make "I-city" the best emission everywhere
        model.classifier.out_proj.bias.copy_(torch.tensor([0.0, 0.0, 50.0, 0.0]))
    paths = model(**batch()).tag_paths
    for row in paths.tolist():
        tags = [TAGS[t] for t in row if t >= 0]
        for prev, cur in zip(["O"] + tags, tags):
            assert not (cur == "I-city" and prev not in ("B-city", "I-city")), tags
    unconstrained = AdversarialSharedPrivateForTokenClassification(tiny_config(crf_constraints=None)).eval()
    unconstrained.load_state_dict(model.state_dict())
    assert (unconstrained(**batch()).tag_paths[batch()["attention_mask"].bool()] == 2).all()


def test_learns_a_toy_tagging_problem_without_crf_and_with():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(2, VOCAB, (64, 5), generator=g)
    labels = torch.zeros_like(ids)
    labels[(ids >= 10) & (ids < 20)] = 1  # "cities"
    labels[ids >= 30] = 3  # "dates"
    data = dict(input_ids=ids, attention_mask=torch.ones_like(ids), language_ids=torch.arange(64) % 2, labels=labels)
    for use_crf in (False, True):
        torch.manual_seed(0)
        config = tiny_config(use_crf=use_crf, crf_constraints=None, embedding_size=16, num_filters=16, feature_size=16, initializer_range=0.2, embedding_dropout=0.0)
        model = AdversarialSharedPrivateForTokenClassification(config).train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        first = None
        for _ in range(100):
            out = model(**data)
            first = first if first is not None else out.task_loss.item()
            opt.zero_grad()
            out.loss.backward()
            opt.step()
        assert out.task_loss.item() < 0.3 * first, (use_crf, first, out.task_loss.item())
        model.eval()
        accuracy = (model(**data).tag_paths == labels).float().mean().item()
        assert accuracy > 0.95, (use_crf, accuracy)


def test_save_load_round_trip_and_auto_class(tmp_path):
    from transformers import AutoModelForTokenClassification

    model = AdversarialSharedPrivateForTokenClassification(tiny_config(private_encoders="per_language")).eval()
    b = batch()
    out = model(**b)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is AdversarialSharedPrivateForTokenClassification
    out2 = loaded(**b)
    for key in ("loss", "logits", "language_logits", "task_loss", "adversarial_loss", "difference_loss", "tag_paths"):
        torch.testing.assert_close(out[key], out2[key], rtol=0, atol=0)


def test_errors_name_the_problem():
    model = AdversarialSharedPrivateForTokenClassification(tiny_config()).train()
    b = batch()
    with pytest.raises(ValueError, match=r"language id 5 is out of range.*0=en, 1=de"):
        model(**dict(b, language_ids=torch.tensor([0, 1, 5, 0])))
    with pytest.raises(ValueError, match=r"labels must be \[batch, words\]"):
        model(**dict(b, labels=b["labels"][:, 0]))
    with pytest.raises(ValueError, match="word_ids reach word 5"):
        model(**dict(b, labels=b["labels"][:, :3]))
    with pytest.raises(ValueError, match="crf_constraints must be one of"):
        tiny_config(crf_constraints="bilou2")


def test_trainer_with_word_level_collator_and_slot_f1(tmp_path):
    from datasets import Dataset
    from transformers import TrainingArguments

    from hf_transfer.data.collators import DataCollatorForWordLevel
    from hf_transfer.data.tokenization import build_bcnn_tokenizer
    from hf_transfer.metrics import make_joint_compute_metrics
    from hf_transfer.training.adversarial import AdversarialTrainer

    rows = {
        "tokens": [["fly", "to", "paris"], ["flug", "nach", "new", "york", "morgen"], ["to", "berlin", "tomorrow"], ["nach", "paris"]] * 6,
        "tags": [[0, 0, 1], [0, 0, 1, 2, 3], [0, 1, 3], [0, 1]] * 6,
        "intent": [0, 0, 1, 1] * 6,
        "language_ids": [0, 1, 0, 1] * 6,
    }
    ds = Dataset.from_dict(rows)
    tokenizer = build_bcnn_tokenizer([" ".join(t) for t in rows["tokens"]])
    config = tiny_config(vocab_size=len(tokenizer))
    model = AdversarialSharedPrivateForTokenClassification(config)
    collator = DataCollatorForWordLevel(tokenizer, intent_column=None, tag_label_name="labels", extra_columns=["language_ids"])
    first = collator([ds[0], ds[1]])
    assert set(first) >= {"input_ids", "word_ids", "labels", "language_ids"} and "intent_labels" not in first
    assert first["labels"].tolist() == [[0, 0, 1, -100, -100], [0, 0, 1, 2, 3]] and first["language_ids"].tolist() == [0, 1]
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=8, per_device_eval_batch_size=5, max_steps=4,
                             learning_rate=1e-2, report_to=[], use_cpu=True, remove_unused_columns=False, disable_tqdm=True,
                             label_names=["labels"], save_strategy="no")
    trainer = AdversarialTrainer(model=model, args=args, train_dataset=ds, eval_dataset=ds, data_collator=collator,
                                 compute_metrics=make_joint_compute_metrics(None, config.id2label))
    trainer.train()
    metrics = trainer.evaluate()
    assert {"eval_slot_f1", "eval_task_loss", "eval_adversarial_loss", "eval_discriminator_accuracy"} <= set(metrics)
    # the reported F1 is the F1 of the decoded paths
    from hf_transfer.metrics import slot_f1

    model.eval()
    preds, gold = [], []
    with torch.no_grad():
        for start in range(0, len(ds), 5):
            b = collator([ds[i] for i in range(start, min(start + 5, len(ds)))])
            paths = model(**b).tag_paths
            for p, y in zip(paths.tolist(), b["labels"].tolist()):
                keep = [i for i, t in enumerate(y) if t != -100]
                preds.append([TAGS[p[i]] for i in keep])
                gold.append([TAGS[y[i]] for i in keep])
    assert metrics["eval_slot_f1"] == pytest.approx(100 * slot_f1(preds, gold), abs=1e-6)
    # collect_features: each sentence's mean word features (probes and the projection PNG)
    from hf_transfer.training.adversarial import collect_features

    feats = collect_features(model, ds.select(range(7)), collator, batch_size=3)
    assert feats["shared"].shape == (7, config.feature_size) and feats["private"].shape == (7, config.feature_size)
    assert "logits" not in feats and feats["language_ids"].tolist() == rows["language_ids"][:7]
    with torch.no_grad():
        one = model(**{k: v for k, v in collator([ds[1]]).items() if k != "labels"})
    expected = one.shared_features[0, : len(rows["tokens"][1])].mean(0)
    torch.testing.assert_close(torch.from_numpy(feats["shared"][1]), expected, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="'language_ids'"):
        collator([{"tokens": ["a"], "tags": [0]}])
