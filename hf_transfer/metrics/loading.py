"""Loading the `evaluate` metric modules shipped in this package, offline.

Each metric is a folder `hf_transfer/metrics/<name>/` holding the script `<name>.py` (package data
of the wheel). `evaluate.load(<that folder>)` finds the script on disk, copies it into its modules
cache (``HF_MODULES_CACHE``, default ``~/.cache/huggingface/modules``) under a hash of its code and
imports it from there: a local path never touches the network or the Hub.
"""

from __future__ import annotations

import functools
from pathlib import Path


__all__ = ["METRIC_NAMES", "load_metric", "metric_path"]

METRIC_NAMES = ("intent_accuracy", "slot_f1", "frame_accuracy", "episode_accuracy")
"""The metric modules shipped in this package."""

_HERE = Path(__file__).resolve().parent


def metric_path(name: str) -> str:
    """The folder of metric module `name` (what `evaluate.load` takes)."""
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}; the package ships {', '.join(METRIC_NAMES)}")
    path = _HERE / name
    if not (path / f"{name}.py").is_file():
        raise FileNotFoundError(f"metric script {path / f'{name}.py'} is missing (a broken install?)")
    return str(path)


@functools.lru_cache(maxsize=None)
def _loaded(name: str):
    """`evaluate.load` of the packaged script, once per process: the module class and its code hash."""
    import evaluate

    module = evaluate.load(metric_path(name), keep_in_memory=True)
    return type(module), getattr(module, "_hash", None)


def load_metric(name: str):
    """The packaged `evaluate` metric module `name` (one of `METRIC_NAMES`), loaded offline from its
    path inside the package with `evaluate.load` (once per process; later calls reuse the imported
    class), with its results kept in memory (no cache files). Scores are fractions in [0, 1].

    Each call returns a new instance: an `evaluate` module is stateful (``add_batch`` buffers, and a
    ``compute`` that fails on bad input leaves its writer behind), so instances are never shared.
    """
    cls, code_hash = _loaded(name)
    return cls(keep_in_memory=True, hash=code_hash)
