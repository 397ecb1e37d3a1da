"""The run path every family's entry point shares, written once.

`start_run` (before the model is built): logging, threads, processes without a GPU, the
checkpoint to resume from (a missing one is an error that names it), the output directory (one
that already holds another model or run is refused unless `overwrite_output_dir`), leftovers of
a killed save, then `set_seed`. `configure_ddp` (after the model is built, before the `Trainer`):
DDP's `find_unused_parameters` for models a step can leave partly without gradients.
`FiniteCheckCallback` stops a run whose loss, gradients or
weights stop being finite, naming the step, before the optimizer writes them into the weights.
`save_run` writes model + tokenizer + card + results into a temporary directory beside the output
directory and swaps it in atomically, on the main process only.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import math
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import TrainerCallback, TrainingArguments, set_seed
from transformers.trainer_utils import get_last_checkpoint


logger = logging.getLogger(__name__)

__all__ = [
    "EvaluationKeepsRNG",
    "FiniteCheckCallback",
    "NonFiniteError",
    "OutputDirError",
    "RunArguments",
    "RunContext",
    "atomic_replace_dir",
    "configure_ddp",
    "parameters_can_sit_out",
    "save_run",
    "start_run",
    "use_cpu_for_processes_without_gpu",
]

#: files and folders that say "a model or a run lives here"
RUN_MARKERS = ("config.json", "model.safetensors", "model.safetensors.index.json", "all_results.json", "test_results.json", "README.md", "trainer_state.json")
TMP_PREFIX = ".hf_transfer-"


class OutputDirError(FileExistsError):
    """The output directory holds another model or run."""


class NonFiniteError(RuntimeError):
    """The loss, gradients or weights stopped being finite."""


@dataclass
class RunArguments:
    """What every family's run takes besides `TrainingArguments` (one name per meaning)."""

    overwrite_output_dir: bool = field(default=False, metadata={"help": "Replace a model or run already in --output_dir (its files do not survive)."})
    smoke: bool = field(default=False, metadata={"help": "Tiny data and model, a few steps: checks the whole run in seconds."})
    max_train_samples: int | None = field(default=None, metadata={"help": "Train on the first N examples."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Evaluate on the first N examples of each split."})
    torch_threads: int | None = field(default=None, metadata={"help": "torch.set_num_threads (one per job is often fastest on a busy CPU)."})


@dataclass
class RunContext:
    """What `start_run` settled: the checkpoint to resume from and the entries this run found in
    its output directory (they belong to an earlier run unless it resumes)."""

    output_dir: Path
    resume_from_checkpoint: str | None
    preexisting: frozenset = frozenset()


def _is_main(training_args: TrainingArguments) -> bool:
    return training_args.should_save


def _holds_run(path: Path) -> list[str]:
    if not path.is_dir():
        return []
    return sorted(p.name for p in path.iterdir() if p.name in RUN_MARKERS or p.name.startswith("checkpoint-"))


def _clean_leftovers(output_dir: Path) -> None:
    """Temporary directories of a save that was killed (siblings named `.hf_transfer-<name>-*`)."""
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for p in parent.glob(f"{TMP_PREFIX}{output_dir.name}-*"):
        logger.warning("removing %s, left by an interrupted save", p)
        shutil.rmtree(p, ignore_errors=True)


def use_cpu_for_processes_without_gpu() -> None:
    """Under torchrun / accelerate launch on a machine without a GPU, train on the CPU (gloo),
    synchronised, without the user having to pass --use_cpu. Must run before `TrainingArguments`
    is created (it sets up the processes); the command line does."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available():
        os.environ.setdefault("ACCELERATE_USE_CPU", "true")


def _check_processes(training_args: TrainingArguments) -> None:
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched > 1 and training_args.world_size != launched:
        raise RuntimeError(
            f"launched as {launched} processes, but TrainingArguments set up {training_args.world_size}: each process would train its own "
            f"unsynchronised copy. Without a GPU, create TrainingArguments(..., use_cpu=True) or set ACCELERATE_USE_CPU=1 before creating it"
        )


def start_run(run_args: RunArguments, training_args: TrainingArguments) -> RunContext:
    """Everything that must happen before the model is built; ends with `set_seed`."""
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s %(message)s", level=logging.INFO if _is_main(training_args) else logging.WARNING)
    if run_args.torch_threads:
        torch.set_num_threads(run_args.torch_threads)
    _check_processes(training_args)
    output_dir = Path(training_args.output_dir)
    resume = training_args.resume_from_checkpoint
    if isinstance(resume, str) and resume.lower() in ("true", "last"):
        resume = True
    if resume is True:
        last = get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None
        if last is None:
            raise FileNotFoundError(f"--resume_from_checkpoint: no checkpoint-* folder in --output_dir {output_dir}")
        resume = last
    elif resume:
        if not Path(resume).is_dir():
            raise FileNotFoundError(f"--resume_from_checkpoint: checkpoint folder {resume} does not exist")
        if not (Path(resume) / "trainer_state.json").is_file():
            raise FileNotFoundError(f"--resume_from_checkpoint: {resume} is not a Trainer checkpoint (no trainer_state.json)")
    else:
        resume = None
    _clean_leftovers(output_dir)
    held = _holds_run(output_dir)
    if held and resume is None:
        if not run_args.overwrite_output_dir:
            raise OutputDirError(
                f"--output_dir {output_dir} already holds a model or run ({', '.join(held[:4])}); pass --overwrite_output_dir to replace it, "
                f"or --resume_from_checkpoint to continue it"
            )
        if _is_main(training_args):  # the old run's checkpoints must not mix with this run's
            for name in held:
                if name.startswith("checkpoint-"):
                    shutil.rmtree(output_dir / name)
    preexisting = frozenset(p.name for p in output_dir.iterdir()) if output_dir.is_dir() else frozenset()
    if resume is not None:  # a resumed run owns its checkpoints and logs
        preexisting = frozenset(n for n in preexisting if not n.startswith("checkpoint-") and n != "runs")
    training_args.resume_from_checkpoint = resume
    if training_args.push_to_hub:  # the library pushes once, the final save (save_run); the Trainer must not push checkpoints
        training_args.hub_strategy = "end"
    set_seed(training_args.seed)
    return RunContext(output_dir=output_dir, resume_from_checkpoint=resume, preexisting=preexisting)


# ------------------------------------------------------------------------------ several processes

def parameters_can_sit_out(model) -> str | None:
    """Why a training step of `model` can leave some of its trainable parameters without a
    gradient (None when every trainable parameter gets one in every step).

    Frozen parameters (`requires_grad=False`: `freeze_lower`, frozen embeddings) do not count: DDP
    leaves them out. A model whose optional parts are off is built without them (no intent head
    when `intent_loss_weight=0` or the data set has no intents), so they do not count either."""
    config = getattr(model, "config", None)
    if getattr(config, "adversarial_schedule", None) == "alternating":
        return "the alternating adversarial schedule trains the discriminator alone, then the rest without it"
    if getattr(config, "use_private", False) and getattr(config, "private_encoders", None) == "per_language" and getattr(config, "num_languages", 0) > 1:
        return "with one private encoder per language, a batch without some language leaves that language's encoder out"
    return None


def configure_ddp(training_args: TrainingArguments, model) -> None:
    """Settle DDP's `find_unused_parameters` for `model`, the same way for every family; call it
    after the model is built and before the `Trainer` (which reads it when it sets up DDP).

    When a step can leave trainable parameters without a gradient (`parameters_can_sit_out`), DDP
    must look for them in every step, or the next step fails with "Expected to have finished
    reduction in the prior iteration": it is set to True, also over an explicit
    `--ddp_find_unused_parameters False` (with a warning) and under activation checkpointing
    (where transformers would turn it off; its default non-reentrant checkpointing allows it).
    Otherwise it is left as it is: transformers' default (True, except under activation
    checkpointing) or the user's choice; False is safe there and saves a pass over the autograd
    graph per step. Only DDP reads it (FSDP and DeepSpeed do not)."""
    reason = parameters_can_sit_out(model)
    if reason is None:
        return
    if training_args.ddp_find_unused_parameters is False:
        logger.warning("--ddp_find_unused_parameters False overridden: %s, so DDP must find the parameters a step did not use", reason)
    training_args.ddp_find_unused_parameters = True


class FiniteCheckCallback(TrainerCallback):
    """Stops training with `NonFiniteError` naming the step when the gradients (hence the loss)
    are not finite, before the optimizer step writes them into the weights, or when the weights
    themselves are not. The last checkpoint written stays as it is; nothing is saved as final."""

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        if model is None or args.fp16:  # fp16's grad scaler skips inf steps on purpose
            return
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        if grads and not _all_finite(grads):
            bad = [n for n, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
            raise NonFiniteError(f"step {state.global_step + 1}: the loss or its gradients are not finite ({', '.join(bad[:3])}); "
                                 f"training stopped before the update{_last_checkpoint_note(args)}")

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if model is None:
            return
        params = [p.detach() for p in model.parameters()]
        if params and not _all_finite(params):
            bad = [n for n, p in model.named_parameters() if not torch.isfinite(p).all()]
            raise NonFiniteError(f"step {state.global_step}: weights are not finite ({', '.join(bad[:3])}){_last_checkpoint_note(args)}")

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            raise NonFiniteError(f"step {state.global_step}: the logged loss is {loss}{_last_checkpoint_note(args)}")


def _all_finite(tensors: list[torch.Tensor]) -> bool:
    norms = torch._foreach_norm([t.float() if not t.is_floating_point() else t for t in tensors])
    return bool(torch.isfinite(torch.stack([n.float() for n in norms])).all())


def _last_checkpoint_note(args) -> str:
    last = get_last_checkpoint(args.output_dir) if os.path.isdir(args.output_dir) else None
    return f"; the last good checkpoint is {last}" if last else "; no checkpoint was written"


@contextlib.contextmanager
def preserved_rng():
    """Leave Python's, NumPy's and torch's (CPU and CUDA) random states as they were."""
    py, np_state = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            random.setstate(py)
            np.random.set_state(np_state)


class EvaluationKeepsRNG:
    """Trainer mixin: evaluation leaves the random-number generators as it found them.

    Creating an evaluation DataLoader iterator draws from torch's generator; without this, an
    evaluation changes the data order and dropout of the training that follows, so a run resumed
    from a checkpoint saved just before an epoch-end evaluation would not continue as the
    uninterrupted run did, and how often one evaluates would change the trained weights."""

    def evaluate(self, *args, **kwargs):
        with preserved_rng():
            return super().evaluate(*args, **kwargs)


# ---------------------------------------------------------------------------------------- saving

def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    return False


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a tree by hard links (instant, no extra space), falling back to copies."""
    if src.is_dir():
        dst.mkdir()
        for child in src.iterdir():
            _link_tree(child, dst / child.name)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def atomic_replace_dir(output_dir: Path, write: Callable[[Path], None], carry: Iterable[str] = ()) -> Path:
    """Write a directory in full, then make it appear at `output_dir` in one step.

    `write(tmp)` fills a temporary directory beside `output_dir`; the entries named in `carry`
    (this run's checkpoints and logs) are linked in from the old `output_dir`; then the two are
    swapped atomically (renameat2 on Linux; elsewhere two renames) and the old one is deleted. A
    kill at any point leaves either the previous directory or the new one, whole; the temporary
    one is cleaned up by the next `start_run` on that output directory.
    """
    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{output_dir.name}-", dir=output_dir.parent))
    try:
        write(tmp)
        for name in carry:
            if (output_dir / name).exists() and not (tmp / name).exists():
                _link_tree(output_dir / name, tmp / name)
        os.chmod(tmp, 0o755)
        if not output_dir.exists():
            os.rename(tmp, output_dir)
            return output_dir
        if not _exchange(tmp, output_dir):
            old = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{output_dir.name}-", dir=output_dir.parent))
            os.rmdir(old)
            os.rename(output_dir, old)
            os.rename(tmp, output_dir)
            tmp = old
        shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return output_dir


def save_run(
    run: RunContext,
    training_args: TrainingArguments,
    model,
    tokenizer=None,
    results: dict | None = None,
    card: Callable[[Path], None] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path | None:
    """Save model (safetensors, with its remote code) + tokenizer + `all_results.json` + `training_args.json` + card
    (`card(dir)` writes it) + anything `extra(dir)` writes, atomically into the output directory,
    keeping this run's checkpoints and logs. Only the main process saves; returns the directory
    (None on other processes)."""
    if not _is_main(training_args):
        return None

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp)  # safetensors; Trainer.save_model would also pickle training_args.bin
        if tokenizer is not None:
            tokenizer.save_pretrained(str(tmp))
        (tmp / "training_args.json").write_text(training_args.to_json_string())
        if results is not None:
            (tmp / "all_results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        if extra is not None:
            extra(tmp)
        if card is not None:
            card(tmp)

    carry = [] if not run.output_dir.is_dir() else [p.name for p in run.output_dir.iterdir() if p.name not in run.preexisting and not p.name.startswith(TMP_PREFIX)]
    carry = [n for n in carry if n.startswith("checkpoint-") or n == "runs"]
    out = atomic_replace_dir(run.output_dir, write, carry)
    logger.info("saved model, tokenizer, results and card to %s", out)
    if training_args.push_to_hub:  # --push_to_hub: the files a user needs, through the library's one upload path
        from .. import hub

        hub.push(out, training_args.hub_model_id or Path(out).absolute().name, token=training_args.hub_token, private=training_args.hub_private_repo)
    return out
