"""The xSID seed summary of `benchmarks/bench_multilingual.py` (issue 5's target is judged on the
mean gain over seeds): grouping by settings, never mixing adversarial settings, the statistics."""

import statistics

import pytest

from benchmarks.bench_multilingual import seed_summary

BASE = {"encoder": "e5", "epochs": 5, "train_languages": "en,de"}
REFERENCE = {"adversarial_weight": 0.05, "grl_schedule": "constant", "difference_weight": 1.0}


def rec(name, value, seed, **settings):
    return {"name": name, "value": value, "settings": {**BASE, "seed": seed, "wall_s": 1.0 + seed, **settings}}


def by_name(records):
    return {r["name"]: r for r in records}


def test_seed_summary_means_over_seeds_and_keeps_settings_apart():
    records = [
        rec("multilingual.xsid.joint.heldout_accuracy", 70.0, 42, variant="joint"),
        rec("multilingual.xsid.seed43.joint.heldout_accuracy", 72.0, 43, variant="joint", epochs=5.0),  # 5 == 5.0
        rec("multilingual.xsid.seed44.joint.heldout_accuracy", 74.0, 44, variant="joint"),
        rec("multilingual.xsid.heldout_gain_over_joint", -1.0, 42, **REFERENCE),
        rec("multilingual.xsid.seed43.heldout_gain_over_joint", 2.0, 43, **REFERENCE),
        rec("multilingual.xsid.seed44.heldout_gain_over_joint", 2.5, 44, **REFERENCE),
        # another adversarial setting: two seeds, summarised on their own
        rec("multilingual.xsid.dann.heldout_gain_over_joint", 5.0, 42, **{**REFERENCE, "grl_schedule": "dann", "adversarial_weight": 0.2}),
        rec("multilingual.xsid.dann43.heldout_gain_over_joint", 7.0, 43, **{**REFERENCE, "grl_schedule": "dann", "adversarial_weight": 0.2}),
        # unlabelled held-out text: another protocol, its own figure, no target
        rec("multilingual.xsid.seed42.adversarial_diff_unlabeled.heldout_gain_over_joint", 3.0, 42, **REFERENCE, unlabeled_languages="ar,ja"),
        rec("multilingual.xsid.adversarial_diff_unlabeled.heldout_gain_over_joint", 4.0, 43, **REFERENCE, unlabeled_languages="ar,ja"),
        rec("multilingual.xsid.seed42.adversarial_diff_unlabeled.heldout_accuracy", 80.0, 42, variant="adversarial_diff_unlabeled", unlabeled_languages="ar,ja"),
        rec("multilingual.xsid.seed43.adversarial_diff_unlabeled.heldout_accuracy", 82.0, 43, variant="adversarial_diff_unlabeled", unlabeled_languages="ar,ja"),
        # one seed only: not summarised
        rec("multilingual.xsid.x.heldout_gain_over_joint", 9.0, 42, **{**REFERENCE, "difference_weight": 0.01}),
        # other figures and other data sets are not touched
        rec("multilingual.xsid.seed43.joint.accuracy_en", 99.0, 43, variant="joint"),
        rec("multilingual.xsid_slots.seed43.heldout_gain_over_joint", 50.0, 43, **REFERENCE),
    ]
    out = by_name(seed_summary(records))
    assert set(out) == {"multilingual.xsid.joint.heldout_accuracy.seed_mean", "multilingual.xsid.heldout_gain_over_joint.seed_mean",
                        "multilingual.xsid.aw0.2_dann.heldout_gain_over_joint.seed_mean",
                        "multilingual.xsid.adversarial_diff_unlabeled.heldout_gain_over_joint.seed_mean",
                        "multilingual.xsid.adversarial_diff_unlabeled.heldout_accuracy.seed_mean"}
    unlabeled = out["multilingual.xsid.adversarial_diff_unlabeled.heldout_gain_over_joint.seed_mean"]
    assert unlabeled["value"] == pytest.approx(3.5) and "target" not in unlabeled and unlabeled["settings"]["unlabeled_languages"] == "ar,ja"
    assert out["multilingual.xsid.adversarial_diff_unlabeled.heldout_accuracy.seed_mean"]["value"] == pytest.approx(81.0)
    gain = out["multilingual.xsid.heldout_gain_over_joint.seed_mean"]
    assert gain["value"] == pytest.approx(3.5 / 3, abs=1e-4) and gain["target"] == 1.0 and gain["unit"] == "points"
    assert gain["settings"]["seeds"] == [42, 43, 44] and gain["settings"]["values"] == [-1.0, 2.0, 2.5]
    assert gain["settings"]["std"] == pytest.approx(statistics.stdev([-1.0, 2.0, 2.5]), abs=1e-4)
    assert gain["settings"]["stderr"] == pytest.approx(statistics.stdev([-1.0, 2.0, 2.5]) / 3**0.5, abs=1e-4)
    assert "seed" not in gain["settings"] and "wall_s" not in gain["settings"]
    assert out["multilingual.xsid.joint.heldout_accuracy.seed_mean"]["value"] == pytest.approx(72.0)
    assert out["multilingual.xsid.aw0.2_dann.heldout_gain_over_joint.seed_mean"]["value"] == pytest.approx(6.0)


def test_seed_summary_other_training_settings_are_not_averaged():
    records = [rec("multilingual.xsid.heldout_gain_over_joint", 1.0, 42, **REFERENCE),
               rec("multilingual.xsid.seed43.heldout_gain_over_joint", 3.0, 43, **{**REFERENCE, "epochs": 3})]
    assert seed_summary(records) == []
