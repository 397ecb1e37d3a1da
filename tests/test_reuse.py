import pytest
import torch
from torch import nn
from transformers import (
    BertConfig,
    BertModel,
    DistilBertConfig,
    DistilBertModel,
    GPT2Config,
    GPT2Model,
    RobertaConfig,
    RobertaModel,
)

from hf_transfer import (
    TransferConfig,
    TransferForSequenceClassification,
    find_layers,
    freeze,
    freeze_lower_layers,
    layerwise_lr_groups,
    reuse_layers,
    trainable_parameters,
    unfreeze,
)


def _fresh_classifier(bert_config):
    return TransferForSequenceClassification(TransferConfig(encoder_type="backbone", backbone_config=bert_config, num_labels=2))


def test_reuse_copies_exactly_the_matched_tensors(tiny_bert_config):
    source = BertModel(tiny_bert_config)
    model = _fresh_classifier(tiny_bert_config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    report = reuse_layers(model, source, include=r"encoder\.layer\.[0-1]\.")
    src = source.state_dict()
    loaded = dict(report.loaded)
    assert loaded and all(".layer.0." in s or ".layer.1." in s for s in loaded)
    assert len(loaded) == 2 * len([n for n in src if n.startswith("encoder.layer.0.")])
    for name, param in model.named_parameters():
        source_name = next((s for s, t in report.loaded if t == name), None)
        if source_name is not None:
            assert torch.equal(param, src[source_name]), name
        else:
            assert torch.equal(param, before[name]), f"{name} changed but was not selected"
    assert report.shape_mismatch == [] and report.unmatched == []


def test_reuse_from_a_directory_and_a_state_dict(tmp_path, tiny_bert_config):
    source = BertModel(tiny_bert_config)
    source.save_pretrained(tmp_path)
    for src in (str(tmp_path), source.state_dict()):
        model = _fresh_classifier(tiny_bert_config)
        report = reuse_layers(model, src, include=r"embeddings\.word_embeddings")
        assert report.loaded_names == ["encoder.model.embeddings.word_embeddings.weight"]
        assert torch.equal(model.encoder.model.embeddings.word_embeddings.weight, source.embeddings.word_embeddings.weight)


def test_reuse_refuses_pickle_files(tmp_path, tiny_bert_config):
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(b"not really")
    with pytest.raises(ValueError, match="safetensors"):
        reuse_layers(_fresh_classifier(tiny_bert_config), str(path), include="encoder")


def test_shape_mismatch_is_reported_and_not_loaded(tiny_bert_config):
    other = BertConfig(**{**tiny_bert_config.to_dict(), "intermediate_size": 41})
    source = BertModel(other)
    model = _fresh_classifier(tiny_bert_config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    report = reuse_layers(model, source, include=r"encoder\.layer\.0\.")
    mismatched = {t for _, t, _, _ in report.shape_mismatch}
    assert any("intermediate.dense.weight" in t for t in mismatched) and any("output.dense.weight" in t for t in mismatched)
    for name in mismatched:
        assert torch.equal(dict(model.named_parameters())[name], before[name])
    assert report.loaded and all(t not in mismatched for t in report.loaded_names)
    assert "shape mismatch" in str(report)


def test_pattern_that_loads_nothing_raises_naming_it(tiny_bert_config):
    model = _fresh_classifier(tiny_bert_config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with pytest.raises(ValueError, match=r"decoder.*layer.*loads nothing.*Some source names: \['embeddings"):
        reuse_layers(model, BertModel(tiny_bert_config), include=r"decoder\.layer")
    # all shapes wrong -> nothing copied, nothing half-copied
    wide = BertModel(BertConfig(**{**tiny_bert_config.to_dict(), "hidden_size": 48, "num_attention_heads": 2}))
    with pytest.raises(ValueError, match="wrong shape"):
        reuse_layers(model, wide, include=r"encoder\.layer\.0\.attention\.self\.query\.")
    assert all(torch.equal(p, before[n]) for n, p in model.named_parameters())


def test_rename_with_a_dict_and_a_callable(tiny_bert_config):
    source = BertModel(tiny_bert_config)
    model = _fresh_classifier(tiny_bert_config)
    # put source layer 0 into the model's layer 2
    report = reuse_layers(model, source, include=r"encoder\.layer\.0\.", rename={r"layer\.0\.": "layer.2."})
    assert all(".layer.2." in t for t in report.loaded_names)
    assert torch.equal(model.encoder.model.encoder.layer[2].output.dense.weight, source.encoder.layer[0].output.dense.weight)
    report = reuse_layers(model, source.state_dict(), include=r"encoder\.layer\.1\.output\.dense\.weight", rename=lambda n: n.replace("layer.1", "layer.0"))
    assert report.loaded_names == ["encoder.model.encoder.layer.0.output.dense.weight"]
    # our backbone has no pooler: the source's pooler matches nothing, which is reported in the error
    with pytest.raises(ValueError, match="matched no model parameter"):
        reuse_layers(model, source, include=r"^pooler\.")


def test_frozen_weights_stay_bitwise_unchanged_after_optimizer_steps(tiny_bert_config):
    model = _fresh_classifier(tiny_bert_config)
    frozen = freeze_lower_layers(model, 2)
    assert any("embeddings" in n for n in frozen) and any(".layer.1." in n for n in frozen)
    assert not any(".layer.2." in n for n in frozen)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2, weight_decay=0.1)
    for _ in range(3):
        out = model(input_ids=torch.randint(5, 99, (4, 6)), labels=torch.tensor([0, 1, 0, 1]))
        out.loss.backward()
        opt.step()
        opt.zero_grad()
    params = dict(model.named_parameters())
    for name in frozen:
        assert torch.equal(params[name], before[name]), name
        assert params[name].grad is None
    assert not torch.equal(params["encoder.model.encoder.layer.2.output.dense.weight"], before["encoder.model.encoder.layer.2.output.dense.weight"])
    names, count = trainable_parameters(model)
    assert set(names).isdisjoint(frozen) and count == sum(p.numel() for n, p in params.items() if n in names)


def test_freeze_and_unfreeze_by_pattern(tiny_bert_config):
    model = _fresh_classifier(tiny_bert_config)
    changed = freeze(model, r"classifier\.")
    assert changed == ["classifier.out_proj.weight", "classifier.out_proj.bias"]
    assert freeze(model, r"classifier\.") == []  # already frozen: nothing changed
    assert unfreeze(model, r"out_proj\.bias") == ["classifier.out_proj.bias"]
    with pytest.raises(ValueError, match=r"'nothing_here' matches no parameter"):
        freeze(model, "nothing_here")


@pytest.mark.parametrize(
    "model, list_name",
    [
        (BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=20)), "encoder.layer"),
        (RobertaModel(RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=20)), "encoder.layer"),
        (DistilBertModel(DistilBertConfig(vocab_size=50, dim=16, n_layers=3, n_heads=2, hidden_dim=20)), "transformer.layer"),
        (GPT2Model(GPT2Config(vocab_size=50, n_embd=16, n_layer=3, n_head=2)), "h"),
    ],
)
def test_freeze_lower_layers_is_generic(model, list_name):
    assert find_layers(model)[0] == list_name
    frozen = set(freeze_lower_layers(model, 2))
    for name, param in model.named_parameters():
        in_lower = name.startswith((f"{list_name}.0.", f"{list_name}.1."))
        if in_lower:
            assert not param.requires_grad and name in frozen
        if name.startswith(f"{list_name}.2."):
            assert param.requires_grad
    assert model.get_input_embeddings().weight.requires_grad is False


def test_freeze_lower_layers_errors():
    with pytest.raises(ValueError, match="no list of identical layers"):
        freeze_lower_layers(nn.Sequential(nn.Linear(2, 2)), 1)
    model = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=20))
    with pytest.raises(ValueError, match="between 0 and 3"):
        freeze_lower_layers(model, 4)


def test_layerwise_lr_groups(tiny_bert_config):
    model = _fresh_classifier(tiny_bert_config)
    freeze_lower_layers(model, 1)
    groups = layerwise_lr_groups(model, base_lr=1.0, decay=0.5, weight_decay=0.01)
    lr_of = {name: g["lr"] for g in groups for name in g["names"]}
    assert lr_of["encoder.model.encoder.layer.2.output.dense.weight"] == 0.5
    assert lr_of["encoder.model.encoder.layer.1.output.dense.weight"] == 0.25
    assert lr_of["classifier.out_proj.weight"] == 1.0
    assert not any("layer.0." in n or "embeddings" in n for n in lr_of)  # frozen: no optimizer state
    wd = {name: g["weight_decay"] for g in groups for name in g["names"]}
    assert wd["classifier.out_proj.bias"] == 0.0 and wd["classifier.out_proj.weight"] == 0.01
    torch.optim.AdamW([{k: v for k, v in g.items() if k != "names"} for g in groups])  # valid groups


def test_frozen_parameters_get_no_optimizer_state_under_trainer_and_accelerate(tmp_path, tiny_bert_config):
    from accelerate import Accelerator
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    model = _fresh_classifier(tiny_bert_config)
    frozen = set(freeze_lower_layers(model, 2))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    data = Dataset.from_dict({"input_ids": torch.randint(5, 99, (8, 6)).tolist(), "labels": [0, 1] * 4})
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=4, report_to=[], use_cpu=True, save_strategy="no", learning_rate=1e-2)
    trainer = Trainer(model=model, args=args, train_dataset=data)
    trainer.train()
    in_optimizer = {id(p) for g in trainer.optimizer.param_groups for p in g["params"]}
    params = dict(model.named_parameters())
    for name in frozen:
        assert id(params[name]) not in in_optimizer and torch.equal(params[name], before[name])
    assert all(id(params[n]) not in {id(p) for p in trainer.optimizer.state} for n in frozen)

    model = _fresh_classifier(tiny_bert_config)
    frozen = set(freeze_lower_layers(model, 2))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    accelerator = Accelerator(cpu=True)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)  # even when handed every parameter
    model, opt = accelerator.prepare(model, opt)
    for _ in range(2):
        loss = model(input_ids=torch.randint(5, 99, (4, 6)), labels=torch.tensor([0, 1, 0, 1])).loss
        accelerator.backward(loss)
        opt.step()
        opt.zero_grad()
    params = dict(accelerator.unwrap_model(model).named_parameters())
    for name in frozen:
        assert torch.equal(params[name], before[name]) and params[name] not in opt.optimizer.state


def test_reuse_from_a_hub_id_through_the_real_hub_code_offline(tmp_path, monkeypatch, tiny_bert_config):
    """A Hub id goes through huggingface_hub.snapshot_download; offline, it resolves from a cache
    laid out as the Hub client lays it out."""
    import huggingface_hub.constants as hub_constants

    source = BertModel(tiny_bert_config)
    commit = "0" * 40
    snapshot = tmp_path / "hub" / "models--some-org--tiny-bert" / "snapshots" / commit
    source.save_pretrained(snapshot)
    (tmp_path / "hub" / "models--some-org--tiny-bert" / "refs").mkdir(parents=True)
    (tmp_path / "hub" / "models--some-org--tiny-bert" / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = _fresh_classifier(tiny_bert_config)
    report = reuse_layers(model, "some-org/tiny-bert", include=r"encoder\.layer\.2\.")
    assert len(report.loaded) == 16
    assert torch.equal(model.encoder.model.encoder.layer[2].output.dense.weight, source.encoder.layer[2].output.dense.weight)


def test_head_lr_groups_split_pretrained_from_new_layers(tiny_bert_config):
    from transformers import AutoModel

    from hf_transfer.models.multilingual import AdversarialSharedPrivateForSequenceClassification
    from hf_transfer.reuse import freeze, head_lr_groups

    backbone = AutoModel.from_config(tiny_bert_config)
    model = AdversarialSharedPrivateForSequenceClassification.from_backbone(
        backbone, languages=["a", "b"], num_labels=3, feature_size=5, kernel_sizes=[1], num_filters=4
    )
    freeze(model, r"word_embeddings")
    groups = head_lr_groups(model, base_lr=5e-5, head_lr=1e-3, weight_decay=0.01)
    by_name = {n: g for g in groups for n in g["names"]}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(by_name) == trainable  # every trainable parameter once, frozen ones left out
    assert not any("word_embeddings" in n for n in by_name)
    for name, group in by_name.items():
        expected_lr = 5e-5 if name.startswith("shared_encoder.") else 1e-3
        assert group["lr"] == expected_lr, name
        assert group["weight_decay"] == (0.0 if name.endswith("bias") or "LayerNorm" in name else 0.01), name
    assert {g["lr"] for g in groups} == {5e-5, 1e-3}


def test_head_lr_optimizer_builds_adamw_with_both_rates(tiny_bert_config):
    from transformers import AutoModel

    from hf_transfer.models.multitask import SharedPrivateForIntentAndSlotFilling
    from hf_transfer.reuse import head_lr_optimizer

    model = SharedPrivateForIntentAndSlotFilling.from_backbone(
        AutoModel.from_config(tiny_bert_config), private_encoder_type="tower", num_filters=4, kernel_sizes=[1],
        id2label={0: "a", 1: "b"}, id2tag=["O", "B-x", "I-x"], classifier_hidden_size=8,
    )
    assert head_lr_optimizer(model, 5e-5, None) is None
    assert head_lr_optimizer(model, 5e-5, 5e-5) is None
    optimizer = head_lr_optimizer(model, 5e-5, 1e-3, weight_decay=0.01)
    assert isinstance(optimizer, torch.optim.AdamW)
    in_backbone = {id(p) for enc in model.backbone_encoders() for p in enc.parameters()}
    for group in optimizer.param_groups:
        assert "names" not in group
        assert {id(p) in in_backbone for p in group["params"]} == {group["lr"] == 5e-5}
    crf = {id(p) for p in model.crf.parameters()}
    assert all(g["lr"] == 1e-3 for g in optimizer.param_groups if any(id(p) in crf for p in g["params"]))
    assert sum(len(g["params"]) for g in optimizer.param_groups) == sum(1 for p in model.parameters() if p.requires_grad)
    with pytest.raises(ValueError, match="positive"):
        head_lr_optimizer(model, 5e-5, -1.0)
