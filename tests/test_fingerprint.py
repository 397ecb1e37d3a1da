"""A refactor changes no figure: the seed-fixed smoke runs of every family (and the CRF) give
the metrics and weight checksums recorded in benchmarks/results/fingerprint.json. A deliberate
change of behaviour re-records that file (`python -m benchmarks.fingerprint`) in its own commit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_quick_figures_are_unchanged(shared_data, minilm_path):
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "benchmarks.fingerprint", "--check"], cwd=root, capture_output=True, text=True,
                          timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "identical to fingerprint.json" in proc.stdout
