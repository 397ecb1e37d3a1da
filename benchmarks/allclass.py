"""Few-shot parts of `python -m benchmarks` (CLINC150): the all-class protocol and the paired
base-to-novel episodes.

All-class protocol (BENCHMARKS.md "All-class few-shot protocol", the published anchors' setting,
Casanueva et al. 2020; Zhang et al. 2021): all 150 intents; for each intent (label id order)
`random.Random(seed).sample(its train rows in file order, K)`, K = 5 and 10, seeds 0-4; nothing
else labelled is used; tested on the whole `test` split (4,500 utterances). Methods:

- frozen all-MiniLM-L6-v2 embeddings (mean pooling, L2-normalised) under the baselines of
  `FrozenEmbeddingClassifier`: nearest prototype (`frozen_protonet`), 1-NN (`knn`), logistic
  regression (`logreg`), linear SVM (`svm`);
- the trained methods (`protonet`, `matching`, `relation`, built by
  `hf_transfer.training.fewshot.build_fewshot_model` over MiniLM) fine-tuned episodically by
  `EpisodicTrainer` on the K-shot set itself (there are no other classes to train on: 20-way
  episodes, ceil(K/2) support + the rest as queries per class), then fitted on all K examples
  per class; each also under a logistic-regression head on its embeddings (`{method}_logreg`,
  as SetFit puts a logistic head on its fine-tuned encoder);
- zero-shot class names (`allclass_k0.zeroshot`: no example at all; the floor);
- SetFit, through the optional `bench` extra, only when `setfit` is importable (else a skipped record).

Records `fewshot.clinc150.allclass_k{K}.{method}`: the mean over seeds, with `interval`
(`benchmarks.common.seed_summary`: std and 95% interval over seeds) and the per-seed values in
`settings["per_seed"]`; `...{method}.gain_over_logreg`: the difference to the frozen logistic
regression paired seed by seed, with its interval.

Base-to-novel episodes (the existing protocol, existing record names): 5-way 1/5-shot on the 50
novel classes, episode `i` from `random.Random(1000 + i)`; the frozen baselines and the methods
trained on the 50 base classes score the same episodes, so each method's difference to the frozen
prototype is paired episode by episode (`...5way{K}shot.paired_vs_frozen_protonet`, mean
difference and 95% interval over episodes).
"""

from __future__ import annotations

import logging
import math
import random
import tempfile
import time
import types

import numpy as np
import torch

from benchmarks.common import PeakRSS, paired_difference, record, seed_summary


log = logging.getLogger("benchmarks.allclass")
FROZEN = {"frozen_protonet": "prototype", "knn": "knn", "logreg": "logreg", "svm": "svm"}
TRAINED = ("protonet", "matching", "relation")
ANCHOR = "logreg"  # the all-class gains are stated against the frozen-MiniLM logistic regression
EPISODE_ANCHOR = "frozen_protonet"  # the episodes' paired differences against the frozen nearest prototype
# the benchmark's method settings (those of `bench_fewshot.train_method`)
METHOD_KWARGS = {"scale": 20.0, "relation_loss": "ce", "pair_features": "concat_diff_prod", "class_aggregation": "mean", "max_length": 64}
PREFIX = "fewshot.clinc150"
SAMPLING = "for each intent (label id order): random.Random(seed).sample(its train rows in file order, K)"


def setfit_available() -> bool:
    try:
        import setfit  # noqa: F401
    except ImportError:
        return False
    return True


SETFIT_SKIP = "setfit is not importable (pip install -e '.[bench]' to include it)"


# ------------------------------------------------------------------------------ data


def load_clinc():
    from benchmarks.common import SHARED_DATA
    from hf_transfer.data.readers import load_clinc150

    return load_clinc150(SHARED_DATA / "clinc150" / "data_full.json")


def allclass_sample(train, k: int, seed: int) -> list[int]:
    """Row indices of K examples per intent: for each intent (label id order),
    `random.Random(seed).sample(its rows in file order, k)`; returned in file order."""
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(train["label"]):
        groups.setdefault(int(label), []).append(i)
    chosen = []
    for label in sorted(groups):
        rows = groups[label]
        if len(rows) < k:
            raise ValueError(f"intent {label} has {len(rows)} training rows, fewer than K = {k}")
        chosen += random.Random(seed).sample(rows, k)
    return sorted(chosen)


def test_subset(test, per_class: int | None) -> list[int]:
    """The whole test split (None), or its first `per_class` rows of every intent."""
    if per_class is None:
        return list(range(len(test)))
    seen: dict[int, int] = {}
    out = []
    for i, label in enumerate(test["label"]):
        if seen.get(int(label), 0) < per_class:
            seen[int(label)] = seen.get(int(label), 0) + 1
            out.append(i)
    return out


def minilm_path() -> str:
    from benchmarks.bench_fewshot import minilm_path as path

    return str(path())


class Embedder:
    """text -> embedding with an in-memory table (each text encoded once per model)."""

    def __init__(self, model, tokenizer, batch_size: int = 128):
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        self.table: dict[str, np.ndarray] = {}

    def __call__(self, texts) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.table})
        if missing:
            vectors = self.model.embed_texts(missing, self.tokenizer, batch_size=self.batch_size).float().cpu().numpy()
            self.table.update(zip(missing, vectors))
        return np.stack([self.table[t] for t in texts]) if len(texts) else np.zeros((0, 1), np.float32)


def _accuracy(pred, gold) -> float:
    return 100.0 * float(np.mean([p == g for p, g in zip(pred, gold)]))


def _stored_predict(model, support_x, support_y, query_x, chunk: int = 256) -> list:
    """A few-shot model fitted on embeddings, predicting query embeddings in chunks (a relation
    network scores every (query, class) pair)."""
    model.fit_support_embeddings(torch.as_tensor(support_x, device=model.device), list(support_y))
    out = []
    for start in range(0, len(query_x), chunk):
        logits = model.stored_logits(torch.as_tensor(query_x[start : start + chunk], device=model.device))
        out += [model.config.support_labels[i] for i in logits.argmax(-1).tolist()]
    return out


# ------------------------------------------------------------------------------ training on the K-shot set


def train_on_support(method: str, support, k: int, budget: dict, seed: int):
    """A MiniLM few-shot model of `method`, trained episodically on the K-shot set `support`
    (all 150 intents); returns (model, tokenizer, settings)."""
    from transformers import TrainingArguments

    from benchmarks.anchors import CurveRecorder
    from hf_transfer.data.episodes import EpisodeSampler
    from hf_transfer.training.episodic import EpisodicTrainer
    from hf_transfer.training.fewshot import FewShotArguments, build_fewshot_model

    kwargs = {key: value for key, value in METHOD_KWARGS.items() if key in ("scale", "max_length") or method == "relation"}  # what applies to the method
    fargs = FewShotArguments(method=method, model_name_or_path=minilm_path(), distance="cosine", **METHOD_KWARGS)
    torch.manual_seed(seed)
    model, tokenizer = build_fewshot_model(fargs, list(support["text"]))
    n_shot = math.ceil(k / 2)
    n_way, steps = budget["allclass_n_way"], budget["allclass_train_episodes"]
    sampler = EpisodeSampler(support, n_way, n_shot, k - n_shot, steps, seed=seed)
    curve = CurveRecorder()
    with tempfile.TemporaryDirectory() as out:
        targs = TrainingArguments(
            output_dir=out, max_steps=steps, learning_rate=budget["fewshot_learning_rate"], warmup_steps=max(1, steps // 10), weight_decay=0.01,
            eval_strategy="no", save_strategy="no", report_to=[], logging_steps=max(1, steps // 20), use_cpu=not torch.cuda.is_available(),
            disable_tqdm=True, seed=seed,
        )  # fmt: skip
        trainer = EpisodicTrainer(model=model, args=targs, train_sampler=sampler, processing_class=tokenizer, callbacks=[curve])
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    model = trainer.model.eval()
    model.set_tokenizer(tokenizer)
    settings = {"train_episodes": steps, "train_episode": f"{n_way}-way {n_shot}-shot {k - n_shot} queries", "learning_rate": budget["fewshot_learning_rate"],
                "train_seconds": round(seconds, 1), "train_peak_rss_mb": None if curve.memory.peak_mb is None else round(curve.memory.peak_mb, 1),
                "method_settings": dict(kwargs), "final_train_loss": curve.loss[-1] if curve.loss else None}
    return model, tokenizer, settings


def setfit_fit_predict(support_texts, support_labels, query_texts, budget: dict, seed: int) -> tuple[list, float]:
    """SetFit (MiniLM body, logistic head) trained on the support set; its predictions and seconds."""
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    model = SetFitModel.from_pretrained(minilm_path())
    with tempfile.TemporaryDirectory() as out:  # setfit writes checkpoints to ./checkpoints by default
        args = TrainingArguments(output_dir=out, batch_size=16, num_epochs=1, num_iterations=budget["setfit_iterations"], seed=seed,
                                 save_strategy="no", report_to="none", show_progress_bar=False)
        trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_dict({"text": list(support_texts), "label": list(support_labels)}))
        start = time.perf_counter()
        trainer.train()
        predictions = list(model.predict(list(query_texts)))
        seconds = time.perf_counter() - start
    return [p.item() if hasattr(p, "item") else p for p in predictions], seconds


# ------------------------------------------------------------------------------ the all-class part


def allclass_part(budget: dict) -> list[dict]:
    """Every method and baseline at K in `budget["allclass_k"]`, seeds `budget["allclass_seeds"]`."""
    from benchmarks.bench_fewshot import load_frozen
    from hf_transfer.models.fewshot import FrozenEmbeddingClassifier, label_to_description

    data = load_clinc()
    train, test = data["train"], data["test"]
    names = train.features["label"].names
    test_rows = test.select(test_subset(test, budget.get("allclass_test_per_class")))
    test_texts, gold = list(test_rows["text"]), [names[i] for i in test_rows["label"]]
    ks, seeds = list(budget["allclass_k"]), list(budget["allclass_seeds"])
    whole = len(test_rows) == len(test)
    common = {"classes": len(names), "test": "whole test split" if whole else f"first {budget['allclass_test_per_class']} test rows per intent",
              "test_utterances": len(test_rows), "sampling": SAMPLING, "seeds": seeds, "other_labelled_data": "none"}
    per_seed: dict[tuple[int, str], dict[int, float]] = {}
    extra: dict[tuple[int, str], dict] = {}
    skipped: dict[tuple[int, str], str] = {}

    frozen, tokenizer = load_frozen()
    embed = Embedder(frozen, tokenizer)
    with PeakRSS() as mem:
        start = time.perf_counter()
        test_x = embed(test_texts)
        frozen_encode_ms = 1000 * (time.perf_counter() - start) / max(1, len(test_texts))
    samples = {(k, s): train.select(allclass_sample(train, k, s)) for k in ks for s in seeds}
    for (k, seed), support in samples.items():
        sx, sy = embed(list(support["text"])), [names[i] for i in support["label"]]
        for method, kind in FROZEN.items():
            clf = FrozenEmbeddingClassifier(method=kind, embed_fn=lambda t: None)
            start = time.perf_counter()
            pred = clf.fit_support_embeddings(sx, sy).predict_embeddings(test_x)
            per_seed.setdefault((k, method), {})[seed] = _accuracy(pred, gold)
            extra[(k, method)] = {"backbone": "all-MiniLM-L6-v2 (frozen, mean pooling, L2-normalised)", "classifier": kind,
                                  "fit_predict_ms": round(1000 * (time.perf_counter() - start), 1), "encode_ms_per_utterance": round(frozen_encode_ms, 2),
                                  "encode_peak_rss_mb": None if mem.peak_mb is None else round(mem.peak_mb, 1)}
        log.info("all-class K=%d seed %d frozen: %s", k, seed, {m: round(per_seed[(k, m)][seed], 2) for m in FROZEN})

    # zero-shot: class names, no example
    name_x = frozen.embed_texts([label_to_description(n) for n in names], tokenizer).float().numpy()
    name_x /= np.linalg.norm(name_x, axis=1, keepdims=True)
    qx = test_x / np.linalg.norm(test_x, axis=1, keepdims=True)
    zeroshot = _accuracy([names[i] for i in (qx @ name_x.T).argmax(1)], gold)

    for method in budget.get("allclass_methods", TRAINED):
        for (k, seed), support in samples.items():
            with PeakRSS() as train_mem:
                model, tok, settings = train_on_support(method, support, k, budget, seed)
            sy = [names[i] for i in support["label"]]
            emb = Embedder(model, tok)
            with PeakRSS() as predict_mem:
                start = time.perf_counter()
                sx, qx_m = emb(list(support["text"])), emb(test_texts)
                pred = _stored_predict(model, sx, sy, qx_m)
                predict_ms = 1000 * (time.perf_counter() - start) / max(1, len(test_texts))
            per_seed.setdefault((k, method), {})[seed] = _accuracy(pred, gold)
            head = FrozenEmbeddingClassifier(method="logreg", C=10.0, embed_fn=lambda t: None)
            per_seed.setdefault((k, f"{method}_logreg"), {})[seed] = _accuracy(head.fit_support_embeddings(sx, sy).predict_embeddings(qx_m), gold)
            info = {**settings, "encoder": "all-MiniLM-L6-v2 fine-tuned on the K-shot set", "train_peak_rss_mb": round(train_mem.peak_mb, 1) if train_mem.peak_mb else None,
                    "predict_ms_per_utterance": round(predict_ms, 2), "predict_peak_rss_mb": round(predict_mem.peak_mb, 1) if predict_mem.peak_mb else None}
            for name in (method, f"{method}_logreg"):
                extra.setdefault((k, name), {"runs": {}})["runs"][seed] = info
                if name.endswith("_logreg"):
                    extra[(k, name)].update(head="logreg", C=10.0)
            log.info("all-class K=%d seed %d %s: %.2f (+ logreg head %.2f)", k, seed, method, per_seed[(k, method)][seed], per_seed[(k, f"{method}_logreg")][seed])
            del model, emb

    for k in ks:
        if not setfit_available():
            skipped[(k, "setfit")] = SETFIT_SKIP
            continue
        for seed in seeds[: budget.get("setfit_seeds", len(seeds))]:
            support = samples[(k, seed)]
            pred, seconds = setfit_fit_predict(list(support["text"]), [names[i] for i in support["label"]], test_texts, budget, seed)
            per_seed.setdefault((k, "setfit"), {})[seed] = _accuracy(pred, gold)
            extra.setdefault((k, "setfit"), {"runs": {}})["runs"][seed] = {"seconds": round(seconds, 1), "iterations": budget["setfit_iterations"], "epochs": 1, "batch_size": 16}

    records = [record(f"{PREFIX}.allclass_k0.zeroshot", zeroshot, "%", "higher", {**common, "seeds": None, "class_embeddings": "intent names, underscores to spaces"})]
    for (k, method), values in per_seed.items():
        ordered = [values[s] for s in sorted(values)]
        summary = seed_summary(ordered)
        settings = {**common, "k": k, "per_seed": {str(s): round(values[s], 4) for s in sorted(values)}, **extra.get((k, method), {})}
        target = 92.0 if k == 10 else None
        records.append(record(f"{PREFIX}.allclass_k{k}.{method}", summary["mean"], "%", "higher", settings, target=target, interval=summary))
        anchor = per_seed.get((k, ANCHOR))
        if method != ANCHOR and anchor and set(anchor) >= set(values):
            diff = paired_difference(ordered, [anchor[s] for s in sorted(values)], over="seeds")
            records.append(record(f"{PREFIX}.allclass_k{k}.{method}.gain_over_{ANCHOR}", diff["mean"], "points", "higher",
                                  {**common, "k": k, "anchor": f"{ANCHOR} (frozen MiniLM), same K-shot sets", "paired_by": "seed"}, interval=diff))
    for (k, method), why in skipped.items():
        records.append(record(f"{PREFIX}.allclass_k{k}.{method}", None, "%", "higher", {**common, "k": k}, skipped=why))
    return records


# ------------------------------------------------------------------------------ paired base-to-novel episodes


def _episode_rows(sampler, n: int) -> tuple[set, set]:
    support, query = set(), set()
    for i in range(n):
        ep = sampler.episode(i)
        support.update(ep.support_indices)
        query.update(ep.query_indices)
    return support, query


def _aligned(embed, dataset, rows: set) -> np.ndarray:
    """A `[len(dataset), dim]` matrix with the embeddings of `rows` (others zero): what
    `evaluate_episodes(embeddings=...)` indexes."""
    order = sorted(rows)
    vectors = embed([dataset[i]["text"] for i in order])
    out = np.zeros((len(dataset), vectors.shape[1]), dtype=np.float32)
    out[order] = vectors
    return out


def episodes_part(budget: dict) -> list[dict]:
    """The frozen baselines and the base-class-trained methods on the same novel-class episodes,
    differences paired episode by episode; adaptation time; SetFit on a subset when importable."""
    from benchmarks import bench_fewshot
    from hf_transfer.models.fewshot import FrozenEmbeddingClassifier
    from hf_transfer.training.episodic import evaluate_episodes

    n = budget["episodes"]
    setup = bench_fewshot.Setup(n)
    rows = {k: _episode_rows(sampler, n) for k, sampler in setup.samplers.items()}
    support_rows = set().union(*(r[0] for r in rows.values()))
    query_rows = set().union(*(r[1] for r in rows.values()))
    accuracies: dict[tuple[str, int], list[float]] = {}
    settings: dict[str, dict] = {}

    frozen, tokenizer = bench_fewshot.load_frozen()
    embed = Embedder(frozen, tokenizer)
    embeddings = (_aligned(embed, setup.novel_train, support_rows), _aligned(embed, setup.novel_test, query_rows))
    for method, kind in FROZEN.items():
        clf = FrozenEmbeddingClassifier(method=kind, embed_fn=lambda t: None)
        for k, sampler in setup.samplers.items():
            accuracies[(method, k)] = evaluate_episodes(clf, sampler, embeddings=embeddings)["accuracies"]
        settings[method] = {"backbone": "all-MiniLM-L6-v2 (frozen, mean pooling, L2-normalised)", "classifier": kind}
    # the speed-up over SetFit of `part_adapt` divides by a time measured another day: left out (measured below when setfit is importable)
    records = [r for r in bench_fewshot.part_adapt(setup, frozen, tokenizer, n=budget["adapt_episodes"]) if not r["name"].endswith("vs_setfit")]

    args = types.SimpleNamespace(
        learning_rate=budget["fewshot_learning_rate"], scale=METHOD_KWARGS["scale"], fce=False, relation_loss=METHOD_KWARGS["relation_loss"],
        train_episodes=budget["train_episodes"], train_n_way=budget["train_n_way"], train_n_shot=budget["train_n_shot"], train_n_query=budget["train_n_query"],
        val_episodes=budget["val_episodes"], evals=budget["evals"], bcnn_episodes=budget.get("bcnn_episodes", 1000), bcnn_lr=1e-3,
    )
    for method in budget.get("episode_methods", TRAINED):
        with PeakRSS() as mem:
            model, tok, info = bench_fewshot.train_method(method, setup, args)
        name = {"bcnn": "bcnn_protonet"}.get(method, method)
        info["train_peak_rss_mb"] = None if mem.peak_mb is None else round(mem.peak_mb, 1)
        emb = Embedder(model, tok)
        e = (torch.as_tensor(_aligned(emb, setup.novel_train, support_rows)), torch.as_tensor(_aligned(emb, setup.novel_test, query_rows)))
        for k, sampler in setup.samplers.items():
            accuracies[(name, k)] = evaluate_episodes(model, sampler, embeddings=e)["accuracies"]
        settings[name] = info
        if method != "bcnn":
            records += [r for r in bench_fewshot.part_adapt(setup, model, tok, method=name, n=budget["adapt_episodes"]) if not r["name"].endswith("vs_setfit")]
        del model, emb

    n_setfit = min(n, budget.get("setfit_episodes", 0))
    if setfit_available() and n_setfit:
        for k, sampler in setup.samplers.items():
            accs, times = [], []
            for i in range(n_setfit):
                ep = sampler.episode(i)
                s_texts = [setup.novel_train[j]["text"] for j in ep.support_indices]
                q_texts = [setup.novel_test[j]["text"] for j in ep.query_indices]
                pred, seconds = setfit_fit_predict(s_texts, ep.support_labels, q_texts, budget, seed=i)
                accs.append(float(np.mean(np.asarray(pred) == np.asarray(ep.query_labels))))
                times.append(seconds)
            accuracies[("setfit", k)] = accs
            settings["setfit"] = {"episodes": n_setfit, "iterations": budget["setfit_iterations"], "epochs": 1, "batch_size": 16, "head": "logreg"}
            if k == 5:
                import statistics

                setfit_ms = 1000 * statistics.median(times)
                records.append(record(f"{PREFIX}.setfit.adapt_ms", setfit_ms, "ms", "lower", {"episodes": n_setfit, "n_way": 5, "n_shot": 5, "measured": "same run"}))
                ours = next((r for r in records if r["name"] == f"{PREFIX}.frozen_protonet.adapt_ms"), None)
                if ours:
                    records.append(record(f"{PREFIX}.frozen_protonet.adapt_speedup_vs_setfit", setfit_ms / ours["value"], "x", "higher",
                                          {"setfit_ms": round(setfit_ms), "ours_ms": ours["value"], "measured": "same run, same episodes"}))
    elif n_setfit or budget.get("setfit_episodes") is not None:
        for k in setup.samplers:
            records.append(record(f"{PREFIX}.setfit.5way{k}shot", None, "%", "higher", {"episodes": n_setfit}, skipped=SETFIT_SKIP))

    for (method, k), accs in accuracies.items():
        mean = 100 * float(np.mean(accs))
        half = 100 * 1.96 * float(np.std(accs)) / math.sqrt(len(accs))
        s = {**settings.get(method, {}), "episodes": len(accs), "n_way": 5, "n_shot": k, "n_query": 15, "episode_seed": "random.Random(1000 + i)", "ci95": round(half, 3)}
        target = bench_fewshot.TARGET_1SHOT if k == 1 and method in TRAINED else None
        records.append(record(f"{PREFIX}.{method}.5way{k}shot", mean, "%", "higher", s, target=target))
        anchor = accuracies.get((EPISODE_ANCHOR, k))
        if method != EPISODE_ANCHOR and anchor is not None:
            diff = paired_difference([100 * a for a in accs], [100 * a for a in anchor[: len(accs)]], over="episodes")
            records.append(record(f"{PREFIX}.{method}.5way{k}shot.paired_vs_{EPISODE_ANCHOR}", diff["mean"], "points", "higher",
                                  {"episodes": len(accs), "anchor": f"{EPISODE_ANCHOR} (frozen MiniLM)", "paired_by": "episode"}, interval=diff))
    return records
