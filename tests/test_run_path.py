"""The run path every family shares (hf_transfer.training.run and the four entry points): resume,
missing checkpoints, seeding, non-finite stops, atomic saving, output-directory protection,
main-process saving, trackers and progress bars (several processes: tests/test_multiprocess.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback, TrainingArguments

from hf_transfer.training.run import NonFiniteError, OutputDirError, RunArguments, atomic_replace_dir, start_run


pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("run_worker.py")

#: smoke-sized runs of each family, with checkpoints every 2 steps (BCNN where the family allows)
FAMILY_RUNS = {
    "multitask": ("multitask", ["--dataset", "snips", "--encoder_type", "bcnn", "--smoke", "--max_steps", "4"]),
    # not --smoke: 8 episodes an epoch, so the kill at step 2 falls mid-epoch and resuming must skip episodes
    "fewshot": ("fewshot", ["--encoder_type", "bcnn", "--train_n_way", "5", "--train_n_shot", "2", "--train_n_query", "2", "--train_episodes", "8",
                            "--val_episodes", "2", "--val_n_query", "3", "--eval_episodes", "2", "--eval_n_query", "5", "--support_shots", "1",
                            "--max_length", "32", "--max_steps", "4", "--eval_steps", "2"]),
    "multilingual_intents": ("multilingual", ["--smoke", "--projection", "none", "--max_steps", "4"]),
    "multilingual_slots": ("multilingual", ["--smoke", "--projection", "none", "--dataset", "xsid", "--task", "slots",
                                            "--train_languages", "en,de", "--test_languages", "en,de", "--max_steps", "4"]),
    "finetune": ("finetune", ["--smoke", "--per_device_train_batch_size", "8", "--max_steps", "4"]),
}
COMMON = ["--save_strategy", "steps", "--save_steps", "2", "--seed", "3", "--report_to", "none", "--disable_tqdm", "True"]


def _weights(directory: Path) -> dict[str, torch.Tensor]:
    return load_file(directory / "model.safetensors")


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    differing = [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert not differing, f"weights differ: {differing[:5]}"


def _worker(family: str, kill: int, argv: list[str], **popen) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(WORKER), family, str(kill), *argv], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


# ------------------------------------------------------------------------------ resume after SIGKILL

@pytest.mark.slow
@pytest.mark.parametrize("name", list(FAMILY_RUNS))
def test_resume_after_sigkill_is_bitwise_equal(name, tmp_path, shared_data, minilm_path):
    """A run killed (SIGKILL, a real subprocess) right after its step-2 checkpoint and resumed
    ends with the same weights, bit for bit, as an uninterrupted run with the same seed."""
    family, argv = FAMILY_RUNS[name]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    ref = _worker(family, 0, [*argv, *COMMON, "--output_dir", str(whole)])
    victim = _worker(family, 2, [*argv, *COMMON, "--output_dir", str(killed)])
    out_v, _ = victim.communicate(timeout=600)
    out_r, _ = ref.communicate(timeout=600)
    assert ref.returncode == 0, out_r[-3000:]
    assert victim.returncode == -signal.SIGKILL, out_v[-3000:]
    assert (killed / "checkpoint-2").is_dir() and not (killed / "model.safetensors").exists()
    resumed = _worker(family, 0, [*argv, *COMMON, "--output_dir", str(killed), "--resume_from_checkpoint", "true"])
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out[-3000:]
    assert "Continuing training from checkpoint" in out or "resum" in out.lower()
    _assert_same_weights(whole, killed)
    assert (killed / "checkpoint-2").is_dir(), "the run's checkpoints stay beside the final model"


# ------------------------------------------------------------------------------ start_run guards

def test_missing_checkpoint_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "nope" / "checkpoint-7"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        start_run(RunArguments(), TrainingArguments(str(tmp_path / "out"), resume_from_checkpoint=str(missing), report_to=[]))
    with pytest.raises(FileNotFoundError, match="no checkpoint-"):
        start_run(RunArguments(), TrainingArguments(str(tmp_path / "out"), resume_from_checkpoint="true", report_to=[]))
    not_a_checkpoint = tmp_path / "plain"
    not_a_checkpoint.mkdir()
    with pytest.raises(FileNotFoundError, match="trainer_state.json"):
        start_run(RunArguments(), TrainingArguments(str(tmp_path / "out"), resume_from_checkpoint=str(not_a_checkpoint), report_to=[]))


def test_missing_checkpoint_from_the_command_line_exits_nonzero(tmp_path, capsys):
    from hf_transfer.cli import main

    code = main(["train", "multitask", "--encoder_type", "bcnn", "--smoke", "--output_dir", str(tmp_path / "o"),
                 "--resume_from_checkpoint", str(tmp_path / "gone")])
    assert code == 1
    err = capsys.readouterr().err
    assert "gone" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _multitask(tmp_path: Path, out: Path, **extra):
    from hf_transfer.training.multitask import MultitaskArguments, train_multitask

    callbacks = extra.pop("callbacks", None)
    run_kwargs = {k: extra.pop(k) for k in ("overwrite_output_dir",) if k in extra}
    args = MultitaskArguments(dataset="snips", encoder_type="bcnn", smoke=True, **run_kwargs)
    training_args = TrainingArguments(str(out), report_to=extra.pop("report_to", []), disable_tqdm=True, seed=extra.pop("seed", 0), **extra)
    return train_multitask(args, training_args, callbacks=callbacks)


@pytest.mark.slow
def test_output_dir_holding_a_run_is_refused_unless_overwrite(tmp_path, shared_data):
    out = tmp_path / "out"
    _multitask(tmp_path, out)
    before = (out / "config.json").read_bytes()
    with pytest.raises(OutputDirError, match="--overwrite_output_dir"):
        _multitask(tmp_path, out)
    assert (out / "config.json").read_bytes() == before, "a refused run touches nothing"
    (out / "stale.txt").write_text("from the old run")
    (out / "checkpoint-99").mkdir()
    _multitask(tmp_path, out, overwrite_output_dir=True, seed=1)
    assert not (out / "stale.txt").exists() and not (out / "checkpoint-99").exists()
    from hf_transfer import SharedPrivateForIntentAndSlotFilling

    assert SharedPrivateForIntentAndSlotFilling.from_pretrained(out) is not None
    assert not list(tmp_path.glob(".hf_transfer-*")), "no temporary directories left"


@pytest.mark.slow
def test_same_seed_same_weights_and_other_seed_other_weights(tmp_path, shared_data):
    from hf_transfer.training.fewshot import FewShotArguments, train_fewshot

    def run(out, seed):
        args = FewShotArguments(encoder_type="bcnn", smoke=True)
        train_fewshot(args, TrainingArguments(str(out), seed=seed, report_to=[], disable_tqdm=True))

    torch.manual_seed(123)  # whatever ran before in the process must not matter
    run(tmp_path / "a", 5)
    torch.randn(1000)
    run(tmp_path / "b", 5)
    run(tmp_path / "c", 6)
    _assert_same_weights(tmp_path / "a", tmp_path / "b")
    wa, wc = _weights(tmp_path / "a"), _weights(tmp_path / "c")
    assert any(not torch.equal(wa[k], wc[k]) for k in wa)


class _PoisonAt(TrainerCallback):
    """Makes one weight NaN before the step after `step`."""

    def __init__(self, step):
        self.step = step

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        if state.global_step == self.step:
            with torch.no_grad():
                next(p for p in model.parameters() if p.requires_grad).view(-1)[0] = float("nan")


@pytest.mark.slow
def test_non_finite_loss_stops_naming_the_step_and_saves_nothing_final(tmp_path, shared_data):
    out = tmp_path / "out"
    with pytest.raises(NonFiniteError, match=r"step 3\b.*checkpoint-2"):
        _multitask(tmp_path, out, callbacks=[_PoisonAt(2)], save_strategy="steps", save_steps=1)
    assert not (out / "config.json").exists() and not (out / "README.md").exists() and not (out / "all_results.json").exists()
    good = _weights(out / "checkpoint-2")
    assert all(torch.isfinite(t).all() for t in good.values()), "the last checkpoint is the last good one"


def test_finite_check_passes_finite_and_flags_infinite_gradients():
    from hf_transfer.training.run import FiniteCheckCallback

    model = torch.nn.Linear(3, 2)
    model(torch.ones(1, 3)).sum().backward()
    args = TrainingArguments("unused", report_to=[])
    state = type("S", (), {"global_step": 6})()
    FiniteCheckCallback().on_pre_optimizer_step(args, state, None, model=model)
    model.bias.grad[0] = float("inf")
    with pytest.raises(NonFiniteError, match="step 7.*bias"):
        FiniteCheckCallback().on_pre_optimizer_step(args, state, None, model=model)
    with pytest.raises(NonFiniteError, match="logged loss is nan"):
        FiniteCheckCallback().on_log(args, state, None, logs={"loss": float("nan")})


# ------------------------------------------------------------------------------ atomic saving

def test_atomic_replace_keeps_the_old_directory_when_writing_fails(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "config.json").write_text("old")

    def failing(tmp):
        (tmp / "config.json").write_text("new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_replace_dir(out, failing)
    assert (out / "config.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    atomic_replace_dir(out, lambda tmp: (tmp / "config.json").write_text("new"))
    assert (out / "config.json").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]


KILL_MID_SAVE = textwrap.dedent("""
    import os, signal, sys
    from hf_transfer.models.multitask import SharedPrivateConfig, SharedPrivateForIntentAndSlotFilling
    from hf_transfer.training.run import atomic_replace_dir
    out = sys.argv[1]
    config = SharedPrivateConfig(encoder_type="bcnn", vocab_size=30, embedding_size=8, num_filters=4, id2tag={0: "O", 1: "B-x"}, id2label={0: "a", 1: "b"},
                                 classifier_hidden_size=None)
    SharedPrivateForIntentAndSlotFilling(config).save_pretrained(out)          # the previous model
    other = SharedPrivateConfig(**{**config.to_dict(), "num_filters": 6})
    def write(tmp):
        other.save_pretrained(tmp)                                              # config written ...
        os.kill(os.getpid(), signal.SIGKILL)                                    # ... killed before the weights
    atomic_replace_dir(__import__("pathlib").Path(out), write)
""")


def test_kill_mid_save_leaves_the_previous_model_whole(tmp_path):
    out = tmp_path / "model"
    proc = subprocess.run([sys.executable, "-c", KILL_MID_SAVE, str(out)], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    from hf_transfer import SharedPrivateForIntentAndSlotFilling

    model = SharedPrivateForIntentAndSlotFilling.from_pretrained(out)  # config and weights of the same save
    assert model.config.num_filters == 4
    assert list(tmp_path.glob(".hf_transfer-model-*")), "the killed save's temporary directory is beside it"
    start_run(RunArguments(overwrite_output_dir=True), TrainingArguments(str(out), report_to=[]))
    assert not list(tmp_path.glob(".hf_transfer-*")), "the next run on that directory removes it"


# ------------------------------------------------------------------------------ trackers, progress bars

@pytest.mark.slow
def test_report_to_is_honoured(tmp_path, shared_data):
    pytest.importorskip("tensorboard")
    out = tmp_path / "out"
    _multitask(tmp_path, out, report_to=["tensorboard"], logging_steps=1)
    assert list(out.rglob("events.out.tfevents.*")), "tensorboard wrote its event files into the run's directory"


def test_episode_evaluation_shows_a_progress_bar(capsys):
    from datasets import ClassLabel, Dataset, Features, Value

    from hf_transfer.data.episodes import EpisodeSampler
    from hf_transfer.models.fewshot import FrozenEmbeddingClassifier  # noqa: F401
    from hf_transfer.training.episodic import evaluate_episodes

    ds = Dataset.from_dict({"text": [f"w{c} x{i}" for c in range(3) for i in range(4)], "label": [c for c in range(3) for _ in range(4)]},
                           features=Features({"text": Value("string"), "label": ClassLabel(names=["a", "b", "c"])}))

    class Echo:  # predicts the first support label: the loop, not the model, is under test
        def fit_support(self, texts, labels):
            self.first = labels[0]
            return self

        def predict(self, texts):
            return [self.first] * len(texts)

    sampler = EpisodeSampler(ds, n_way=2, n_shot=1, n_query=1, n_episodes=3, seed=0)
    evaluate_episodes(Echo(), sampler, progress=True)
    assert "episodes" in capsys.readouterr().err
    evaluate_episodes(Echo(), sampler, progress=False)
    assert "episodes" not in capsys.readouterr().err


def test_encoding_and_batch_prediction_show_progress_bars(capsys):
    from hf_transfer import PrototypicalNetwork, PrototypicalNetworkConfig
    from hf_transfer.data.tokenization import build_bcnn_tokenizer

    tokenizer = build_bcnn_tokenizer(["a b c", "d e f"])
    model = PrototypicalNetwork(PrototypicalNetworkConfig(encoder_type="bcnn", vocab_size=len(tokenizer), embedding_size=8, num_filters=4))
    model.set_tokenizer(tokenizer)
    assert model.embed_texts(["a b"] * 5, batch_size=2, progress=True).shape[0] == 5
    assert "encoding" in capsys.readouterr().err
    model.embed_texts(["a b"] * 5, batch_size=2)
    assert "encoding" not in capsys.readouterr().err
