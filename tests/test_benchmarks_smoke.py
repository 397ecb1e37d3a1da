"""The benchmarks that train through the library's entry points (`bench_finetune_snips`,
`bench_multitask` train/ablation, `bench_multilingual`), each run for a step or two on the real
data, with results written to a temporary folder: every declared variant trains, the record names
are the ones the results files hold, and `benchmarks/results` is left alone."""

import json

import pytest

from benchmarks import common


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def _names(path):
    return [r["name"] for r in json.loads(path.read_text())]


@pytest.fixture
def results(tmp_path, shared_data):
    committed = common.RESULTS_DIR
    yield tmp_path / "results"
    assert common.RESULTS_DIR == committed  # --results_dir is undone when the benchmark ends


def test_finetune_snips_trains_every_mode(results, minilm_path):
    from benchmarks.bench_finetune_snips import MODES, main

    main(["--max_train_samples", "16", "--batch_size", "16", "--epochs", "1", "--threads", "1", "--results_dir", str(results)])
    assert _names(results / "finetune_snips.json") == [f"finetune.snips.{m}.{k}" for m in MODES for k in ("test_accuracy", "train_seconds")]


def test_multitask_train_and_ablation(results, tmp_path):
    from benchmarks.bench_multitask import ABLATIONS, main

    out = tmp_path / "models"
    # train and ablation both write `atis-bcnn-shared_private`: the second replaces the first
    main(["--parts", "train", "ablation", "--datasets", "atis", "--encoders", "bcnn", "--epochs", "0.005", "--max_train_samples", "32",
          "--batch_size", "16", "--private_encoder", "bcnn_tower", "--results_dir", str(results), "--output_root", str(out)])
    records = {r["name"]: r for r in json.loads((results / "multitask.json").read_text())}
    assert {f"multitask.atis.bcnn.{k}" for k in ("intent_accuracy", "slot_f1", "frame_accuracy", "train_time_s")} <= set(records)
    for tag in ABLATIONS:
        assert f"multitask.atis.bcnn.ablation.{tag}.train_time_s" in records
        assert (out / f"atis-bcnn-{tag}" / "model.safetensors").is_file()
    assert "multitask.atis.bcnn.ablation.single_intent.slot_f1" not in records  # no slot head
    single_slots = records["multitask.atis.bcnn.ablation.single_slots_no_crf.slot_f1"]["settings"]
    assert single_slots["options"] == "--intent_loss_weight 0 --no_use_private --no_use_crf --private_encoder_type tower"
    assert single_slots["learning_rate"] == "1e-3" and single_slots["train_samples"] == 32


def test_multilingual_seed_and_xsid(results):
    from benchmarks.bench_multilingual import main

    small = ["--max_steps", "2", "--embedding_dim", "16", "--num_filters", "8", "--threads", "1", "--results_dir", str(results)]
    main(["--part", "seed_bcnn", "--variants", "separate,adversarial_diff", "--max_train_samples", "200", *small])
    names = _names(results / "multilingual_seed_bcnn.json")
    assert names[:3] == ["multilingual.seed.separate.accuracy", "multilingual.seed.separate.accuracy_eyu", "multilingual.seed.separate.accuracy_xiyu"]
    assert "multilingual.seed.adversarial_diff.discriminator_accuracy_gap" in names
    assert (results / "multilingual_seed_bcnn_adversarial_diff.png").is_file()

    main(["--part", "xsid_bcnn", "--variants", "joint,adversarial_diff_unlabeled_shared", "--max_test_samples", "4", *small])
    records = {r["name"]: r for r in json.loads((results / "multilingual_xsid_bcnn.json").read_text())}
    gain = records["multilingual.xsid.bcnn.adversarial_diff_unlabeled_shared.heldout_gain_over_joint"]
    assert gain["settings"]["unlabeled_languages"] == "ar,de-ba,de-muc,de-st,gsw,ja,nap,zh" and "target" not in gain
    assert gain["settings"]["heldout_private_features"] == "zeros" and gain["settings"]["max_test_samples"] == 4
    assert not list(results.glob("multilingual_xsid_bcnn_*.png"))  # only the adversarial_diff run draws
