"""Remote code: every family, saved with `save_remote_code`, loads with
`AutoModel*.from_pretrained(dir, trust_remote_code=True)` in a process where `hf_transfer`
cannot be imported, and gives outputs identical to the library's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from transformers import BertConfig

from hf_transfer.remote_code import REMOTE_CODE_FILE, bundle_source, save_remote_code


pytestmark = pytest.mark.usefixtures("one_thread")
TINY_BERT = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20, max_position_embeddings=32)


def _models():
    """(name, model, auto class name, inputs) for each family."""
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
    )

    torch.manual_seed(0)
    ids = torch.randint(1, 40, (2, 6))
    mask = torch.ones_like(ids)
    word_ids = torch.tensor([[-1, 0, 1, 2, 3, -1], [-1, 0, 0, 1, 2, -1]])
    bcnn = dict(encoder_type="bcnn", vocab_size=40, embedding_size=8, num_filters=4)
    tags = {0: "O", 1: "B-x", 2: "I-x"}
    out = [
        ("finetune", TransferForSequenceClassification(TransferConfig(encoder_type="backbone", backbone_config=BertConfig(**TINY_BERT), num_labels=3)),
         "AutoModelForSequenceClassification", {"input_ids": ids, "attention_mask": mask}, ["logits"]),
        ("multitask", SharedPrivateForIntentAndSlotFilling(SharedPrivateConfig(**bcnn, id2tag=tags, id2label={0: "a", 1: "b"}, classifier_hidden_size=None)),
         "AutoModel", {"input_ids": ids, "attention_mask": mask, "word_ids": word_ids}, ["intent_logits", "slot_logits", "tag_paths"]),
        ("multilingual", AdversarialSharedPrivateForSequenceClassification(AdversarialSharedPrivateConfig(**bcnn, num_labels=3, languages=["en", "de"], feature_size=8)),
         "AutoModelForSequenceClassification", {"input_ids": ids, "attention_mask": mask, "language_ids": torch.tensor([0, 1])}, ["logits", "language_logits"]),
        ("multilingual_token", AdversarialSharedPrivateForTokenClassification(AdversarialSharedPrivateConfig(**bcnn, num_labels=3, id2label=tags, label2id={v: k for k, v in tags.items()},
                                                                                                            languages=["en", "de"], feature_size=8, use_crf=True)),
         "AutoModelForTokenClassification", {"input_ids": ids, "attention_mask": mask, "word_ids": word_ids, "language_ids": torch.tensor([0, 1])}, ["logits", "tag_paths"]),
    ]
    for cls, config_cls in ((PrototypicalNetwork, PrototypicalNetworkConfig), (MatchingNetwork, MatchingNetworkConfig), (RelationNetwork, RelationNetworkConfig)):
        model = cls(config_cls(**bcnn))
        with torch.no_grad():
            model.fit_support_embeddings(model.encode(ids, mask), ["a", "b"])
        out.append((cls.__name__, model, "AutoModel", {"input_ids": ids, "attention_mask": mask}, ["embeddings"]))
    return out


LOADER = textwrap.dedent("""
    import json, sys
    sys.modules["hf_transfer"] = None  # the library cannot be imported here
    import torch, transformers
    torch.set_num_threads(1)  # as the library side (one_thread): identical reductions
    cases = json.loads(open(sys.argv[1]).read())
    for case in cases:
        auto = getattr(transformers, case["auto"])
        model = auto.from_pretrained(case["dir"], trust_remote_code=True).eval()
        inputs = torch.load(case["dir"] + "/inputs.pt")
        with torch.no_grad():
            if case["name"][0].isupper():  # few-shot: sentence embeddings and stored-support scores
                emb = model.encode(inputs["input_ids"], inputs["attention_mask"])
                out = {"embeddings": emb, "stored": model.stored_logits(emb)}
            else:
                out = model(**inputs)
        torch.save({k: out[k] for k in case["keys"] + (["stored"] if case["name"][0].isupper() else [])}, case["dir"] + "/remote.pt")
        print(case["name"], type(model).__module__.split(".")[0])
""")


@pytest.mark.slow
def test_every_family_loads_without_the_library(tmp_path):
    cases = []
    for name, model, auto, inputs, keys in _models():
        model.eval()
        directory = tmp_path / name
        model.save_pretrained(directory)
        path = save_remote_code(model, directory)
        assert path.name == REMOTE_CODE_FILE
        config = json.loads((directory / "config.json").read_text())
        assert auto in config["auto_map"] and "AutoConfig" in config["auto_map"]
        heads = {"AutoModelForSequenceClassification", "AutoModelForTokenClassification"} & set(config["auto_map"])
        assert heads <= {auto}, f"{name}: auto_map names another head too: {heads}"
        torch.save(inputs, directory / "inputs.pt")
        with torch.no_grad():
            if name[0].isupper():
                emb = model.encode(inputs["input_ids"], inputs["attention_mask"])
                ref = {"embeddings": emb, "stored": model.stored_logits(emb)}
            else:
                ref = model(**inputs)
        torch.save({k: ref[k] for k in keys + (["stored"] if name[0].isupper() else [])}, directory / "library.pt")
        cases.append({"name": name, "dir": str(directory), "auto": auto, "keys": keys})
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", LOADER, str(tmp_path / "cases.json")], cwd=tmp_path, env={**env, "HF_HUB_OFFLINE": "1"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert all(line.split()[1] == "transformers_modules" for line in proc.stdout.split("\n") if line.strip())
    for case in cases:
        ref = torch.load(Path(case["dir"]) / "library.pt")
        got = torch.load(Path(case["dir"]) / "remote.pt")
        for key, value in ref.items():
            assert torch.equal(value, got[key]), f"{case['name']}: {key} differs"


def test_the_bundle_is_generated_from_the_library_and_names_its_sources():
    from hf_transfer import SharedPrivateForIntentAndSlotFilling

    source = bundle_source(SharedPrivateForIntentAndSlotFilling, SharedPrivateForIntentAndSlotFilling.config_class)
    compile(source, REMOTE_CODE_FILE, "exec")
    assert "# -------------------- from hf_transfer.models.multitask.modeling_multitask" in source
    assert "# -------------------- from hf_transfer.layers.crf" in source
    assert "\nfrom ." not in source and "\nfrom hf_transfer" not in source, "no top-level import of the library remains"
    assert "class CRF(" in source and "class SharedPrivateConfig(" in source


def test_the_bundle_carries_the_pipelines_of_the_model(tmp_path):
    """`save_remote_code` bundles the pipeline classes of the tasks a model serves and names them in
    `custom_pipelines` (test_pipelines.py loads them without the library)."""
    expected = {
        "multitask": ("joint-intent-slot", "JointIntentSlotPipeline", "AutoModel"),
        "multilingual_token": ("word-tagging", "WordTaggingPipeline", "AutoModelForTokenClassification"),
        "PrototypicalNetwork": ("few-shot-classification", "FewShotClassificationPipeline", "AutoModel"),
        "MatchingNetwork": ("few-shot-classification", "FewShotClassificationPipeline", "AutoModel"),
        "RelationNetwork": ("few-shot-classification", "FewShotClassificationPipeline", "AutoModel"),
    }
    for name, model, auto, _, _ in _models():
        directory = tmp_path / name
        directory.mkdir()
        model.config.save_pretrained(directory)
        config = json.loads((directory / "config.json").read_text())
        config["custom_pipelines"] = {"stale": {"impl": "old.Pipeline", "pt": ["AutoModel"]}}
        (directory / "config.json").write_text(json.dumps(config))
        save_remote_code(model, directory)
        config = json.loads((directory / "config.json").read_text())
        source = (directory / REMOTE_CODE_FILE).read_text()
        compile(source, REMOTE_CODE_FILE, "exec")
        if name in expected:
            task, cls, pt = expected[name]
            assert config["custom_pipelines"] == {task: {"impl": f"{REMOTE_CODE_FILE[:-3]}.{cls}", "pt": [pt], "type": "text"}}
            assert pt in config["auto_map"] and f"\nclass {cls}(" in source and "\nclass TextPipeline(Pipeline):" in source
        else:  # the sequence classifiers: transformers' own text-classification
            assert "custom_pipelines" not in config and "class TextPipeline(" not in source, name
