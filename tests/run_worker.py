"""Runs one family's entry point in a real subprocess, for tests/test_run_path.py and
tests/test_multiprocess.py (under `python -m torch.distributed.run`).

    python tests/run_worker.py FAMILY KILL_AT_STEP [train flags ...]

`KILL_AT_STEP` > 0: the process SIGKILLs itself right after the checkpoint of that step is
saved (a real kill, as a crash or an out-of-memory killer would). After the entry point returns,
each rank writes `<output_dir>.rank<r>.json` (beside the output directory, so the run's own files
stay its own) with:

- `world_size`, `rank`, `backend`, `global_step`, `ddp_find_unused_parameters`;
- `weights`: a checksum of its weights at the end of training;
- `batches`: a checksum of the inputs of each training forward pass (what this rank trained on);
- `unused`: per optimizer step, the trainable parameters that got no gradient in that step;
- `frozen`: how many parameter tensors do not train (`requires_grad=False`);
- `saves`: how many times this process wrote the output directory (`save_run`'s atomic swap).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys

import torch
from transformers import TrainerCallback


class KillAfterSave(TrainerCallback):
    def __init__(self, step: int):
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def _digest(tensors) -> str:
    digest = hashlib.sha256()
    for name, t in tensors:
        digest.update(name.encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class Report(TrainerCallback):
    """Per-rank record of the run: what it trained on, which parameters sat out a step, its weights."""

    def __init__(self):
        self.record = {"batches": [], "unused": []}
        self._hook = None

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        def spy(module, positional, keywords):  # the Trainer calls model(**inputs); DDP calls the module
            if module.training:
                self.record["batches"].append(_digest(sorted((k, v) for k, v in keywords.items() if isinstance(v, torch.Tensor))))

        self._hook = model.register_forward_pre_hook(spy, with_kwargs=True)
        self.record["frozen"] = sum(1 for p in model.parameters() if not p.requires_grad)

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.record["unused"].append([n for n, p in model.named_parameters() if p.requires_grad and p.grad is None])

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self._hook is not None:
            self._hook.remove()
        dist = torch.distributed.is_initialized()
        self.record.update(
            weights=_digest(sorted(model.state_dict().items())),
            world_size=torch.distributed.get_world_size() if dist else 1,
            backend=torch.distributed.get_backend() if dist else None,
            rank=args.process_index,
            global_step=state.global_step,
            ddp_find_unused_parameters=args.ddp_find_unused_parameters,
        )


def main() -> None:
    torch.set_num_threads(1)
    family, kill = sys.argv[1], int(sys.argv[2])
    argv = sys.argv[3:]
    from hf_transfer.cli import _train_entry, parse_train_args
    from hf_transfer.training import run

    _, _, train = _train_entry(family)
    args, training_args = parse_train_args(family, argv)
    report = Report()
    callbacks = [report]
    if kill > 0:
        callbacks.append(KillAfterSave(kill))

    saves = []
    replace = run.atomic_replace_dir

    def counting_replace(output_dir, *a, **kw):
        saves.append(str(output_dir))
        return replace(output_dir, *a, **kw)

    run.atomic_replace_dir = counting_replace  # save_run looks it up in the module at call time
    train(args, training_args, callbacks=callbacks)
    with open(f"{training_args.output_dir.rstrip('/')}.rank{training_args.process_index}.json", "w") as f:
        json.dump({**report.record, "saves": len(saves)}, f)


if __name__ == "__main__":
    main()
