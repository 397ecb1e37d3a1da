"""The whole publishing loop, per family, as a user meets it: train a tiny model through the
command line (`hf-transfer train FAMILY --smoke ...`), push it (`hf-transfer push`) with the upload
recorded into a folder that stands for the Hub repository, then load that folder three ways:

(a) with the library installed: `import hf_transfer`, then `AutoModel*.from_pretrained(folder)` and
    the family's own class (and, for comparison, the run's own output directory);
(b) remote code without the library: `AutoModel*.from_pretrained(folder, trust_remote_code=True)`
    in a subprocess where `import hf_transfer` fails;
(c) the family's pipeline: `transformers.pipeline(task, model=folder)` with the library, and
    `pipeline(task, model=folder, trust_remote_code=True)` in the same subprocess as (b).

Logits are bitwise identical and pipeline results equal (both sides run one torch thread); the
card in the recorded folder parses with `huggingface_hub.ModelCard.load` and holds exactly the
figures the run returned, which are the figures the command line printed.

Families: fine-tuning (the offline MiniLM), multi-task, few-shot, multilingual intents and
multilingual slots (BCNN, from scratch). One subprocess serves every family.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from huggingface_hub import ModelCard
from test_hub import EXPECTED_FILES, QUIET, Recorder, _card_metrics, record_uploads

from hf_transfer import cli


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]

BCNN = ["--encoder_type", "bcnn", "--smoke"]
#: name -> (family, flags)
RUNS = {
    "finetune": ("finetune", ["--smoke", "--per_device_train_batch_size", "8"]),
    "multitask": ("multitask", ["--dataset", "sample", *BCNN, "--embedding_size", "16", "--num_filters", "8", "--classifier_hidden_size", "16"]),
    "fewshot": ("fewshot", BCNN),
    "multilingual": ("multilingual", [*BCNN, "--projection", "none"]),
    "multilingual_slots": ("multilingual", [*BCNN, "--projection", "none", "--dataset", "xsid", "--task", "slots",
                                            "--train_languages", "en,de", "--test_languages", "en,de-ba"]),
}
#: name -> (Auto class, family class, model outputs compared, pipeline task, pipeline calls' keyword arguments)
LOADS = {
    "finetune": ("AutoModelForSequenceClassification", "TransferForSequenceClassification", ["logits"], "text-classification",
                 [{}, {"top_k": None}]),
    "multitask": ("AutoModel", "SharedPrivateForIntentAndSlotFilling", ["intent_logits", "slot_logits", "tag_paths"], "joint-intent-slot", [{}]),
    "fewshot": ("AutoModel", "PrototypicalNetwork", ["embeddings", "stored"], "few-shot-classification",
                [{}, {"top_k": 2}, {"descriptions": {"money": "send or check money", "music": None}}]),
    "multilingual": ("AutoModelForSequenceClassification", "AdversarialSharedPrivateForSequenceClassification", ["logits", "language_logits"],
                     "text-classification", [{}, {"top_k": None}]),
    "multilingual_slots": ("AutoModelForTokenClassification", "AdversarialSharedPrivateForTokenClassification", ["logits", "tag_paths"],
                           "word-tagging", [{}, {"language": "de"}]),
}
TEXTS = ["wake me up at seven tomorrow", "play some jazz", "book a flight from boston to paris on monday", "what is my balance"]
CUSTOM_TASKS = {"joint-intent-slot", "few-shot-classification", "word-tagging"}


def _inputs(name: str, model, tokenizer) -> dict:
    """The model inputs for TEXTS, encoded the library's way (saved for the subprocess)."""
    from hf_transfer.data.tokenization import tokenize_words

    prefix = getattr(model.config, "input_prefix", None)
    if name in ("multitask", "multilingual_slots"):  # word-level models
        enc = dict(tokenize_words(tokenizer, [t.split() for t in TEXTS], prefix=prefix))
    else:
        enc = dict(tokenizer([(prefix or "") + t for t in TEXTS], padding=True, return_tensors="pt"))
    if name.startswith("multilingual"):
        languages = model.config.languages
        enc["language_ids"] = torch.tensor([i % len(languages) for i in range(len(TEXTS))])
    return {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids", "word_ids", "language_ids")}


def _outputs(name: str, model, inputs: dict) -> dict:
    """The compared outputs (mirrors OUTPUTS in the subprocess)."""
    with torch.no_grad():
        if name == "fewshot":  # sentence embeddings and the scores against the stored support set
            emb = model.encode(inputs["input_ids"], inputs["attention_mask"])
            return {"embeddings": emb, "stored": model.stored_logits(emb)}
        out = model(**inputs)
    return {k: out[k] for k in LOADS[name][2]}


REMOTE = textwrap.dedent("""
    import json, sys
    sys.modules["hf_transfer"] = None  # the library cannot be imported here
    import torch, transformers
    torch.set_num_threads(1)  # as the library side (one_thread): identical reductions
    results = {}
    for case in json.loads(open(sys.argv[1]).read()):
        name, folder = case["name"], case["folder"]
        model = getattr(transformers, case["auto"]).from_pretrained(folder, trust_remote_code=True).eval()
        inputs = torch.load(case["inputs"])
        with torch.no_grad():
            if name == "fewshot":
                emb = model.encode(inputs["input_ids"], inputs["attention_mask"])
                out = {"embeddings": emb, "stored": model.stored_logits(emb)}
            else:
                out = model(**inputs)
        torch.save({k: out[k] for k in case["keys"]}, case["remote"])
        pipe = transformers.pipeline(case["task"], model=folder, trust_remote_code=True, device="cpu")
        results[name] = {"model_module": type(model).__module__, "pipeline_module": type(pipe).__module__,
                         "pipeline_model_module": type(pipe.model).__module__,
                         "pipeline": [pipe(case["texts"], batch_size=2, **kwargs) for kwargs in case["calls"]]}
    print("RESULTS " + json.dumps(results))
""")


def _same(a, b) -> bool:
    """Equal, NaN equal to NaN (the printed JSON and the returned dict)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory, minilm_path, shared_data):
    """name -> what each step gave: the returned and printed metrics, the recorded folder, the
    library's outputs and pipeline results, the remote ones."""
    import transformers

    import hf_transfer

    root = tmp_path_factory.mktemp("roundtrip")
    done, cases = {}, []
    with pytest.MonkeyPatch.context() as mp:
        recorder = record_uploads(mp, Recorder(repo_dir=root / "hub"))
        returned = {}
        entry = cli._train_entry

        def recording_entry(family):  # the command line's own train function, its return value kept
            args_class, training_class, train = entry(family)

            def train_and_keep(*args, **kwargs):
                returned["metrics"] = train(*args, **kwargs)
                return returned["metrics"]

            return args_class, training_class, train_and_keep

        mp.setattr(cli, "_train_entry", recording_entry)
        for name, (family, flags) in RUNS.items():
            out, repo = root / name / "run", f"someone/{name.replace('_', '-')}"
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                assert cli.main(["train", family, *flags, *QUIET, "--output_dir", str(out)]) == 0
            metrics = json.loads(printed.getvalue())
            with contextlib.redirect_stdout(io.StringIO()):
                assert cli.main(["push", str(out), repo]) == 0
            folder = recorder.folder(repo)

            auto, family_class, keys, task, calls = LOADS[name]
            model = getattr(transformers, auto).from_pretrained(folder).eval()  # (a) the library
            tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
            inputs = _inputs(name, model, tokenizer)
            library = _outputs(name, model, inputs)
            as_family = _outputs(name, getattr(hf_transfer, family_class).from_pretrained(folder).eval(), inputs)
            from_run = _outputs(name, getattr(transformers, auto).from_pretrained(out).eval(), inputs)
            pipe = transformers.pipeline(task, model=str(folder), device="cpu")  # (c) the library's pipeline
            case_dir = root / name / "case"
            case_dir.mkdir()
            torch.save(inputs, case_dir / "inputs.pt")
            done[name] = {"returned": returned.pop("metrics"), "printed": metrics, "folder": folder, "repo": repo, "model": model,
                          "library": library, "as_family": as_family, "from_run": from_run, "remote_path": case_dir / "remote.pt",
                          "pipe": pipe, "pipeline": [pipe(TEXTS, batch_size=2, **kwargs) for kwargs in calls]}
            cases.append({"name": name, "folder": str(folder), "auto": auto, "keys": keys, "task": task, "texts": TEXTS, "calls": calls,
                          "inputs": str(case_dir / "inputs.pt"), "remote": str(case_dir / "remote.pt")})
    (root / "cases.json").write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([sys.executable, "-c", REMOTE, str(root / "cases.json")], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    remote = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULTS "))[len("RESULTS "):])
    for name, result in remote.items():
        done[name]["remote"] = result
    return done


@pytest.fixture(params=list(RUNS))
def family(request, roundtrip):
    return request.param, roundtrip[request.param]


def test_the_upload_is_the_model_and_nothing_else(family):
    name, got = family
    assert {p.name for p in got["folder"].iterdir()} == EXPECTED_FILES


def test_the_card_parses_and_holds_exactly_the_figures_the_run_printed(family):
    name, got = family
    assert _same(got["printed"], json.loads(json.dumps(got["returned"], default=str))), (got["printed"], got["returned"])
    card = ModelCard.load(got["folder"] / "README.md")
    assert {r.metric_name: r.metric_value for r in card.data.eval_results} == _card_metrics(name, got["returned"])
    assert "hf_transfer" in card.data.tags and card.data.library_name == "transformers"
    task = LOADS[name][3]
    assert card.data.pipeline_tag == ("text-classification" if task == "text-classification" else None)
    assert f'pipeline("{task}", model="{got["repo"]}", trust_remote_code=True)' in card.text


def test_library_loads_identically(family):
    """(a): the Auto class and the family's class give the same outputs, from the recorded folder
    as from the run's own directory."""
    name, got = family
    assert type(got["model"]).__module__.startswith("hf_transfer.") and type(got["model"]).__name__ == LOADS[name][1]
    for other in ("as_family", "from_run"):
        for key, value in got["library"].items():
            assert torch.equal(value, got[other][key]), f"{name}: {key} differs ({other})"


def test_remote_code_without_the_library_loads_identically(family):
    """(b): bitwise the library's outputs."""
    name, got = family
    assert got["remote"]["model_module"].startswith("transformers_modules.")
    remote = torch.load(got["remote_path"])
    assert set(remote) == set(got["library"])
    for key, value in got["library"].items():
        assert torch.equal(value, remote[key]), f"{name}: {key} differs"


def test_pipeline_with_and_without_the_library_gives_the_same_results(family):
    """(c): the registered pipeline (library) and the remote one give equal results; the custom
    tasks run the library's pipeline class without `trust_remote_code`."""
    name, got = family
    task = LOADS[name][3]
    pipe, remote = got["pipe"], got["remote"]
    assert type(pipe.model).__module__.startswith("hf_transfer.") and remote["pipeline_model_module"].startswith("transformers_modules.")
    if task in CUSTOM_TASKS:
        assert type(pipe).__module__.startswith("hf_transfer.") and remote["pipeline_module"].startswith("transformers_modules.")
    else:
        assert type(pipe).__name__ == "TextClassificationPipeline"
    assert remote["pipeline"] == got["pipeline"], name
    first = got["pipeline"][0]
    assert len(first) == len(TEXTS)
    # the pipeline reads the same model: its predictions are the logits' argmax
    library = got["library"]
    if task == "text-classification":
        labels = got["model"].config.id2label
        assert [r["label"] for r in first] == [labels[int(i)] for i in library["logits"].argmax(-1)]
    elif task == "joint-intent-slot":
        labels = got["model"].config.id2label
        assert [r["intent"] for r in first] == [labels[int(i)] for i in library["intent_logits"].argmax(-1)]
    elif task == "few-shot-classification":
        support = got["model"].config.support_labels
        assert [r["label"] for r in first] == [support[int(i)] for i in library["stored"].argmax(-1)]
    else:
        assert all(len(r["tags"]) == len(r["words"]) == len(t.split()) for r, t in zip(first, TEXTS))
