"""Integration tests on the real offline all-MiniLM-L6-v2 (slow)."""

import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from hf_transfer import (
    TransferConfig,
    TransferForSequenceClassification,
    TransferModel,
    freeze_lower_layers,
    reuse_layers,
)


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm(minilm_path):
    return AutoModel.from_pretrained(minilm_path).eval(), AutoTokenizer.from_pretrained(minilm_path)


def test_from_backbone_gives_minilm_sentence_embeddings(minilm, minilm_path):
    backbone, tokenizer = minilm
    model = TransferModel.from_backbone(str(minilm_path)).eval()
    batch = tokenizer(["book a flight to paris", "play some jazz"], padding=True, return_tensors="pt")
    with torch.no_grad():
        ours = model(**batch).pooler_output
        hidden = backbone(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    reference = (hidden * mask).sum(1) / mask.sum(1)
    assert torch.allclose(ours, reference, atol=1e-5)
    sim = torch.nn.functional.cosine_similarity(ours[0], ours[1], dim=0)
    assert sim < 0.5  # unrelated sentences, a real embedding model


def test_lowest_three_layers_into_a_fresh_six_layer_model(minilm):
    backbone, _ = minilm
    config = TransferConfig(encoder_type="backbone", backbone_config=backbone.config, num_labels=7)
    model = TransferForSequenceClassification(config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    report = reuse_layers(model, backbone, include=r"^(embeddings|encoder\.layer\.[0-2])\.")
    src = backbone.state_dict()
    assert len(report.loaded) == 5 + 3 * 16 and not report.shape_mismatch
    loaded = {t: s for s, t in report.loaded}
    for name, param in model.named_parameters():
        if name in loaded:
            assert torch.equal(param, src[loaded[name]])
        else:
            assert torch.equal(param, before[name]), name
    assert not torch.equal(model.encoder.model.encoder.layer[3].output.dense.weight, backbone.encoder.layer[3].output.dense.weight)


def test_frozen_minilm_layers_unchanged_and_round_trip(tmp_path, minilm, minilm_path):
    _, tokenizer = minilm
    model = TransferForSequenceClassification.from_backbone(str(minilm_path), num_labels=2)
    frozen = freeze_lower_layers(model, 4)
    assert len(frozen) == 5 + 4 * 16
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    batch = tokenizer(["wake me up at seven", "what is the weather"], padding=True, return_tensors="pt")
    for _ in range(2):
        model(**batch, labels=torch.tensor([0, 1])).loss.backward()
        opt.step()
        opt.zero_grad()
    params = dict(model.named_parameters())
    assert all(torch.equal(params[n], before[n]) for n in frozen)
    assert not torch.equal(params["encoder.model.encoder.layer.5.output.dense.weight"], before["encoder.model.encoder.layer.5.output.dense.weight"])
    model.eval().save_pretrained(tmp_path)
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, loaded(**batch).logits)
