"""Adversarial multilingual benchmarks (issue 5), every run through
`hf_transfer.training.multilingual.train_multilingual`.

- seed data (Russian `eyu` + Spanish `xiyu`, 6 intents): test accuracy of `separate` per-language
  models, the `joint` model (shared encoder only), `shared_private` (no adversary), `adversarial`
  and `adversarial_diff` (full model), with a BCNN (`multilingual.seed.{variant}.accuracy`) and
  multilingual-e5-small (`multilingual.seed.e5.{variant}.accuracy`);
- xSID: train on some languages' `valid` files, test on every language's `test` file; mean intent
  accuracy over held-out languages (`multilingual.xsid.{variant}.heldout_accuracy` with e5,
  `multilingual.xsid.bcnn.{variant}.heldout_accuracy` with a BCNN, whose vocabulary cannot cover
  unseen languages), the full model's gain over the joint model, and how language-free the shared
  features are (`multilingual.xsid.discriminator_accuracy_gap`: the model's discriminator on
  shared features minus chance, points) against how language-identifiable the private ones stay
  (a fresh logistic-regression probe).
- xSID slot filling (`xsid_slots_*`): the same with `AdversarialSharedPrivateForTokenClassification`
  (CRF): slot F1 per language, `multilingual.xsid_slots.{variant}.heldout_slot_f1` ...

- repeated xSID runs: `--seed N --name_tag seedN --stem multilingual_xsid_e5_seedN` (one file per
  run; joint and full model may run as two processes side by side), then `--summarize_seeds`
  writes `multilingual_xsid_e5_seeds.json`: per variant the mean held-out score and the mean gain
  over the joint run of the same seed and settings, with standard deviation and error;
- other adversarial settings of a run: `--adversarial_weight`, `--difference_weight`,
  `--grl_schedule` with a `--name_tag` (e.g. `--grl_schedule dann --adversarial_weight 0.2
  --name_tag dann_aw0.2`);
- `adversarial_diff_unlabeled` (xSID, not zero-shot): the held-out languages' `valid` texts reach
  the discriminator and the difference loss without their labels.

The variants are declared once, in `SEED_VARIANTS` and `XSID_VARIANTS` (benchmark variant ->
`MultilingualArguments` overrides). Every model trains into a temporary directory; the
`adversarial_diff` run of an untagged part keeps its feature projection as
`<results>/multilingual_<part data>_<encoder>_adversarial_diff.png`.

    python -m benchmarks.bench_multilingual --part seed_bcnn            # ~minutes on 2 cores
    python -m benchmarks.bench_multilingual --part xsid_e5 --epochs 3   # long: e5 has 12 layers
    python -m benchmarks.bench_multilingual --part xsid_slots_e5        # slot filling (token head + CRF)
    python -m benchmarks.bench_multilingual --part xsid_e5 --summarize_seeds
    python -m benchmarks.bench_multilingual --part seed_bcnn --max_steps 2 --max_train_samples 64 \
        --embedding_size 16 --num_filters 8 --results_dir /tmp/ml-results     # a quick check of the code paths
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import operator
import re
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks import common
from benchmarks.common import SHARED_DATA, merge_results, record, write_results
from hf_transfer.training.multilingual import (
    XSID_LANGUAGES,
    MultilingualArguments,
    MultilingualTrainingArguments,
    train_multilingual,
)


# ------------------------------------------------------------------------------ the variants
# benchmark variant -> `MultilingualArguments` overrides. A value may be a function of the
# benchmark's options (`_option("adversarial_weight")`: the value of `--adversarial_weight`);
# every override besides `variant` is also recorded in the variant's settings.


def _option(name: str):
    """The value of the benchmark option `--name`."""
    return operator.attrgetter(name)


def _heldout_languages(args) -> str:
    """The xSID languages not in `--xsid_train_languages`, comma-separated."""
    return ",".join(x for x in XSID_LANGUAGES if x not in args.xsid_train_languages.split(","))


ADVERSARY = {"adversarial_weight": _option("adversarial_weight"), "grl_schedule": _option("grl_schedule")}
DIFFERENCE = {"difference_weight": _option("difference_weight")}
# the task head learns to do without private features, and reads shared ones only for the
# languages it had no labels for
SHARED_FOR_HELDOUT = {"private_dropout": _option("private_dropout"), "heldout_private_features": "zeros"}
# the held-out languages' `valid` texts reach the discriminator without their labels (Chen et al., TACL 2018)
UNLABELED_HELDOUT = {"unlabeled_languages": _heldout_languages}

# seed data: the library's ablation variants with its default adversarial settings
SEED_VARIANTS = {
    "separate": {"variant": "joint"},  # one model per language, trained and tested on it alone (PER_LANGUAGE)
    "joint": {"variant": "joint"},
    "shared_private": {"variant": "shared_private"},
    "adversarial": {"variant": "adversarial"},
    "adversarial_diff": {"variant": "adversarial_diff"},
}
PER_LANGUAGE = ("separate",)
SEED_LANGUAGES = ("eyu", "xiyu")
# xSID only: the full model that reads shared features only for languages held out of training
ZERO_SHOT_VARIANT = "adversarial_diff_shared_heldout"
# xSID only, not zero-shot: the full model whose discriminator also reads the held-out languages'
# unlabelled text; the joint model cannot use them
UNLABELED_VARIANT = "adversarial_diff_unlabeled"
# the same, with the task head reading shared features only for the languages it had no labels for
UNLABELED_SHARED_VARIANT = "adversarial_diff_unlabeled_shared"
# xSID (`separate` does not apply: held-out languages have no data of their own)
XSID_VARIANTS = {
    "joint": {"variant": "joint"},
    "shared_private": {"variant": "shared_private"},
    "adversarial": {"variant": "adversarial", **ADVERSARY},
    "adversarial_diff": {"variant": "adversarial_diff", **ADVERSARY, **DIFFERENCE},
    ZERO_SHOT_VARIANT: {"variant": "adversarial_diff", **SHARED_FOR_HELDOUT, **ADVERSARY, **DIFFERENCE},
    UNLABELED_VARIANT: {"variant": "adversarial_diff", **UNLABELED_HELDOUT, **ADVERSARY, **DIFFERENCE},
    UNLABELED_SHARED_VARIANT: {"variant": "adversarial_diff", **UNLABELED_HELDOUT, **SHARED_FOR_HELDOUT, **ADVERSARY, **DIFFERENCE},
}
XSID_DEFAULT_VARIANTS = ("joint", "adversarial_diff")
VARIANTS = list(SEED_VARIANTS)
FULL_VARIANTS = tuple(name for name, o in XSID_VARIANTS.items() if o["variant"] == "adversarial_diff")  # adversary + difference loss
# the settings only some variants set (never averaged across in the seed summary)
VARIANT_ONLY = tuple(dict.fromkeys(key for o in XSID_VARIANTS.values() for key in o if key != "variant"))
PICTURE_VARIANT = "adversarial_diff"  # the run whose feature projection is kept

# `--part` encoder -> encoder overrides and learning rates (BCNN: every layer at head_learning_rate)
ENCODERS = {
    "bcnn": {"encoder_type": "bcnn", "head_learning_rate": 1e-3},
    "e5": {"encoder_type": "backbone", "learning_rate": 5e-5, "head_learning_rate": 1e-3},
}
FAMILY_FIELDS = frozenset(f.name for f in dataclasses.fields(MultilingualArguments))


def _variant_args(variant: str, args, variants: dict = XSID_VARIANTS) -> tuple[dict, dict]:
    """`MultilingualArguments` overrides and extra record settings of a benchmark variant."""
    overrides = {key: value(args) if callable(value) else value for key, value in variants[variant].items()}
    return overrides, {k: v for k, v in overrides.items() if k != "variant"}



def build_arguments(overrides: dict, out_dir: Path) -> tuple[MultilingualArguments, MultilingualTrainingArguments]:
    """The family's arguments from `overrides`, which name fields of `MultilingualArguments` and of
    `MultilingualTrainingArguments` alike; the run trains into `out_dir` with no evaluation during
    training and no logs."""
    family = {k: v for k, v in overrides.items() if k in FAMILY_FIELDS}
    training = {k: v for k, v in overrides.items() if k not in FAMILY_FIELDS}
    training_args = MultilingualTrainingArguments(
        output_dir=str(out_dir), eval_strategy="no", logging_strategy="no", report_to="none", disable_tqdm=True, **training
    )
    return MultilingualArguments(**family), training_args


def run(overrides: dict, out_dir: Path) -> dict:
    """Train and test one model through `train_multilingual`; its metrics, with the wall time."""
    args, training_args = build_arguments(overrides, out_dir)
    start = time.perf_counter()
    metrics = train_multilingual(args, training_args)
    metrics["wall_s"] = round(time.perf_counter() - start, 1)
    print(json.dumps({"run": overrides, **metrics}), flush=True)
    return metrics


def _common_overrides(dataset: str, encoder: str, args) -> dict:
    """What every run of a part shares: data, encoder, seed, schedule, sizes, threads."""
    overrides = {"dataset": dataset, **ENCODERS[encoder], "seed": args.seed, "num_train_epochs": args.epochs}
    if encoder == "bcnn":
        overrides |= {"embedding_size": args.embedding_size, "num_filters": args.num_filters}
    if args.torch_threads:
        overrides["torch_threads"] = args.torch_threads
    if args.max_steps:
        overrides["max_steps"] = args.max_steps
    return overrides


def seed_part(encoder: str, args, tmp: Path) -> list[dict]:
    shared = _common_overrides("seed", encoder, args)
    if args.max_train_samples:
        shared["max_train_samples"] = args.max_train_samples
    infix = "" if encoder == "bcnn" else "e5."
    records, settings = [], {"encoder": encoder, "epochs": args.epochs, "seed": args.seed, "max_train_samples": args.max_train_samples,
                             "max_steps": args.max_steps, "embedding_dim": args.embedding_size, "num_filters": args.num_filters, "adversarial_weight": 0.05, "difference_weight": 1.0, "private_encoders": "single",
                             "learning_rate": 5e-5 if encoder == "e5" else 1e-3, "head_learning_rate": 1e-3 if encoder == "e5" else None}
    variants = args.variants.split(",") if args.variants else VARIANTS
    for variant in variants:
        overrides, _ = _variant_args(variant, args, SEED_VARIANTS)
        if variant in PER_LANGUAGE:
            per_lang = {}
            for lang in SEED_LANGUAGES:
                m = run({**shared, **overrides, "projection": "none", "train_languages": lang, "test_languages": lang}, tmp / f"seed_{encoder}_{variant}_{lang}")
                per_lang[lang] = m[f"test_accuracy_{lang}"]
            metrics = {f"test_accuracy_{k}": v for k, v in per_lang.items()}
            counts = _seed_test_counts()
            metrics["test_accuracy"] = sum(per_lang[x] * counts[x] for x in per_lang) / sum(counts[x] for x in per_lang)
        else:
            picture = variant == PICTURE_VARIANT
            out = tmp / f"seed_{encoder}_{variant}"
            metrics = run({**shared, **overrides, "projection": "pca" if picture else "none"}, out)
            if picture:
                _keep_picture(out, f"multilingual_seed_{encoder}_{variant}")
        s = {**settings, "variant": variant, "wall_s": metrics.get("wall_s")}
        records.append(record(f"multilingual.seed.{infix}{variant}.accuracy", metrics["test_accuracy"], "%", "higher", s))
        for lang in SEED_LANGUAGES:
            records.append(record(f"multilingual.seed.{infix}{variant}.accuracy_{lang}", metrics[f"test_accuracy_{lang}"], "%", "higher", s))
        if "test_discriminator_accuracy" in metrics:
            records.append(record(f"multilingual.seed.{infix}{variant}.discriminator_accuracy_gap",
                                  abs(metrics["test_discriminator_accuracy"] - metrics["discriminator_chance"]), "points", "lower", s, target=5.0))
        for kind in ("shared", "private"):
            if f"probe_language_accuracy_{kind}" in metrics:
                records.append(record(f"multilingual.seed.{infix}{variant}.probe_language_accuracy_{kind}", metrics[f"probe_language_accuracy_{kind}"], "%",
                                      "lower" if kind == "shared" else "higher", s))
        write_results(args.stem or f"multilingual_seed_{encoder}", records)  # partial results survive an interrupted run
    return records


def _seed_test_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (SHARED_DATA / "seed" / "multi_lang.test.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[1].strip():
            counts[fields[2].strip()] = counts.get(fields[2].strip(), 0) + 1
    return counts


def _keep_picture(out: Path, stem: str) -> None:
    """Keep the feature projection of a benchmark run (`<results>/<stem>.png`), not its weights."""
    png = out / "features.png"
    if png.exists():
        common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, common.RESULTS_DIR / f"{stem}.png")
    shutil.rmtree(out, ignore_errors=True)


def xsid_part(encoder: str, args, tmp: Path, task: str = "intents") -> list[dict]:
    train_languages = args.xsid_train_languages
    data = "xsid" if task == "intents" else "xsid_slots"  # record names and files
    score = "accuracy" if task == "intents" else "slot_f1"
    shared = {**_common_overrides("xsid", encoder, args), "task": task, "train_languages": train_languages, "per_device_train_batch_size": 32}
    if args.max_eval_samples:
        shared["max_eval_samples"] = args.max_eval_samples
    infix = (f"{args.name_tag}." if args.name_tag else "") + ("" if encoder == "e5" else "bcnn.")
    settings = {"encoder": encoder, "epochs": args.epochs, "max_steps": args.max_steps, "seed": args.seed, "train_languages": train_languages,
                "train_split": "valid", "test_split": "test", "max_test_samples": args.max_eval_samples,
                "learning_rate": 5e-5 if encoder == "e5" else 1e-3, "head_learning_rate": 1e-3 if encoder == "e5" else None}
    if task != "intents":
        settings["task"] = task
    variants = args.variants.split(",") if args.variants else list(XSID_DEFAULT_VARIANTS)
    records, results = [], {}
    for variant in variants:
        if variant not in XSID_VARIANTS:
            continue  # `separate`: held-out languages have no data of their own
        picture = variant == PICTURE_VARIANT and not args.name_tag  # one picture, from the untagged run
        out = tmp / f"{data}_{encoder}_{variant}"
        overrides, variant_settings = _variant_args(variant, args)
        m = run({**shared, **overrides, "projection": "pca" if picture else "none"}, out)
        if picture:
            _keep_picture(out, f"multilingual_{data}_{encoder}_{variant}")
        results[variant] = m
        s = {**settings, "variant": variant, "wall_s": m.get("wall_s"), **variant_settings}
        records.append(record(f"multilingual.{data}.{infix}{variant}.heldout_{score}", m[f"test_{score}_heldout_languages"], "%", "higher", s))
        records.append(record(f"multilingual.{data}.{infix}{variant}.trained_{score}", m[f"test_{score}_trained_languages"], "%", "higher", s))
        for key, value in m.items():
            if key.startswith(f"test_{score}_") and key[len(f"test_{score}_"):] not in ("language_mean", "trained_languages", "heldout_languages"):
                records.append(record(f"multilingual.{data}.{infix}{variant}.{key.replace('test_', '')}", value, "%", "higher", s))
        if "test_discriminator_accuracy" in m:
            records.append(record(f"multilingual.{data}.{infix}discriminator_accuracy_gap" if variant == "adversarial_diff" else f"multilingual.{data}.{infix}{variant}.discriminator_accuracy_gap",
                                  abs(m["test_discriminator_accuracy"] - m["discriminator_chance"]), "points", "lower", s, target=5.0))
        for kind in ("shared", "private"):
            if f"probe_language_accuracy_{kind}" in m:
                records.append(record(f"multilingual.{data}.{infix}{variant}.probe_language_accuracy_{kind}", m[f"probe_language_accuracy_{kind}"], "%",
                                      "lower" if kind == "shared" else "higher", {**s, "chance": m.get("discriminator_chance", 100.0 / len(train_languages.split(",")))}))
        merge_results(args.stem or f"multilingual_{data}_{encoder}", records)
    # the gain needs both runs; they may come from two processes run side by side (same settings)
    stem = args.stem or f"multilingual_{data}_{encoder}"
    path = common.RESULTS_DIR / f"{stem}.json"
    merged = {r["name"]: r for r in json.loads(path.read_text())} if path.exists() else {}
    joint = merged.get(f"multilingual.{data}.{infix}joint.heldout_{score}")
    common_settings = lambda r: {k: v for k, v in r["settings"].items() if k not in ("variant", "wall_s") + VARIANT_ONLY}  # noqa: E731
    for full_name in FULL_VARIANTS:
        full = merged.get(f"multilingual.{data}.{infix}{full_name}.heldout_{score}")
        if joint and full and common_settings(joint) == common_settings(full):
            s = {**settings, **{k: v for k, v in full["settings"].items() if k in VARIANT_ONLY}}
            records.append(record(f"multilingual.{data}.{infix}{_gain_name(full_name)}", full["value"] - joint["value"], "points", "higher", s,
                                  target=_gain_target(data, full_name)))
    merge_results(stem, records)
    return records


def seed_summary(records: list[dict], data: str = "xsid", infix: str = "") -> list[dict]:
    """Mean, standard deviation and standard error over seeds of every variant's held-out score and
    of its gain over the joint model of the same seed and training settings, from per-seed records
    (`--name_tag seedN`, in one results file or several).

    Runs are grouped by variant and settings less the seed, so runs with other adversarial settings
    are never averaged together; groups of two seeds or more are summarised. One seed's gain moves
    by points on xSID (1500 training utterances, 4000 held-out test ones), so issue 5's target is
    judged on the mean."""
    import statistics

    figure_re = re.compile(rf"^multilingual\.{re.escape(data)}\.(?:(?!joint\.|adversarial)[^.]+\.)?{re.escape(infix)}(joint|adversarial\w*)\.heldout_(\w+)$")
    runs = []  # (variant, score, seed, training settings, variant settings, value)
    for r in records:
        m = figure_re.match(r["name"])
        if m and "seed" in r["settings"]:
            settings = {k: float(v) if type(v) is int else v for k, v in r["settings"].items() if k not in ("seed", "wall_s", "variant")}  # 5 == 5.0 epochs
            training = json.dumps({k: v for k, v in settings.items() if k not in VARIANT_ONLY}, sort_keys=True)
            runs.append((m.group(1), m.group(2), r["settings"]["seed"], training, {k: v for k, v in settings.items() if k in VARIANT_ONLY}, r["value"]))
    joint = {(score, seed, training): value for variant, score, seed, training, _, value in runs if variant == "joint"}
    groups: dict[tuple[str, str, str], dict[int, float]] = {}  # (figure, score, settings) -> {seed: value}
    for variant, score, seed, training, variant_settings, value in runs:
        key = json.dumps({**json.loads(training), **variant_settings}, sort_keys=True)
        groups.setdefault((f"{variant}.heldout_{score}", score, key), {})[seed] = value
        if variant != "joint" and (score, seed, training) in joint:
            groups.setdefault((_gain_name(variant), score, key), {})[seed] = value - joint[(score, seed, training)]
    groups = {k: v for k, v in groups.items() if len(v) >= 2}
    names = {}
    for figure, score, key in groups:
        names.setdefault(f"{_variant_label(json.loads(key))}{figure}", []).append(key)
    out = []
    for (figure, score, key), by_seed in groups.items():
        label = _variant_label(json.loads(key))
        clash = names[f"{label}{figure}"]
        sizes = sorted((len(groups[(figure, score, k)]) for k in clash), reverse=True)
        plain = len(clash) == 1 or (len(by_seed) == sizes[0] > sizes[1])  # the group with the most seeds keeps the plain name
        if not plain:  # the same figure under other training settings: name what differs
            mine, others = json.loads(key), [json.loads(k) for k in clash if k != key]
            label += "_".join(f"{k}{v}" for k, v in sorted(mine.items()) if any(o.get(k) != v for o in others)) + "."
        values = [round(by_seed[seed], 4) for seed in sorted(by_seed)]
        mean, std = statistics.mean(values), statistics.stdev(values)
        interval = common.seed_summary(values)  # 95% interval of the mean over seeds (t distribution)
        settings = {**json.loads(key), "score": score, "seeds": sorted(by_seed), "values": values, "std": round(std, 4), "stderr": round(std / len(values) ** 0.5, 4),
                    "ci95": [interval["ci95_low"], interval["ci95_high"]], "ci95_dist": interval["dist"]}
        name = f"multilingual.{data}.{infix}{label}{figure}.seed_mean"
        if figure.endswith("heldout_gain_over_joint"):
            variant = figure.split(".")[0] if "." in figure else "adversarial_diff"
            out.append(record(name, mean, "points", "higher", settings, target=_gain_target(data, variant)))
        else:
            out.append(record(name, mean, "%", "higher", settings))
    return out


def _gain_name(variant: str) -> str:
    """Record name (after the data/tag prefix) of a variant's held-out gain over the joint model."""
    return "heldout_gain_over_joint" if variant == "adversarial_diff" else f"{variant}.heldout_gain_over_joint"


def _gain_target(data: str, variant: str) -> float | None:
    """Issue 5's target (+1 point) is on zero-shot intent accuracy: not on slot F1, and not on
    the variants that read the held-out languages' unlabelled text."""
    return 1.0 if data == "xsid" and not variant.startswith(UNLABELED_VARIANT) else None


def summarize_seeds(part: str) -> list[dict]:
    dataset, encoder = part.split("_")[0], part.split("_")[-1]
    if dataset != "xsid":
        raise SystemExit(f"--summarize_seeds: --part must be an xSID part, got {part!r}")
    stem = f"multilingual_{part}"
    records = [r for path in sorted(common.RESULTS_DIR.glob(f"{stem}*.json")) if path.stem != f"{stem}_seeds" for r in json.loads(path.read_text())]
    summary = seed_summary(records, data="xsid" if "_slots_" not in part else "xsid_slots", infix="" if encoder == "e5" else "bcnn.")
    if not summary:
        raise SystemExit(f"--summarize_seeds: no figure of {common.RESULTS_DIR}/{stem}*.json has two seeds with the same settings")
    write_results(f"{stem}_seeds", summary)
    return summary


def _variant_label(settings: dict) -> str:
    """'' for the reference design's adversarial settings, else e.g. 'aw0.2_dann.'."""
    defaults = {"adversarial_weight": 0.05, "grl_schedule": "constant", "difference_weight": 1.0}
    parts = [f"{short}{settings[k]}" for k, short in (("adversarial_weight", "aw"), ("difference_weight", "dw")) if k in settings and settings[k] != defaults[k]]
    if settings.get("grl_schedule", "constant") != "constant":
        parts.append(settings["grl_schedule"])
    return "_".join(parts) + "." if parts else ""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["seed_bcnn", "seed_e5", "xsid_bcnn", "xsid_e5", "xsid_slots_bcnn", "xsid_slots_e5"], required=True)
    parser.add_argument("--variants", default=None, help="comma-separated subset of " + ",".join(VARIANTS) + f" (xSID also {ZERO_SHOT_VARIANT}, {UNLABELED_VARIANT}, {UNLABELED_SHARED_VARIANT})")
    parser.add_argument("--epochs", type=float, default=5)
    parser.add_argument("--max_steps", type=int, default=None)
    parser.add_argument("--max_train_samples", type=int, default=None, help="seed data: a shuffled subset of train")
    parser.add_argument("--max_eval_samples", "--max_test_samples", dest="max_eval_samples", type=int, default=None, help="per language (xSID)")
    parser.add_argument("--private_dropout", type=float, default=0.5, help=f"xSID {ZERO_SHOT_VARIANT}: probability of hiding private features from the task head in training")
    parser.add_argument("--adversarial_weight", type=float, default=0.05, help="xSID: weight of the discriminator loss (reference design 0.05)")
    parser.add_argument("--difference_weight", type=float, default=1.0, help="xSID: weight of the difference loss (reference design 1.0, Liu et al. 0.01)")
    parser.add_argument("--grl_schedule", default="constant", choices=["constant", "dann"], help="xSID: gradient reversal factor constant, or annealed 0 -> 1 (DANN)")
    parser.add_argument("--xsid_train_languages", default="en,de,da,it,nl")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--embedding_size", "--embedding_dim", dest="embedding_size", type=int, default=300, help="BCNN token embedding width (the reference design: 300)")
    parser.add_argument("--num_filters", type=int, default=128, help="BCNN filters per width (the reference design: 128)")
    parser.add_argument("--torch_threads", "--threads", dest="torch_threads", type=int, default=None)
    parser.add_argument("--stem", default=None, help="results file stem (default multilingual_<part>)")
    parser.add_argument("--name_tag", default=None, help="xSID: tag inserted in the record names (e.g. seed45) so repeated runs do not replace each other")
    parser.add_argument("--summarize_seeds", action="store_true",
                        help="xSID: no training; average the per-seed results files of --part over seeds into multilingual_<part>_seeds.json")
    parser.add_argument("--results_dir", default=None, help="read and write the results files (and pictures) here instead of benchmarks/results")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    dataset, encoder = args.part.split("_")[0], args.part.split("_")[-1]
    known = SEED_VARIANTS if dataset == "seed" else {**XSID_VARIANTS, **dict.fromkeys(PER_LANGUAGE)}
    unknown = [v for v in (args.variants.split(",") if args.variants else []) if v not in known]
    if unknown and not args.summarize_seeds:
        parser.error(f"--variants: {unknown} do not apply to --part {args.part}; choose from {', '.join(known)}")
    with common.results_dir(args.results_dir):
        if args.summarize_seeds:
            return summarize_seeds(args.part)
        with tempfile.TemporaryDirectory() as tmp:
            if dataset == "seed":
                records = seed_part(encoder, args, Path(tmp))
            else:
                records = xsid_part(encoder, args, Path(tmp), task="slots" if "_slots_" in args.part else "intents")
        if dataset == "seed":  # xsid_part merges its records into the file as it goes
            write_results(args.stem or f"multilingual_{args.part}", records)
    return records


if __name__ == "__main__":
    main()
