"""The `hf-transfer` command line: train, evaluate and predict with every family on tiny data,
`--config` files, `--help`, and one-line errors for bad flags and files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hf_transfer.cli import main


pytestmark = pytest.mark.usefixtures("one_thread")
QUIET = ["--report_to", "none", "--disable_tqdm", "True", "--seed", "0"]

#: family -> (train flags, evaluation data set, texts to predict, what one prediction holds)
CASES = {
    "finetune": (["--smoke", "--per_device_train_batch_size", "8"], "sample", ["wake me up at seven", "play some jazz"], {"label", "score"}),
    "multitask": (["--dataset", "snips", "--encoder_type", "bcnn", "--smoke"], "snips", ["book a table at noon"], {"intent", "score", "slots"}),
    "fewshot": (["--encoder_type", "bcnn", "--smoke"], "clinc150", ["how do i reset my pin", "what is the weather"], {"label", "score"}),
    "multilingual": (["--smoke", "--projection", "none"], "seed", ["hola", "привет"], {"label", "score"}),
    "multilingual_slots": (["--smoke", "--projection", "none", "--dataset", "xsid", "--task", "slots", "--train_languages", "en,de",
                            "--test_languages", "en"], "xsid", ["wake me up at 7 am"], {"tokens", "tags"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_train_evaluate_predict(case, tmp_path, capsys, shared_data, minilm_path):
    flags, dataset, texts, keys = CASES[case]
    family = case.split("_")[0]
    out = tmp_path / "model"
    assert main(["train", family, *flags, *QUIET, "--output_dir", str(out)]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained and all(isinstance(v, (int, float, str, type(None))) for v in trained.values() if not isinstance(v, dict))
    assert (out / "model.safetensors").is_file() and (out / "README.md").is_file() and (out / "all_results.json").is_file()

    assert main(["evaluate", str(out), "--dataset", dataset, "--max_samples", "40"]) == 0
    scores = json.loads(capsys.readouterr().out)
    name = "test_slot_f1" if case in ("multitask", "multilingual_slots") else "test_accuracy"
    assert 0.0 <= scores[name] <= 100.0

    text_file = tmp_path / "texts.txt"
    text_file.write_text("\n".join(texts) + "\n\n", encoding="utf-8")
    assert main(["predict", str(out), "--file", str(text_file)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["text"] for line in lines] == texts, "one JSON line per non-empty input line, in order"
    for line in lines:
        assert keys <= set(line)
        if "score" in line and line["score"] is not None:
            assert 0.0 <= line["score"] <= 1.0


@pytest.mark.slow
def test_config_file_and_flags_override_it(tmp_path, capsys, shared_data):
    config = tmp_path / "run.yaml"
    config.write_text("dataset: snips\nencoder_type: bcnn\nsmoke: true\nmax_steps: 2\nreport_to: none\nseed: 1\n")
    out = tmp_path / "m"
    assert main(["train", "multitask", "--config", str(config), "--output_dir", str(out), "--max_steps", "3", "--disable_tqdm", "True"]) == 0
    capsys.readouterr()
    saved = json.loads((out / "training_args.json").read_text())
    assert saved["max_steps"] == 3, "the command line wins over the file"
    assert saved["seed"] == 1, "the file's values are used"
    json_config = tmp_path / "run.json"
    json_config.write_text(json.dumps({"dataset": "snips", "encoder_type": "bcnn", "smoke": True, "report_to": "none", "overwrite_output_dir": True}))
    assert main(["train", "multitask", "--config", str(json_config), "--output_dir", str(out), "--disable_tqdm", "True"]) == 0


@pytest.mark.parametrize("argv, expected", [
    (["train", "multitask", "--config", "/nonexistent/run.yaml", "--output_dir", "x"], "/nonexistent/run.yaml"),
    (["train", "multitask", "--encoder_type", "lstm", "--smoke", "--output_dir", "{tmp}/o"], "encoder_type"),
    (["train", "nosuchfamily"], "nosuchfamily"),
    (["predict", "{tmp}/no_model"], "no_model"),
    (["evaluate", "{tmp}/no_model", "--dataset", "snips"], "no_model"),
])
def test_errors_are_one_line(argv, expected, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) if argv[:2] == ["train", "nosuchfamily"] else _no_raise():
        assert main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert expected in err and "Traceback" not in err
    assert len(err.splitlines()) <= 2  # argparse: usage line + error line


def test_bad_config_file_names_the_file_and_key(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"dataset": "snips", "no_such_flag": 1}')
    assert main(["train", "multitask", "--config", str(bad), "--output_dir", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "no_such_flag" in err and str(bad) in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"dataset": ')
    assert main(["train", "multitask", "--config", str(broken), "--output_dir", str(tmp_path / "o")]) == 1
    assert "not valid JSON" in capsys.readouterr().err


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_help_lists_each_family_and_its_flags():
    root = Path(__file__).resolve().parents[1]
    top = subprocess.run([sys.executable, "-m", "hf_transfer", "train", "--help"], capture_output=True, text=True, cwd=root)
    assert top.returncode == 0 and all(f in top.stdout for f in ("finetune", "multitask", "fewshot", "multilingual"))
    fam = subprocess.run([sys.executable, "-m", "hf_transfer", "train", "fewshot", "--help"], capture_output=True, text=True, cwd=root)
    assert fam.returncode == 0
    for flag in ("--method", "--train_n_way", "--learning_rate", "--resume_from_checkpoint", "--overwrite_output_dir", "--config", "--smoke"):
        assert flag in fam.stdout
