"""One command for the benchmark report: every figure beside its anchor, measured in the same run.

    python -m benchmarks --quick                      # every part, small subsets, a few steps (~3 min on a 2-core CPU)
    python -m benchmarks                              # the full protocols (about a day on a 2-core CPU: split it with --parts)
    python -m benchmarks --quick --parts crf,fewshot  # some parts only
    python -m benchmarks --render_only                # re-render the report from the results folder

Parts (run in this order; see `benchmarks/harness.py`): finetune, multitask, crf, fewshot,
multilingual. Each writes its records (`benchmarks/common.record`, the format of BENCHMARKS.md,
plus `run`, and `interval` where a figure has seeds or paired episodes) to
`<results_dir>/*.json`; the report (`benchmarks/render.py`) is rendered at the end with its plots
in `<results_dir>/plots/`.

Defaults: full mode writes to `benchmarks/results/` and `benchmarks/REPORT.md`; `--quick` writes
to `benchmarks/results/quick/` and its `REPORT.md` there, so a quick run never replaces the
committed full results. Budgets can be changed part by part with `--set part.key=value` (a JSON
value), e.g. `--set multitask.seeds=[42] --set multitask.epochs=3 --set fewshot.allclass_seeds=[0,1]`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent


def _parts(value: str) -> list[str]:
    from benchmarks.harness import PARTS

    parts = [p.strip() for chunk in value.split(",") for p in chunk.split() if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return parts


def _setting(value: str) -> tuple[str, str, object]:
    from benchmarks.harness import PARTS

    if "=" not in value or "." not in value.split("=", 1)[0]:
        raise argparse.ArgumentTypeError(f"--set wants part.key=value, got {value!r}")
    target, raw = value.split("=", 1)
    part, key = target.split(".", 1)
    if part not in PARTS:
        raise argparse.ArgumentTypeError(f"--set: unknown part {part!r}; choose from {', '.join(PARTS)}")
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        parsed = raw
    return part, key, parsed


def build_parser() -> argparse.ArgumentParser:
    from benchmarks.harness import PARTS

    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small subsets and a few steps: every part exercised in minutes (figures not meaningful)")
    p.add_argument("--parts", type=_parts, default=list(PARTS), help=f"comma-separated parts to run (default all: {','.join(PARTS)})")
    p.add_argument("--results_dir", default=None, help="where the records and plots go (default benchmarks/results, or benchmarks/results/quick with --quick)")
    p.add_argument("--report", default=None, help="the report's path (default benchmarks/REPORT.md, or <results_dir>/REPORT.md with --quick or --results_dir)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: on a shared 2-core machine two threads contend)")
    p.add_argument("--set", dest="settings", type=_setting, action="append", default=[], metavar="PART.KEY=VALUE", help="change one budget value (JSON)")
    p.add_argument("--work_dir", default=None, help="keep the trained models here (default a temporary folder, removed at the end)")
    p.add_argument("--slot_model", default=None, help="crf part: also time the CRF on this trained multi-task model's real emissions")
    p.add_argument("--slot_dataset", default=None, help="--slot_model: its data set (default: from the folder name, e.g. atis-...)")
    p.add_argument("--render_only", action="store_true", help="run nothing; render the report from the results folder")
    p.add_argument("--no_render", action="store_true", help="run the parts, do not render the report")
    p.add_argument("--fail_fast", action="store_true", help="stop at the first failing part (default: record the failure, run the rest, exit 1)")
    return p


def resolve_paths(args) -> tuple[Path, Path]:
    results = Path(args.results_dir) if args.results_dir else HERE / "results" / ("quick" if args.quick else "")
    if args.report:
        report = Path(args.report)
    elif args.quick or args.results_dir:
        report = results / "REPORT.md"
    else:
        report = HERE / "REPORT.md"
    return results.resolve(), report.resolve()


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    results_dir, report = resolve_paths(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from benchmarks import common, render

    if args.render_only:
        path = render.render(results_dir, report)
        print(f"report: {path}")
        return 0

    import torch
    import transformers

    from benchmarks.harness import budgets, run_parts

    transformers.logging.set_verbosity_warning()
    torch.set_num_threads(args.threads)
    overrides: dict = {}
    for part, key, value in args.settings:
        overrides.setdefault(part, {})[key] = value
    plan = budgets(args.quick, overrides)
    started = datetime.datetime.now()
    common.RUN.clear()
    common.RUN.update({
        "id": started.strftime("%Y%m%dT%H%M%S") + ("-quick" if args.quick else "-full"), "mode": "quick" if args.quick else "full",
        "command": "python -m benchmarks " + " ".join(argv), "started": started.isoformat(timespec="seconds"), "threads": args.threads,
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    })
    results_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        with common.results_dir(results_dir):
            _, status = run_parts(args.parts, plan, work_dir=args.work_dir, slot_model=args.slot_model, fail_fast=args.fail_fast,
                                  slot_dataset=args.slot_dataset)
    finally:
        run = dict(common.RUN)
        common.RUN.clear()
    total = time.perf_counter() - start
    for part, s in status.items():
        print(f"{part:13s} {s['wall_s']:8.1f} s" + (f"   FAILED: {s['error']}" if s["error"] else ""))
    print(f"{'total':13s} {total:8.1f} s   run {run['id']}")
    if not args.no_render:
        path = render.render(results_dir, report)
        print(f"report: {path}")
    return 1 if any(s["error"] for s in status.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
