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
RUN: dict = {}  # set by `python -m benchmarks` for the run's duration: copied into every record as `run`


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

    out = {"hf_transfer": hf_transfer.__version__, "torch": torch.__version__, "transformers": transformers.__version__}
    if RUN:  # the benchmark command's records also name the other libraries a figure may depend on
        out.update(_more_versions())
    return out


def _more_versions() -> dict:
    import importlib.metadata
    import sys

    out = {"python": sys.version.split()[0]}
    for dist in ("datasets", "accelerate", "pytorch-crf", "scikit-learn", "numpy", "setfit"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def record(name, value, unit, direction, settings=None, target=None, **extra) -> dict:
    """One figure, as BENCHMARKS.md describes it.

    Fields added to the format, all optional (older records have none of them): `extra` keywords
    become fields of their own (e.g. `interval=seed_summary(values)`, `skipped="why"` with a
    `value` of None), and while `python -m benchmarks` runs, `run` names the invocation the
    figure came from (id, mode, command, start time), so the report pairs figures measured in
    the same run."""
    rec = {"name": name, "value": None if value is None else round(float(value), 4), "unit": unit, "direction": direction}
    if target is not None:
        rec["target"] = target
    rec.update(
        settings=settings or {},
        machine=machine(),
        date=datetime.date.today().isoformat(),
        versions=versions(),
    )
    rec.update({k: v for k, v in extra.items() if v is not None})
    if RUN:
        rec["run"] = dict(RUN)
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


# ---------------------------------------------------------------------------------------------
# seeds, paired differences, memory (used by `python -m benchmarks`)
# ---------------------------------------------------------------------------------------------


def _t_quantile(n: int) -> tuple[float, str]:
    """The two-sided 95% quantile for `n` values: Student's t with n - 1 degrees of freedom when
    scipy is installed, else the normal 1.96 (which understates the interval for few seeds)."""
    try:
        from scipy import stats

        return float(stats.t.ppf(0.975, n - 1)), "t"
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        return 1.96, "normal"


def seed_summary(values, over: str = "seeds") -> dict:
    """Mean, sample standard deviation and 95% interval of the mean of `values` (e.g. one figure
    per seed): `{mean, std, ci95_low, ci95_high, n, over, dist}` (`dist`: "t" or "normal"). With one value there is no
    spread: std and the interval are None."""
    import statistics

    values = [float(v) for v in values]
    if not values:
        raise ValueError("seed_summary: no values")
    mean = statistics.fmean(values)
    out = {"mean": round(mean, 4), "std": None, "ci95_low": None, "ci95_high": None, "n": len(values), "over": over, "dist": None}
    if len(values) >= 2:
        std = statistics.stdev(values)
        q, kind = _t_quantile(len(values))
        half = q * std / len(values) ** 0.5
        out.update(std=round(std, 4), ci95_low=round(mean - half, 4), ci95_high=round(mean + half, 4), dist=kind)
    return out


def paired_difference(ours, anchor, over: str = "episodes") -> dict:
    """`seed_summary` of the element-wise differences `ours[i] - anchor[i]` (pairs: the same
    episode, seed or split scored by both)."""
    ours, anchor = list(ours), list(anchor)
    if len(ours) != len(anchor):
        raise ValueError(f"paired_difference: {len(ours)} values against {len(anchor)}")
    return seed_summary([a - b for a, b in zip(ours, anchor)], over=over)


def verdict(summary: dict | None, unit: str = "points") -> str:
    """What an interval lets one say about a difference: a gain or a loss only where the 95%
    interval excludes 0."""
    if not summary or summary.get("ci95_low") is None:
        n = summary.get("n", 0) if summary else 0
        return f"no interval ({n} value{'s' if n != 1 else ''}): no claim"
    low, high = summary["ci95_low"], summary["ci95_high"]
    if low > 0:
        return f"gain (95% interval {low:+.2f} to {high:+.2f} {unit})"
    if high < 0:
        return f"loss (95% interval {low:+.2f} to {high:+.2f} {unit})"
    return f"no clear difference (95% interval {low:+.2f} to {high:+.2f} {unit})"


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float | None:
    """The current resident set size in MiB (Linux /proc; None elsewhere)."""
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


class PeakRSS:
    """Peak resident memory of the process over a block (MiB), standard library only.

    On Linux the kernel's high-water mark (`VmHWM`) is reset at the start of the block (writing
    5 to /proc/self/clear_refs), so `peak_mb` is the block's own peak (what the process already
    held included; `increase_mb` is the peak minus the RSS at the start). Where the reset is not
    possible, `resource.getrusage` gives the process's lifetime peak and `method` says so.

        with PeakRSS() as mem:
            train()
        mem.peak_mb, mem.increase_mb, mem.method
    """

    _open: list = []  # blocks being measured: a nested block's reset must not lose an outer block's peak

    def __init__(self):
        self.peak_mb = self.start_mb = self.increase_mb = None
        self.method = None
        self._carried_kb = 0

    def start(self) -> PeakRSS:
        self.start_mb = rss_mb()
        hwm = _status_kb("VmHWM")
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.method = "VmHWM, reset at the start (Linux)"
            for outer in PeakRSS._open:  # the peak so far, before the reset, still counts for the outer blocks
                outer._carried_kb = max(outer._carried_kb, hwm or 0)
        except OSError:
            self.method = "ru_maxrss (process lifetime peak)"
        PeakRSS._open.append(self)
        return self

    def stop(self) -> PeakRSS:
        if self in PeakRSS._open:
            PeakRSS._open.remove(self)
        if self.method and self.method.startswith("VmHWM"):
            kb = _status_kb("VmHWM")
            self.peak_mb = None if kb is None else max(kb, self._carried_kb) / 1024
        else:
            import resource
            import sys

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.peak_mb = peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
        if self.peak_mb is not None and self.start_mb is not None:
            self.increase_mb = max(0.0, self.peak_mb - self.start_mb)
        return self

    def __enter__(self) -> PeakRSS:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def as_settings(self, prefix: str = "") -> dict:
        return {f"{prefix}peak_rss_mb": None if self.peak_mb is None else round(self.peak_mb, 1),
                f"{prefix}rss_increase_mb": None if self.increase_mb is None else round(self.increase_mb, 1),
                "rss_method": self.method}
