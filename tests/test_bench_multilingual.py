"""The xSID seed summary of `benchmarks/bench_multilingual.py` (issue 5's target is judged on the
mean gain over seeds): pairing with the joint run of the same seed and settings, grouping by
settings, never mixing adversarial settings, the statistics."""

import statistics

import pytest

from benchmarks.bench_multilingual import seed_summary

BASE = {"encoder": "e5", "epochs": 5, "train_languages": "en,de"}
REFERENCE = {"adversarial_weight": 0.05, "grl_schedule": "constant", "difference_weight": 1.0}
DANN = {**REFERENCE, "grl_schedule": "dann", "adversarial_weight": 0.2}


def acc(tag, variant, value, seed, **settings):
    name = f"multilingual.xsid.{tag + '.' if tag else ''}{variant}.heldout_accuracy"
    return {"name": name, "value": value, "settings": {**BASE, "seed": seed, "wall_s": 1.0 + seed, "variant": variant, **settings}}


def test_seed_summary_pairs_runs_by_seed_and_keeps_settings_apart():
    records = [
        acc("", "joint", 70.0, 42), acc("seed43", "joint", 72.0, 43, epochs=5.0), acc("seed44", "joint", 74.0, 44),  # 5 == 5.0
        acc("", "adversarial_diff", 69.0, 42, **REFERENCE), acc("seed43", "adversarial_diff", 74.0, 43, **REFERENCE),
        acc("seed44", "adversarial_diff", 76.5, 44, **REFERENCE),
        # another adversarial setting: summarised on its own
        acc("dann", "adversarial_diff", 75.0, 42, **DANN), acc("dann43", "adversarial_diff", 79.0, 43, **DANN),
        # unlabelled held-out text (another results file): another protocol, its own figures, no target
        acc("seed42", "adversarial_diff_unlabeled", 73.0, 42, **REFERENCE, unlabeled_languages="ar,ja"),
        acc("seed43", "adversarial_diff_unlabeled", 76.0, 43, **REFERENCE, unlabeled_languages="ar,ja"),
        # one seed only, or no joint run with the same training settings: no gain
        acc("x", "adversarial_diff", 90.0, 42, **{**REFERENCE, "difference_weight": 0.01}),
        acc("e3", "adversarial_diff", 60.0, 42, **{**REFERENCE, "epochs": 3}), acc("e3b", "adversarial_diff", 61.0, 43, **{**REFERENCE, "epochs": 3}),
        # figures other than the held-out mean, gain records and other data sets are not read
        {**acc("seed43", "joint", 99.0, 43), "name": "multilingual.xsid.seed43.joint.accuracy_en"},
        {**acc("seed43", "joint", 0.0, 43), "name": "multilingual.xsid.seed43.heldout_gain_over_joint"},
        {**acc("seed43", "joint", 50.0, 43), "name": "multilingual.xsid_slots.seed43.joint.heldout_slot_f1"},
    ]
    out = {r["name"]: r for r in seed_summary(records)}
    prefix = "multilingual.xsid."
    assert set(out) == {prefix + n + ".seed_mean" for n in (
        "joint.heldout_accuracy", "adversarial_diff.heldout_accuracy", "heldout_gain_over_joint",
        "aw0.2_dann.adversarial_diff.heldout_accuracy", "aw0.2_dann.heldout_gain_over_joint",
        "adversarial_diff_unlabeled.heldout_accuracy", "adversarial_diff_unlabeled.heldout_gain_over_joint",
        "epochs3.0.adversarial_diff.heldout_accuracy",  # the 3-epoch pair (no joint: no gain): named by what differs
    )}
    assert out[prefix + "epochs3.0.adversarial_diff.heldout_accuracy.seed_mean"]["value"] == pytest.approx(60.5)
    assert out[prefix + "adversarial_diff.heldout_accuracy.seed_mean"]["value"] == pytest.approx((69.0 + 74.0 + 76.5) / 3)
    gain = out[prefix + "heldout_gain_over_joint.seed_mean"]
    gains = [-1.0, 2.0, 2.5]
    assert gain["value"] == pytest.approx(sum(gains) / 3, abs=1e-4) and gain["target"] == 1.0 and gain["unit"] == "points"
    assert gain["settings"]["seeds"] == [42, 43, 44] and gain["settings"]["values"] == gains
    assert gain["settings"]["std"] == pytest.approx(statistics.stdev(gains), abs=1e-4)
    assert gain["settings"]["stderr"] == pytest.approx(statistics.stdev(gains) / 3**0.5, abs=1e-4)
    assert "seed" not in gain["settings"] and "wall_s" not in gain["settings"] and gain["settings"]["adversarial_weight"] == 0.05
    assert out[prefix + "joint.heldout_accuracy.seed_mean"]["value"] == pytest.approx(72.0)
    assert out[prefix + "aw0.2_dann.heldout_gain_over_joint.seed_mean"]["value"] == pytest.approx(6.0)
    unlabeled = out[prefix + "adversarial_diff_unlabeled.heldout_gain_over_joint.seed_mean"]
    assert unlabeled["value"] == pytest.approx(3.5) and "target" not in unlabeled and unlabeled["settings"]["unlabeled_languages"] == "ar,ja"


def test_seed_summary_needs_two_seeds():
    assert seed_summary([acc("", "joint", 70.0, 42), acc("", "adversarial_diff", 71.0, 42, **REFERENCE)]) == []
