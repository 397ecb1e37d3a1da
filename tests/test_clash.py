import sys
import warnings

import pytest

import hf_transfer._clash as clash


@pytest.fixture
def fake_other_distribution(tmp_path, monkeypatch):
    """A fake `hf_transfer` dist-info (Hugging Face's accelerator) on sys.path."""
    info = tmp_path / "hf_transfer-0.1.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hf_transfer\nVersion: 0.1.9\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(clash, "_warned", False)
    return tmp_path


def test_clash_is_detected_and_warned_once(fake_other_distribution):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert clash.check_distribution_clash() is True
        assert clash.check_distribution_clash() is True
    messages = [str(w.message) for w in caught if issubclass(w.category, clash.DistributionClashWarning)]
    assert len(messages) == 1
    assert "hf-transfer' 0.1.9" in messages[0] and "pip uninstall" in messages[0] and "top-level 'hf_transfer'" in messages[0]


def test_no_clash_without_the_other_distribution(monkeypatch):
    monkeypatch.setattr(clash, "_warned", False)
    if clash.find_clashing_distribution() is not None:
        pytest.skip("hf-transfer really is installed here")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert clash.check_distribution_clash() is False
    assert not caught


def test_our_own_distribution_is_not_a_clash():
    import importlib.metadata

    ours = importlib.metadata.distribution("hf-transfer-learning")
    assert ours.metadata["Name"] == "hf-transfer-learning"
    assert clash.find_clashing_distribution() is None or clash.find_clashing_distribution().metadata["Name"] != ours.metadata["Name"]


def test_import_warns_when_the_other_distribution_is_installed(fake_other_distribution):
    import subprocess

    code = "import warnings; warnings.simplefilter('always'); import hf_transfer"
    env_path = f"{fake_other_distribution}"
    import os

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([env_path, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "DistributionClashWarning" in result.stderr and "hf-transfer' 0.1.9" in result.stderr
