"""Few-shot models (prototypical, matching, relation networks), zero-shot, frozen baselines, the
episodic trainer and evaluation. Tiny BCNN / BERT configs on a synthetic separable problem."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from datasets import ClassLabel, Dataset, Features, Value
from transformers import AutoConfig, AutoModel, TrainingArguments

from hf_transfer.data.episodes import EpisodeCollator, EpisodeDataset, EpisodeSampler
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.models.fewshot import (
    FewShotPreTrainedModel,
    FrozenEmbeddingClassifier,
    MatchingNetwork,
    MatchingNetworkConfig,
    PrototypicalNetwork,
    PrototypicalNetworkConfig,
    RelationNetwork,
    RelationNetworkConfig,
    class_means,
    label_to_description,
)
from hf_transfer.training.episodic import EpisodeTextCollator, EpisodicTrainer, evaluate_episodes


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

REPO = Path(__file__).resolve().parents[1]
N_CLASSES = 8
NAMES = [f"intent_{chr(97 + c)}" for c in range(N_CLASSES)]
NOISE = [f"n{i}" for i in range(20)]


def _texts(seed=0, per_class=12):
    """Class c's sentences hold the keyword `kw{c}` among noise words: separable by one word."""
    rng = random.Random(seed)
    texts, labels = [], []
    for c in range(N_CLASSES):
        for _ in range(per_class):
            words = rng.sample(NOISE, 4)
            words.insert(rng.randrange(5), f"kw{c}")
            texts.append(" ".join(words))
            labels.append(c)
    return texts, labels


@pytest.fixture(scope="module")
def data():
    texts, labels = _texts()
    features = Features({"text": Value("string"), "label": ClassLabel(names=NAMES)})
    return Dataset.from_dict({"text": texts, "label": labels}, features=features)


@pytest.fixture(scope="module")
def tokenizer(data):
    descriptions = [label_to_description(n) for n in NAMES]
    return build_bcnn_tokenizer(list(data["text"]) + descriptions)


def _bcnn_kwargs(tokenizer):
    return dict(encoder_type="bcnn", vocab_size=len(tokenizer), embedding_size=16, kernel_sizes=[1, 2], num_filters=8)


METHODS = [
    (PrototypicalNetwork, PrototypicalNetworkConfig, {"distance": "euclidean"}),
    (PrototypicalNetwork, PrototypicalNetworkConfig, {"distance": "cosine"}),
    (MatchingNetwork, MatchingNetworkConfig, {"full_context_embeddings": False}),
    (MatchingNetwork, MatchingNetworkConfig, {"full_context_embeddings": True, "fce_steps": 2}),
    (RelationNetwork, RelationNetworkConfig, {"relation_loss": "mse"}),
    (RelationNetwork, RelationNetworkConfig, {"relation_loss": "ce", "class_aggregation": "mean", "pair_features": "concat_diff_prod"}),
]
# the paper's concat relation module learns a comparison slowly: a larger step and more epochs
SCHEDULE = {"relation-mse": (3e-2, 16), "relation-ce": (1e-2, 8)}
IDS = ["proto-euclid", "proto-cosine", "matching", "matching-fce", "relation-mse", "relation-ce"]


def _model(cls, config_cls, kwargs, tokenizer):
    return cls(config_cls(**_bcnn_kwargs(tokenizer), **kwargs))


def _episode_batches(data, tokenizer, n=6, seed=0, n_way=4):
    sampler = EpisodeSampler(data, n_way=n_way, n_shot=2, n_query=3, n_episodes=n, seed=seed)
    collator = EpisodeCollator(tokenizer)
    return [collator(b) for b in (EpisodeDataset(data)[e] for e in sampler)]


def _forward(model, batch):
    keys = ("support_input_ids", "support_attention_mask", "support_labels", "query_input_ids", "query_attention_mask", "query_labels")
    return model(**{k: batch[k] for k in keys})


# ---------------------------------------------------------------------------------------------
# the models
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,config_cls,kwargs", METHODS, ids=IDS)
def test_logits_shape_and_loss_decreases(cls, config_cls, kwargs, data, tokenizer, request):
    lr, epochs = SCHEDULE.get(request.node.callspec.id, (3e-3, 8))
    model = _model(cls, config_cls, kwargs, tokenizer)
    batches = _episode_batches(data, tokenizer)
    out = _forward(model, batches[0])
    assert out.logits.shape == (12, 4)
    assert out.query_embeddings.shape == (12, model.config.sentence_embedding_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def mean_loss():
        with torch.no_grad():
            model.eval()
            value = float(np.mean([_forward(model, b).loss.item() for b in batches]))
            model.train()
            return value

    before = mean_loss()
    for _ in range(epochs):
        for b in batches:
            optimizer.zero_grad()
            _forward(model, b).loss.backward()
            optimizer.step()
    after = mean_loss()
    assert after < 0.7 * before, (before, after)
    if kwargs.get("relation_loss") == "mse":
        assert after < 0.75 * 0.25  # below the best constant score (1/4 everywhere): it compares


def test_tiny_bert_backbone_forward(tiny_bert_config):
    model = PrototypicalNetwork.from_backbone(AutoModel.from_config(tiny_bert_config), distance="cosine")
    ids = torch.randint(1, 99, (6, 5))
    out = model(support_input_ids=ids[:4], support_attention_mask=torch.ones(4, 5), support_labels=torch.tensor([0, 0, 1, 1]),
                query_input_ids=ids[4:], query_attention_mask=torch.ones(2, 5), query_labels=torch.tensor([0, 1]))
    assert out.logits.shape == (2, 2) and out.loss.requires_grad
    assert model.config.model_type == "hf_transfer_protonet"


def test_prototypical_logits_match_reference():
    model = PrototypicalNetwork(PrototypicalNetworkConfig(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=3))
    s, q = torch.randn(6, 3), torch.randn(4, 3)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    protos = torch.stack([s[labels == c].mean(0) for c in range(3)])
    expected = -((q[:, None] - protos[None]) ** 2).sum(-1)
    torch.testing.assert_close(model.compute_logits(s, labels, q, 3), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(class_means(s, labels, 3), protos)
    cosine = PrototypicalNetwork(PrototypicalNetworkConfig(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=3, distance="cosine", scale=5.0, learn_scale=False))
    expected = 5.0 * torch.nn.functional.cosine_similarity(q[:, None], protos[None], dim=-1)
    torch.testing.assert_close(cosine.compute_logits(s, labels, q, 3), expected, rtol=1e-5, atol=1e-5)
    assert not cosine.log_scale.requires_grad


def test_matching_is_attention_over_support_labels():
    model = MatchingNetwork(MatchingNetworkConfig(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=3, scale=1.0))
    s, q = torch.randn(5, 3), torch.randn(2, 3)
    labels = torch.tensor([0, 1, 1, 2, 0])
    cos = torch.nn.functional.cosine_similarity(q[:, None], s[None], dim=-1)
    attention = cos.softmax(-1)
    expected = torch.stack([attention[:, labels == c].sum(-1) for c in range(3)], dim=1)
    probs = model.compute_logits(s, labels, q, 3).exp()
    torch.testing.assert_close(probs, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2))


def test_matching_fce_changes_embeddings_and_has_lstms():
    plain = MatchingNetwork(MatchingNetworkConfig(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=3))
    fce = MatchingNetwork(MatchingNetworkConfig(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=3, full_context_embeddings=True))
    assert plain.support_lstm is None and isinstance(fce.support_lstm, torch.nn.LSTM) and fce.support_lstm.bidirectional
    s, q, labels = torch.randn(4, 3), torch.randn(2, 3), torch.tensor([0, 0, 1, 1])
    # FCE's support embedding depends on the rest of the support set (the paper's point)
    g1 = fce.full_context_support(s)
    g2 = fce.full_context_support(torch.cat([s[:1], torch.randn(3, 3)]))
    assert not torch.allclose(g1[0], g2[0])
    probs = fce.compute_logits(s, labels, q, 2).exp()
    torch.testing.assert_close(probs.sum(-1), torch.ones(2))


def test_relation_scores_mse_and_ce(data, tokenizer):
    batch = _episode_batches(data, tokenizer, n=1)[0]
    mse = _model(RelationNetwork, RelationNetworkConfig, {"relation_loss": "mse"}, tokenizer)
    out = _forward(mse, batch)
    assert out.relation_scores.min() >= 0 and out.relation_scores.max() <= 1
    target = torch.nn.functional.one_hot(batch["query_labels"], 4).float()
    torch.testing.assert_close(out.loss, torch.nn.functional.mse_loss(out.relation_scores, target))
    assert 0 <= out.loss.item() <= 1
    ce = _model(RelationNetwork, RelationNetworkConfig, {"relation_loss": "ce"}, tokenizer)
    out = _forward(ce, batch)
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(out.logits, batch["query_labels"]))


def test_relation_aggregation_sum_vs_mean():
    kw = dict(vocab_size=10, embedding_size=4, kernel_sizes=[1], num_filters=3)
    s, labels = torch.randn(6, 3), torch.tensor([0, 0, 0, 1, 1, 1])
    summed = RelationNetwork(RelationNetworkConfig(**kw)).class_embeddings(s, labels, 2)
    mean = RelationNetwork(RelationNetworkConfig(class_aggregation="mean", **kw)).class_embeddings(s, labels, 2)
    torch.testing.assert_close(summed, 3 * mean)
    torch.testing.assert_close(summed[0], s[:3].sum(0))


def test_config_validation_names_parameter():
    with pytest.raises(ValueError, match="distance"):
        PrototypicalNetworkConfig(distance="manhattan")
    with pytest.raises(ValueError, match="relation_loss"):
        RelationNetworkConfig(relation_loss="hinge")
    with pytest.raises(ValueError, match="class_aggregation"):
        RelationNetworkConfig(class_aggregation="max")
    with pytest.raises(ValueError, match="fce_steps"):
        MatchingNetworkConfig(fce_steps=0)


def test_forward_requires_every_class(tokenizer):
    model = _model(PrototypicalNetwork, PrototypicalNetworkConfig, {}, tokenizer)
    ids = torch.ones(3, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="missing \\[1\\]"):
        model(support_input_ids=ids, support_attention_mask=ids, support_labels=torch.tensor([0, 2, 2]), query_input_ids=ids, query_attention_mask=ids)


# ---------------------------------------------------------------------------------------------
# fit_support / predict / save / zero-shot
# ---------------------------------------------------------------------------------------------


def test_unfitted_model_raises_clear_error(tokenizer):
    model = _model(MatchingNetwork, MatchingNetworkConfig, {}, tokenizer)
    with pytest.raises(RuntimeError, match="fit_support.*fit_descriptions"):
        model.predict(["kw1 n1"], tokenizer=tokenizer)


def test_missing_tokenizer_error(tokenizer):
    model = _model(PrototypicalNetwork, PrototypicalNetworkConfig, {}, tokenizer)
    with pytest.raises(ValueError, match="set_tokenizer"):
        model.fit_support(["a"], ["x"])


@pytest.mark.parametrize("cls,config_cls,kwargs", [METHODS[1], METHODS[3], METHODS[4]], ids=["proto", "matching-fce", "relation"])
def test_fit_support_save_load_round_trip(cls, config_cls, kwargs, data, tokenizer, tmp_path):
    model = _model(cls, config_cls, kwargs, tokenizer)
    texts, labels = list(data["text"]), [NAMES[i] for i in data["label"]]
    model.set_tokenizer(tokenizer)
    model.fit_support(texts[::3], labels[::3])
    assert model.config.support_labels == NAMES
    queries = texts[1::3]
    proba = model.predict_proba(queries)
    predictions = model.predict(queries)
    assert proba.shape == (len(queries), N_CLASSES)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert predictions == [NAMES[i] for i in proba.argmax(1)]
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    reloaded = AutoModel.from_pretrained(tmp_path)
    assert type(reloaded) is cls
    assert reloaded.config.support_labels == NAMES
    torch.testing.assert_close(reloaded.support_embeddings, model.support_embeddings, rtol=0, atol=0)
    # the tokenizer saved beside the model is found without being passed
    assert reloaded.predict(queries) == predictions
    np.testing.assert_allclose(reloaded.predict_proba(queries), proba, rtol=1e-6, atol=1e-7)


def test_prototypes_are_class_means(data, tokenizer):
    model = _model(PrototypicalNetwork, PrototypicalNetworkConfig, {}, tokenizer)
    texts, labels = list(data["text"][:24]), [NAMES[i] for i in data["label"][:24]]
    model.fit_support(texts, labels, tokenizer=tokenizer)
    embeddings = model.embed_texts(texts, tokenizer)
    assert model.prototypes.shape == (2, model.config.sentence_embedding_size)
    torch.testing.assert_close(model.prototypes[0], embeddings[:12].mean(0))


def test_zero_shot_from_descriptions_and_names(data, tokenizer):
    assert label_to_description("book_flight") == "book flight"
    model = _model(PrototypicalNetwork, PrototypicalNetworkConfig, {"distance": "cosine"}, tokenizer)
    model.fit_descriptions({NAMES[0]: "kw0", NAMES[1]: "kw1", NAMES[2]: None}, tokenizer=tokenizer)
    assert model.config.support_labels == NAMES[:3]
    expected = model.embed_texts(["kw0", "kw1", "intent c"], tokenizer)
    torch.testing.assert_close(model.support_embeddings, expected)
    model.fit_descriptions(NAMES[:4], tokenizer=tokenizer)
    assert model.predict_proba(["kw1 n2"], tokenizer=tokenizer).shape == (1, 4)


def test_relation_network_zero_shot_training(data, tokenizer):
    """Train on (query, class description) pairs of base classes, apply to unseen classes."""
    torch.manual_seed(0)
    descriptions = {n: f"kw{i}" for i, n in enumerate(NAMES)}
    model = _model(RelationNetwork, RelationNetworkConfig, {"relation_loss": "ce", "pair_features": "concat_diff_prod"}, tokenizer)
    base = data.filter(lambda r: r["label"] < 5)
    sampler = EpisodeSampler(base, n_way=4, n_shot=1, n_query=4, n_episodes=60, seed=0)
    collator = EpisodeTextCollator(tokenizer, descriptions=descriptions)
    batch = collator(EpisodeDataset(base)[sampler.episode(0)])
    assert batch["support_input_ids"].shape[0] == 4 and batch["support_labels"].tolist() == [0, 1, 2, 3]
    assert tokenizer.decode(batch["support_input_ids"][0]).split()[0] == descriptions[batch["class_names"][0]]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for episode in sampler:
        optimizer.zero_grad()
        _forward(model, collator(EpisodeDataset(base)[episode])).loss.backward()
        optimizer.step()
    unseen = NAMES[5:]
    model.fit_descriptions({n: descriptions[n] for n in unseen}, tokenizer=tokenizer)
    rows = data.filter(lambda r: r["label"] >= 5)
    predictions = model.predict(list(rows["text"]), tokenizer=tokenizer)
    accuracy = np.mean([p == NAMES[y] for p, y in zip(predictions, rows["label"])])
    assert accuracy > 0.6  # chance is 1/3


# ---------------------------------------------------------------------------------------------
# baselines and evaluation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["prototype", "knn", "svm", "logreg"])
def test_frozen_baselines_interface(method):
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 8)) * 5
    x = np.concatenate([centers[c] + rng.normal(size=(5, 8)) for c in range(3)])
    y = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    table = {f"t{i}": v for i, v in enumerate(x)}
    clf = FrozenEmbeddingClassifier(method=method, embed_fn=lambda texts: np.stack([table[t] for t in texts]))
    with pytest.raises(RuntimeError, match="fit_support"):
        clf.predict(["t0"])
    clf.fit_support(list(table), y)
    assert clf.classes_ == ["a", "b", "c"]
    assert clf.predict(list(table)) == y
    proba = clf.predict_proba(["t0", "t7"])
    assert proba.shape == (2, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert proba[0].argmax() == 0 and proba[1].argmax() == 1


def test_frozen_prototype_matches_manual_and_encoder_model(data, tokenizer, tiny_bert_config):
    rng = np.random.default_rng(1)
    s, q = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    clf = FrozenEmbeddingClassifier(method="prototype", embed_fn=lambda t: None).fit_support_embeddings(s, [0, 0, 1, 1])
    norm = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    protos = norm(np.stack([norm(s)[:2].mean(0), norm(s)[2:].mean(0)]))
    assert clf.predict_embeddings(q) == list((norm(q) @ protos.T).argmax(1))
    # a plain transformers model is mean-pooled
    from transformers import BertTokenizerFast

    bert = AutoModel.from_config(tiny_bert_config)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + [f"w{i}" for i in range(20)]
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "vocab.txt").write_text("\n".join(vocab))
        tok = BertTokenizerFast(str(Path(d) / "vocab.txt"))
    clf = FrozenEmbeddingClassifier(bert, method="knn", tokenizer=tok).fit_support(["w1 w2", "w3 w4"], ["x", "y"])
    assert clf.predict(["w1 w2"]) == ["x"]


def test_evaluate_episodes_ci_formula_and_embedding_path(data, tokenizer):
    model = _model(PrototypicalNetwork, PrototypicalNetworkConfig, {}, tokenizer)
    model.set_tokenizer(tokenizer)
    sampler = EpisodeSampler(data, n_way=3, n_shot=2, n_query=3, n_episodes=7, seed=1000)
    result = evaluate_episodes(model, sampler)
    acc = np.asarray(result["accuracies"])
    assert len(acc) == 7 and result["n_episodes"] == 7
    assert math.isclose(result["accuracy"], 100 * acc.mean(), rel_tol=1e-9)
    assert math.isclose(result["ci95"], 100 * 1.96 * acc.std() / math.sqrt(7), rel_tol=1e-9)
    # precomputed embeddings give the same accuracies as per-episode encoding
    embeddings = model.embed_texts(list(data["text"]), tokenizer)
    fast = evaluate_episodes(model, sampler, embeddings=(embeddings, None))
    assert fast["accuracies"] == result["accuracies"]
    # baselines: refitted on each episode's texts
    table = dict(zip(data["text"], embeddings.numpy()))
    clf = FrozenEmbeddingClassifier(method="prototype", normalize=False, embed_fn=lambda texts: np.stack([table[t] for t in texts]))
    assert evaluate_episodes(clf, sampler)["accuracies"] == result["accuracies"]


def test_episodic_trainer_selects_best_checkpoint(data, tokenizer, tmp_path):
    model = _model(PrototypicalNetwork, PrototypicalNetworkConfig, {"distance": "cosine"}, tokenizer)
    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=12, learning_rate=5e-3, eval_strategy="steps", eval_steps=4, save_strategy="steps",
        save_steps=4, load_best_model_at_end=True, metric_for_best_model="accuracy", report_to=[], logging_steps=4,
        use_cpu=True, disable_tqdm=True, save_total_limit=None,
    )
    base = data.filter(lambda r: r["label"] < 5)
    val = data.filter(lambda r: r["label"] >= 5)
    train_sampler = EpisodeSampler(base, n_way=3, n_shot=2, n_query=3, n_episodes=12, seed=0)
    eval_sampler = EpisodeSampler(val, n_way=3, n_shot=1, n_query=4, n_episodes=5, seed=1000)
    trainer = EpisodicTrainer(model=model, args=args, train_sampler=train_sampler, eval_sampler=eval_sampler, processing_class=tokenizer)
    trainer.train()
    evals = [h for h in trainer.state.log_history if "eval_accuracy" in h]
    assert [h["step"] for h in evals] == [4, 8, 12]
    best = max(evals, key=lambda h: h["eval_accuracy"])
    assert trainer.state.best_metric == best["eval_accuracy"]
    assert trainer.state.best_model_checkpoint.endswith(f"checkpoint-{best['step']}")
    # the model in memory is the best checkpoint's
    assert math.isclose(trainer.evaluate()["eval_accuracy"], best["eval_accuracy"], rel_tol=1e-9)
    assert (Path(trainer.state.best_model_checkpoint) / "model.safetensors").exists()
    reloaded = AutoConfig.from_pretrained(trainer.state.best_model_checkpoint)
    assert reloaded.model_type == "hf_transfer_protonet"


def test_auto_classes_registered():
    for config_cls, model_cls in [(PrototypicalNetworkConfig, PrototypicalNetwork), (MatchingNetworkConfig, MatchingNetwork), (RelationNetworkConfig, RelationNetwork)]:
        config = AutoConfig.for_model(config_cls.model_type, vocab_size=20, embedding_size=4, kernel_sizes=[1], num_filters=2)
        assert isinstance(config, config_cls)
        model = AutoModel.from_config(config)
        assert type(model) is model_cls and isinstance(model, FewShotPreTrainedModel)


# ---------------------------------------------------------------------------------------------
# the example, end to end on CLINC150
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_run_fewshot_smoke(shared_data, minilm_path, tmp_path):
    out = tmp_path / "model"
    cmd = [
        sys.executable, str(REPO / "examples" / "run_fewshot.py"), "--smoke", "--method", "protonet",
        "--dataset", str(shared_data / "clinc150" / "data_full.json"), "--model_name_or_path", str(minilm_path),
        "--output_dir", str(out),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    card = (out / "README.md").read_text()
    assert "5way1shot" in card and "hf_transfer_protonet" in (out / "config.json").read_text()
    model = AutoModel.from_pretrained(out)
    assert model.is_fitted and len(model.config.support_labels) == 50
    prediction = model.predict(["what is my bank balance"])
    assert prediction[0] in model.config.support_labels


@pytest.mark.slow
@pytest.mark.multiprocess
def test_episodic_training_on_two_processes(tmp_path):
    """`torchrun --nproc_per_node 2` (CPU, gloo): each rank trains on its own episodes (global
    episodes r, r + 2, ...), DDP keeps the weights identical, and every rank runs every step."""
    import json
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    worker = Path(__file__).with_name("ddp_episodic_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port), str(worker), str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2] and [r["sampler_rank"] for r in ranks] == [0, 1]
    assert [r["global_step"] for r in ranks] == [6, 6]
    assert ranks[0]["checksum"] == ranks[1]["checksum"]  # gradients were all-reduced
    # the same sampler in this process gives the global episodes each rank should have drawn
    from ddp_episodic_worker import toy_dataset

    data = toy_dataset()
    reference = EpisodeSampler(data, n_way=3, n_shot=2, n_query=2, n_episodes=12, seed=7, num_replicas=1, rank=0)
    expected = [list(reference.episode(i).class_ids) for i in range(12)]
    assert ranks[0]["episodes"] == expected[0::2] and ranks[1]["episodes"] == expected[1::2]
    assert ranks[0]["episodes"] != ranks[1]["episodes"]
