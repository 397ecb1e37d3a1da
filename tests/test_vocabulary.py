"""One vocabulary across the families, and the old names that still load: old `config.json` files,
old keyword arguments and attribute reads, old output names, and checkpoints whose parameter
names the shared parts (`PrivateEncoder`, `AdversarialSharedPrivateModel`) kept."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, BertConfig

from hf_transfer.configuration_utils import TransferConfig
from hf_transfer.models.fewshot import PrototypicalNetworkConfig
from hf_transfer.models.multilingual import (
    AdversarialSharedPrivateConfig,
    AdversarialSharedPrivateForSequenceClassification,
    AdversarialSharedPrivateForTokenClassification,
    AdversarialSharedPrivateModel,
)
from hf_transfer.models.multitask import SharedPrivateConfig, SharedPrivateForIntentAndSlotFilling


BCNN = {"vocab_size": 20, "embedding_size": 4, "kernel_sizes": [1, 2], "num_filters": 3}


def tiny_bert():
    return BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8, max_position_embeddings=16)


def write_config(tmp_path, config: dict):
    (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


# ------------------------------------------------------------------ old config files


def test_old_multitask_config_json_loads_into_the_new_names(tmp_path):
    # as `SharedPrivateConfig.save_pretrained` wrote it before the shared vocabulary: the heads used
    # `head_*`, and the inherited `classifier_*` were saved beside them unused
    old = {
        "model_type": "hf_transfer_shared_private", "encoder_type": "bcnn", "vocab_size": 20, "embedding_dim": 16,
        "kernel_sizes": [1, 2], "num_filters": 3, "id2tag": {"0": "O", "1": "B-x"}, "id2label": {"0": "a", "1": "b"},
        "private_encoder": "bcnn_tower", "head_hidden_size": 24, "head_dropout": 0.0,
        "classifier_hidden_size": None, "classifier_dropout": 0.1,
    }
    config = SharedPrivateConfig.from_pretrained(write_config(tmp_path, old))
    assert (config.private_encoder_type, config.classifier_hidden_size, config.classifier_dropout, config.embedding_size) == ("tower", 24, 0.0, 16)
    # the old names still read (and `private_encoder` with its old values)
    assert (config.private_encoder, config.head_hidden_size, config.head_dropout, config.embedding_dim) == ("bcnn_tower", 24, 0.0, 16)
    assert SharedPrivateConfig.from_pretrained(tmp_path, head_dropout=0.2).classifier_dropout == 0.2
    # saved again, only the new names are written
    config.save_pretrained(tmp_path / "new")
    saved = json.loads((tmp_path / "new" / "config.json").read_text())
    assert {"private_encoder_type", "classifier_hidden_size", "classifier_dropout", "embedding_size"} <= set(saved)
    assert not {"private_encoder", "head_hidden_size", "head_dropout", "embedding_dim"} & set(saved)
    assert SharedPrivateForIntentAndSlotFilling(config).intent_head.dense.out_features == 24
    old["private_encoder"] = "full"
    assert SharedPrivateConfig.from_pretrained(write_config(tmp_path, old)).private_encoder_type == "copy"


def test_old_keyword_arguments():
    config = SharedPrivateConfig(id2tag=["O", "B-x"], private_encoder="full", head_hidden_size=8, head_dropout=0.3, embedding_dim=6)
    assert (config.private_encoder_type, config.classifier_hidden_size, config.classifier_dropout, config.embedding_size) == ("copy", 8, 0.3, 6)
    config.private_encoder = "bcnn_tower"  # old attribute, old value
    assert config.private_encoder_type == "tower"
    with pytest.raises(ValueError, match="private_encoder_type must be one of"):
        config.private_encoder = "lstm"
    assert TransferConfig(embedding_dim=7).embedding_size == 7
    assert AdversarialSharedPrivateConfig(languages=["a", "b"], embedding_dim=5).embedding_size == 5
    assert PrototypicalNetworkConfig(max_seq_length=40).max_length == 40


def test_old_fewshot_config_json_and_the_token_budget(tmp_path):
    old = {"model_type": "hf_transfer_protonet", "vocab_size": 20, "embedding_dim": 4, "kernel_sizes": [1], "num_filters": 3,
           "max_seq_length": 48, "projection_size": 5, "classifier_hidden_size": None, "classifier_dropout": 0.1}
    config = PrototypicalNetworkConfig.from_pretrained(write_config(tmp_path, old))
    assert (config.max_length, config.max_seq_length, config.embedding_size) == (48, 48, 4)
    # the sentence width the comparison works on has its own name; `embedding_size` is the token width
    assert config.sentence_embedding_size == 5 and PrototypicalNetworkConfig(**BCNN).sentence_embedding_size == 6
    assert not hasattr(config, "classifier_dropout") and not hasattr(config, "classifier_hidden_size")  # no head
    # `max_length` is this config's token budget, not a misplaced generation setting: it saves and reloads
    config.save_pretrained(tmp_path / "new")
    saved = json.loads((tmp_path / "new" / "config.json").read_text())
    assert saved["max_length"] == 48 and "max_seq_length" not in saved and "classifier_dropout" not in saved
    assert PrototypicalNetworkConfig.from_pretrained(tmp_path / "new").max_length == 48


# ------------------------------------------------------------------ old output and method names


def test_multitask_old_output_and_method_names():
    model = SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(id2tag=["O", "B-x", "I-x"], id2label={0: "a", 1: "b"}, **BCNN)).eval()
    ids = torch.tensor([[3, 4, 5], [6, 7, 0]])
    out = model(input_ids=ids)
    assert out.tag_paths is not None and out.slot_paths is out.tag_paths
    model.train()
    assert model(input_ids=ids, return_slot_paths=True).tag_paths is not None
    assert model(input_ids=ids).tag_paths is None
    logits, mask = torch.randn(2, 3, 3), torch.ones(2, 3, dtype=torch.bool)
    assert torch.equal(model.decode_slots(logits, mask), model.decode_tags(logits, mask))


def test_both_taggers_decode_with_decode_tags():
    tags = {0: "O", 1: "B-x", 2: "I-x"}
    tagger = AdversarialSharedPrivateForTokenClassification(AdversarialSharedPrivateConfig(languages=["a", "b"], feature_size=4, id2label=tags, **BCNN)).eval()
    out = tagger(input_ids=torch.tensor([[3, 4, 5]]), language_ids=torch.tensor([0]), return_tag_paths=True)
    torch.testing.assert_close(out.tag_paths, tagger.decode_tags(out.logits, torch.ones(1, 3, dtype=torch.bool)))


# ------------------------------------------------------------------ checkpoints


def _names(model) -> list[str]:
    """Parameter names, a transformer copy's own weights folded into `<prefix>.model.*`."""
    keys = [k for k in model.state_dict() if not k.startswith("shared_encoder.")]
    return sorted({k.split(".model.")[0] + ".model.*" if ".model." in k else k for k in keys})


def test_parameter_names_are_those_of_saved_models():
    """The names the models had before `PrivateEncoder` and `AdversarialSharedPrivateModel`
    (recorded from that code), so checkpoints saved then load with nothing missing."""
    bert = {"encoder_type": "backbone", "backbone_config": tiny_bert()}
    tower = [f"{p}.tower.convs.{i}.{w}" for p in ("intent_encoder", "slot_encoder") for i in (0, 1) for w in ("bias", "weight")]
    heads = [f"{h}.{layer}.{w}" for h in ("intent_head", "slot_head") for layer in ("dense", "out_proj") for w in ("bias", "weight")]
    crf = ["crf.end_transitions", "crf.start_transitions", "crf.transitions"]
    mt = SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(id2tag=["O", "B-x"], id2label={0: "a", 1: "b"}, **BCNN))
    assert _names(mt) == sorted(crf + tower + heads)
    mt_copy = SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(id2tag=["O", "B-x"], id2label={0: "a", 1: "b"}, **bert))
    assert _names(mt_copy) == sorted(crf + heads + ["intent_encoder.model.*", "slot_encoder.model.*"])
    disc = [f"discriminator.{layer}.{w}" for layer in ("dense", "out_proj") for w in ("bias", "weight")]
    common = ["classifier.out_proj.bias", "classifier.out_proj.weight", "shared_fc.0.bias", "shared_fc.0.weight"] + disc
    seq = AdversarialSharedPrivateForSequenceClassification(AdversarialSharedPrivateConfig(languages=["a", "b"], private_encoders="per_language", feature_size=4, **BCNN))
    private = [f"private.{k}.{w}" for k in (0, 1) for w in ("fc.0.bias", "fc.0.weight", "tower.convs.0.bias", "tower.convs.0.weight", "tower.convs.1.bias", "tower.convs.1.weight")]
    assert _names(seq) == sorted(common + private)
    tok = AdversarialSharedPrivateForTokenClassification(
        AdversarialSharedPrivateConfig(languages=["a", "b"], private_encoder_type="copy", feature_size=4, id2label={0: "O", 1: "B-x"}, **bert)
    )
    assert _names(tok) == sorted(common + crf + ["private.0.encoder.model.*", "private.0.fc.0.bias", "private.0.fc.0.weight"])


def test_a_checkpoint_with_an_old_config_loads_and_predicts_the_same(tmp_path):
    model = SharedPrivateForIntentAndSlotFilling(
        SharedPrivateConfig(id2tag=["O", "B-x"], id2label={0: "a", 1: "b"}, private_encoder_type="tower", classifier_hidden_size=6, **BCNN)
    ).eval()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())  # rewrite it as the old code wrote it
    config["private_encoder"] = {"tower": "bcnn_tower", "copy": "full"}[config.pop("private_encoder_type")]
    config["head_hidden_size"], config["head_dropout"] = config["classifier_hidden_size"], config["classifier_dropout"]
    config["classifier_hidden_size"], config["embedding_dim"] = None, config.pop("embedding_size")
    write_config(tmp_path, config)
    loaded, info = SharedPrivateForIntentAndSlotFilling.from_pretrained(tmp_path, output_loading_info=True)
    assert not any(info.values()), info
    ids = torch.tensor([[3, 4, 5], [6, 7, 0]])
    with torch.no_grad():
        a, b = model(input_ids=ids), loaded.eval()(input_ids=ids)
    torch.testing.assert_close(a.intent_logits, b.intent_logits, rtol=0, atol=0)
    assert torch.equal(a.tag_paths, b.tag_paths)


# ------------------------------------------------------------------ the bare multilingual model


def test_bare_multilingual_model_under_both_heads(tmp_path):
    config = AdversarialSharedPrivateConfig(languages=["a", "b"], feature_size=4, num_labels=2, **BCNN)
    head = AdversarialSharedPrivateForSequenceClassification(config).eval()
    assert isinstance(head, AdversarialSharedPrivateModel)
    ids, langs = torch.tensor([[3, 4, 5], [6, 7, 0]]), torch.tensor([0, 1])
    with torch.no_grad():
        out = head(input_ids=ids, language_ids=langs, labels=torch.tensor([0, 1]))
        bare = head.encode(ids, language_ids=langs)
        torch.testing.assert_close(head.classifier(bare.last_hidden_state), out.logits)
        full = AdversarialSharedPrivateModel.forward(head, ids, language_ids=langs)
    assert full.last_hidden_state.shape == (2, 8) and torch.equal(full.shared_features, out.shared_features)
    torch.testing.assert_close(full.adversarial_loss, out.adversarial_loss)
    torch.testing.assert_close(full.difference_loss, out.difference_loss)
    # a head's checkpoint loads into the bare model (its head weights are left out)
    head.save_pretrained(tmp_path)
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(loaded) is AdversarialSharedPrivateModel and not hasattr(loaded, "classifier")
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=ids, language_ids=langs).shared_features, out.shared_features)
        words = loaded(input_ids=ids, language_ids=langs, word_level=True)
    assert words.last_hidden_state.shape == (2, 3, 8) and words.mask.tolist() == [[True] * 3, [True, True, False]]
    assert type(AutoModelForSequenceClassification.from_pretrained(tmp_path)) is AdversarialSharedPrivateForSequenceClassification


# ------------------------------------------------------------------ the shared bases


def test_shared_bases_live_in_the_package_root_and_are_re_exported():
    import hf_transfer
    from hf_transfer import configuration_utils, modeling_utils
    from hf_transfer.models import transfer

    assert transfer.TransferConfig is configuration_utils.TransferConfig is hf_transfer.TransferConfig
    assert transfer.TransferPreTrainedModel is modeling_utils.TransferPreTrainedModel
    assert transfer.build_encoder is modeling_utils.build_encoder
    # no import cycle: each base imports on its own, first
    for module in ("hf_transfer.configuration_utils", "hf_transfer.modeling_utils", "hf_transfer.encoders.private"):
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
