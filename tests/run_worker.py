"""Runs one family's entry point in a real subprocess, for tests/test_run_path.py.

    python tests/run_worker.py FAMILY KILL_AT_STEP [train flags ...]

`KILL_AT_STEP` > 0: the process SIGKILLs itself right after the checkpoint of that step is
saved (a real kill, as a crash or an out-of-memory killer would). After training, each rank
writes its world size and a checksum of its weights to `<output_dir>.rank<r>.json` (beside the
output directory, so the run's own files stay its own).
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


class Report(TrainerCallback):
    """Per-rank record: weights checksum, world size, steps."""

    def __init__(self, path: str):
        self.path = path

    def on_train_end(self, args, state, control, model=None, **kwargs):
        digest = hashlib.sha256()
        for name, p in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(p.detach().cpu().contiguous().numpy().tobytes())
        world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
        record = {"weights": digest.hexdigest(), "world_size": world, "rank": args.process_index, "global_step": state.global_step}
        with open(f"{self.path}.rank{args.process_index}.json", "w") as f:
            json.dump(record, f)


def main() -> None:
    torch.set_num_threads(1)
    family, kill = sys.argv[1], int(sys.argv[2])
    argv = sys.argv[3:]
    from hf_transfer.cli import _train_entry, parse_train_args

    _, _, train = _train_entry(family)
    args, training_args = parse_train_args(family, argv)
    report = Report(training_args.output_dir.rstrip("/"))
    callbacks = [report]
    if kill > 0:
        callbacks.append(KillAfterSave(kill))

    train(args, training_args, callbacks=callbacks)


if __name__ == "__main__":
    main()
