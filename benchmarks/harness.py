"""The parts of `python -m benchmarks` and their budgets (quick and full).

Each part runs the library and its anchor in the same process, on the same data, machine and
budget, and returns the records it wrote. Parts run in the order of `PARTS`; the CRF part reads
the slot models the multi-task part trained in the same command (real emissions).

| part | what it measures | anchor(s), measured in the same run |
|---|---|---|
| `finetune` | step-time overhead of `TransferForSequenceClassification` and the freeze speed-up (`bench_finetune`); full mode also SNIPS accuracy of the three strategies (`bench_finetune_snips`) | bare `AutoModel` + mean pooling + `nn.Linear` |
| `multitask` | `train_multitask` (shared-private MiniLM, CRF) on SNIPS and ATIS: intent / slot F1 / frame, training time, peak RSS, inference time | plain joint model (one backbone, two linear heads) and two plain models (`AutoModelForSequenceClassification` + `AutoModelForTokenClassification`), with a learning-rate search |
| `crf` | likelihood and decoding time over sequence length and tag count, and on the trained slot models' real emissions | pytorch-crf |
| `fewshot` | all-class K-shot protocol (every method and baseline, seeds) and paired base-to-novel episodes, adaptation time | frozen-MiniLM baselines; SetFit when importable |
| `multilingual` | adversarial shared-private vs joint (`bench_multilingual`), per language, gain over joint with a 95% interval over seeds | the joint model of the same seed |
"""

from __future__ import annotations

import copy
import json
import logging
import tempfile
import time
from pathlib import Path

import torch

from benchmarks import common
from benchmarks.common import PeakRSS, merge_results, paired_difference, record, seed_summary


log = logging.getLogger("benchmarks")
PARTS = ("finetune", "multitask", "crf", "fewshot", "multilingual")

QUICK = {
    "finetune": {"repeats": 3, "batch_size": 16, "snips": {"epochs": 1.0, "max_train_samples": 32}},
    "multitask": {
        "datasets": ("snips", "atis"), "seeds": (42,), "anchor_learning_rates": (1e-4,), "learning_rate": 1e-4, "head_learning_rate": 1e-3,
        "ours": {"private_encoder_type": "tower"},
        "budget": {"epochs": 1, "batch_size": 16, "max_train_samples": 64, "max_eval_samples": 64, "eval_steps": 2, "logging_steps": 1},
    },
    "crf": {"repeats": 3, "lengths": (10, 25, 50, 100), "tags": (20, 60, 122), "batch": 32, "main_repeats": 3, "real_utterances": 128},
    "fewshot": {
        "episodes": 10, "adapt_episodes": 1, "train_episodes": 3, "train_n_way": 5, "train_n_shot": 2, "train_n_query": 2, "val_episodes": 2, "evals": 1,
        "fewshot_learning_rate": 2e-5, "episode_methods": ("protonet", "matching", "relation"),
        "allclass_k": (5, 10), "allclass_seeds": (0,), "allclass_test_per_class": 1, "allclass_n_way": 10, "allclass_train_episodes": 3,
        "allclass_methods": ("protonet", "matching", "relation"), "setfit_iterations": 2, "setfit_episodes": 1, "setfit_seeds": 1, "generalised": False,
    },
    "multilingual": {
        "runs": [
            ["--part", "seed_bcnn", "--max_steps", "2", "--max_train_samples", "64", "--embedding_size", "16", "--num_filters", "8"],
        ],
        "xsid": {"part": "xsid_bcnn", "seeds": (42, 43), "variants": "joint,adversarial_diff",
                 "options": ["--max_steps", "2", "--max_test_samples", "8", "--embedding_size", "16", "--num_filters", "8"]},
    },
}

FULL = {
    "finetune": {"repeats": 20, "batch_size": 32, "snips": {"epochs": 1.0}},
    "multitask": {
        "datasets": ("snips", "atis"), "seeds": (42, 43, 44), "anchor_learning_rates": (5e-5, 1e-4), "learning_rate": 1e-4, "head_learning_rate": 1e-3,
        "ours": {"private_encoder_type": "tower"},
        "budget": {"epochs": 5, "batch_size": 32, "max_train_samples": None, "max_eval_samples": None, "eval_steps": None, "logging_steps": 50},
    },
    "crf": {"repeats": 9, "lengths": (10, 25, 50, 100, 200), "tags": (10, 30, 60, 122), "batch": 64, "main_repeats": 9, "real_utterances": 512},
    "fewshot": {
        "episodes": 600, "adapt_episodes": 10, "train_episodes": 300, "train_n_way": 20, "train_n_shot": 5, "train_n_query": 5, "val_episodes": 100, "evals": 4,
        "fewshot_learning_rate": 2e-5, "episode_methods": ("protonet", "matching", "relation", "bcnn"), "bcnn_episodes": 1000,
        "allclass_k": (5, 10), "allclass_seeds": (0, 1, 2, 3, 4), "allclass_test_per_class": None, "allclass_n_way": 20, "allclass_train_episodes": 100,
        "allclass_methods": ("protonet", "matching", "relation"), "setfit_iterations": 20, "setfit_episodes": 45, "setfit_seeds": 3, "generalised": True,
    },
    "multilingual": {
        "runs": [["--part", "seed_bcnn", "--epochs", "2"]],
        "xsid": {"part": "xsid_e5", "seeds": (42, 43, 44, 45, 46), "variants": "joint,adversarial_diff", "options": ["--epochs", "5"]},
    },
}


def budgets(quick: bool, overrides: dict | None = None) -> dict:
    """The budgets of a mode, with `overrides` ({part: {key: value}}) applied."""
    out = copy.deepcopy(QUICK if quick else FULL)
    for part, values in (overrides or {}).items():
        for key, value in values.items():
            if key in out[part].get("budget", {}):
                out[part]["budget"][key] = value
            else:
                out[part][key] = value
    return out


def _minilm() -> str:
    from benchmarks.bench_multitask import minilm_path

    return minilm_path()


# ------------------------------------------------------------------------------ finetune


def part_finetune(b: dict, ctx: dict) -> list[dict]:
    from benchmarks import bench_finetune, bench_finetune_snips

    bench_finetune.main(["--repeats", str(b["repeats"]), "--batch_size", str(b["batch_size"]), "--threads", str(torch.get_num_threads())])
    records = json.loads((common.RESULTS_DIR / "finetune_speed.json").read_text())
    if b.get("snips"):
        s = b["snips"]
        argv = ["--epochs", str(s.get("epochs", 1.0)), "--threads", str(torch.get_num_threads())]
        if s.get("max_train_samples"):
            argv += ["--max_train_samples", str(s["max_train_samples"])]
        bench_finetune_snips.main(argv)
        records += json.loads((common.RESULTS_DIR / "finetune_snips.json").read_text())
    return records


# ------------------------------------------------------------------------------ multitask


METRICS = ("intent_accuracy", "slot_f1", "frame_accuracy")
RESOURCE = {"train_time_s": ("s", "lower"), "train_peak_rss_mb": ("MiB", "lower"), "inference_ms_per_utterance": ("ms", "lower"),
            "inference_peak_rss_mb": ("MiB", "lower")}
SYSTEMS = {"ours": "library: train_multitask, shared-private MiniLM + CRF", "plain_joint": "plain joint MiniLM (two linear heads, no CRF), Trainer",
           "two_models": "AutoModelForSequenceClassification + AutoModelForTokenClassification, Trainer"}


def part_multitask(b: dict, ctx: dict) -> list[dict]:
    from benchmarks import anchors
    from hf_transfer.data.registry import load_dataset

    path, budget = _minilm(), b["budget"]
    records = []
    for dataset in b["datasets"]:
        data = load_dataset(dataset, tokens_column="tokens", tags_column="tags", unseen_labels="unk")
        runs: dict[str, dict[int, dict]] = {name: {} for name in SYSTEMS}
        searches, chosen = {}, {}
        for i, seed in enumerate(b["seeds"]):
            out = Path(ctx["work_dir"]) / f"{dataset}-ours-seed{seed}"
            runs["ours"][seed] = anchors.train_ours(dataset, path, budget, b["learning_rate"], b["head_learning_rate"], seed, out, b["ours"])
            if i == 0:
                ctx.setdefault("slot_models", {})[dataset] = out
            for name, fn in (("plain_joint", anchors.train_plain_joint), ("two_models", anchors.train_two_models)):
                if i == 0:  # the learning-rate search runs on the first seed; later seeds reuse its choice
                    best, searches[name] = anchors.lr_search(fn, data, path, budget, b["anchor_learning_rates"], seed)
                    chosen[name] = best["learning_rate"]
                    runs[name][seed] = best
                else:
                    runs[name][seed] = {"learning_rate": chosen[name], **fn(data, path, budget, chosen[name], seed)}
            merge_results("multitask_anchors", records + _multitask_records(dataset, b, runs, searches, chosen))  # partial results survive
        records += _multitask_records(dataset, b, runs, searches, chosen)
    return records


def _multitask_records(dataset, b, runs, searches, chosen) -> list[dict]:
    budget = b["budget"]
    base = f"multitask.{dataset}.compare"
    seeds = [s for s in b["seeds"] if all(s in runs[n] for n in SYSTEMS)]
    if not seeds:
        return []
    common_settings = {"data": f"{dataset} (hf_transfer.data.load_dataset)", "backbone": "all-MiniLM-L6-v2", "epochs": budget["epochs"],
                       "batch_size": budget["batch_size"], "train_samples": budget.get("max_train_samples") or "all",
                       "eval_samples": budget.get("max_eval_samples") or "all", "seeds": seeds, "threads": torch.get_num_threads(),
                       "schedule": "linear decay, no warm-up (Trainer default), AdamW"}
    lr = {"ours": {"learning_rate": b["learning_rate"], "head_learning_rate": b["head_learning_rate"], "options": b["ours"]},
          **{n: {"learning_rate": chosen.get(n), "learning_rate_search": searches.get(n), "selected_on": "validation exact-frame accuracy"} for n in ("plain_joint", "two_models")}}
    records = []
    for name in SYSTEMS:
        settings = {**common_settings, "system": SYSTEMS[name], **lr[name]}
        for metric in METRICS:
            values = [runs[name][s]["test"].get(metric) for s in seeds]
            if any(v is None for v in values):
                continue
            summary = seed_summary(values)
            records.append(record(f"{base}.{name}.{metric}", summary["mean"], "%", "higher", {**settings, "per_seed": dict(zip(map(str, seeds), values))}, interval=summary))
        for key, (unit, direction) in RESOURCE.items():
            values = [runs[name][s].get(key) for s in seeds]
            if any(v is None for v in values):
                continue
            summary = seed_summary(values)
            extra = {"train_wall_s_with_validation": [round(runs[name][s]["train_wall_s"], 1) for s in seeds]} if key == "train_time_s" else {}
            if key.endswith("rss_mb"):
                extra["rss_method"] = runs[name][seeds[0]].get("rss_method") or "VmHWM"
            records.append(record(f"{base}.{name}.{key}", summary["mean"], unit, direction, {**settings, **extra, "per_seed": dict(zip(map(str, seeds), [round(v, 3) for v in values]))},
                                  interval=summary))
        curve = runs[name][seeds[0]]["curve"]
        parts = curve.values() if name == "two_models" else [curve]  # two models: one curve each, the final losses summed
        last = [c["loss"][-1] for c in parts if c.get("loss")]
        records.append(record(f"{base}.{name}.training_curve", sum(last) if last else None, "loss", "lower",
                              {**settings, "seed": seeds[0], "what": "final training loss; the curve in settings.curve", "curve": curve}))
    for anchor in ("plain_joint", "two_models"):
        pair = f"{base}.ours_vs_{anchor}"
        for metric in METRICS:
            ours = [runs["ours"][s]["test"].get(metric) for s in seeds]
            theirs = [runs[anchor][s]["test"].get(metric) for s in seeds]
            if any(v is None for v in ours + theirs):
                continue
            diff = paired_difference(ours, theirs, over="seeds")
            settings = {**common_settings, "anchor": SYSTEMS[anchor], "paired_by": "seed"}
            records.append(record(f"{pair}.{metric}_diff", diff["mean"], "points", "higher", settings, interval=diff))
            if all(theirs):  # a ratio to 0 has no value
                ratio = [o / t for o, t in zip(ours, theirs)]
                records.append(record(f"{pair}.{metric}_ratio", seed_summary(ratio)["mean"], "x", "higher", {**settings, "per_seed": ratio}, interval=seed_summary(ratio)))
        ratio = [runs["ours"][s]["train_time_s"] / runs[anchor][s]["train_time_s"] for s in seeds]
        records.append(record(f"{pair}.train_time_ratio", seed_summary(ratio)["mean"], "x", "lower",
                              {**common_settings, "anchor": SYSTEMS[anchor], "what": "ours / anchor training time (validation passes excluded), same budget", "per_seed": ratio},
                              interval=seed_summary(ratio)))
    return records


# ------------------------------------------------------------------------------ crf


def part_crf(b: dict, ctx: dict) -> list[dict]:
    from benchmarks import bench_crf

    records = bench_crf.main(["--repeats", str(b["main_repeats"])])  # crf.json: the fixed-shape figures
    extra = bench_crf.sweep(b["lengths"], b["tags"], b["batch"], b["repeats"])
    models = {dataset: (path, dataset) for dataset, path in ctx.get("slot_models", {}).items()}
    if ctx.get("slot_model"):  # --slot_model DIR (its data set from --slot_dataset or the folder name)
        models[Path(ctx["slot_model"]).name] = (Path(ctx["slot_model"]), ctx.get("slot_dataset"))
    for label, (model_dir, dataset) in models.items():
        if not (Path(model_dir) / "config.json").exists():
            continue
        emissions, mask, tags, state, source = bench_crf.slot_model_emissions(model_dir, dataset, max_utterances=b["real_utterances"])
        dataset = source["data"].split()[0]
        source["trained_by"] = "the multitask part of this run" if label in ctx.get("slot_models", {}) else str(model_dir)
        extra += bench_crf.real_emissions_records(dataset, emissions, mask, tags, state, b["repeats"], source)
    if not models:
        extra.append(record("crf.real.slot_model.decode_speedup", None, "x", "higher", {}, skipped="no trained slot model in this run (run the multitask part with it, or pass --slot_model DIR)"))
    merge_results("crf", extra)
    return records + extra


# ------------------------------------------------------------------------------ fewshot


def part_fewshot(b: dict, ctx: dict) -> list[dict]:
    from benchmarks import allclass

    records = allclass.episodes_part(b)
    merge_results("fewshot", records)
    if b.get("generalised"):
        from benchmarks import bench_fewshot

        setup = bench_fewshot.Setup(b["episodes"])
        model, tokenizer = bench_fewshot.load_frozen()
        table = bench_fewshot.encode_cached(model, tokenizer, setup.texts_needed(), key=f"all-MiniLM-L6-v2|mean|{model.config.max_length}")
        more = bench_fewshot.part_generalised_frozen(setup, table) + bench_fewshot.part_zeroshot(setup, model, tokenizer, table)
        merge_results("fewshot", more)
        records += more
    all_class = allclass.allclass_part(b)
    merge_results("fewshot_allclass", all_class)
    return records + all_class


# ------------------------------------------------------------------------------ multilingual


def part_multilingual(b: dict, ctx: dict) -> list[dict]:
    from benchmarks import bench_multilingual

    threads = ["--threads", str(torch.get_num_threads())]
    records = []
    for argv in b["runs"]:
        records += bench_multilingual.main([*argv, *threads])
    x = b.get("xsid")
    if x:
        for seed in x["seeds"]:
            records += bench_multilingual.main(["--part", x["part"], "--variants", x["variants"], "--seed", str(seed), "--name_tag", f"seed{seed}",
                                                "--stem", f"multilingual_{x['part']}_seed{seed}", *x["options"], *threads])
        if len(x["seeds"]) >= 2:
            # this run's seeds only (`--summarize_seeds` would also average older per-seed files of the results folder)
            data = "xsid_slots" if "_slots_" in x["part"] else "xsid"
            summary = bench_multilingual.seed_summary(records, data=data, infix="" if x["part"].endswith("e5") else "bcnn.")
            for r in summary:  # the 95% interval over seeds beside bench_multilingual's mean and std
                r["interval"] = seed_summary(r["settings"]["values"])
            if summary:
                common.write_results(f"multilingual_{x['part']}_seeds", summary)
            records += summary
    return records


PART_FUNCTIONS = {"finetune": part_finetune, "multitask": part_multitask, "crf": part_crf, "fewshot": part_fewshot, "multilingual": part_multilingual}


def run_parts(parts, b: dict, work_dir=None, slot_model=None, fail_fast: bool = False, slot_dataset=None) -> tuple[list[dict], dict]:
    """Run `parts` (in the order of `PARTS`) under the current results directory; returns the
    records and per-part status {part: {"wall_s", "peak_rss_mb", "error"}}."""
    status = {}
    records = []
    with tempfile.TemporaryDirectory(prefix="hf_transfer_bench_") as tmp:
        ctx = {"work_dir": work_dir or tmp, "slot_model": slot_model, "slot_dataset": slot_dataset}
        Path(ctx["work_dir"]).mkdir(parents=True, exist_ok=True)
        for part in [p for p in PARTS if p in parts]:
            log.info("=== part %s", part)
            start = time.perf_counter()
            error = None
            with PeakRSS() as mem:
                try:
                    records += PART_FUNCTIONS[part](b[part], ctx)
                except Exception as exc:  # one failing part does not lose the others
                    if fail_fast:
                        raise
                    log.exception("part %s failed", part)
                    error = f"{type(exc).__name__}: {exc}"
            wall = time.perf_counter() - start
            status[part] = {"wall_s": round(wall, 1), "peak_rss_mb": None if mem.peak_mb is None else round(mem.peak_mb, 1), "error": error}
            log.info("=== part %s: %.0f s%s", part, wall, f" (failed: {error})" if error else "")
            merge_results("harness", [record(f"harness.{part}.wall_s", wall, "s", "lower", {"peak_rss_mb": status[part]["peak_rss_mb"], "error": error,
                                                                                             "budget": _jsonable(b[part])})])
    return records, status


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))
