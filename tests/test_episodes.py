"""Tests for hf_transfer.data.episodes: few-shot episodes over a `datasets.Dataset`."""

import json
import random

import datasets
import pytest
import torch
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerFast

from hf_transfer.data.episodes import (
    Episode,
    EpisodeCollator,
    EpisodeDataset,
    EpisodeSampler,
    filter_classes,
    sample_few_shot,
    split_classes,
)
from hf_transfer.data.registry import data_dir


CLINC150 = data_dir() / "clinc150" / "data_full.json"

NAMES = ["alarm", "balance", "cancel", "define", "email", "flight", "tiny"]
WORDS = ["wake", "money", "stop", "meaning", "send", "fly", "small"]


def make_dataset(per_class=10, tiny=3, offset=0):
    """6 classes with `per_class` rows and class 'tiny' with `tiny` rows; texts name their class."""
    texts, labels = [], []
    for label, word in enumerate(WORDS):
        n = tiny if NAMES[label] == "tiny" else per_class
        for j in range(n):
            texts.append(f"{word} number {j + offset}" + " pad" * (j % 3))
            labels.append(label)
    # interleave classes so label -> indices grouping is exercised
    order = random.Random(123).sample(range(len(texts)), len(texts))
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=NAMES)})
    return datasets.Dataset.from_dict(
        {"text": [texts[i] for i in order], "label": [labels[i] for i in order]}, features=features
    )


@pytest.fixture(scope="module")
def train():
    return make_dataset()


@pytest.fixture(scope="module")
def test_split():
    return make_dataset(per_class=6, tiny=1, offset=100)


@pytest.fixture(scope="module")
def tokenizer():
    vocab = {"[PAD]": 0, "[UNK]": 1, "number": 2, "pad": 3}
    for w in WORDS:
        vocab[w] = len(vocab)
    for j in range(200):
        vocab[str(j)] = len(vocab)
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]")


def reference_episode(labels, seed, index, n_way, n_shot, n_query, eligible, query_labels=None):
    """Independent re-implementation of the documented draw: random.Random(seed + index)."""
    rows = {c: [i for i, lab in enumerate(labels) if lab == c] for c in eligible}
    rng = random.Random(seed + index)
    classes = rng.sample(sorted(eligible), n_way)
    support, query = [], []
    for c in classes:
        if query_labels is None:
            picked = rng.sample(rows[c], n_shot + n_query)
            support += picked[:n_shot]
            query += picked[n_shot:]
        else:
            support += rng.sample(rows[c], n_shot)
            query += rng.sample([i for i, lab in enumerate(query_labels) if lab == c], n_query)
    return classes, support, query


# ---------------------------------------------------------------------------------------------
# sampler
# ---------------------------------------------------------------------------------------------


def test_episode_structure(train):
    labels = train["label"]
    sampler = EpisodeSampler(train, n_way=3, n_shot=2, n_query=4, n_episodes=20, seed=5)
    assert len(sampler) == 20
    assert 6 not in sampler.classes  # 'tiny' has 3 < 6 rows: not eligible
    assert sampler.classes == [0, 1, 2, 3, 4, 5]
    eps = list(sampler)
    assert len(eps) == 20
    for ep in eps:
        assert isinstance(ep, Episode)
        assert len(set(ep.class_ids)) == 3 and set(ep.class_ids) <= set(sampler.classes)
        assert len(ep.support_indices) == 3 * 2 and len(ep.query_indices) == 3 * 4
        assert not set(ep.support_indices) & set(ep.query_indices)
        assert len(set(ep.support_indices + ep.query_indices)) == 18
        # grouped class by class in the order of class_ids
        assert [labels[i] for i in ep.support_indices] == [c for c in ep.class_ids for _ in range(2)]
        assert [labels[i] for i in ep.query_indices] == [c for c in ep.class_ids for _ in range(4)]
        assert list(ep) == ep.support_indices + ep.query_indices and len(ep) == 18
        assert ep.support_labels == [0, 0, 1, 1, 2, 2]


def test_matches_reference_and_benchmark_protocol(train):
    labels = train["label"]
    sampler = EpisodeSampler(train, n_way=4, n_shot=3, n_query=5, n_episodes=8, seed=1000)
    for ep in sampler:
        classes, support, query = reference_episode(labels, 1000, ep.index, 4, 3, 5, range(6))
        assert (ep.class_ids, ep.support_indices, ep.query_indices) == (classes, support, query)
    assert [ep.index for ep in sampler] == list(range(8))


def test_mixed_and_custom_episode_seed(train):
    mixed = EpisodeSampler(train, 2, 1, 1, 3, seed=2, episode_seed="mixed")
    offset = EpisodeSampler(train, 2, 1, 1, 3, seed=2 * 1_000_003, episode_seed="offset")
    assert [e.support_indices for e in mixed] == [e.support_indices for e in offset]
    custom = EpisodeSampler(train, 2, 1, 1, 3, seed=7, episode_seed=lambda s, i: 99)
    eps = list(custom)
    assert eps[0].support_indices == eps[1].support_indices == eps[2].support_indices
    with pytest.raises(ValueError, match="episode_seed"):
        EpisodeSampler(train, 2, 1, 1, 3, episode_seed="nope")


def test_determinism_and_seed_difference(train):
    a = EpisodeSampler(train, 3, 2, 3, 10, seed=0)
    b = EpisodeSampler(train, 3, 2, 3, 10, seed=0)
    c = EpisodeSampler(train, 3, 2, 3, 10, seed=10_000)
    first, second = list(a), list(a)
    assert [e.support_indices + e.query_indices for e in first] == [
        e.support_indices + e.query_indices for e in second
    ]
    assert [e.query_indices for e in first] == [e.query_indices for e in b]
    differing = sum(e.support_indices != f.support_indices for e, f in zip(first, c, strict=True))
    assert differing >= 9
    # episode i is the same whenever drawn
    assert a.episode(7).support_indices == first[7].support_indices


def test_ranks_partition_the_single_process_sequence(train):
    single = list(EpisodeSampler(train, 3, 1, 2, 12, seed=3, num_replicas=1, rank=0))
    per_rank = [list(EpisodeSampler(train, 3, 1, 2, 12, seed=3, num_replicas=3, rank=r)) for r in range(3)]
    assert [len(eps) for eps in per_rank] == [4, 4, 4]
    assert [e.index for e in per_rank[1]] == [1, 4, 7, 10]
    index_sets = [{e.index for e in eps} for eps in per_rank]
    assert not (index_sets[0] & index_sets[1]) and not (index_sets[1] & index_sets[2])
    union = sorted((e for eps in per_rank for e in eps), key=lambda e: e.index)
    assert [(e.class_ids, e.support_indices, e.query_indices) for e in union] == [
        (e.class_ids, e.support_indices, e.query_indices) for e in single
    ]


def test_uneven_ranks_wrap_or_drop(train):
    wrap = [EpisodeSampler(train, 2, 1, 1, 10, num_replicas=3, rank=r) for r in range(3)]
    assert [len(s) for s in wrap] == [4, 4, 4]
    assert [e.index for e in wrap[2]] == [2, 5, 8, 1]  # position 11 wraps to episode 1
    assert {e.index for s in wrap for e in s} == set(range(10))
    drop = [EpisodeSampler(train, 2, 1, 1, 10, num_replicas=3, rank=r, drop_last=True) for r in range(3)]
    assert [len(s) for s in drop] == [3, 3, 3]
    assert sorted(e.index for s in drop for e in s) == list(range(9))


def test_default_rank_from_torch_distributed(train, monkeypatch):
    assert EpisodeSampler(train, 2, 1, 1, 4).num_replicas == 1
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 1)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda: 2)
    s = EpisodeSampler(train, 2, 1, 1, 4)
    assert (s.rank, s.num_replicas, len(s)) == (1, 2, 2)
    assert [e.index for e in s] == [1, 3]


def test_default_rank_from_accelerate_state(train, monkeypatch):
    import accelerate

    class FakeState:
        _shared_state = {"initialised": True}
        process_index, num_processes = 2, 4

    monkeypatch.setattr(accelerate, "PartialState", FakeState)
    s = EpisodeSampler(train, 2, 1, 1, 8)
    assert (s.rank, s.num_replicas) == (2, 4)
    assert [e.index for e in s] == [2, 6]


def test_set_epoch(train):
    s = EpisodeSampler(train, 3, 2, 2, 5, seed=1)
    epoch0 = [e.support_indices for e in s]
    s.set_epoch(1)
    epoch1 = list(s)
    assert [e.index for e in epoch1] == [5, 6, 7, 8, 9]
    assert [e.support_indices for e in epoch1] != epoch0
    resumed = EpisodeSampler(train, 3, 2, 2, 5, seed=1)
    resumed.set_epoch(1)
    assert [e.support_indices for e in resumed] == [e.support_indices for e in epoch1]
    s.set_epoch(0)
    assert [e.support_indices for e in s] == epoch0
    with pytest.raises(ValueError, match="epoch"):
        s.set_epoch(-1)


def test_two_dataset_mode(train, test_split):
    s = EpisodeSampler(train, 3, 2, 5, 6, seed=4, query_dataset=test_split)
    assert 6 not in s.classes  # 'tiny' has 3 train rows but only 1 test row
    train_labels, test_labels = train["label"], test_split["label"]
    for ep in s:
        assert [train_labels[i] for i in ep.support_indices] == [c for c in ep.class_ids for _ in range(2)]
        assert [test_labels[i] for i in ep.query_indices] == [c for c in ep.class_ids for _ in range(5)]
        assert max(ep.query_indices) < len(test_split)
        assert not ep.query_from_support_dataset
        classes, support, query = reference_episode(train_labels, 4, ep.index, 3, 2, 5, range(6), test_labels)
        assert (ep.class_ids, ep.support_indices, ep.query_indices) == (classes, support, query)
        with pytest.raises(TypeError, match="EpisodeDataset"):
            list(ep)
    # n_shot + n_query may exceed a class's train rows when queries come from elsewhere
    EpisodeSampler(train, 2, 9, 6, 2, query_dataset=test_split)
    loader = s.dataloader(EpisodeCollator())
    batch = next(iter(loader))
    assert all(
        t.startswith(WORDS[c])
        for t, c in zip(batch["query_texts"], batch["class_ids"].repeat_interleave(5).tolist(), strict=True)
    )
    assert all(int(t.split()[2]) >= 100 for t in batch["query_texts"])  # from test_split
    assert all(int(t.split()[2]) < 100 for t in batch["support_texts"])  # from train
    assert batch["class_names"] == [NAMES[c] for c in batch["class_ids"].tolist()]


def test_explicit_classes_and_errors(train, test_split):
    s = EpisodeSampler(train, 2, 1, 1, 30, classes=["alarm", "tiny", "email"])
    assert s.classes == [0, 4, 6]
    assert {c for e in s for c in e.class_ids} == {0, 4, 6}
    with pytest.raises(ValueError) as err:
        EpisodeSampler(train, 2, 2, 3, 5, classes=["alarm", "tiny"])
    message = str(err.value)
    assert "'tiny'" in message and "has 3 examples" in message and "2 + 3 = 5" in message
    with pytest.raises(ValueError, match=r"'tiny' \(id 6\) has 1 examples in `query_dataset`.*n_query = 2"):
        EpisodeSampler(train, 2, 1, 2, 5, classes=[0, 6], query_dataset=test_split)
    assert len(EpisodeSampler(train, 7, 1, 2, 5).classes) == 7  # 'tiny' has exactly 1 + 2 rows
    with pytest.raises(ValueError, match="Only 6 classes.*n_way=7.*'tiny' \\(id 6\\) has 3 examples"):
        EpisodeSampler(train, 7, 2, 2, 5)
    with pytest.raises(ValueError, match="`classes` holds 2 classes.*n_way=3"):
        EpisodeSampler(train, 3, 1, 1, 5, classes=["alarm", "email"])
    with pytest.raises(ValueError, match="'nope'"):
        EpisodeSampler(train, 1, 1, 1, 5, classes=["nope"])
    with pytest.raises(ValueError, match="label_column='intent'"):
        EpisodeSampler(train, 1, 1, 1, 5, label_column="intent")


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_way": 0}, "n_way"),
        ({"n_shot": -1}, "n_shot"),
        ({"n_query": 1.5}, "n_query"),
        ({"n_episodes": "3"}, "n_episodes"),
        ({"num_replicas": 2, "rank": 2}, "rank"),
        ({"num_replicas": 0}, "num_replicas"),
        ({"seed": None}, "seed"),
    ],
)
def test_parameter_validation(train, kwargs, name):
    args = {"n_way": 2, "n_shot": 1, "n_query": 1, "n_episodes": 2, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        EpisodeSampler(train, **args)


def test_string_labels():
    ds = datasets.Dataset.from_dict({"text": [f"t{i}" for i in range(12)], "intent": ["a", "b", "c"] * 4})
    s = EpisodeSampler(ds, 2, 1, 2, 4, label_column="intent", classes=["a", "c"])
    ep = next(iter(s))
    assert sorted(ep.class_ids) == ["a", "c"]
    batch = next(iter(s.dataloader(EpisodeCollator(label_column="intent"))))
    assert batch["class_ids"] == batch["class_names"] and set(batch["class_ids"]) == {"a", "c"}
    with pytest.raises(ValueError, match="has 4 examples.*1 \\+ 4 = 5"):
        EpisodeSampler(ds, 1, 1, 4, 4, label_column="intent", classes=["b"])


# ---------------------------------------------------------------------------------------------
# collator and data loading
# ---------------------------------------------------------------------------------------------


def test_collator_with_tokenizer(train, tokenizer):
    sampler = EpisodeSampler(train, 3, 2, 4, 4, seed=8)
    collator = EpisodeCollator(tokenizer, max_length=4)
    loader = DataLoader(EpisodeDataset(train), sampler=sampler, batch_size=None, collate_fn=collator)
    batches = list(loader)
    assert len(batches) == 4
    for batch, ep in zip(batches, sampler, strict=True):
        assert batch["support_input_ids"].shape[0] == 6 and batch["query_input_ids"].shape[0] == 12
        assert batch["support_input_ids"].shape[1] <= 4 and batch["query_input_ids"].shape[1] <= 4
        for key in ("support_input_ids", "support_attention_mask", "query_input_ids", "query_attention_mask"):
            assert batch[key].dtype == torch.long
        assert batch["support_labels"].tolist() == [0, 0, 1, 1, 2, 2]
        assert batch["query_labels"].tolist() == [j for j in range(3) for _ in range(4)]
        assert batch["class_ids"].dtype == torch.long and batch["class_ids"].tolist() == ep.class_ids
        # local labels agree with class_ids and the rows' real labels
        real = [train[i]["label"] for i in ep.support_indices]
        assert batch["class_ids"][batch["support_labels"]].tolist() == real
        # token ids are the tokenizer's own, row for row
        expected = tokenizer(
            [train[i]["text"] for i in ep.query_indices],
            padding=True,
            truncation=True,
            max_length=4,
            return_tensors="pt",
        )
        assert torch.equal(batch["query_input_ids"], expected["input_ids"])
        assert torch.equal(batch["query_attention_mask"], expected["attention_mask"])
        # the first token names the class of the row
        first = batch["support_input_ids"][:, 0].tolist()
        assert first == [tokenizer.convert_tokens_to_ids(WORDS[c]) for c in real]


def test_batch_sampler_composition_matches_episode_dataset(train, tokenizer):
    sampler = EpisodeSampler(train, 3, 2, 1, 3, seed=2)
    collator = EpisodeCollator(tokenizer, label_names=NAMES)
    rows_mode = list(DataLoader(train, batch_sampler=sampler, collate_fn=collator))
    episode_mode = list(sampler.dataloader(collator))
    assert len(rows_mode) == len(episode_mode) == 3
    for a, b in zip(rows_mode, episode_mode, strict=True):
        assert a.keys() == b.keys()
        assert a.pop("class_names") == b.pop("class_names")
        for key in a:
            assert torch.equal(a[key], b[key]), key


def test_collator_without_tokenizer_and_one_way(train):
    sampler = EpisodeSampler(train, 1, 2, 3, 2, seed=0)
    ep = EpisodeDataset(train)[next(iter(sampler))]
    batch = EpisodeCollator()(ep)
    assert len(batch["support_texts"]) == 2 and len(batch["query_texts"]) == 3
    assert "support_input_ids" not in batch
    assert all(t.startswith(WORDS[ep.class_ids[0]]) for t in batch["support_texts"] + batch["query_texts"])
    rows = [train[i] for i in ep]
    with pytest.raises(ValueError, match="n_shot"):
        EpisodeCollator()(rows)
    assert EpisodeCollator(n_shot=2)(rows)["query_texts"] == batch["query_texts"]


def test_collator_catches_mismatched_data(train, test_split):
    sampler = EpisodeSampler(train, 2, 1, 1, 1, seed=0)
    with pytest.raises(ValueError, match="same data set"):
        EpisodeCollator()(EpisodeDataset(train.shuffle(seed=1))[next(iter(sampler))])
    with pytest.raises(ValueError, match="without rows"):
        EpisodeCollator()(next(iter(sampler)))


def test_torch_format_and_workers(train, tokenizer):
    ds = train.with_format("torch", columns=["label"], output_all_columns=True)
    sampler = EpisodeSampler(ds, 2, 2, 2, 4, seed=11)
    loader = sampler.dataloader(EpisodeCollator(tokenizer), num_workers=1)
    batches = list(loader)
    assert len(batches) == 4
    assert [b["class_ids"].tolist() for b in batches] == [e.class_ids for e in sampler]


# ---------------------------------------------------------------------------------------------
# class splits, filtering, K-shot subsets
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clinc():
    if not CLINC150.exists():
        pytest.skip(f"{CLINC150} not found")
    data = json.loads(CLINC150.read_text())
    names = sorted({intent for _, intent in data["train"]})
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=names)})

    def build(split):
        return datasets.Dataset.from_dict(
            {"text": [t for t, _ in data[split]], "label": [i for _, i in data[split]]}, features=features
        )

    return data, build("train"), build("test")


def test_split_classes_reproduces_clinc150_protocol(clinc):
    data, train, _ = clinc
    intents = [intent for _, intent in data["train"]]
    reference = sorted(set(intents))
    assert len(reference) == 150
    random.Random(0).shuffle(reference)
    expected = (reference[:50], reference[50:100], reference[100:])
    assert split_classes(intents, 50, 50, 50) == expected
    assert split_classes(train, 50, 50, 50, seed=0) == expected
    base, val, novel = split_classes(train, 50, 50, 50, seed=1)
    assert (base, val, novel) != expected and len(set(base + val + novel)) == 150
    with pytest.raises(ValueError, match="exceeds the 150 classes"):
        split_classes(intents, 100, 50, 1)
    with pytest.raises(ValueError, match="`n_val`"):
        split_classes(intents, 50, -1, 50)


def test_protocol_pipeline_on_clinc150(clinc):
    _, train, test = clinc
    _, _, novel = split_classes(train, 50, 50, 50)
    novel_train = filter_classes(train, novel)
    assert len(novel_train) == 50 * 100
    assert set(novel_train.features["label"].int2str(novel_train["label"])) == set(novel)
    sampler = EpisodeSampler(train, 5, 5, 15, 600, seed=1000, query_dataset=test, classes=novel)
    novel_ids = set(train.features["label"].str2int(novel))
    eps = list(sampler)
    assert len(eps) == 600 and all(set(e.class_ids) <= novel_ids for e in eps)
    assert all(len(e.support_indices) == 25 and len(e.query_indices) == 75 for e in eps)


def test_filter_classes(train):
    sub = filter_classes(train, ["alarm", 3])
    assert len(sub) == 20 and set(sub["label"]) == {0, 3}
    assert sub.features == train.features
    kept = [i for i, lab in enumerate(train["label"]) if lab in (0, 3)]
    assert sub["text"] == [train["text"][i] for i in kept]
    with pytest.raises(ValueError, match="'zzz'"):
        filter_classes(train, ["zzz"])


def test_sample_few_shot(train):
    sub = sample_few_shot(train, 2, seed=0, label_column="label", strict=False)
    counts = {c: list(sub["label"]).count(c) for c in range(7)}
    assert counts == {0: 2, 1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2}
    # reference: random.Random(seed), classes in sorted order, rng.sample over ascending rows
    labels = train["label"]
    rng = random.Random(0)
    expected = sorted(i for c in range(7) for i in rng.sample([j for j, lab in enumerate(labels) if lab == c], 2))
    assert sub["text"] == [train["text"][i] for i in expected]
    assert sample_few_shot(train, 2)["text"] == sub["text"]
    assert sample_few_shot(train, 2, seed=1)["text"] != sub["text"]
    with pytest.raises(ValueError, match=r"'tiny' \(id 6\) has 3 examples.*k = 5"):
        sample_few_shot(train, 5)
    loose = sample_few_shot(train, 5, strict=False)
    assert list(loose["label"]).count(6) == 3 and list(loose["label"]).count(0) == 5
    with pytest.raises(ValueError, match="`k`"):
        sample_few_shot(train, 0)


def test_indices_mapping_is_respected(train):
    """A shuffled / selected data set keeps an indices mapping: labels must be read through it."""
    shuffled = train.shuffle(seed=3).select(range(50))
    labels = shuffled["label"]
    sampler = EpisodeSampler(shuffled, 3, 2, 2, 10, seed=0)
    for ep in sampler:
        assert [labels[i] for i in ep.support_indices] == [c for c in ep.class_ids for _ in range(2)]
        assert [labels[i] for i in ep.query_indices] == [c for c in ep.class_ids for _ in range(2)]
    assert list(sampler.dataloader())  # the collator's label check passes on the mapped rows
