"""Every family's entry point trains on two processes: `python -m torch.distributed.run
--nproc_per_node 2` (CPU, gloo; no GPU visible and no --use_cpu: the command line sets
ACCELERATE_USE_CPU itself) running `tests/run_worker.py`, which writes what each rank did."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from transformers import TrainingArguments

from hf_transfer.training.run import configure_ddp, parameters_can_sit_out


ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("run_worker.py")

#: name -> (family, flags, a step can leave trainable parameters without a gradient, writes features.png)
RUNS = {
    # frozen embeddings and lower 4 of 6 layers: DDP leaves them out
    "finetune_freeze_lower": ("finetune", ["--smoke", "--mode", "freeze_lower", "--per_device_train_batch_size", "8", "--max_steps", "3"], False, False),
    # a slots-only data set: the model is built without an intent head
    "multitask_slots_only": ("multitask", ["--dataset", "seed_ner", "--encoder_type", "bcnn", "--smoke", "--max_steps", "4"], False, False),
    # episodic: each rank draws its own episodes
    "fewshot_episodic": ("fewshot", ["--encoder_type", "bcnn", "--smoke", "--max_steps", "4"], False, False),
    "multilingual_grl": ("multilingual", ["--smoke", "--projection", "pca", "--max_steps", "4"], False, True),
    # discriminator steps leave the encoders and task head without gradients, encoder steps the
    # discriminator: configure_ddp must override the explicit False, or step 2 fails
    "multilingual_alternating": ("multilingual", ["--smoke", "--projection", "none", "--max_steps", "4", "--adversarial_schedule", "alternating",
                                                  "--ddp_find_unused_parameters", "False"], True, False),
    "multilingual_slots": ("multilingual", ["--smoke", "--projection", "none", "--dataset", "xsid", "--task", "slots",
                                            "--train_languages", "en,de", "--test_languages", "en,de", "--max_steps", "4"], False, False),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.multiprocess
@pytest.mark.parametrize("name", list(RUNS))
def test_two_processes_train_one_synchronised_model(name, tmp_path, shared_data, minilm_path):
    """Both ranks: world size 2 over gloo, every step run, different data in every step, identical
    weights at the end; exactly one saved model, card (and plot), written by the main process
    alone; no temporary directory left; parameters a step leaves out do not break DDP."""
    family, flags, can_sit_out, plots = RUNS[name]
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    env.pop("ACCELERATE_USE_CPU", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           str(WORKER), family, "0", *flags, "--output_dir", str(out), "--report_to", "none", "--disable_tqdm", "True"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    print(f"{name}: {time.perf_counter() - start:.1f} s")
    r0, r1 = ranks = [json.loads(Path(f"{out}.rank{r}.json").read_text()) for r in (0, 1)]
    steps = int(flags[flags.index("--max_steps") + 1])

    # two synchronised processes on the CPU
    assert [(r["rank"], r["world_size"], r["backend"]) for r in ranks] == [(0, 2, "gloo"), (1, 2, "gloo")]
    assert [r["global_step"] for r in ranks] == [steps, steps]
    assert r0["weights"] == r1["weights"], "the ranks' weights differ: gradients were not all-reduced"
    # each rank trained on its own share of the data: a different batch (or episode) in every step
    assert [len(r["batches"]) for r in ranks] == [steps, steps]
    assert all(a != b for a, b in zip(r0["batches"], r1["batches"]))
    assert not set(r0["batches"]) & set(r1["batches"])
    # parameters a step leaves out
    if can_sit_out:
        assert r0["ddp_find_unused_parameters"] is True and r1["ddp_find_unused_parameters"] is True
        assert any(r0["unused"]) and any(r1["unused"]), "the run was meant to leave parameters out of some steps"
    else:
        assert r0["unused"] == [[]] * steps and r1["unused"] == [[]] * steps, "every trainable parameter gets a gradient in every step"
    if name == "finetune_freeze_lower":
        assert r0["frozen"] > 0 and r0["frozen"] == r1["frozen"]
    # one saved model, by the main process
    assert [r["saves"] for r in ranks] == [1, 0]
    saved = [p for p in tmp_path.rglob("model.safetensors") if not any(part.startswith("checkpoint-") for part in p.relative_to(tmp_path).parts)]
    assert saved == [out / "model.safetensors"]
    assert (out / "README.md").is_file() and (out / "config.json").is_file() and (out / "all_results.json").is_file()
    assert (out / "features.png").is_file() == plots
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.rank0.json", "out.rank1.json"]  # no .hf_transfer-* left


# ------------------------------------------------------------------------------ the DDP decision

def _model(**config) -> SimpleNamespace:
    return SimpleNamespace(config=SimpleNamespace(**config))


@pytest.mark.parametrize(
    ("config", "sits_out"),
    [
        ({"adversarial_schedule": "grl", "use_private": True, "private_encoders": "single", "num_languages": 2}, False),
        ({"adversarial_schedule": "alternating", "use_private": True, "private_encoders": "single", "num_languages": 2}, True),
        ({"adversarial_schedule": "grl", "use_private": True, "private_encoders": "per_language", "num_languages": 2}, True),
        ({"adversarial_schedule": "grl", "use_private": False, "private_encoders": "per_language", "num_languages": 2}, False),
        ({"intent_loss_weight": 0.0, "use_private": True, "private_encoder_type": "copy"}, False),  # multitask: no intent head is built
        ({}, False),
    ],
)
def test_configure_ddp_finds_unused_parameters_only_where_a_step_can_leave_some_out(config, sits_out, tmp_path):
    model = _model(**config)
    assert (parameters_can_sit_out(model) is not None) == sits_out
    for given in (None, False, True):
        args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to=[], ddp_find_unused_parameters=given)
        configure_ddp(args, model)
        assert args.ddp_find_unused_parameters is (True if sits_out else given)
