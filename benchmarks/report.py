"""Print the figures in `benchmarks/results/*.json` as a markdown table (for the README).
Usage: `python -m benchmarks.report [name-prefix ...]`.

The full report, with every figure beside its anchor of the same run, the published figures in
columns of their own and the plots, is `python -m benchmarks` (or, from existing records,
`python -m benchmarks.render`); see `benchmarks/REPORT.md`."""

from __future__ import annotations

import json
import sys

from benchmarks import common


def rows(prefixes=(), results_dir=None):
    for path in sorted((results_dir or common.RESULTS_DIR).glob("*.json")):
        data = json.loads(path.read_text())
        if not isinstance(data, list):  # e.g. fingerprint.json
            continue
        for rec in data:
            if prefixes and not rec["name"].startswith(tuple(prefixes)):
                continue
            yield rec


def main(argv=None):
    prefixes = (argv if argv is not None else sys.argv[1:]) or ()
    print("| figure | value | target | machine | date |")
    print("|---|---|---|---|---|")
    for rec in rows(prefixes):
        if rec.get("value") is None:  # a skipped figure (e.g. SetFit without the `bench` extra)
            print(f"| `{rec['name']}` | skipped: {rec.get('skipped', '')} |  | {rec['machine']} | {rec['date']} |")
            continue
        target = rec.get("target")
        met = ""
        if target is not None:
            ok = rec["value"] >= target if rec["direction"] == "higher" else rec["value"] <= target
            met = " (met)" if ok else " (not met)"
        target_text = f"{'>=' if rec['direction'] == 'higher' else '<='} {target}{met}" if target is not None else ""
        print(f"| `{rec['name']}` | {rec['value']:g} {rec['unit']} | {target_text} | {rec['machine']} | {rec['date']} |")


if __name__ == "__main__":
    main()
