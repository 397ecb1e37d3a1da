"""Publishing on the Hub, with the upload recorded instead of sent (`HfApi.create_repo` /
`upload_folder` / `create_commit` patched): per family, a smoke run's save uploads exactly the
config, safetensors, tokenizer files and the library's card; the card parses back with
`huggingface_hub` and its `model-index` holds exactly the figures the run returned; no uploaded
file holds a local path; the card's "How to use" snippet runs as written against the saved model;
`model.push_to_hub`, `hf-transfer push` and `--push_to_hub` take the same path."""

from __future__ import annotations

import concurrent.futures
import fnmatch
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from huggingface_hub import HfApi, ModelCard

from hf_transfer import hub, hub_ids
from hf_transfer.cards import render_model_card, retarget_card, usage_code
from hf_transfer.cli import main, parse_train_args


pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = Path(__file__).resolve().parents[1]
QUIET = ["--report_to", "none", "--disable_tqdm", "True", "--seed", "0"]
REPO = "someone/some-model"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
EXPECTED_FILES = {"README.md", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modeling_hf_transfer.py"}


# ------------------------------------------------------------------------------ the recorder

class Recorder:
    """Stands in for the Hub: records `create_repo` and the files `upload_folder` was given; with
    `repo_dir`, also keeps the repository's files there as the Hub would (`repo_dir/<repo_id>/`:
    the files of each upload copied in, after deleting those its `delete_patterns` name), so
    that tests can load the model from exactly what was uploaded."""

    def __init__(self, repo_dir: Path | None = None):
        self.repos, self.uploads, self.commits = [], [], []
        self.repo_dir = Path(repo_dir) if repo_dir is not None else None

    def folder(self, repo_id: str) -> Path:
        """Where the recorded repository `repo_id` lies (needs `repo_dir`)."""
        assert self.repo_dir is not None, "Recorder(repo_dir=...) keeps the uploaded files"
        return self.repo_dir.joinpath(*repo_id.split("/"))

    def create_repo(self, api, repo_id, *args, **kwargs):
        self.repos.append((repo_id, kwargs))
        return types.SimpleNamespace(repo_id=repo_id if "/" in repo_id else f"me/{repo_id}", url=f"https://huggingface.co/{repo_id}")

    def upload_folder(self, api, *, folder_path, repo_id, **kwargs):
        files = {p.relative_to(folder_path).as_posix(): p.read_bytes() for p in Path(folder_path).rglob("*") if p.is_file()}
        self.uploads.append({"repo_id": repo_id, "files": files, **kwargs})
        if self.repo_dir is not None:
            repo = self.folder(repo_id)
            repo.mkdir(parents=True, exist_ok=True)
            for old in [p for p in repo.rglob("*") if p.is_file()]:
                if any(fnmatch.fnmatchcase(old.relative_to(repo).as_posix(), pat) for pat in kwargs.get("delete_patterns") or ()):
                    old.unlink()
            for name, data in files.items():
                (repo / name).parent.mkdir(parents=True, exist_ok=True)
                (repo / name).write_bytes(data)
        info = types.SimpleNamespace(commit_url=f"https://huggingface.co/{repo_id}/commit/0", oid="0")
        if kwargs.get("run_as_future"):  # the Trainer's own checkpoint pushes
            future = concurrent.futures.Future()
            future.set_result(info)
            return future
        return info

    def create_commit(self, api, repo_id, operations, *args, **kwargs):
        self.commits.append((repo_id, [getattr(op, "path_in_repo", None) for op in operations]))
        return types.SimpleNamespace(commit_url=f"https://huggingface.co/{repo_id}/commit/1", oid="1")

    @property
    def last(self) -> dict:
        assert self.uploads, "nothing was uploaded"
        return self.uploads[-1]


def record_uploads(monkeypatch, rec: Recorder) -> Recorder:
    """Patch `HfApi` so that `rec` stands in for the Hub (and nothing goes online)."""
    monkeypatch.setattr(HfApi, "create_repo", lambda api, repo_id, *a, **k: rec.create_repo(api, repo_id, *a, **k))
    monkeypatch.setattr(HfApi, "upload_folder", lambda api, **k: rec.upload_folder(api, **k))
    monkeypatch.setattr(HfApi, "create_commit", lambda api, repo_id, operations, *a, **k: rec.create_commit(api, repo_id, operations, *a, **k))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return rec


@pytest.fixture
def recorder(monkeypatch):
    return record_uploads(monkeypatch, Recorder())


# ------------------------------------------------------------------------------ the runs

def _card_metrics(name: str, returned: dict) -> dict:
    """What each family's card must hold: the run's own figures (rounded to 4 decimals), selected as documented."""
    if name == "finetune":
        picked = {"accuracy": returned["test_accuracy"]}
    elif name == "multitask":
        picked = {k: returned[f"test_{k}"] for k in ("intent_accuracy", "slot_f1", "slot_precision", "slot_recall", "frame_accuracy")
                  if returned.get(f"test_{k}") is not None and not math.isnan(returned[f"test_{k}"])}
    elif name == "fewshot":
        picked = dict(returned)
    else:
        score = "slot_f1" if name == "multilingual_slots" else "accuracy"
        picked = {k: v for k, v in returned.items() if k.startswith((f"test_{score}", "test_discriminator", "probe_"))}
    return {k: round(float(v), 4) for k, v in picked.items()}


#: the pipeline task each family's card shows
TASKS = {"finetune": "text-classification", "multitask": "joint-intent-slot", "fewshot": "few-shot-classification",
         "multilingual": "text-classification", "multilingual_slots": "word-tagging"}
#: name -> (family, flags, what the card's metadata says, what the snippet prints)
RUNS = {
    "finetune": ("finetune", ["--smoke", "--per_device_train_batch_size", "8"],
                 {"base_model": MINILM_ID, "pipeline_tag": "text-classification", "license": "apache-2.0", "language": ["en"], "datasets": None},
                 "'label'"),
    "multitask": ("multitask", ["--dataset", "sample", "--encoder_type", "bcnn", "--smoke", "--embedding_size", "16", "--num_filters", "8",
                                "--classifier_hidden_size", "16"],
                  {"base_model": None, "pipeline_tag": None, "license": "apache-2.0", "language": ["en"], "datasets": None},
                  "'slots'"),
    "fewshot": ("fewshot", ["--encoder_type", "bcnn", "--smoke"],
                {"base_model": None, "pipeline_tag": None, "license": "cc-by-3.0", "language": ["en"], "datasets": ["clinc/clinc_oos"]},
                ("book_flight", "play_music")),
    "multilingual": ("multilingual", ["--smoke", "--projection", "none"],
                     {"base_model": None, "pipeline_tag": "text-classification", "license": "other", "language": ["ru", "es"], "datasets": None},
                     "route_"),
    "multilingual_slots": ("multilingual", ["--smoke", "--projection", "none", "--dataset", "xsid", "--task", "slots",
                                            "--train_languages", "en,de", "--test_languages", "en,de-ba"],
                           {"base_model": None, "pipeline_tag": None, "license": "cc-by-sa-4.0", "language": ["en", "de"],
                            "datasets": None},
                           "'tags'"),
}
NEEDS_SHARED_DATA = {"fewshot", "multilingual", "multilingual_slots"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> (output directory, the metrics the run returned); each family trained once, lazily."""
    done = {}

    def get(name):
        if name not in done:
            family, flags, _, _ = RUNS[name]
            out = tmp_path_factory.mktemp(name) / "model"
            args, training_args = parse_train_args(family, [*flags, *QUIET, "--output_dir", str(out)])
            from hf_transfer.cli import _train_entry

            done[name] = (out, _train_entry(family)[2](args, training_args))
        return done[name]

    return get


@pytest.fixture
def run(request, runs, minilm_path):
    name = request.param
    if name in NEEDS_SHARED_DATA:
        request.getfixturevalue("shared_data")
    return (name, *runs(name))


def _local_paths(extra=()) -> list[str]:
    import tempfile

    return [p for p in {str(Path.home()), tempfile.gettempdir(), "/tmp", *map(str, extra)} if len(Path(p).parts) > 1]


def _assert_no_local_path(files: dict, paths) -> None:
    for name, data in files.items():
        for path in paths:
            assert path.encode() not in data, f"{name} holds the local path {path}"


# ------------------------------------------------------------------------------ per family

@pytest.mark.slow
@pytest.mark.parametrize("run", list(RUNS), indirect=True)
def test_push_uploads_the_model_its_card_and_nothing_else(run, recorder, minilm_path):
    name, out, returned = run
    assert (out / "training_args.json").is_file() and (out / "all_results.json").is_file()  # what stays local
    hub.push(out, REPO)
    upload = recorder.last
    assert set(upload["files"]) == EXPECTED_FILES, sorted(upload["files"])
    assert upload["repo_id"] == REPO and recorder.repos[-1][0] == REPO
    _assert_no_local_path(upload["files"], _local_paths([out, out.resolve(), minilm_path]))

    card = ModelCard(upload["files"]["README.md"].decode())
    data = card.data
    assert {r.metric_name: r.metric_value for r in data.eval_results} == _card_metrics(name, returned)
    assert all(r.dataset_split == "test" and r.task_type in ("text-classification", "token-classification") for r in data.eval_results)
    assert data.library_name == "transformers" and "hf_transfer" in data.tags
    expected = RUNS[name][2]
    for key, value in expected.items():
        assert getattr(data, key) == value, (key, getattr(data, key))
    assert "0.00 |" not in card.text  # no figure printed at two decimals
    config = json.loads(upload["files"]["config.json"])
    backbone = config.get("backbone_config") or {}
    assert backbone.get("_name_or_path") in ((None,) if expected["base_model"] is None else (expected["base_model"],))


#: runs a card's code blocks in order: the remote-code ones (no `import hf_transfer`) where the library cannot be imported
SNIPPET_RUNNER = """
import sys
for code in CODE:
    blocked = "import hf_transfer" not in code
    if blocked:
        sys.modules["hf_transfer"] = None
    elif sys.modules.get("hf_transfer", 0) is None:
        del sys.modules["hf_transfer"]
    exec(compile(code, "<card snippet>", "exec"), {"__name__": "__main__"})
"""


@pytest.mark.slow
@pytest.mark.parametrize("run", list(RUNS), indirect=True)
def test_how_to_use_snippet_runs_as_written(run, recorder, tmp_path):
    """Each card shows its family's pipeline with remote code (run here where `hf_transfer` cannot
    be imported) and the library way (`import hf_transfer` first, no `trust_remote_code`)."""
    name, out, _ = run
    hub.push(out, REPO)
    text = recorder.last["files"]["README.md"].decode()
    code = usage_code(text)
    assert len(code) == 2 and f'"{REPO}"' in code[0] and f'"{REPO}"' in code[1]
    task = TASKS[name]
    remote, library = code
    assert f'pipeline("{task}", model="{REPO}", trust_remote_code=True)' in remote and "import hf_transfer" not in remote
    assert library.startswith("import hf_transfer") and f'pipeline("{task}", model="{REPO}")' in library and "trust_remote_code" not in library
    if name == "finetune":  # the classifier with its head, not the bare encoder
        assert "AutoModelForSequenceClassification.from_pretrained" in library
    blocks = [block.replace(json.dumps(REPO), json.dumps(str(out))) for block in code]
    script = f"CODE = {blocks!r}\n" + SNIPPET_RUNNER
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = RUNS[name][3]
    assert any(p in proc.stdout for p in ((printed,) if isinstance(printed, str) else printed)), proc.stdout


def test_a_card_made_from_the_config_tags_only_what_a_standard_pipeline_serves(tmp_path):
    """The multilingual tagger gets no `pipeline_tag` (the standard token-classification pipeline
    would score sub-word pieces and skip its CRF) and its card says so; a sequence classifier
    keeps `text-classification`."""
    from hf_transfer import (
        AdversarialSharedPrivateConfig,
        AdversarialSharedPrivateForSequenceClassification,
        AdversarialSharedPrivateForTokenClassification,
    )
    from hf_transfer.cards import card_from_config

    tags = {0: "O", 1: "B-x", 2: "I-x"}
    small = dict(encoder_type="bcnn", vocab_size=20, embedding_size=4, num_filters=2, languages=["en", "de"], feature_size=4)
    tagger = AdversarialSharedPrivateForTokenClassification(AdversarialSharedPrivateConfig(**small, id2label=tags, label2id={v: k for k, v in tags.items()}, use_crf=True))
    tagger.save_pretrained(tmp_path / "tagger")
    card = ModelCard(card_from_config(tmp_path / "tagger", repo_id=REPO))
    assert card.data.pipeline_tag is None and "No `pipeline_tag`" in card.text and "skip the CRF" in card.text
    assert f'pipeline("word-tagging", model="{REPO}", trust_remote_code=True)' in usage_code(str(card))[0]
    classifier = AdversarialSharedPrivateForSequenceClassification(AdversarialSharedPrivateConfig(**small, num_labels=2))
    classifier.save_pretrained(tmp_path / "classifier")
    assert ModelCard(card_from_config(tmp_path / "classifier", repo_id=REPO)).data.pipeline_tag == "text-classification"


@pytest.mark.slow
@pytest.mark.parametrize("run", ["multitask", "finetune"], indirect=True)
def test_model_push_to_hub_uploads_the_library_card(run, recorder):
    name, out, returned = run
    from transformers import AutoModel

    import hf_transfer  # noqa: F401

    model = AutoModel.from_pretrained(out) if name == "multitask" else hf_transfer.TransferForSequenceClassification.from_pretrained(out)
    model.push_to_hub("someone/pushed")
    upload = recorder.last
    assert set(upload["files"]) == EXPECTED_FILES, sorted(upload["files"])
    card = ModelCard(upload["files"]["README.md"].decode())
    assert "Model Card for Model ID" not in card.text and "hf_transfer" in card.data.tags
    assert {r.metric_name: r.metric_value for r in card.data.eval_results} == _card_metrics(name, returned)
    assert '"someone/pushed"' in usage_code(str(card))[0]
    _assert_no_local_path(upload["files"], _local_paths([out]))
    assert not recorder.commits  # transformers' own upload path was not taken


@pytest.mark.slow
@pytest.mark.parametrize("run", ["multitask"], indirect=True)
def test_cli_push(run, recorder, capsys):
    _, out, _ = run
    assert main(["push", str(out), "someone/cli-model", "--private", "--commit_message", "first"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["repo_id"] == "someone/cli-model" and set(printed["files"]) == EXPECTED_FILES
    assert recorder.repos[-1] == ("someone/cli-model", {"token": None, "private": True, "exist_ok": True, "repo_type": "model"})
    assert recorder.last["commit_message"] == "first" and set(recorder.last["files"]) == EXPECTED_FILES


def _train_multitask_with_push(tmp_path, *flags):
    out = tmp_path / "flagged"
    args, training_args = parse_train_args("multitask", ["--dataset", "sample", "--encoder_type", "bcnn", "--smoke", "--embedding_size", "16",
                                                         "--num_filters", "8", "--classifier_hidden_size", "16", *QUIET, "--output_dir", str(out),
                                                         "--push_to_hub", "--hub_model_id", "someone/flagged", "--hub_private_repo", "True", *flags])
    from hf_transfer.training.multitask import train_multitask

    return train_multitask(args, training_args)


@pytest.mark.slow
def test_push_to_hub_flag_uploads_through_the_same_path(recorder, tmp_path):
    # --hub_strategy end: the Trainer only creates the repository; save_run uploads (see the next test)
    returned = _train_multitask_with_push(tmp_path, "--hub_strategy", "end")
    upload = recorder.last
    assert upload["repo_id"] == "someone/flagged" and set(upload["files"]) == EXPECTED_FILES
    card = ModelCard(upload["files"]["README.md"].decode())
    assert {r.metric_name: r.metric_value for r in card.data.eval_results} == _card_metrics("multitask", returned)
    assert ("someone/flagged", {"token": None, "private": True, "exist_ok": True, "repo_type": "model"}) in recorder.repos
    assert len(recorder.uploads) == 1 and not recorder.commits


@pytest.mark.slow
def test_push_to_hub_flag_uploads_nothing_else_with_the_default_hub_strategy(recorder, tmp_path):
    _train_multitask_with_push(tmp_path)
    assert len(recorder.uploads) == 1 and set(recorder.last["files"]) == EXPECTED_FILES, [sorted(u["files"]) for u in recorder.uploads]


# ------------------------------------------------------------------------------ errors

def test_cli_push_missing_dir_is_a_one_line_error(tmp_path, capsys, recorder):
    assert main(["push", str(tmp_path / "no_model"), "someone/x"]) == 1
    err = capsys.readouterr().err.strip()
    assert "no_model" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not recorder.repos and not recorder.uploads


def _tiny_saved_model(directory: Path, backbone: Path | None = None) -> Path:
    """A tiny saved fine-tuning model (BERT of width 16 over a 12-word vocabulary) and its tokenizer."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from hf_transfer import TransferForSequenceClassification

    backbone = backbone or directory.parent / "tiny-backbone"
    if not (backbone / "config.json").is_file():
        backbone.mkdir(parents=True, exist_ok=True)
        words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "wake", "me", "up", "play", "some", "jazz", "at"]
        (backbone / "vocab.txt").write_text("\n".join(words) + "\n")
        BertTokenizerFast(vocab_file=str(backbone / "vocab.txt")).save_pretrained(backbone)
        BertModel(BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8,
                             max_position_embeddings=32)).save_pretrained(backbone)
    from transformers import AutoTokenizer

    model = TransferForSequenceClassification.from_backbone(str(backbone), num_labels=2, id2label={0: "alarm", 1: "music"}, label2id={"alarm": 0, "music": 1})
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(backbone).save_pretrained(directory)
    return directory


def test_a_local_path_in_a_file_refuses_the_push_naming_the_file(tmp_path, recorder):
    out = _tiny_saved_model(tmp_path / "m")
    config = json.loads((out / "tokenizer_config.json").read_text())
    config["name_or_path"] = str(tmp_path / "somewhere")
    (out / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(hub.LocalPathError, match="tokenizer_config.json"):
        hub.push(out, REPO)
    assert not recorder.repos and not recorder.uploads


def test_only_the_code_the_config_names_is_uploaded(tmp_path, recorder):
    out = _tiny_saved_model(tmp_path / "m")
    config = json.loads((out / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "modeling_hf_transfer.TransferForSequenceClassification"}
    (out / "config.json").write_text(json.dumps(config))
    for name in ("modeling_hf_transfer.py", "scratch.py"):
        (out / name).write_text("x = 1\n")
    for name in ("training_args.json", "all_results.json", "features.png", "data.csv"):
        (out / name).write_text("{}")
    (out / "checkpoint-2").mkdir()
    (out / "checkpoint-2" / "model.safetensors").write_bytes(b"")
    hub.push(out, REPO)
    assert set(recorder.last["files"]) == EXPECTED_FILES
    assert recorder.last["delete_patterns"] == hub.STALE_PATTERNS  # an earlier push's shards do not survive


def test_a_repository_name_without_namespace_gets_the_user_s(tmp_path, recorder):
    out = _tiny_saved_model(tmp_path / "m")
    hub.push(out, "bare-name")
    assert recorder.last["repo_id"] == "me/bare-name"
    assert '"me/bare-name"' in usage_code(recorder.last["files"]["README.md"].decode())[0]


def test_a_directory_without_weights_is_refused(tmp_path, recorder):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        hub.push(tmp_path, REPO)
    assert not recorder.uploads


# ------------------------------------------------------------------------------ no local paths saved

def test_saved_config_holds_no_local_path(tmp_path, recorder):
    backbone = tmp_path / "tiny-backbone"
    out = _tiny_saved_model(tmp_path / "m", backbone)
    for f in out.iterdir():
        text = f.read_bytes()
        assert str(tmp_path).encode() not in text and str(backbone).encode() not in text, f.name
    config = json.loads((out / "config.json").read_text())
    assert "_name_or_path" not in config and "_name_or_path" not in config["backbone_config"]  # a local backbone: dropped
    # the full dict (to_json_string(use_diff=False)) too, and after a reload and a second save
    from hf_transfer import TransferForSequenceClassification

    model = TransferForSequenceClassification.from_pretrained(out)
    assert str(tmp_path) not in model.config.to_json_string(use_diff=False)
    model.save_pretrained(tmp_path / "again")
    assert str(tmp_path) not in (tmp_path / "again" / "config.json").read_text()
    # a model with no card of its own gets one made from its config, never transformers' generic one
    model.push_to_hub("someone/fresh")
    upload = recorder.last
    assert set(upload["files"]) == EXPECTED_FILES
    card = ModelCard(upload["files"]["README.md"].decode())
    assert card.data.eval_results is None and card.data.base_model is None and card.data.pipeline_tag == "text-classification"
    assert "hf_transfer" in card.data.tags and "Model Card for Model ID" not in card.text
    _assert_no_local_path(upload["files"], _local_paths([tmp_path]))


def test_config_of_a_minilm_model_names_its_hub_id(tmp_path, minilm_path):
    from hf_transfer import TransferForSequenceClassification

    model = TransferForSequenceClassification.from_backbone(str(minilm_path), num_labels=2)
    assert model.config.backbone_config._name_or_path == str(minilm_path)  # the attribute keeps the path
    for text in (model.config.to_json_string(use_diff=True), model.config.to_json_string(use_diff=False)):
        assert str(minilm_path) not in text
        assert json.loads(text)["backbone_config"]["_name_or_path"] == MINILM_ID


def test_backbone_hub_ids(tmp_path, minilm_path):
    assert hub_ids.backbone_hub_id(minilm_path) == MINILM_ID and hub_ids.backbone_hub_id(str(minilm_path) + "/") == MINILM_ID
    assert hub_ids.backbone_hub_id(hub_ids.E5_CACHE) == "intfloat/multilingual-e5-small"
    assert hub_ids.backbone_hub_id("bert-base-uncased") == "bert-base-uncased" and hub_ids.backbone_hub_id("org/model") == "org/model"
    snapshot = tmp_path / "hub" / "models--org--some-model" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    assert hub_ids.backbone_hub_id(snapshot) == "org/some-model"
    named = tmp_path / "named"
    named.mkdir()
    (named / "config.json").write_text(json.dumps({"_name_or_path": "org/named-model", "model_type": "bert"}))
    assert hub_ids.backbone_hub_id(named) == "org/named-model"
    (named / "config.json").write_text(json.dumps({"_name_or_path": str(tmp_path), "model_type": "bert"}))
    assert hub_ids.backbone_hub_id(named) is None
    assert hub_ids.backbone_hub_id(tmp_path) is None and hub_ids.backbone_hub_id(None) is None and hub_ids.backbone_hub_id("") is None


# ------------------------------------------------------------------------------ cards

def test_card_fields_and_precision():
    text = render_model_card(model_name="m", family="multilingual", task="text-classification", metrics={"test_accuracy": 87.654321, "test_accuracy_de": 12.0},
                             dataset="xsid", base_model=str(hub_ids.E5_CACHE), training={"learning_rate": 5e-05, "head_learning_rate": 0.001},
                             language=["en", "de", "de-ba", "gsw", "nap"], pipeline_tag="text-classification", template="multilingual.md")
    card = ModelCard(text)
    assert card.data.base_model == "intfloat/multilingual-e5-small" and card.data.license == "cc-by-sa-4.0"
    assert card.data.language == ["en", "de", "gsw", "nap"] and "de-ba (filed as de)" in card.text
    assert card.data.datasets is None and "xSID 0.7" in card.text
    assert [(r.metric_name, r.metric_value, r.metric_type, r.dataset_type, r.dataset_split) for r in card.data.eval_results] == [
        ("test_accuracy", 87.6543, "accuracy", "xsid", "test"), ("test_accuracy_de", 12.0, "accuracy", "xsid", "test")]
    assert "| learning_rate | 5e-05 |" in text and "| head_learning_rate | 0.001 |" in text and "| test_accuracy | 87.6543 |" in text
    clinc = ModelCard(render_model_card(model_name="m", family="fewshot", task="text-classification", metrics={"a_accuracy": 1.0}, dataset="clinc150",
                                        template="fewshot.md"))
    assert clinc.data.datasets == ["clinc/clinc_oos"] and clinc.data.license == "cc-by-3.0" and clinc.data.pipeline_tag is None
    unknown = ModelCard(render_model_card(model_name="m", family="f", task="text-classification", metrics={}, dataset="my_data", base_model="/nonexistent/dir"))
    assert unknown.data.license == "other" and "does not know the licence" in unknown.text
    assert unknown.data.base_model is None and "/nonexistent" not in str(unknown) and unknown.data.eval_results is None


def test_retarget_card_points_every_snippet_at_the_repository():
    text = render_model_card(model_name="local-name", family="multilingual", task="text-classification", metrics={"test_accuracy": 1.0},
                             dataset="seed", template="multilingual.md")
    assert 'from_pretrained("local-name")' in text
    moved = retarget_card(text, "org/published", tags=["extra"])
    assert '"local-name"' not in moved.split("## How to use")[1] and moved.count('from_pretrained("org/published")') == 2
    assert moved.count('pipeline("text-classification", model="org/published"') == 2
    assert ModelCard(moved).data.tags[-1] == "extra" and ModelCard(moved).data.eval_results == ModelCard(text).data.eval_results
