"""Render `REPORT.md` and its PNG plots from the records in a results folder.

    python -m benchmarks.render [--results_dir benchmarks/results] [--report benchmarks/REPORT.md]

Tables put every figure of the library beside its anchor measured in the same run (the `run`
field of the records), with the machine and date; published figures sit in tables and columns of
their own, never mixed with measured ones; a difference is called a gain or a loss only where its
95% interval (over seeds or paired episodes) excludes zero. Plots (matplotlib, `<results>/plots/`):
training curves of ours and the anchors, few-shot accuracy against K per method, CRF time
against sequence length (ours vs pytorch-crf), per-language accuracy bars of the multilingual runs.
Figures without a `run` (measured by the single benchmark scripts) are listed at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
from collections import defaultdict
from pathlib import Path

from benchmarks.common import verdict


HERE = Path(__file__).resolve().parent

# ------------------------------------------------------------------------------ published figures (cited, never measured here)

PUBLISHED_JOINT = {  # intent accuracy / slot F1 / exact frame (sentence) accuracy, test sets
    "snips": [
        ("JointBERT, BERT-base (110M), no CRF", (99.14, 96.90, 93.00)),
        ("JointBERT, BERT-base + CRF", (98.57, 97.24, 93.57)),
        ("JointBERT, DistilBERT (66M) + CRF", (98.57, 96.46, 91.85)),
        ("OpenSLU, JointBERT reproduction", (98.4, 96.4, 91.9)),
    ],
    "atis": [
        ("JointBERT, BERT-base (110M), no CRF", (97.87, 95.59, 88.24)),
        ("JointBERT, BERT-base + CRF", (97.98, 95.93, 88.58)),
        ("JointBERT, DistilBERT (66M) + CRF", (97.65, 95.89, 88.24)),
        ("OpenSLU, JointBERT reproduction", (97.9, 95.8, 88.6)),
    ],
}
PUBLISHED_JOINT_SOURCE = "monologg/JointBERT README (reference implementation); OpenSLU toolkit (Qin et al., 2023). Backbones larger than MiniLM-L6 (22M)."
PUBLISHED_ALLCLASS = [  # CLINC150 all-class accuracy, K = 5 / K = 10
    ("CPFT (RoBERTa-base, contrastive pre-training on intent data)", (92.34, 94.18)),
    ("DNNC (RoBERTa-base, NLI pre-training)", (91.02, 93.76)),
    ("USE+ConveRT (Casanueva et al., 2020)", (90.49, 93.26)),
    ("RoBERTa-base + classifier", (87.99, 91.55)),
]
PUBLISHED_ALLCLASS_SOURCE = "Zhang et al., EMNLP 2021 (CPFT), all-class K-shot table; whole CLINC150 test split."
JOINT_METRICS = ("intent_accuracy", "slot_f1", "frame_accuracy")
SYSTEM_LABELS = {"ours": "ours (train_multitask)", "plain_joint": "plain joint model", "two_models": "two plain models"}


# ------------------------------------------------------------------------------ records


def load_records(results_dir) -> list[dict]:
    """Every record of `<results_dir>/*.json` (files that are not lists of records are skipped),
    with `_file` set; for a name found in several files, the latest run's."""
    by_name: dict[str, dict] = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(data, list):
            continue
        for rec in data:
            if not isinstance(rec, dict) or "name" not in rec:
                continue
            rec = {**rec, "_file": path.name}
            old = by_name.get(rec["name"])
            if old is None or _when(rec) >= _when(old):
                by_name[rec["name"]] = rec
    return list(by_name.values())


def _when(rec) -> str:
    return (rec.get("run") or {}).get("started") or rec.get("date") or ""


class Records:
    def __init__(self, records):
        self.all = list(records)
        self.by_name = {r["name"]: r for r in self.all}

    def get(self, name):
        return self.by_name.get(name)

    def value(self, name):
        r = self.get(name)
        return None if r is None else r.get("value")

    def matching(self, pattern):
        rx = re.compile(pattern)
        return [r for r in self.all if rx.fullmatch(r["name"])]

    def run_records(self):
        return [r for r in self.all if r.get("run")]

    def runs(self) -> list[dict]:
        seen = {}
        for r in self.run_records():
            run = r["run"]
            seen.setdefault(run.get("id"), {**run, "machine": r.get("machine"), "date": r.get("date"), "versions": r.get("versions")})
        return sorted(seen.values(), key=lambda x: x.get("started") or "")


# ------------------------------------------------------------------------------ formatting


def fmt(value, unit="", digits=None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if digits is None:
        digits = {"%": 2, "points": 2, "x": 2, "ratio": 3, "ms": 2, "s": 1, "MiB": 0, "loss": 3, "ppm": 3}.get(unit, 3)
    text = f"{value:.{digits}f}"
    return text + ("x" if unit == "x" else "")


def fmt_rec(rec, with_interval=True, digits=None, unit=False) -> str:
    """`value` (± std over n seeds) of a record; `unit`: with its unit (ms, s, MiB ...)."""
    if rec is None:
        return "—"
    if rec.get("skipped"):
        return "skipped"
    text = fmt(rec.get("value"), rec.get("unit", ""), digits)
    if unit and rec.get("unit") not in (None, "", "x", "%", "ratio") and rec.get("value") is not None:
        text += f" {rec['unit']}"
    iv = rec.get("interval") or {}
    if with_interval and iv.get("std") is not None:
        text += f" ± {fmt(iv['std'], rec.get('unit', ''), digits).rstrip('x')}"
    if with_interval and iv.get("n", 1) > 1:
        text += f" (n={iv['n']})"
    return text


def short_verdict(iv) -> str:
    if not iv or iv.get("ci95_low") is None:
        return "no interval"
    return "gain" if iv["ci95_low"] > 0 else "loss" if iv["ci95_high"] < 0 else "no clear difference"


def fmt_diff(rec, digits=2) -> str:
    """A difference with its 95% interval and what the interval lets one say."""
    if rec is None:
        return "—"
    v = rec.get("value")
    iv = rec.get("interval") or {}
    text = "—" if v is None else f"{v:+.{digits}f}"
    return f"{text}; {verdict(iv, rec.get('unit', 'points'))}" if iv else text


def table(header, rows) -> str:
    if not rows:
        return ""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def provenance(records) -> str:
    """'measured in run X (mode) on machine, date' for a set of records."""
    records = [r for r in records if r]
    runs = {}
    for r in records:
        run = r.get("run") or {}
        runs.setdefault(run.get("id", "(single script)"), (run.get("mode", "?"), r.get("machine"), r.get("date")))
    if not runs:
        return ""
    parts = [f"run `{rid}` ({mode}) on {machine}, {date}" if mode != "?" else f"a single benchmark script (not `python -m benchmarks`) on {machine}, {date}"
             for rid, (mode, machine, date) in runs.items()]
    same = "" if len(runs) == 1 else " — NOTE: these figures come from different runs"
    return "measured in " + "; ".join(parts) + same + "."


def Provenance(records) -> str:
    text = provenance(records)
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------------------ plots


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_multitask_curves(recs: Records, plots: Path) -> list[Path]:
    out = []
    for dataset in ("snips", "atis"):
        curves = {name: recs.get(f"multitask.{dataset}.compare.{name}.training_curve") for name in SYSTEM_LABELS}
        curves = {k: v["settings"]["curve"] for k, v in curves.items() if v and v.get("settings", {}).get("curve")}
        if not curves:
            continue
        plt = _plt()
        fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(11, 4))
        for name, curve in curves.items():
            parts = curve.items() if name == "two_models" else [(None, curve)]
            for task, c in parts:
                label = SYSTEM_LABELS[name] + (f" ({task})" if task else "")
                if c.get("loss"):
                    ax_loss.plot(c["epoch"], c["loss"], marker=".", label=label)
                ev = c.get("eval", {})
                for metric in (("frame_accuracy",) if "frame_accuracy" in ev else ("intent_accuracy", "slot_f1")):
                    if ev.get(metric):
                        ax_metric.plot(c["eval_epoch"][: len(ev[metric])], ev[metric], marker="o", label=f"{label}: {metric.replace('_', ' ')}")
        ax_loss.set(title=f"{dataset.upper()}: training loss", xlabel="epoch", ylabel="loss")
        ax_metric.set(title=f"{dataset.upper()}: validation metric", xlabel="epoch", ylabel="%")
        for ax in (ax_loss, ax_metric):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        path = plots / f"multitask_curves_{dataset}.png"
        _save(fig, path)
        plt.close(fig)
        out.append(path)
    return out


def plot_fewshot(recs: Records, plots: Path) -> Path | None:
    rows = recs.matching(r"fewshot\.clinc150\.allclass_k(\d+)\.([a-z_]+)")
    by_method = defaultdict(dict)
    for r in rows:
        if r.get("value") is None:
            continue
        m = re.fullmatch(r"fewshot\.clinc150\.allclass_k(\d+)\.([a-z_]+)", r["name"])
        by_method[m.group(2)][int(m.group(1))] = r
    episodes = defaultdict(dict)
    for r in recs.matching(r"fewshot\.clinc150\.([a-z_]+)\.5way(\d)shot"):
        if r.get("value") is not None and r.get("run"):
            m = re.fullmatch(r"fewshot\.clinc150\.([a-z_]+)\.5way(\d)shot", r["name"])
            episodes[m.group(1)][int(m.group(2))] = r
    if not by_method and not episodes:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    zeroshot = by_method.pop("zeroshot", {}).get(0)
    for method, points in sorted(by_method.items()):
        ks = sorted(points)
        values = [points[k]["value"] for k in ks]
        err = [[_half(points[k]) for k in ks]] * 2
        axes[0].errorbar(ks, values, yerr=err, marker="o", capsize=3, label=method)
    if zeroshot:
        axes[0].axhline(zeroshot["value"], color="gray", linestyle=":", label="zero-shot (class names)")
    axes[0].set(title="CLINC150 all-class (150-way), accuracy against K\n(error bars: 95% interval over seeds)", xlabel="K examples per intent", ylabel="accuracy %")
    for method, points in sorted(episodes.items()):
        ks = sorted(points)
        axes[1].errorbar(ks, [points[k]["value"] for k in ks], yerr=[[points[k]["settings"].get("ci95", 0) for k in ks]] * 2, marker="o", capsize=3, label=method)
    axes[1].set(title="CLINC150 novel classes, 5-way K-shot episodes\n(error bars: 95% interval over episodes)", xlabel="K (support examples per class)", ylabel="accuracy %")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = plots / "fewshot_accuracy_vs_k.png"
    _save(fig, path)
    plt.close(fig)
    return path


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _half(rec) -> float:
    iv = rec.get("interval") or {}
    if iv.get("ci95_high") is None:
        return 0.0
    return (iv["ci95_high"] - iv["ci95_low"]) / 2


def plot_crf(recs: Records, plots: Path) -> Path | None:
    cells = defaultdict(dict)  # (op, tags) -> length -> settings
    for r in recs.matching(r"crf\.sweep\.(nll|decode)_speedup\.len(\d+)\.tags(\d+)"):
        m = re.fullmatch(r"crf\.sweep\.(nll|decode)_speedup\.len(\d+)\.tags(\d+)", r["name"])
        cells[(m.group(1), int(m.group(3)))][int(m.group(2))] = r["settings"]
    if not cells:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    tag_counts = sorted({t for _, t in cells})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, op in zip(axes, ("nll", "decode")):
        for i, tags in enumerate(tag_counts):
            points = cells.get((op, tags), {})
            if not points:
                continue
            lengths = sorted(points)
            color = colors[i % len(colors)]
            ax.plot(lengths, [points[n]["torchcrf_ms"] for n in lengths], linestyle="--", marker="x", color=color, label=f"pytorch-crf, {tags} tags")
            ax.plot(lengths, [points[n]["ours_ms"] for n in lengths], linestyle="-", marker="o", color=color, label=f"ours, {tags} tags")
        batch = next(iter(next(iter(cells.values())).values())).get("batch")
        what = "likelihood forward + backward" if op == "nll" else "Viterbi decoding"
        ax.set(title=f"CRF {what}, batch {batch}", xlabel="sequence length (words)", ylabel="ms (median)", yscale="log")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = plots / "crf_time_vs_length.png"
    _save(fig, path)
    plt.close(fig)
    return path


def plot_languages(recs: Records, plots: Path) -> list[Path]:
    """Per-language accuracy bars, per data (seed / xsid): mean over the run's seeds (tags)."""
    out = []
    groups = defaultdict(lambda: defaultdict(list))  # data -> (variant, lang) -> values
    trained: dict[str, set] = defaultdict(set)  # data -> languages with training labels (xSID)
    rx = re.compile(r"multilingual\.(seed|xsid|xsid_slots)\.(?:seed\d+\.)?(?:e5\.|bcnn\.)?([a-z_]+)\.(?:accuracy|slot_f1)_([a-z\-]+)")
    for r in recs.run_records():
        m = rx.fullmatch(r["name"])
        if m and r.get("value") is not None and m.group(3) not in ("heldout_languages", "trained_languages", "language_mean"):
            encoder = (r.get("settings") or {}).get("encoder", "")
            data = f"{m.group(1)}_{encoder}" if encoder else m.group(1)
            groups[data][(m.group(2), m.group(3))].append(r["value"])
            if (r.get("settings") or {}).get("train_languages"):
                trained[data].update(str(r["settings"]["train_languages"]).split(","))
    for data, values in groups.items():
        variants = sorted({v for v, _ in values})
        langs = sorted({lang for _, lang in values})
        plt = _plt()
        fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(langs) * max(1, len(variants)) / 2), 4))
        width = 0.8 / max(1, len(variants))
        for i, variant in enumerate(variants):
            xs, ys, errs = [], [], []
            for j, lang in enumerate(langs):
                v = values.get((variant, lang))
                if v:
                    xs.append(j + i * width)
                    ys.append(sum(v) / len(v))
                    errs.append(_std(v))
            ax.bar(xs, ys, width, yerr=errs, capsize=2, label=variant)
        held_out = [lang for lang in langs if trained[data] and lang not in trained[data]]
        ax.set_xticks([j + width * (len(variants) - 1) / 2 for j in range(len(langs))], [f"{lang}*" if lang in held_out else lang for lang in langs], rotation=45)
        note = "; * held out of training" if held_out else ""
        ax.set(title=f"{data}: accuracy per language (mean over this run's seeds; bars: std{note})", ylabel="%")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = plots / f"multilingual_languages_{data}.png"
        _save(fig, path)
        plt.close(fig)
        out.append(path)
    return out


def _std(values) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


# ------------------------------------------------------------------------------ sections


def _link(path: Path, report: Path) -> str:
    return os.path.relpath(path, report.parent).replace(os.sep, "/")


def headline(recs: Records) -> tuple[str, list[dict]]:
    """The headline table (markdown) and the records it shows. A row whose figures come from
    different runs says so in its first cell."""
    rows, used = [], []

    def add(row, shown):
        """A row, flagged when the records it shows come from different runs."""
        shown = [r for r in shown if r]
        used.extend(shown)
        if len({(r.get("run") or {}).get("id") for r in shown}) > 1:
            row[0] += " **(figures of different runs)**"
        rows.append(row)

    for dataset in ("snips", "atis"):
        ours = [recs.get(f"multitask.{dataset}.compare.ours.{m}") for m in JOINT_METRICS]
        joint = [recs.get(f"multitask.{dataset}.compare.plain_joint.{m}") for m in JOINT_METRICS]
        diffs = [recs.get(f"multitask.{dataset}.compare.ours_vs_plain_joint.{m}_diff") for m in JOINT_METRICS]
        if all(r is None for r in ours):
            continue
        pub = dict(PUBLISHED_JOINT[dataset])["JointBERT, BERT-base + CRF"]
        n = (ours[0].get("interval") or {}).get("n", 1) if ours[0] else 1
        diff_text = " / ".join("—" if d is None else f"{d['value']:+.2f}" for d in diffs)
        verdicts = " / ".join(short_verdict((d or {}).get("interval")) for d in diffs)
        verdicts = "one seed: no interval, no claim" if n < 2 else f"{n} seeds, 95% interval: {verdicts}"
        add([f"Multi-task {dataset.upper()}, intent acc / slot F1 / exact frame (%)", " / ".join(fmt_rec(r, False) for r in ours),
             "plain joint MiniLM: " + " / ".join(fmt_rec(r, False) for r in joint), f"{diff_text} points ({verdicts})",
             "JointBERT BERT-base+CRF: " + " / ".join(f"{v:.2f}" for v in pub)], ours + joint + diffs)
        t_ours, t_joint = recs.get(f"multitask.{dataset}.compare.ours.train_time_s"), recs.get(f"multitask.{dataset}.compare.plain_joint.train_time_s")
        ratio = recs.get(f"multitask.{dataset}.compare.ours_vs_plain_joint.train_time_ratio")
        if t_ours and t_joint:
            add([f"Multi-task {dataset.upper()}, training time (same epochs and batch)", f"{fmt_rec(t_ours, False)} s", f"{fmt_rec(t_joint, False)} s",
                 f"{fmt_rec(ratio, False)} (ours / anchor)", "—"], [t_ours, t_joint, ratio])
    crf = [("crf.decode_speedup", "crf.decode_ms", "crf.torchcrf_decode_ms", "CRF Viterbi decoding, batch 64 × ≤50 words × 122 tags, random emissions"),
           ("crf.nll_speedup", "crf.nll_ms", "crf.torchcrf_nll_ms", "CRF likelihood forward + backward, same shapes")]
    for speed, ours_ms, ref_ms, label in crf:
        r = recs.get(speed)
        if r and r.get("run"):
            add([label, f"{fmt_rec(recs.get(ours_ms))} ms", f"pytorch-crf: {fmt_rec(recs.get(ref_ms))} ms", f"{fmt_rec(r)} faster", "—"], [r, recs.get(ours_ms), recs.get(ref_ms)])
    for dataset in ("atis", "snips"):
        r = recs.get(f"crf.real.{dataset}.decode_speedup")
        if r and r.get("value") is not None:
            s = r["settings"]
            add([f"CRF decoding on the trained {dataset.upper()} slot model's emissions ({s.get('utterances')} utterances, {s.get('num_tags')} tags)",
                 f"{fmt(s.get('ours_decode_ms'), 'ms')} ms", f"pytorch-crf: {fmt(s.get('torchcrf_decode_ms'), 'ms')} ms", f"{fmt_rec(r)} faster", "—"], [r])
    for k, published in ((5, 0), (10, 1)):
        candidates = [r for r in recs.matching(rf"fewshot\.clinc150\.allclass_k{k}\.[a-z_]+") if r.get("value") is not None and r["name"].split(".")[-1] not in ("logreg", "knn", "svm", "frozen_protonet", "setfit")]
        anchor = recs.get(f"fewshot.clinc150.allclass_k{k}.logreg")
        if not candidates or not anchor:
            continue
        best = max(candidates, key=lambda r: r["value"])
        method = best["name"].split(".")[-1]
        gain = recs.get(f"fewshot.clinc150.allclass_k{k}.{method}.gain_over_logreg")
        add([f"Few-shot CLINC150 all-class, K = {k} per intent, 150-way accuracy (%) — best of {len(candidates)} library methods, `{method}` (picked on test: optimistic)",
             fmt_rec(best), f"frozen MiniLM + logreg: {fmt_rec(anchor)}", fmt_diff(gain), f"CPFT: {PUBLISHED_ALLCLASS[0][1][published]:.2f}"], [best, anchor, gain])
    ov = recs.get("finetune.overhead_ratio")
    if ov and ov.get("run"):
        add(["Fine-tuning step (forward + backward + AdamW), MiniLM, batch " + str(ov["settings"].get("batch_size")),
             f"{fmt_rec(recs.get('finetune.full.step_ms'))} ms", f"bare AutoModel + linear head: {fmt_rec(recs.get('finetune.bare.step_ms'))} ms",
             f"{fmt_rec(ov)} (ours / bare)", "—"], [ov, recs.get("finetune.full.step_ms"), recs.get("finetune.bare.step_ms")])
    for r in recs.matching(r"multilingual\.(xsid|xsid_slots)\.(bcnn\.)?heldout_gain_over_joint\.seed_mean"):
        if not r.get("run"):
            continue
        joint = recs.get(r["name"].replace("heldout_gain_over_joint", "joint.heldout_accuracy"))
        full = recs.get(r["name"].replace("heldout_gain_over_joint", "adversarial_diff.heldout_accuracy"))
        add([f"Multilingual xSID, held-out-language intent accuracy (%), adversarial + difference loss vs joint ({r['settings'].get('encoder', '')})",
             fmt_rec(full), f"joint model: {fmt_rec(joint)}", fmt_diff(r), "—"], [r, joint, full])
    header = ["comparison", "ours (measured)", "anchor (measured, same run)", "ours vs anchor", "published (not measured here)"]
    return table(header, rows), [r for r in used if r]


def section_runs(recs: Records) -> str:
    runs = recs.runs()
    if not runs:
        return "No record of this folder comes from `python -m benchmarks` yet.\n"
    rows = []
    for run in runs:
        v = run.get("versions") or {}
        rows.append([f"`{run.get('id')}`", run.get("mode"), f"`{run.get('command')}`", run.get("started"), run.get("machine"), run.get("threads"),
                     run.get("load_average_1min_at_start"), ", ".join(f"{k} {v[k]}" for k in sorted(v))])
    text = table(["run", "mode", "command", "started", "machine", "torch threads", "load (1 min) at start", "versions"], rows)
    parts = recs.matching(r"harness\.[a-z]+\.wall_s")
    if parts:
        text += "\n" + table(["part", "wall time (s)", "peak RSS of the part (MiB)", "status", "run"],
                             [[r["name"].split(".")[1], fmt(r["value"], "s"), fmt(r["settings"].get("peak_rss_mb"), "MiB"),
                               "FAILED: " + r["settings"]["error"] if r["settings"].get("error") else "ok", f"`{(r.get('run') or {}).get('id')}`"] for r in parts])
    return text


def section_multitask(recs: Records, plots, report) -> str:
    out = []
    for dataset in ("snips", "atis"):
        systems = {name: {m: recs.get(f"multitask.{dataset}.compare.{name}.{m}") for m in (*JOINT_METRICS, "train_time_s", "train_peak_rss_mb", "inference_ms_per_utterance", "inference_peak_rss_mb")}
                   for name in SYSTEM_LABELS}
        if not any(v for s in systems.values() for v in s.values()):
            continue
        out.append(f"### {dataset.upper()}\n")
        all_recs = [v for s in systems.values() for v in s.values() if v]
        out.append(Provenance(all_recs) + "\n")
        first = next(iter(all_recs))["settings"]
        out.append(f"Budget: {first.get('epochs')} epoch(s), batch {first.get('batch_size')}, train samples {first.get('train_samples')}, "
                   f"eval samples {first.get('eval_samples')}, seeds {first.get('seeds')}, {first.get('threads')} torch thread(s); {first.get('schedule')}.\n")
        rows = []
        for name, figs in systems.items():
            if not any(figs.values()):
                continue
            s = next(v for v in figs.values() if v)["settings"]
            lr = f"{s.get('learning_rate')}" + (f" (heads {s.get('head_learning_rate')})" if s.get("head_learning_rate") else "")
            if s.get("learning_rate_search"):
                lr += f" (best of {[x['learning_rate'] for x in s['learning_rate_search']]})"
            rows.append([SYSTEM_LABELS[name], lr, *(fmt_rec(figs[m]) for m in JOINT_METRICS), fmt_rec(figs["train_time_s"], False), fmt_rec(figs["train_peak_rss_mb"], False),
                         fmt_rec(figs["inference_ms_per_utterance"], False), fmt_rec(figs["inference_peak_rss_mb"], False)])
        out.append(table(["system (measured)", "learning rate", "intent acc %", "slot F1 %", "exact frame %", "training s", "training peak RSS MiB",
                          "inference ms / utterance", "inference peak RSS MiB"], rows))
        rows = []
        for anchor in ("plain_joint", "two_models"):
            diffs = [recs.get(f"multitask.{dataset}.compare.ours_vs_{anchor}.{m}_diff") for m in JOINT_METRICS]
            ratio = recs.get(f"multitask.{dataset}.compare.ours_vs_{anchor}.train_time_ratio")
            if any(diffs):
                rows.append([SYSTEM_LABELS[anchor], *(fmt_diff(d) for d in diffs), fmt_rec(ratio, False)])
        out.append("\nOurs minus anchor (points; paired by seed; a gain or loss is named only where the 95% interval excludes 0), and the training-time ratio "
                   "(ours / anchor, validation passes excluded):\n\n")
        out.append(table(["anchor", "intent acc", "slot F1", "exact frame", "training time ratio"], rows))
        searches = []
        for anchor in ("plain_joint", "two_models"):
            r = systems[anchor]["frame_accuracy"]
            for x in (r or {}).get("settings", {}).get("learning_rate_search") or []:
                searches.append([SYSTEM_LABELS[anchor], x["learning_rate"], *(fmt(x["val"].get(m), "%") for m in JOINT_METRICS), *(fmt(x["test"].get(m), "%") for m in JOINT_METRICS),
                                 fmt(x.get("train_time_s"), "s")])
        if searches:
            out.append("\nAnchor learning-rate search (first seed; chosen on validation exact frame):\n\n")
            out.append(table(["anchor", "learning rate", "val intent", "val slot F1", "val frame", "test intent", "test slot F1", "test frame", "training s"], searches))
        out.append(f"\nPublished (cited, not measured here; {PUBLISHED_JOINT_SOURCE}):\n\n")
        out.append(table(["model (published)", "intent acc %", "slot F1 %", "exact frame %"], [[n, *(f"{v:.2f}" for v in vals)] for n, vals in PUBLISHED_JOINT[dataset]]))
        for path in plots.get("multitask", []):
            if dataset in path.name:
                out.append(f"\n![{dataset} training curves]({_link(path, report)})\n")
    return "\n".join(out)


def section_crf(recs: Records, plots, report) -> str:
    out = []
    fixed = [recs.get(n) for n in ("crf.nll_speedup", "crf.decode_speedup", "crf.nll_ms", "crf.torchcrf_nll_ms", "crf.decode_ms", "crf.torchcrf_decode_ms",
                                   "crf.nll_max_relative_difference", "crf.decode_paths_equal", "crf.decode_speedup_wide_transitions")]
    fixed = [r for r in fixed if r]
    if fixed:
        out.append(Provenance(fixed) + "\n")
        out.append(table(["figure", "value", "settings"], [[f"`{r['name']}`", fmt_rec(r, unit=True), f"batch {r['settings'].get('batch')}, {r['settings'].get('num_tags')} tags, "
                                                             f"{r['settings'].get('repeats')} repeats, {r['settings'].get('transitions')}"] for r in fixed]))
    sweep = recs.matching(r"crf\.sweep\.(nll|decode)_speedup\.len(\d+)\.tags(\d+)")
    if sweep:
        cells = defaultdict(dict)
        for r in sweep:
            m = re.fullmatch(r"crf\.sweep\.(nll|decode)_speedup\.len(\d+)\.tags(\d+)", r["name"])
            cells[int(m.group(2))][(m.group(1), int(m.group(3)))] = r
        tags = sorted({t for c in cells.values() for _, t in c})
        rows = []
        for length in sorted(cells):
            row = [length]
            for t in tags:
                nll, dec = cells[length].get(("nll", t)), cells[length].get(("decode", t))
                row.append(f"{fmt_rec(nll)} / {fmt_rec(dec)}")
            rows.append(row)
        out.append(f"\nSpeed-up over pytorch-crf (likelihood forward+backward / decoding; median of per-repeat ratios), random N(0, 1) emissions, "
                   f"batch {sweep[0]['settings'].get('batch')}; {provenance(sweep)}\n\n")
        out.append(table(["length \\ tags", *map(str, tags)], rows))
    real = recs.matching(r"crf\.real\.[a-z_]+\.[a-z_]+")
    rows = []
    for r in real:
        if r.get("skipped"):
            rows.append([f"`{r['name']}`", "skipped: " + r["skipped"], "", "", ""])
        elif r["name"].endswith("decode_speedup") or r["name"].endswith("nll_speedup") or r["name"].endswith("paths_equal"):
            s = r["settings"]
            rows.append([f"`{r['name']}`", fmt_rec(r), f"{s.get('slot_model')} ({s.get('trained_by')}), {s.get('utterances')} utterances, {s.get('num_tags')} tags",
                         f"mean max softmax {s.get('mean_max_softmax_of_emissions')}, allowed transitions {s.get('allowed_transitions_share')}", f"{s.get('constraints')}"])
    if rows:
        out.append("\nOn a trained slot model's real emissions and transitions (decoding constraints added to both CRFs), where users actually are:\n\n")
        out.append(table(["figure", "value", "model", "emissions / transitions", "constraints"], rows))
    if plots.get("crf"):
        out.append(f"\n![CRF time against sequence length]({_link(plots['crf'], report)})\n")
    return "\n".join(out)


def section_fewshot(recs: Records, plots, report) -> str:
    out = []
    allclass = recs.matching(r"fewshot\.clinc150\.allclass_k\d+\.[a-z_]+")
    if allclass:
        methods = sorted({r["name"].split(".")[-1] for r in allclass})
        ks = sorted({int(re.search(r"allclass_k(\d+)", r["name"]).group(1)) for r in allclass})
        first = next((r for r in allclass if r.get("value") is not None and r["settings"].get("k")), allclass[0])
        s = first["settings"]
        out.append(f"All-class protocol: {s.get('classes')} intents, {s.get('test')} ({s.get('test_utterances')} utterances), K examples per intent "
                   f"({s.get('sampling')}), seeds {s.get('seeds')}, no other labelled data. Mean ± std over seeds (n); {provenance(allclass)}\n")
        rows = []
        for method in methods:
            cells = [fmt_rec(recs.get(f"fewshot.clinc150.allclass_k{k}.{method}")) for k in ks]
            if all(c == "—" for c in cells):
                continue
            gains = [fmt_diff(recs.get(f"fewshot.clinc150.allclass_k{k}.{method}.gain_over_logreg")) for k in ks if k > 0]
            rows.append([method, *cells, *gains])
        out.append(table(["method (measured)", *(f"K = {k}" for k in ks), *(f"vs frozen logreg, K = {k} (paired by seed)" for k in ks if k > 0)], rows))
        costs = []
        for r in allclass:
            runs = (r.get("settings") or {}).get("runs")
            if not runs or r["name"].endswith("_logreg"):
                continue
            def mean(key, runs=runs):
                values = [x.get(key) for x in runs.values() if x.get(key) is not None]
                return sum(values) / len(values) if values else None
            costs.append([r["name"].split(".")[-1], r["settings"].get("k"), len(runs), fmt(mean("train_seconds"), "s"), fmt(mean("train_peak_rss_mb"), "MiB"),
                          fmt(mean("predict_ms_per_utterance"), "ms"), fmt(mean("predict_peak_rss_mb"), "MiB")])
        if costs:
            out.append("\nCost of the trained methods (mean over seeds; peak RSS of the process during the step):\n\n")
            out.append(table(["method", "K", "seeds", "training s", "training peak RSS MiB", "encode (support + test) + predict, ms per test utterance", "predict peak RSS MiB"], costs))
        out.append(f"\nPublished (cited, not measured here; {PUBLISHED_ALLCLASS_SOURCE}):\n\n")
        out.append(table(["model (published)", "K = 5", "K = 10"], [[n, *(f"{v:.2f}" for v in vals)] for n, vals in PUBLISHED_ALLCLASS]))
    episodes = [r for r in recs.matching(r"fewshot\.clinc150\.[a-z_]+\.5way\dshot") if r.get("run")]
    if episodes:
        methods = sorted({r["name"].split(".")[2] for r in episodes})
        rows = []
        for method in methods:
            cells = []
            for k in (1, 5):
                r = recs.get(f"fewshot.clinc150.{method}.5way{k}shot")
                cells.append("—" if r is None else "skipped" if r.get("skipped") else f"{fmt(r['value'], '%')} ± {r['settings'].get('ci95')}")
            paired = [fmt_diff(recs.get(f"fewshot.clinc150.{method}.5way{k}shot.paired_vs_frozen_protonet")) for k in (1, 5)]
            rows.append([method, *cells, *paired])
        n = next((r["settings"].get("episodes") for r in episodes if r.get("value") is not None), None)
        out.append(f"\nBase-to-novel episodes (50 novel classes, 5-way, 15 queries per class, {n} episodes; ± is the 95% interval over episodes); "
                   f"each method's difference to the frozen nearest prototype, paired episode by episode; {provenance(episodes)}\n\n")
        out.append(table(["method (measured)", "5-way 1-shot %", "5-way 5-shot %", "vs frozen prototype, 1-shot", "vs frozen prototype, 5-shot"], rows))
        costs = []
        for method in methods:
            r = recs.get(f"fewshot.clinc150.{method}.5way1shot")
            st = (r or {}).get("settings") or {}
            if st.get("train_seconds") is not None:
                costs.append([method, st.get("encoder"), st.get("train_episodes"), st.get("train_episode"), st.get("train_seconds"), fmt(st.get("train_peak_rss_mb"), "MiB"),
                              fmt(st.get("best_val_accuracy"), "%")])
        if costs:
            out.append("\nTraining on the base classes (best checkpoint on validation-class episodes):\n\n")
            out.append(table(["method", "encoder", "episodes", "episode", "training s", "training peak RSS MiB", "best validation %"], costs))
    adapt = [r for r in recs.matching(r"fewshot\.clinc150\.[a-z_]+\.adapt_(ms|speedup_vs_setfit)") if r.get("run")]
    if adapt:
        out.append("\nAdaptation to one 5-way 5-shot episode (encode support and queries, fit, predict), median:\n\n")
        out.append(table(["figure", "value", "episodes"], [[f"`{r['name']}`", fmt_rec(r, unit=True), r["settings"].get("episodes")] for r in adapt]))
    skipped = [r for r in recs.matching(r"fewshot\..*") if r.get("skipped")]
    if skipped:
        out.append("\nSkipped: " + "; ".join(f"`{r['name']}` ({r['skipped']})" for r in skipped) + "\n")
    if plots.get("fewshot"):
        out.append(f"\n![few-shot accuracy against K]({_link(plots['fewshot'], report)})\n")
    return "\n".join(out)


def section_finetune(recs: Records) -> str:
    figs = [r for r in recs.matching(r"finetune\..*") if r.get("run")]
    if not figs:
        return ""
    rows = [[f"`{r['name']}`", fmt_rec(r, unit=True), "" if r.get("target") is None else f"{'<=' if r['direction'] == 'lower' else '>='} {r['target']}"] for r in figs]
    return Provenance(figs) + "\n\n" + table(["figure", "value", "target"], rows) + (
        "\nThe anchor, a bare `AutoModel` + mean pooling + `nn.Linear` step in plain PyTorch, is timed interleaved with the library's step (`benchmarks/bench_finetune.py`).\n")


def section_multilingual(recs: Records, plots, report, results_dir: Path) -> str:
    out = []
    summaries = [r for r in recs.matching(r"multilingual\..*\.seed_mean") if r.get("run")]
    if summaries:
        rows = [[f"`{r['name']}`", fmt_rec(r), fmt_diff(r) if "gain" in r["name"] else "", r["settings"].get("values")] for r in summaries]
        out.append(f"Over seeds ({provenance(summaries)}):\n\n" + table(["figure", "mean ± std (n)", "interval says", "per seed"], rows))
    seed = [r for r in recs.matching(r"multilingual\.seed\.(e5\.)?[a-z_]+\.accuracy") if r.get("run")]
    if seed:
        out.append(f"\nSeed data (Russian + Spanish), test accuracy: {provenance(seed)}\n\n")
        out.append(table(["figure", "value"], [[f"`{r['name']}`", fmt_rec(r)] for r in seed]))
    for path in plots.get("multilingual", []):
        out.append(f"\n![{path.stem}]({_link(path, report)})\n")
    for png in sorted(results_dir.glob("multilingual_*_adversarial_diff.png")):
        out.append(f"\nFeature projection of the adversarial model (shared vs private features by language): ![{png.stem}]({_link(png, report)})\n")
    return "\n".join(out)


def section_earlier(recs: Records) -> str:
    earlier = [r for r in recs.all if not r.get("run") and not r["name"].startswith("harness.")]
    if not earlier:
        return ""
    rows = [[f"`{r['name']}`", fmt_rec(r, unit=True), r.get("machine"), r.get("date"), r.get("_file")] for r in sorted(earlier, key=lambda r: (r.get("_file", ""), r["name"]))]
    return ("<details><summary>" + f"{len(earlier)} figures from earlier single-script runs (not measured by this command; no anchor of the same run)"
            + "</summary>\n\n" + table(["figure", "value", "machine", "date", "file"], rows) + "\n</details>\n")


# ------------------------------------------------------------------------------ the report


def render(results_dir=None, report=None, plots_dir=None) -> Path:
    """Write `report` (default `<results_dir>/REPORT.md`) and its plots (default `<results_dir>/plots/`)."""
    results_dir = Path(results_dir) if results_dir else HERE / "results"
    report = Path(report) if report else results_dir / "REPORT.md"
    recs = Records(load_records(results_dir))
    plots_dir = Path(plots_dir) if plots_dir else results_dir / "plots"
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # tables only (pip install matplotlib, or the `plots` extra, for the pictures)
        plots = {}
    else:
        plots = {"multitask": plot_multitask_curves(recs, plots_dir), "crf": plot_crf(recs, plots_dir), "fewshot": plot_fewshot(recs, plots_dir),
                 "multilingual": plot_languages(recs, plots_dir)}
    head, used = headline(recs)
    runs = recs.runs()
    quick = any(r.get("mode") == "quick" for r in runs)
    lines = ["# hf_transfer benchmark report", ""]
    where = _link(results_dir, report)
    lines.append("Rendered by `python -m benchmarks` (`benchmarks/render.py`) from the records in "
                 + ("this folder" if where == "." else f"`{where}/`") + ". Every measured figure stands beside its anchor measured in the same run (same data, machine and budget); "
                 "published figures are cited in columns of their own and never mixed with measured ones. A difference is called a gain or a loss only where its "
                 "95% interval (over seeds, or over paired episodes) excludes zero.")
    if quick:
        lines += ["", "> **Quick run**: small subsets, a few training steps, one seed: this exercises every part; its figures say nothing about the methods."]
    intro = (Provenance(used) + " In every row, ours and its anchor come from the same run (a row that does not is flagged).") if used else "No headline figure yet."
    lines += ["", "## Headline", "", intro, "", head or "", "## Runs", "", section_runs(recs)]
    for title, body in (("Multi-task intent + slot filling (SNIPS, ATIS)", section_multitask(recs, plots, report)), ("CRF against pytorch-crf", section_crf(recs, plots, report)),
                        ("Few-shot intent classification (CLINC150)", section_fewshot(recs, plots, report)), ("Fine-tuning with frozen layers", section_finetune(recs)),
                        ("Adversarial multilingual", section_multilingual(recs, plots, report, results_dir)), ("Earlier figures", section_earlier(recs))):
        if body.strip():
            lines += [f"## {title}", "", body, ""]
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = report.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines).rstrip() + "\n")
    tmp.replace(report)
    return report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results_dir", default=None, help="default benchmarks/results")
    p.add_argument("--report", default=None, help="default <results_dir>/REPORT.md")
    p.add_argument("--plots_dir", default=None, help="default <results_dir>/plots")
    p.add_argument("--headline", action="store_true", help="print the headline table (for the README) instead of writing the report")
    args = p.parse_args(argv)
    if args.headline:
        print(readme_headline(args.results_dir))
        return
    print(render(args.results_dir, args.report, args.plots_dir))


def readme_headline(results_dir=None, report_link: str = "benchmarks/REPORT.md") -> str:
    """The README's benchmark paragraph: a link to the report, its provenance line and its headline table."""
    recs = Records(load_records(Path(results_dir) if results_dir else HERE / "results"))
    head, used = headline(recs)
    if not used:
        return f"See [the benchmark report]({report_link}) (`python -m benchmarks`)."
    return (f"Every figure below is measured by `python -m benchmarks` beside its anchor, in the same run, on the same data and budget; "
            f"{provenance(used)} Details, seeds, intervals, published figures and plots: [the benchmark report]({report_link}).\n\n{head}")


if __name__ == "__main__":
    main()
