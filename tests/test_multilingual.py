"""Adversarial shared-private multilingual model: gradient reversal inside the model, the
difference loss term, routing, ablations, the toy adversarial problem, save/load, errors,
Trainer integration, the projection PNG and the example in smoke mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from hf_transfer.layers.losses import difference_loss
from hf_transfer.models.multilingual import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    ablation_config_kwargs,
)


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

REPO = Path(__file__).resolve().parents[1]
VOCAB = 50


def tiny_config(**kwargs):
    defaults = dict(
        languages=["ru", "es", "de"],
        vocab_size=VOCAB,
        embedding_size=8,
        kernel_sizes=[1, 2],
        num_filters=6,
        feature_size=5,
        discriminator_hidden_size=7,
        num_labels=3,
        classifier_dropout=0.0,
        discriminator_dropout=0.0,
    )
    defaults.update(kwargs)
    return AdversarialSharedPrivateConfig(**defaults)


def batch(n=6, length=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, VOCAB, (n, length), generator=g)
    ids[0, -2:] = 0  # some padding
    return dict(
        input_ids=ids,
        attention_mask=ids.ne(0).long(),
        language_ids=torch.arange(n) % 3,
        labels=torch.randint(0, 3, (n,), generator=g),
    )


# ---------------------------------------------------------------------------------------------
# gradient reversal and the loss parts
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grl_lambda", [1.0, 0.3])
def test_discriminator_gradient_reaches_shared_encoder_reversed_and_scaled(grl_lambda):
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(grl_lambda=grl_lambda)).eval()
    b = batch()
    out = model(**b)
    model.zero_grad()
    out.adversarial_loss.backward()
    through_model = {n: p.grad.clone() for n, p in model.shared_encoder.named_parameters() if p.grad is not None}
    disc_through_model = {n: p.grad.clone() for n, p in model.discriminator.named_parameters()}
    assert through_model, "the discriminator loss must reach the shared encoder"
    # reference: the same discriminator loss without any reversal
    model.zero_grad()
    shared = model.shared_features(b["input_ids"], b["attention_mask"])
    ref = nn.functional.cross_entropy(model.discriminator(shared), b["language_ids"])
    torch.testing.assert_close(ref, out.adversarial_loss)
    ref.backward()
    for name, grad in through_model.items():
        torch.testing.assert_close(grad, -grl_lambda * model.shared_encoder.get_parameter(name).grad)
    for name, grad in disc_through_model.items():  # the discriminator itself is not reversed
        torch.testing.assert_close(grad, model.discriminator.get_parameter(name).grad)
    # private branch and task head get nothing from the adversarial loss
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.private.parameters())


def test_total_loss_is_weighted_sum_of_parts():
    config = tiny_config(adversarial_weight=0.05, difference_weight=0.01)
    model = AdversarialSharedPrivateForSequenceClassification(config).eval()
    out = model(**batch())
    assert out.difference_loss > 0
    expected = out.task_loss + 0.05 * out.adversarial_loss + 0.01 * out.difference_loss
    torch.testing.assert_close(out.loss, expected)
    torch.testing.assert_close(out.difference_loss, difference_loss(out.private_features, out.shared_features))
    torch.testing.assert_close(out.task_loss, nn.functional.cross_entropy(out.logits, batch()["labels"]))


def test_difference_loss_gradient_pushes_towards_orthogonality():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(feature_activation="none", use_adversary=False)).train()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    b = batch(n=16, seed=1)
    first = None
    for _ in range(30):
        out = model(**b)
        first = float(out.difference_loss.detach()) if first is None else first
        opt.zero_grad()
        out.difference_loss.backward()
        opt.step()
    assert float(model(**b).difference_loss.detach()) < 0.2 * first


@pytest.mark.parametrize(
    "variant,has_private,has_disc,has_diff",
    [
        ("joint", False, False, False),
        ("shared_private", True, False, False),
        ("adversarial", True, True, False),
        ("adversarial_diff", True, True, True),
    ],
)
def test_ablation_flags_change_what_is_computed(variant, has_private, has_disc, has_diff):
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(**ablation_config_kwargs(variant)))
    out = model(**batch())
    assert (model.private is not None) == has_private
    assert (model.discriminator is not None) == has_disc
    assert (out.private_features is not None) == has_private
    assert (out.language_logits is not None) == has_disc and (out.adversarial_loss is not None) == has_disc
    assert (out.difference_loss is not None) == has_diff
    assert model.classifier.out_proj.in_features == 5 * (2 if has_private else 1)
    if variant == "joint":
        torch.testing.assert_close(out.loss, out.task_loss)


def test_ablation_config_errors():
    with pytest.raises(ValueError, match="use_difference=True needs use_private"):
        tiny_config(use_private=False, use_adversary=False)
    with pytest.raises(ValueError, match="separate"):
        ablation_config_kwargs("separate")
    with pytest.raises(ValueError, match="adversarial_schedule"):
        tiny_config(adversarial_schedule="gan")
    with pytest.raises(ValueError, match="at least 2 languages"):
        AdversarialSharedPrivateForSequenceClassification(tiny_config(languages=["ru"]))


# ---------------------------------------------------------------------------------------------
# routing and language ids
# ---------------------------------------------------------------------------------------------


def branch_features(branch, attention_mask, embeds):
    """A private tower's sentence features after its fully connected layer."""
    return branch.project(branch(attention_mask=attention_mask, features=embeds).pooler_output)


def test_per_language_private_encoders_route_each_example():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(private_encoders="per_language")).eval()
    assert len(model.private) == 3
    b = batch()
    out = model(**b)
    embeds = model.get_input_embeddings()(b["input_ids"])
    for i in range(b["input_ids"].shape[0]):
        lang = int(b["language_ids"][i])
        own = branch_features(model.private[lang], b["attention_mask"][i : i + 1], embeds[i : i + 1])
        torch.testing.assert_close(out.private_features[i : i + 1], own)
        other = branch_features(model.private[(lang + 1) % 3], b["attention_mask"][i : i + 1], embeds[i : i + 1])
        assert not torch.allclose(own, other)
    # held-out language (-100): mean of all private encoders, ignored by the discriminator loss
    ids = b["language_ids"].clone()
    ids[1] = -100
    out2 = model(**{**b, "language_ids": ids})
    mean = torch.stack([branch_features(model.private[k], b["attention_mask"][1:2], embeds[1:2]) for k in range(3)]).mean(0)
    torch.testing.assert_close(out2.private_features[1:2], mean)
    keep = ids != -100
    torch.testing.assert_close(out2.adversarial_loss, nn.functional.cross_entropy(out2.language_logits[keep], ids[keep]))
    # an example's private features do not depend on the other examples of the batch
    torch.testing.assert_close(out.private_features[2:4], model(**{k: v[2:4] for k, v in b.items()}).private_features)


def test_single_private_encoder_ignores_language():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config()).eval()
    b = batch()
    out = model(**b)
    out2 = model(**{**b, "language_ids": (b["language_ids"] + 1) % 3})
    torch.testing.assert_close(out.logits, out2.logits)
    shifted = (b["language_ids"] + 1) % 3
    torch.testing.assert_close(out2.adversarial_loss, nn.functional.cross_entropy(out.language_logits, shifted))


def test_heldout_languages_can_read_shared_features_only():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(heldout_private_features="zeros")).eval()
    b = batch()
    ids = b["language_ids"].clone()
    ids[[1, 4]] = -100
    out = model(**{**b, "language_ids": ids})
    head_input_zeros = torch.cat([torch.zeros_like(out.private_features), out.shared_features], dim=-1)
    head_input_full = torch.cat([out.private_features, out.shared_features], dim=-1)
    for i in range(ids.shape[0]):
        expected = head_input_zeros[i] if ids[i] == -100 else head_input_full[i]
        torch.testing.assert_close(out.logits[i], model.classifier(expected[None])[0])
    assert out.private_features.abs().sum() > 0  # the output (and the difference loss) keep the real ones
    # "encode" (the default) feeds the held-out rows' private features to the head
    model.config.heldout_private_features = "encode"
    out2 = model(**{**b, "language_ids": ids})
    assert not torch.allclose(out2.logits[1], out.logits[1])
    torch.testing.assert_close(out2.logits[0], out.logits[0])


def test_unlabeled_languages_read_shared_features_only_with_zeros():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(heldout_private_features="zeros", unlabeled_languages=["de"])).eval()
    b = batch()  # language ids 0, 1, 2, 0, 1, 2: rows 2 and 5 are "de"
    out = model(**b)
    for i in range(6):
        private = torch.zeros_like(out.private_features[i]) if i in (2, 5) else out.private_features[i]
        torch.testing.assert_close(out.logits[i], model.classifier(torch.cat([private, out.shared_features[i]])[None])[0])
    model.config.heldout_private_features = "encode"  # the default reads them
    assert not torch.allclose(model(**b).logits[2], out.logits[2])
    with pytest.raises(ValueError, match=r"unlabeled_languages \['fr'\] are not in languages"):
        tiny_config(unlabeled_languages=["fr"])


def test_private_dropout_hides_private_features_per_example_in_training_only():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(private_dropout=0.5))
    b = batch(n=64)
    b["language_ids"] = torch.arange(64) % 3
    model.train()
    torch.manual_seed(0)
    out = model(**b)
    with_private = model.classifier(torch.cat([out.private_features, out.shared_features], -1))
    without = model.classifier(torch.cat([torch.zeros_like(out.private_features), out.shared_features], -1))
    hidden = torch.isclose(out.logits, without).all(-1)
    shown = torch.isclose(out.logits, with_private).all(-1)
    assert bool((hidden ^ shown).all())  # each row one or the other
    assert 15 < int(hidden.sum()) < 49  # about half
    model.eval()
    out = model(**b)
    torch.testing.assert_close(out.logits, model.classifier(torch.cat([out.private_features, out.shared_features], -1)))
    with pytest.raises(ValueError, match="private_dropout"):
        tiny_config(private_dropout=1.0)
    with pytest.raises(ValueError, match="heldout_private_features"):
        tiny_config(heldout_private_features="mean")


def test_language_id_errors_name_the_id_and_the_known_languages():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config())
    b = batch()
    for bad in (3, -1):
        ids = b["language_ids"].clone()
        ids[2] = bad
        with pytest.raises(ValueError, match=rf"language id {bad} is out of range.*0=ru, 1=es, 2=de"):
            model(**{**b, "language_ids": ids})
    with pytest.raises(ValueError, match=r"shape \[batch\]"):
        model(**{**b, "language_ids": torch.zeros(2, dtype=torch.long)})
    with pytest.raises(ValueError, match=r"unknown language 'fr'.*\['ru', 'es', 'de'\]"):
        model.config.encode_languages(["ru", "fr"])
    assert model.config.encode_languages(["de", "fr"], allow_unknown=True) == [2, -100]
    with pytest.raises(ValueError, match="needs language_ids in training"):
        AdversarialSharedPrivateForSequenceClassification(tiny_config(private_encoders="per_language")).train()(b["input_ids"])


# ---------------------------------------------------------------------------------------------
# the toy problem: the shared encoder can remove the language signal
# ---------------------------------------------------------------------------------------------


def toy_data(n=256, seed=0):
    """Four words per sentence in random order: one task word (2-5 -> class 0, 6-9 -> class 1),
    the language's marker word (10 or 11) and two filler words (12-49) shared by both languages.
    The label never depends on the language, so the shared encoder can drop the marker."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    langs = torch.randint(0, 2, (n,), generator=g)
    task = 2 + 4 * labels + torch.randint(0, 4, (n,), generator=g)
    filler = 12 + torch.randint(0, 38, (n, 2), generator=g)
    ids = torch.stack([filler[:, 0], 10 + langs, task, filler[:, 1]], dim=1)
    ids = ids.gather(1, torch.argsort(torch.rand(n, 4, generator=g), dim=1))
    return dict(input_ids=ids, attention_mask=torch.ones_like(ids), language_ids=langs, labels=labels)


def train_toy(second_lambda):
    """100 steps with the gradient NOT reversed (lambda -1: the encoder learns to expose the
    language), then 200 steps with `second_lambda`. Returns (discriminator, task) test accuracy."""
    torch.manual_seed(0)
    config = tiny_config(
        languages=["a", "b"], num_labels=2, embedding_size=16, kernel_sizes=[1], num_filters=16, feature_size=16,
        discriminator_hidden_size=16, adversarial_weight=1.0, use_private=False, use_difference=False, feature_activation="tanh",
        initializer_range=0.2,  # with the default 0.02 the tiny discriminator often never leaves its constant start
    )
    model = AdversarialSharedPrivateForSequenceClassification(config).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data, test = toy_data(), toy_data(seed=1)
    accuracies = []
    for phase, (lam, steps) in enumerate(((-1.0, 100), (second_lambda, 200))):
        model.grl.lambda_ = lam
        model.train()
        for step in range(steps):
            rows = torch.randperm(256, generator=torch.Generator().manual_seed(step + 1000 * phase))[:64]
            out = model(**{k: v[rows] for k, v in data.items()})
            opt.zero_grad()
            out.loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out = model(**test)
        accuracies.append(((out.language_logits.argmax(-1) == test["language_ids"]).float().mean().item(), (out.logits.argmax(-1) == test["labels"]).float().mean().item()))
    return accuracies


def test_toy_discriminator_goes_to_chance_only_with_reversal():
    (exposed, _), (disc_plain, task_plain) = train_toy(second_lambda=0.0)
    _, (disc_adv, task_adv) = train_toy(second_lambda=1.0)
    assert exposed > 0.9, exposed  # the encoder first learns to expose the language
    assert disc_plain > 0.95, disc_plain  # ... which stays readable without reversal
    assert abs(disc_adv - 0.5) < 0.1, disc_adv  # ... and is removed with it
    assert task_plain > 0.95 and task_adv > 0.95, (task_plain, task_adv)


# ---------------------------------------------------------------------------------------------
# alternating schedule
# ---------------------------------------------------------------------------------------------


def test_alternating_phases_update_the_right_parameters():
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(adversarial_schedule="alternating")).train()
    b = batch()
    model.adversarial_phase = "discriminator"
    model.zero_grad()
    model(**b).loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.discriminator.parameters())
    assert all(p.grad is None for p in model.shared_encoder.parameters())
    assert all(p.grad is None for p in model.classifier.parameters())
    model.adversarial_phase = "encoder"
    model.zero_grad()
    out = model(**b)
    out.loss.backward()
    assert all(p.grad is None for p in model.discriminator.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.shared_encoder.parameters())
    # the encoder minimises the cross-entropy of the (frozen) discriminator's prediction to uniform
    with torch.no_grad():
        confusion = -torch.log_softmax(out.language_logits, -1).mean(-1).mean()
    torch.testing.assert_close(out.loss, out.task_loss + 0.05 * confusion + out.difference_loss)


# ---------------------------------------------------------------------------------------------
# save / load, Trainer, picture, backbone
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("private_encoders", ["single", "per_language"])
def test_save_load_round_trip_exact(tmp_path, private_encoders):
    from transformers import AutoConfig, AutoModelForSequenceClassification

    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(private_encoders=private_encoders, private_encoder_type="copy")).eval()
    b = batch()
    out = model(**b)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    assert AutoConfig.from_pretrained(tmp_path).languages == ["ru", "es", "de"]
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is AdversarialSharedPrivateForSequenceClassification
    out2 = loaded(**b)
    for key in ("loss", "logits", "language_logits", "task_loss", "adversarial_loss", "difference_loss"):
        torch.testing.assert_close(out[key], out2[key], rtol=0, atol=0)


def test_backbone_private_copies_and_tower(tiny_bert_config):
    from transformers import AutoModel

    backbone = AutoModel.from_config(tiny_bert_config)
    for kind, copies in (("copy", 2), ("tower", 1)):
        config_kwargs = dict(languages=["ru", "es"], num_labels=3, feature_size=5, kernel_sizes=[1, 2], num_filters=4, private_encoder_type=kind)
        model = AdversarialSharedPrivateForSequenceClassification.from_backbone(backbone, **config_kwargs).eval()
        assert len(model.backbone_encoders()) == copies
        for enc in model.backbone_encoders():  # pretrained weights in every copy
            torch.testing.assert_close(enc.model.embeddings.word_embeddings.weight, backbone.embeddings.word_embeddings.weight)
        ids = torch.randint(1, 99, (4, 6))
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), language_ids=torch.tensor([0, 1, 0, 1]), labels=torch.tensor([0, 1, 2, 0]))
        assert out.logits.shape == (4, 3) and out.loss is not None


def _trainer_dataset(n=48):
    from datasets import Dataset

    data = toy_data(n)
    return Dataset.from_dict({k: v.tolist() for k, v in data.items()})


def test_trainer_treats_language_ids_as_input_and_logs_parts(tmp_path):
    from transformers import TrainingArguments, default_data_collator

    from hf_transfer.training.adversarial import AdversarialScheduleCallback, AdversarialTrainer

    config = tiny_config(languages=["a", "b"], num_labels=2)
    model = AdversarialSharedPrivateForSequenceClassification(config)
    seen = []
    original = model.forward

    def spy(*args, **kwargs):
        seen.append(kwargs.get("language_ids"))
        return original(*args, **kwargs)

    model.forward = spy
    args = TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=16, per_device_eval_batch_size=16, max_steps=6, logging_steps=3,
        eval_strategy="steps", eval_steps=3, save_strategy="no", report_to=[], label_names=["labels"], use_cpu=True,
        remove_unused_columns=False, disable_tqdm=True,
    )
    ds = _trainer_dataset()
    trainer = AdversarialTrainer(model=model, args=args, train_dataset=ds, eval_dataset=ds, data_collator=default_data_collator,
                                 callbacks=[AdversarialScheduleCallback(grl_schedule="dann")])
    assert trainer.label_names == ["labels"]
    trainer.train()
    assert seen and all(ids is not None and ids.shape == (16,) for ids in seen)
    logs = trainer.state.log_history
    train_logs = [x for x in logs if "loss" in x and "eval_loss" not in x]
    eval_logs = [x for x in logs if "eval_loss" in x]
    assert train_logs and all({"task_loss", "adversarial_loss", "difference_loss"} <= set(x) for x in train_logs)
    assert eval_logs and all(
        {"eval_task_loss", "eval_adversarial_loss", "eval_difference_loss", "eval_discriminator_accuracy", "eval_accuracy", "eval_accuracy_a", "eval_accuracy_b"} <= set(x)
        for x in eval_logs
    )
    metrics = trainer.evaluate()
    # the logged discriminator accuracy is the real one
    model.eval()
    with torch.no_grad():
        full = toy_data(48)
        out = original(**full)
    expected = 100 * (out.language_logits.argmax(-1) == full["language_ids"]).float().mean().item()
    assert metrics["eval_discriminator_accuracy"] == pytest.approx(expected, abs=1e-3)
    assert model.grl.lambda_ == config.grl_lambda  # restored after the DANN schedule


def test_plain_trainer_predictions_are_logits(tmp_path):
    from transformers import Trainer, TrainingArguments, default_data_collator

    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(languages=["a", "b"], num_labels=2))
    args = TrainingArguments(output_dir=str(tmp_path), per_device_eval_batch_size=16, report_to=[], use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, data_collator=default_data_collator)
    assert trainer.label_names == ["labels"]  # language_ids is not mistaken for a label
    pred = trainer.predict(_trainer_dataset())
    logits, language_logits = pred.predictions
    assert logits.shape == (48, 2) and language_logits.shape == (48, 2)
    assert pred.label_ids.shape == (48,)


def test_feature_probe_and_png(tmp_path):
    from transformers import default_data_collator

    from hf_transfer.training.adversarial import collect_features, language_probe_accuracy

    model = AdversarialSharedPrivateForSequenceClassification(tiny_config(languages=["a", "b"], num_labels=2))
    feats = collect_features(model, _trainer_dataset(64), default_data_collator, batch_size=20)
    assert feats["shared"].shape == (64, 5) and feats["private"].shape == (64, 5) and feats["language_ids"].shape == (64,)
    # a fresh probe reads the language off features that carry it (the marker word's own dimension)
    marked = feats["shared"].copy()
    marked[:, 0] += 0.01 * feats["language_ids"]
    assert language_probe_accuracy(marked[:32], feats["language_ids"][:32], marked[32:], feats["language_ids"][32:]) > 95
    pytest.importorskip("matplotlib")
    from hf_transfer.visualization import plot_feature_projection, project_2d

    x = torch.randn(30, 4).numpy()
    p = project_2d(x)
    assert p.shape == (30, 2) and abs(p[:, 0].mean()) < 1e-9 and p[:, 0].var() >= p[:, 1].var()
    path = plot_feature_projection(tmp_path / "sub" / "proj.png", {"shared": feats["shared"], "private": feats["private"]},
                                   feats["language_ids"], ["a", "b"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="rows but languages has"):
        plot_feature_projection(tmp_path / "x.png", {"shared": x}, [0, 1])


def test_unlabeled_examples_train_the_adversary_not_the_task_head():
    """Unlabelled text (labels -100, language known): no task loss from it, no NaN when a batch
    has no labelled example, but the discriminator and the difference loss still see it."""
    model = AdversarialSharedPrivateForSequenceClassification(tiny_config()).eval()
    b = batch()
    labels = b["labels"].clone()
    labels[3:] = -100
    out = model(**{**b, "labels": labels})
    logits = out.logits
    torch.testing.assert_close(out.task_loss, nn.functional.cross_entropy(logits[:3], labels[:3]))
    model.zero_grad()
    out = model(**{**b, "labels": torch.full_like(labels, -100)})
    assert out.task_loss.item() == 0.0 and torch.isfinite(out.loss)
    out.loss.backward()
    assert all(p.grad is None or not p.grad.any() for p in model.classifier.parameters())
    assert any(p.grad is not None and p.grad.any() for p in model.discriminator.parameters())
    assert any(p.grad is not None and p.grad.any() for p in model.shared_encoder.parameters())


def test_example_unlabeled_languages(tmp_path, shared_data):
    out_dir = tmp_path / "unlabeled"
    cmd = [sys.executable, str(REPO / "examples" / "run_multilingual.py"), "--smoke", "--dataset", "xsid", "--unlabeled_languages", "ja,zh",
           "--test_languages", "en,de,ja,zh,ar", "--torch_threads", "1", "--output_dir", str(out_dir), "--report_to", "none", "--projection", "none"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((out_dir / "config.json").read_text())
    assert config["languages"] == ["en", "de", "da", "it", "nl", "ja", "zh"]  # the discriminator learns all seven
    assert config["unlabeled_languages"] == ["ja", "zh"]
    m = json.loads((out_dir / "test_results.json").read_text())
    assert m["test_accuracy_heldout_languages"] == pytest.approx((m["test_accuracy_ja"] + m["test_accuracy_zh"] + m["test_accuracy_ar"]) / 3, abs=1e-3)
    assert m["test_accuracy_trained_languages"] == pytest.approx((m["test_accuracy_en"] + m["test_accuracy_de"]) / 2, abs=1e-3)
    assert m["discriminator_chance"] == pytest.approx(100 / 7, abs=1e-3)
    # their test sets keep their labels (xSID's test sets are parallel: scored against -100 they would all be 0)
    assert m["test_accuracy_ja"] > 0 and m["test_accuracy_zh"] > 0
    assert "32 of 148 training examples are unlabelled (ja, zh)" in proc.stderr
    assert "unlabelled text in ja, zh" in (out_dir / "README.md").read_text()
    bad = subprocess.run(cmd[:2] + ["--smoke", "--dataset", "xsid", "--unlabeled_languages", "en,ja", "--output_dir", str(tmp_path / "bad")],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert bad.returncode != 0 and "--unlabeled_languages ['en'] are also in --train_languages" in bad.stderr


@pytest.mark.slow
def test_example_smoke(tmp_path, shared_data):
    out_dir = tmp_path / "run"
    cmd = [sys.executable, str(REPO / "examples" / "run_multilingual.py"), "--smoke", "--torch_threads", "1", "--output_dir", str(out_dir), "--report_to", "none",
           "--private_dropout", "0.3", "--heldout_private_features", "zeros"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out_dir / "model.safetensors").exists() and (out_dir / "tokenizer.json").exists()
    card = (out_dir / "README.md").read_text()
    metrics = json.loads((out_dir / "test_results.json").read_text())
    assert f"| test_accuracy | {metrics['test_accuracy']!r} |" in card
    config = json.loads((out_dir / "config.json").read_text())
    assert config["private_dropout"] == 0.3 and config["heldout_private_features"] == "zeros"
    assert (out_dir / "features.png").exists() or "matplotlib" in proc.stderr


def test_example_slot_filling_task(tmp_path, shared_data):
    from transformers import AutoModelForTokenClassification

    import hf_transfer  # noqa: F401  (registers the Auto classes)

    out_dir = tmp_path / "slots"
    cmd = [sys.executable, str(REPO / "examples" / "run_multilingual.py"), "--smoke", "--dataset", "xsid", "--task", "slots", "--encoder_type", "bcnn",
           "--test_languages", "en,de,ja", "--torch_threads", "1", "--output_dir", str(out_dir), "--report_to", "none", "--projection", "none"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out_dir / "test_results.json").read_text())
    assert {"test_slot_f1_en", "test_slot_f1_ja", "test_slot_f1_heldout_languages", "probe_language_accuracy_shared"} <= set(metrics)
    assert metrics["test_slot_f1_heldout_languages"] == metrics["test_slot_f1_ja"]
    model = AutoModelForTokenClassification.from_pretrained(out_dir)
    assert type(model).__name__ == "AdversarialSharedPrivateForTokenClassification" and model.config.use_crf
    assert "B-" in "".join(model.config.id2label.values())
    bad = subprocess.run(cmd[:2] + ["--smoke", "--dataset", "seed", "--task", "slots", "--output_dir", str(tmp_path / "bad")], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert bad.returncode != 0 and "--task slots needs slot tags: only --dataset xsid" in bad.stderr
