import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard

from hf_transfer.cards import find_template, render_model_card, template_dirs, usage_code, write_model_card
from hf_transfer.data.sample import load_sample, sample_records


ROOT = Path(__file__).resolve().parents[1]


def test_model_card_carries_the_metrics_given(tmp_path):
    path = write_model_card(tmp_path, model_name="m", family="multitask", task="token-classification", metrics={"slot_f1": 95.123456},
                            dataset="snips", base_model="org/minilm", training={"epochs": 3, "learning_rate": 5e-05})
    text = path.read_text()
    meta = yaml.safe_load(text.split("---")[1])
    result = meta["model-index"][0]["results"][0]
    assert result["metrics"][0] == {"type": "f1", "value": 95.1235, "name": "slot_f1"}
    assert result["task"]["type"] == "token-classification" and result["dataset"] == {"name": "SNIPS (JointBERT split)", "type": "snips", "split": "test"}
    assert meta["base_model"] == "org/minilm" and "hf_transfer" in meta["tags"] and meta["library_name"] == "transformers"
    assert meta["language"] == ["en"] and meta["license"] == "other" and "datasets" not in meta and "pipeline_tag" not in meta
    assert "| slot_f1 | 95.1235 |" in text and "| epochs | 3 |" in text and "| learning_rate | 5e-05 |" in text
    assert ModelCard(text).data.eval_results[0].metric_value == 95.1235
    assert not list(tmp_path.glob("*.tmp"))


def test_model_card_never_writes_a_local_path(tmp_path, minilm_path):
    text = render_model_card(model_name="m", family="f", task="text-classification", metrics={"accuracy": 1.0}, dataset="sample",
                             base_model=str(tmp_path))
    assert str(tmp_path) not in text and "base_model" not in yaml.safe_load(text.split("---")[1])
    text = render_model_card(model_name="m", family="f", task="text-classification", metrics={"accuracy": 1.0}, dataset="sample",
                             base_model=str(minilm_path))
    assert str(minilm_path) not in text and yaml.safe_load(text.split("---")[1])["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_model_card_template_text_and_unknown_placeholders():
    text = render_model_card(model_name="x", family="f", task="t", metrics={}, dataset="d", template="# {model_name} on {dataset} {not_a_field}\n")
    assert "# x on d {not_a_field}" in text and "_none recorded_" not in text


@pytest.mark.parametrize("path", sorted((ROOT / "model_cards").glob("*.md")), ids=lambda p: p.name)
def test_named_template_is_found_and_rendered(path):
    assert Path(find_template(path.name)).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    text = render_model_card(model_name="named", family="f", task="t", metrics={"accuracy": 91.234}, dataset="d", template=path.name)
    body = text.split("---\n", 2)[2]
    assert body.startswith("\n# named\n") and "| accuracy | 91.234 |" in text
    assert "## How to use" in body and "## License" in body and usage_code(text), "every template shows how to load the model"
    own = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and "{" not in line and "}" not in line]
    assert own and all(line in body for line in own)


@pytest.mark.parametrize("name", ["no-such-template.md", "multitask"])
def test_unknown_template_name_raises_naming_it_and_the_places_looked(tmp_path, name):
    with pytest.raises(FileNotFoundError) as info:
        write_model_card(tmp_path, model_name="m", family="f", task="t", metrics={"a": 1.0}, dataset="d", template=name)
    message = str(info.value)
    assert repr(name) in message
    assert all(str(directory / name) in message for directory in template_dirs()) and str(ROOT / "model_cards" / name) in message
    assert not (tmp_path / "README.md").exists()


def test_embedded_sample_is_deterministic_and_well_formed(tmp_path):
    assert sample_records() == sample_records()
    data = load_sample(tmp_path)
    assert set(data) == {"train", "validation", "test"}
    assert len(data["train"]) == 150 and len(data["test"]) == 40
    row = data["train"][0]
    assert len(row["tokens"]) == len(row["tags"])
    assert data["train"].features["intent"].num_classes == 5


@pytest.mark.slow
def test_run_finetune_example_end_to_end(tmp_path, minilm_path):
    out = tmp_path / "run"
    cmd = [sys.executable, str(ROOT / "examples" / "run_finetune.py"), "--output_dir", str(out), "--max_train_samples", "32", "--max_eval_samples", "16",
           "--num_train_epochs", "1", "--per_device_train_batch_size", "16", "--disable_tqdm", "true", "--modes", "freeze_lower,reuse_lower", "--reuse_layers", "2"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    results = json.loads((out / "results.json").read_text())
    assert set(results) == {"freeze_lower", "reuse_lower"}
    assert results["reuse_lower"]["reused_tensors"] == 5 + 2 * 16
    assert results["freeze_lower"]["trainable_parameters"] < results["reuse_lower"]["trainable_parameters"]
    card = (out / "freeze_lower" / "README.md").read_text()
    assert f"| accuracy | {round(results['freeze_lower']['test_accuracy'], 4)!r} |" in card
    from transformers import AutoModelForSequenceClassification

    import hf_transfer  # noqa: F401

    assert type(AutoModelForSequenceClassification.from_pretrained(out / "reuse_lower")).__name__ == "TransferForSequenceClassification"
