"""`python -m benchmarks` (issue 14): the seed summary, the renderer on synthetic records (measured
and published figures apart, anchors beside ours, PNG plots), the command line. The end-to-end
quick CRF part is the one slow test."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import common


ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------ seeds


def test_seed_summary_uses_the_t_interval():
    s = common.seed_summary([1.0, 2.0, 3.0])
    assert s["mean"] == 2.0 and s["std"] == 1.0 and s["n"] == 3 and s["over"] == "seeds"
    if s["dist"] == "t":  # scipy: t(0.975, 2) = 4.303
        assert s["ci95_low"] == pytest.approx(2 - 4.3027 / 3**0.5, abs=1e-3) and s["ci95_high"] == pytest.approx(2 + 4.3027 / 3**0.5, abs=1e-3)
    else:
        assert s["ci95_high"] == pytest.approx(2 + 1.96 / 3**0.5, abs=1e-3)


def test_seed_summary_of_one_value_has_no_interval():
    s = common.seed_summary([5.0])
    assert s["mean"] == 5.0 and s["n"] == 1 and s["std"] is None and s["ci95_low"] is None and s["ci95_high"] is None
    assert "no claim" in common.verdict(s)
    with pytest.raises(ValueError):
        common.seed_summary([])


def test_paired_difference_and_verdict():
    d = common.paired_difference([90.0, 91.0, 92.0, 93.0], [88.0, 88.5, 89.0, 90.0], over="episodes")
    assert d["mean"] == pytest.approx(2.625) and d["over"] == "episodes"
    assert common.verdict(d).startswith("gain")
    assert common.verdict(common.seed_summary([-3.0, -2.0, -2.5])).startswith("loss")
    assert common.verdict(common.seed_summary([-1.0, 2.0, 0.5])).startswith("no clear difference")
    with pytest.raises(ValueError):
        common.paired_difference([1.0], [1.0, 2.0])


def test_record_adds_fields_only(monkeypatch):
    plain = common.record("x.y", 1.23456, "%", "higher", {"seed": 0})
    assert {"name", "value", "unit", "direction", "settings", "machine", "date", "versions"} == set(plain)
    monkeypatch.setattr(common, "RUN", {"id": "r1", "mode": "quick"})
    rec = common.record("x.y", None, "%", "higher", {}, skipped="not installed", interval=common.seed_summary([1.0, 2.0]))
    assert rec["value"] is None and rec["skipped"] == "not installed" and rec["run"] == {"id": "r1", "mode": "quick"}
    assert rec["interval"]["n"] == 2 and "python" in rec["versions"]


def test_peak_rss_measures_a_block():
    with common.PeakRSS() as mem:
        block = bytearray(64 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    assert mem.peak_mb is not None and mem.method
    if mem.method.startswith("VmHWM"):
        assert mem.increase_mb >= 50


def test_nested_peak_rss_keeps_the_outer_peak():
    with common.PeakRSS() as outer:
        block = bytearray(96 * 2**20)
        block[::4096] = b"x" * len(block[::4096])
        del block
        with common.PeakRSS() as inner:  # resets the kernel's high-water mark
            pass
    if outer.method.startswith("VmHWM"):
        assert outer.peak_mb - inner.peak_mb >= 64


# ------------------------------------------------------------------------------ the renderer


def _interval(values):
    return common.seed_summary(values)


def _synthetic(results: Path, monkeypatch):
    """A results folder as one run of every part would leave it (few records per part), plus an
    earlier single-script figure."""
    from benchmarks.render import PUBLISHED_JOINT  # noqa: F401 (the published figures exist)

    rec = common.record
    monkeypatch.setattr(common, "RUN", {"id": "20260101T000000-full", "mode": "full", "command": "python -m benchmarks", "started": "2026-01-01T00:00:00", "threads": 1})
    curve = {"step": [1, 2], "epoch": [0.5, 1.0], "loss": [2.0, 1.0], "eval_step": [2], "eval_epoch": [1.0], "eval": {"frame_accuracy": [50.0]}}
    mt = []
    values = {"ours": (97.1, 95.2, 88.3), "plain_joint": (96.5, 93.1, 81.7), "two_models": (96.0, 92.0, 80.0)}
    for system, (intent, slot, frame) in values.items():
        for metric, v in zip(("intent_accuracy", "slot_f1", "frame_accuracy"), (intent, slot, frame)):
            per_seed = [v - 0.2, v, v + 0.2]
            mt.append(rec(f"multitask.snips.compare.{system}.{metric}", sum(per_seed) / 3, "%", "higher", {"seeds": [42, 43, 44], "epochs": 5, "batch_size": 32,
                          "learning_rate": 1e-4, "learning_rate_search": [{"learning_rate": 1e-4, "val": {"frame_accuracy": 80.0}, "test": {"frame_accuracy": 81.0}}]},
                          interval=_interval(per_seed)))
        mt.append(rec(f"multitask.snips.compare.{system}.train_time_s", 100.0, "s", "lower", {}, interval=_interval([99.0, 100.0, 101.0])))
        mt.append(rec(f"multitask.snips.compare.{system}.training_curve", 1.0, "loss", "lower",
                      {"curve": {"intent": curve, "slots": curve} if system == "two_models" else curve}))
    for metric in ("intent_accuracy", "slot_f1", "frame_accuracy"):
        mt.append(rec(f"multitask.snips.compare.ours_vs_plain_joint.{metric}_diff", 2.1, "points", "higher", {}, interval=_interval([2.0, 2.1, 2.2])))
    mt.append(rec("multitask.snips.compare.ours_vs_plain_joint.train_time_ratio", 1.8, "x", "lower", {}))
    (results / "multitask_anchors.json").write_text(json.dumps(mt))

    fs = [rec("fewshot.clinc150.allclass_k0.zeroshot", 60.0, "%", "higher", {"classes": 150})]
    for k in (5, 10):
        for method, v in (("logreg", 80.0 + k), ("frozen_protonet", 79.0 + k), ("protonet", 83.0 + k)):
            fs.append(rec(f"fewshot.clinc150.allclass_k{k}.{method}", v, "%", "higher", {"k": k, "classes": 150, "seeds": [0, 1], "per_seed": {"0": v, "1": v}},
                          interval=_interval([v - 0.5, v + 0.5])))
        fs.append(rec(f"fewshot.clinc150.allclass_k{k}.protonet.gain_over_logreg", 3.0, "points", "higher", {}, interval=_interval([2.9, 3.1])))
        fs.append(rec(f"fewshot.clinc150.allclass_k{k}.setfit", None, "%", "higher", {"k": k}, skipped="setfit is not importable"))
    for k in (1, 5):
        fs.append(rec(f"fewshot.clinc150.frozen_protonet.5way{k}shot", 95.0, "%", "higher", {"episodes": 10, "ci95": 0.5}))
        fs.append(rec(f"fewshot.clinc150.protonet.5way{k}shot", 96.0, "%", "higher", {"episodes": 10, "ci95": 0.5}))
        fs.append(rec(f"fewshot.clinc150.protonet.5way{k}shot.paired_vs_frozen_protonet", 1.0, "points", "higher", {}, interval=_interval([0.5, 1.0, 1.5])))
    (results / "fewshot_allclass.json").write_text(json.dumps(fs))

    crf = []
    for length in (10, 50):
        for op in ("nll", "decode"):
            crf.append(rec(f"crf.sweep.{op}_speedup.len{length}.tags20", 3.0, "x", "higher", {"batch": 8, "torchcrf_ms": 3.0 * length, "ours_ms": float(length)}))
    crf.append(rec("crf.decode_speedup", 12.0, "x", "higher", {"batch": 64}))
    crf.append(rec("crf.decode_ms", 10.0, "ms", "lower", {}))
    crf.append(rec("crf.torchcrf_decode_ms", 120.0, "ms", "lower", {}))
    (results / "crf.json").write_text(json.dumps(crf))

    ml = [rec(f"multilingual.xsid.seed42.{v}.accuracy_{lang}", 70.0 + i, "%", "higher", {"encoder": "e5", "train_languages": "en,de"})
          for i, v in enumerate(("joint", "adversarial_diff")) for lang in ("en", "de", "ja")]
    (results / "multilingual_xsid_e5_seed42.json").write_text(json.dumps(ml))
    monkeypatch.setattr(common, "RUN", {})
    (results / "old.json").write_text(json.dumps([rec("finetune.freeze_lower4.step_time_ratio", 0.47, "ratio", "lower", {}, target=0.6)]))
    (results / "fingerprint.json").write_text(json.dumps({"crf": {"llh_sum": 1.0}}))  # not a list of records: skipped


def test_render_tables_and_plots(tmp_path, monkeypatch):
    from benchmarks import render

    results = tmp_path / "results"
    results.mkdir()
    _synthetic(results, monkeypatch)
    report = render.render(results, tmp_path / "REPORT.md")
    text = report.read_text()

    # the headline: ours and the anchor of the same run side by side, published figures in their own column
    head = text.split("## Headline", 1)[1].split("## Runs", 1)[0]
    assert "| comparison | ours (measured) | anchor (measured, same run) | ours vs anchor | published (not measured here) |" in head
    snips = next(line for line in head.splitlines() if line.startswith("| Multi-task SNIPS, intent"))
    cells = [c.strip() for c in snips.strip("|").split("|")]
    assert cells[1] == "97.10 / 95.20 / 88.30" and cells[2] == "plain joint MiniLM: 96.50 / 93.10 / 81.70"
    assert "98.57" not in cells[1] + cells[2] + cells[3] and "98.57" in cells[4]  # JointBERT BERT+CRF only in the published column
    assert "3 seeds" in cells[3] and "gain" in cells[3]
    assert "figures of different runs" not in head
    k10 = next(line for line in head.splitlines() if "K = 10" in line)
    assert "frozen MiniLM + logreg" in k10 and "CPFT: 94.18" in k10 and "gain" in k10

    # the measured multi-task table holds no published figure; the published one is apart
    section = text.split("### SNIPS", 1)[1].split("Published (cited", 1)[0]
    assert "ours (train_multitask)" in section and "plain joint model" in section and "two plain models" in section
    assert "99.14" not in section and "98.57" not in section
    assert "| model (published) | intent acc % | slot F1 % | exact frame % |" in text
    assert "| model (published) | K = 5 | K = 10 |" in text

    # few-shot: the skipped SetFit is said, seeds and paired episodes reported
    assert "setfit" in text and "skipped" in text
    assert "paired episode by episode" in text
    # machine, date and run named; the earlier single-script figure listed apart
    assert "20260101T000000-full" in text and common.machine() in text
    assert "figures from earlier single-script runs" in text and "finetune.freeze_lower4.step_time_ratio" in text

    # plots: PNG files, linked from the report
    plots = sorted(p.name for p in (results / "plots").glob("*.png"))
    assert {"multitask_curves_snips.png", "fewshot_accuracy_vs_k.png", "crf_time_vs_length.png", "multilingual_languages_xsid_e5.png"} <= set(plots)
    for name in plots:
        assert (results / "plots" / name).read_bytes()[:8] == PNG
        assert f"](results/plots/{name})" in text


def test_readme_headline(tmp_path, monkeypatch):
    from benchmarks import render

    results = tmp_path / "results"
    results.mkdir()
    _synthetic(results, monkeypatch)
    text = render.readme_headline(results)
    assert "[the benchmark report](benchmarks/REPORT.md)" in text and "| comparison | ours (measured) |" in text
    assert not (results / "plots").exists()  # the README paragraph draws nothing


def test_render_flags_a_row_mixing_runs(tmp_path, monkeypatch):
    from benchmarks import render

    results = tmp_path / "results"
    results.mkdir()
    _synthetic(results, monkeypatch)
    records = json.loads((results / "multitask_anchors.json").read_text())
    for r in records:
        if ".plain_joint." in r["name"]:
            r["run"] = {**r["run"], "id": "another-run"}
    (results / "multitask_anchors.json").write_text(json.dumps(records))
    text = render.render(results, tmp_path / "REPORT.md", plots_dir=tmp_path / "plots").read_text()
    assert "Multi-task SNIPS, intent acc / slot F1 / exact frame (%) **(figures of different runs)**" in text


def test_report_py_skips_non_records(tmp_path, monkeypatch, capsys):
    from benchmarks import report

    results = tmp_path / "results"
    results.mkdir()
    _synthetic(results, monkeypatch)
    monkeypatch.setattr(common, "RESULTS_DIR", results)
    report.main(["fewshot.clinc150.allclass_k5"])
    out = capsys.readouterr().out
    assert "`fewshot.clinc150.allclass_k5.setfit` | skipped" in out and "`fewshot.clinc150.allclass_k5.logreg` | 85" in out


# ------------------------------------------------------------------------------ the command line


def test_help():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for flag in ("--quick", "--parts", "--results_dir", "--report", "--set", "--render_only"):
        assert flag in out.stdout


def test_parse_quick_parts_and_paths(tmp_path):
    from benchmarks.__main__ import build_parser, resolve_paths
    from benchmarks.harness import PARTS, budgets

    parser = build_parser()
    args = parser.parse_args(["--quick", "--parts", "crf,fewshot"])
    assert args.quick and args.parts == ["crf", "fewshot"]
    assert parser.parse_args(["--parts", "crf multitask"]).parts == ["crf", "multitask"]
    assert parser.parse_args([]).parts == list(PARTS) and not parser.parse_args([]).quick
    with pytest.raises(SystemExit):
        parser.parse_args(["--parts", "crf,nope"])
    results, report = resolve_paths(args)
    assert results == (ROOT / "benchmarks" / "results" / "quick").resolve() and report == results / "REPORT.md"  # a quick run never touches the committed results
    results, report = resolve_paths(parser.parse_args([]))
    assert results == (ROOT / "benchmarks" / "results").resolve() and report == (ROOT / "benchmarks" / "REPORT.md").resolve()
    results, report = resolve_paths(parser.parse_args(["--results_dir", str(tmp_path)]))
    assert results == tmp_path.resolve() and report == tmp_path.resolve() / "REPORT.md"

    args = parser.parse_args(["--quick", "--set", "multitask.epochs=2", "--set", "fewshot.allclass_seeds=[0,1]", "--set", "crf.lengths=[10]"])
    overrides = {}
    for part, key, value in args.settings:
        overrides.setdefault(part, {})[key] = value
    plan = budgets(True, overrides)
    assert plan["multitask"]["budget"]["epochs"] == 2 and plan["fewshot"]["allclass_seeds"] == [0, 1] and plan["crf"]["lengths"] == [10]
    assert budgets(True)["multitask"]["budget"]["epochs"] == 1  # the defaults are not changed
    with pytest.raises(SystemExit):
        parser.parse_args(["--set", "nopart.x=1"])


def test_quick_and_full_budgets_cover_the_protocols():
    from benchmarks.harness import FULL, PARTS, QUICK

    assert set(QUICK) == set(FULL) == set(PARTS)
    assert FULL["fewshot"]["allclass_seeds"] == (0, 1, 2, 3, 4) and FULL["fewshot"]["allclass_test_per_class"] is None  # the whole test split
    assert FULL["fewshot"]["allclass_k"] == QUICK["fewshot"]["allclass_k"] == (5, 10)
    assert len(QUICK["fewshot"]["allclass_seeds"]) == 1 and len(QUICK["multitask"]["anchor_learning_rates"]) == 1
    assert set(FULL["multitask"]["anchor_learning_rates"]) == {5e-5, 1e-4} and len(FULL["multitask"]["seeds"]) >= 3


def test_allclass_sampling_is_the_protocol():
    from datasets import ClassLabel, Dataset, Features, Value

    from benchmarks.allclass import allclass_sample, test_subset

    labels = [i % 3 for i in range(30)]
    ds = Dataset.from_dict({"text": [f"t{i}" for i in range(30)], "label": labels}, features=Features({"text": Value("string"), "label": ClassLabel(names=["a", "b", "c"])}))
    rows = allclass_sample(ds, 2, seed=0)
    assert len(rows) == 6 and rows == sorted(rows)
    import random

    for label in range(3):
        members = [i for i in range(30) if labels[i] == label]
        assert sorted(random.Random(0).sample(members, 2)) == [i for i in rows if labels[i] == label]
    assert allclass_sample(ds, 2, seed=1) != rows and allclass_sample(ds, 2, seed=0) == rows
    assert test_subset(ds, 1) == [0, 1, 2] and test_subset(ds, None) == list(range(30))


# ------------------------------------------------------------------------------ end to end


@pytest.mark.slow
def test_quick_crf_part_end_to_end(tmp_path, shared_data):
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--parts", "crf", "--results_dir", str(tmp_path), "--set", "crf.lengths=[10,20]",
                          "--set", "crf.tags=[8,16]", "--set", "crf.repeats=1", "--set", "crf.main_repeats=1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    records = {r["name"]: r for r in json.loads((tmp_path / "crf.json").read_text())}
    assert {"crf.decode_speedup", "crf.nll_speedup", "crf.sweep.decode_speedup.len20.tags16"} <= set(records)
    assert records["crf.decode_speedup"]["run"]["mode"] == "quick"
    assert records["crf.real.slot_model.decode_speedup"]["skipped"]  # no multitask part in this run
    assert (tmp_path / "REPORT.md").is_file() and (tmp_path / "plots" / "crf_time_vs_length.png").read_bytes()[:8] == PNG
    assert json.loads((tmp_path / "harness.json").read_text())[0]["name"] == "harness.crf.wall_s"
