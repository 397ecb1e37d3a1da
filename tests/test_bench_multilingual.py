"""The xSID seed summary of `benchmarks/bench_multilingual.py` (issue 5's target is judged on the
mean gain over seeds): pairing with the joint run of the same seed and settings, grouping by
settings, never mixing adversarial settings, the statistics. And the benchmark's variants, declared
once as data: the settings each records, and the library arguments each builds (nothing trained)."""

import statistics

import pytest

from benchmarks.bench_multilingual import (
    FULL_VARIANTS,
    SEED_VARIANTS,
    VARIANT_ONLY,
    XSID_VARIANTS,
    _common_overrides,
    _variant_args,
    build_arguments,
    build_parser,
    main,
    seed_summary,
)


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


# ---------------------------------------------------------------- the declared variants


def _bench_args(*argv):
    """The benchmark's options as its command line parses them (nothing is run)."""
    return build_parser().parse_args(list(argv))


def test_variant_settings_are_the_overrides_beyond_the_library_variant():
    args = _bench_args("--part", "xsid_e5", "--adversarial_weight", "0.2", "--grl_schedule", "dann")
    heldout = "ar,de-ba,de-muc,de-st,gsw,ja,nap,zh"
    adversary = {"adversarial_weight": 0.2, "grl_schedule": "dann"}
    expected = {  # the settings each variant records, in order, as the benchmark has always written them
        "joint": {}, "shared_private": {}, "adversarial": adversary,
        "adversarial_diff": {**adversary, "difference_weight": 1.0},
        "adversarial_diff_shared_heldout": {"private_dropout": 0.5, "heldout_private_features": "zeros", **adversary, "difference_weight": 1.0},
        "adversarial_diff_unlabeled": {"unlabeled_languages": heldout, **adversary, "difference_weight": 1.0},
        "adversarial_diff_unlabeled_shared": {"unlabeled_languages": heldout, "private_dropout": 0.5, "heldout_private_features": "zeros",
                                              **adversary, "difference_weight": 1.0},
    }
    assert list(XSID_VARIANTS) == list(expected)
    for name, settings in expected.items():
        overrides, recorded = _variant_args(name, args)
        assert list(recorded.items()) == list(settings.items()), name
        assert overrides == {"variant": "adversarial_diff" if name.startswith("adversarial_diff") else name, **settings}
    assert set(VARIANT_ONLY) == {"private_dropout", "heldout_private_features", "adversarial_weight", "grl_schedule", "difference_weight", "unlabeled_languages"}
    assert FULL_VARIANTS == ("adversarial_diff", "adversarial_diff_shared_heldout", "adversarial_diff_unlabeled", "adversarial_diff_unlabeled_shared")


@pytest.mark.parametrize("part", ["seed_bcnn", "seed_e5", "xsid_bcnn", "xsid_e5", "xsid_slots_bcnn", "xsid_slots_e5"])
def test_every_variant_builds_the_library_arguments(part, tmp_path):
    """Each variant of each part makes valid `MultilingualArguments` / `MultilingualTrainingArguments`
    with the part's encoder and learning rates (nothing is trained)."""
    dataset, encoder = part.split("_")[0], part.split("_")[-1]
    args = _bench_args("--part", part, "--embedding_dim", "64", "--threads", "1", "--max_test_samples", "9", "--max_steps", "3")
    variants = SEED_VARIANTS if dataset == "seed" else XSID_VARIANTS
    for name in variants:
        overrides, _ = _variant_args(name, args, variants)
        family, training = build_arguments({**_common_overrides(dataset, encoder, args), **overrides}, tmp_path / name)
        assert family.dataset == dataset and family.variant == overrides["variant"] and family.torch_threads == 1
        assert training.output_dir == str(tmp_path / name) and training.max_steps == 3 and training.seed == 42
        assert training.eval_strategy == "no" and training.save_strategy == "no" and training.label_names == ["labels"]
        if encoder == "e5":
            assert family.encoder_type == "backbone" and training.learning_rate == 5e-5 and family.head_learning_rate == 1e-3
        else:
            assert family.encoder_type == "bcnn" and family.embedding_size == 64 and family.head_learning_rate == 1e-3
    assert args.max_eval_samples == 9  # --max_test_samples: the old spelling of --max_eval_samples


def test_variants_that_do_not_apply_to_the_part_are_refused(capsys):
    with pytest.raises(SystemExit):
        main(["--part", "seed_bcnn", "--variants", "joint,adversarial_diff_unlabeled"])
    assert "adversarial_diff_unlabeled" in capsys.readouterr().err
