"""Print the figures in `benchmarks/results/*.json` as a markdown table (for the README).
Usage: `python -m benchmarks.report [name-prefix ...]`."""

from __future__ import annotations

import json
import sys

from benchmarks.common import RESULTS_DIR


def rows(prefixes=()):
    for path in sorted(RESULTS_DIR.glob("*.json")):
        for rec in json.loads(path.read_text()):
            if prefixes and not rec["name"].startswith(tuple(prefixes)):
                continue
            yield rec


def main(argv=None):
    prefixes = (argv if argv is not None else sys.argv[1:]) or ()
    print("| figure | value | target | machine | date |")
    print("|---|---|---|---|---|")
    for rec in rows(prefixes):
        target = rec.get("target")
        met = ""
        if target is not None:
            ok = rec["value"] >= target if rec["direction"] == "higher" else rec["value"] <= target
            met = " (met)" if ok else " (not met)"
        target_text = f"{'>=' if rec['direction'] == 'higher' else '<='} {target}{met}" if target is not None else ""
        print(f"| `{rec['name']}` | {rec['value']:g} {rec['unit']} | {target_text} | {rec['machine']} | {rec['date']} |")


if __name__ == "__main__":
    main()
