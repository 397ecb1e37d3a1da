"""Shared helpers for the benchmark scripts: results records in the format of
`../shared/docs/BENCHMARKS.md`, written atomically to `benchmarks/results/<name>.json`."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import tempfile
from pathlib import Path

from hf_transfer.data.registry import data_dir


RESULTS_DIR = Path(__file__).resolve().parent / "results"
SHARED_DATA = data_dir()  # the one place that resolves it (HF_TRANSFER_DATA_DIR, default ../shared/data)


def machine() -> str:
    """A short description of the machine the figures were measured on."""
    try:
        import torch

        if torch.cuda.is_available():
            return f"{torch.cuda.get_device_name(0)} GPU"
    except ImportError:  # pragma: no cover
        pass
    return f"{os.cpu_count()}-core CPU ({platform.machine()})"


def versions() -> dict:
    import torch
    import transformers

    import hf_transfer

    return {"hf_transfer": hf_transfer.__version__, "torch": torch.__version__, "transformers": transformers.__version__}


def record(name, value, unit, direction, settings=None, target=None) -> dict:
    """One figure, as BENCHMARKS.md describes it."""
    rec = {"name": name, "value": round(float(value), 4), "unit": unit, "direction": direction}
    if target is not None:
        rec["target"] = target
    rec.update(
        settings=settings or {},
        machine=machine(),
        date=datetime.date.today().isoformat(),
        versions=versions(),
    )
    return rec


def write_results(stem: str, records: list[dict]) -> Path:
    """Write `records` to `benchmarks/results/<stem>.json` via a temporary file and a rename."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{stem}.json"
    fd, tmp = tempfile.mkstemp(dir=RESULTS_DIR, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(records, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private
    os.replace(tmp, path)
    for r in records:
        tgt = f" (target {r['target']})" if "target" in r else ""
        print(f"{r['name']}: {r['value']} {r['unit']}{tgt}")
    return path


def merge_results(stem: str, records: list[dict]) -> Path:
    """Write `records` into `benchmarks/results/<stem>.json`, keeping the figures already there
    whose names `records` does not replace."""
    path = RESULTS_DIR / f"{stem}.json"
    old = json.loads(path.read_text()) if path.exists() else []
    names = {r["name"] for r in records}
    return write_results(stem, [r for r in old if r["name"] not in names] + records)


@contextlib.contextmanager
def results_dir(path):
    """Results (and pictures) written under `path` instead of `benchmarks/results` (None: no change)."""
    global RESULTS_DIR
    old = RESULTS_DIR
    if path is not None:
        RESULTS_DIR = Path(path)
    try:
        yield RESULTS_DIR
    finally:
        RESULTS_DIR = old
