#!/usr/bin/env python
"""Train a few-shot intent classifier episodically on the base classes of a data set, pick the
best checkpoint on validation classes, evaluate on novel classes (C-way K-shot episodes, the
protocol of BENCHMARKS.md for CLINC150), store a support set of the novel classes in the model,
and save it with its tokenizer and a model card holding the measured figures.

    python examples/run_fewshot.py --method protonet --dataset ../shared/data/clinc150/data_full.json \
        --model_name_or_path <MiniLM dir> --output_dir runs/protonet --distance cosine \
        --train_n_way 20 --train_episodes 400 --learning_rate 2e-5

    # any CSV / JSON / Hub data set with a text and a label column
    python examples/run_fewshot.py --method relation --dataset my.csv --text_column utterance \
        --label_column intent --encoder bcnn --output_dir runs/rel

`--smoke` runs a few tiny episodes end to end (seconds to a minute).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from pathlib import Path

from transformers import AutoTokenizer, HfArgumentParser, TrainingArguments, set_seed

from hf_transfer.cards import write_model_card
from hf_transfer.data.episodes import EpisodeSampler, filter_classes, sample_few_shot, split_classes
from hf_transfer.data.readers import load_clinc150, load_hub_dataset
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.models.fewshot import (
    MatchingNetwork,
    PrototypicalNetwork,
    RelationNetwork,
)
from hf_transfer.training.episodic import EpisodicTrainer, evaluate_episodes

logger = logging.getLogger("run_fewshot")
METHODS = {"protonet": PrototypicalNetwork, "matching": MatchingNetwork, "relation": RelationNetwork}


@dataclasses.dataclass
class FewShotArguments:
    method: str = dataclasses.field(default="protonet", metadata={"help": "protonet | matching | relation"})
    dataset: str = dataclasses.field(default="../shared/data/clinc150/data_full.json", metadata={"help": "CLINC150 data_full.json, a csv/json file, a folder or a Hub id"})
    text_column: str = "text"
    label_column: str = "label"
    model_name_or_path: str | None = dataclasses.field(default=None, metadata={"help": "transformer backbone (dir or Hub id)"})
    encoder: str = dataclasses.field(default="backbone", metadata={"help": "backbone | bcnn (trained from scratch)"})
    input_prefix: str | None = dataclasses.field(default=None, metadata={"help": 'e.g. "query: " for E5'})
    distance: str = dataclasses.field(default="cosine", metadata={"help": "protonet: euclidean | cosine"})
    scale: float = 10.0
    full_context_embeddings: bool = False
    relation_loss: str = "mse"
    pair_features: str = "concat"
    class_aggregation: str = "sum"
    max_seq_length: int = 64
    n_base: int | None = dataclasses.field(default=None, metadata={"help": "default: a third of the classes (50 for CLINC150)"})
    n_val: int | None = None
    n_novel: int | None = None
    split_seed: int = 0
    train_n_way: int = 20
    train_n_shot: int = 5
    train_n_query: int = 5
    train_episodes: int = 400
    val_n_way: int = 5
    val_n_shot: int = 1
    val_n_query: int = 5
    val_episodes: int = 50
    eval_n_way: int = 5
    eval_n_query: int = 15
    eval_episodes: int = 600
    eval_shots: str = "1,5"
    support_shots: int = dataclasses.field(default=10, metadata={"help": "examples per novel class stored in the saved model"})
    smoke: bool = dataclasses.field(default=False, metadata={"help": "tiny episode counts, end to end in about a minute"})


def load_data(args: FewShotArguments):
    if args.dataset.endswith("data_full.json") or "clinc" in Path(args.dataset).name.lower() and args.dataset.endswith(".json"):
        return load_clinc150(args.dataset)
    return load_hub_dataset(args.dataset, text_column=args.text_column, label_column=args.label_column)


def build_model(args: FewShotArguments, base_texts):
    cls = METHODS[args.method]
    kwargs = dict(max_seq_length=args.max_seq_length, input_prefix=args.input_prefix)
    if args.method == "protonet":
        kwargs.update(distance=args.distance, scale=args.scale)
    elif args.method == "matching":
        kwargs.update(full_context_embeddings=args.full_context_embeddings, scale=args.scale)
    else:
        kwargs.update(relation_loss=args.relation_loss, pair_features=args.pair_features, class_aggregation=args.class_aggregation)
    if args.encoder == "bcnn":
        tokenizer = build_bcnn_tokenizer(base_texts)
        model = cls(cls.config_class(encoder_type="bcnn", vocab_size=len(tokenizer), **kwargs))
        return model, tokenizer
    if not args.model_name_or_path:
        raise ValueError("--model_name_or_path is required with --encoder backbone (or pass --encoder bcnn)")
    tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path)
    return cls.from_backbone(args.model_name_or_path, **kwargs), tokenizer


def main(argv=None):
    parser = HfArgumentParser((FewShotArguments, TrainingArguments))
    argv = sys.argv[1:] if argv is None else argv
    if "--output_dir" not in argv:
        argv = [*argv, "--output_dir", "runs/fewshot"]
    args, training_args = parser.parse_args_into_dataclasses(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.method not in METHODS:
        raise ValueError(f"--method must be one of {list(METHODS)}, got {args.method!r}")
    if args.smoke:
        args.train_n_way, args.train_n_shot, args.train_n_query, args.train_episodes = 5, 2, 2, 2
        args.val_episodes, args.val_n_query, args.eval_episodes, args.eval_n_query = 2, 3, 2, 5
        args.support_shots, args.max_seq_length = 1, 32
        training_args.max_steps = 2
        training_args.eval_steps = training_args.save_steps = 2
    if training_args.max_steps <= 0:  # one pass over the training episodes (not num_train_epochs passes)
        training_args.max_steps = args.train_episodes
    training_args.eval_strategy = training_args.save_strategy = "steps"
    if training_args.eval_steps is None:
        training_args.eval_steps = max(1, args.train_episodes // 4)
    training_args.save_steps = training_args.eval_steps
    training_args.load_best_model_at_end = True
    training_args.metric_for_best_model = "accuracy"
    training_args.greater_is_better = True
    training_args.remove_unused_columns = False
    training_args.save_total_limit = training_args.save_total_limit or 2
    training_args.report_to = []

    data = load_data(args)
    train = data["train"]
    names = train.features["label"].names
    n = len(names)
    n_base = args.n_base or n // 3
    n_val = args.n_val if args.n_val is not None else n // 3
    n_novel = args.n_novel or n - n_base - n_val
    base, val, novel = split_classes(train, n_base, n_val, n_novel, seed=args.split_seed)
    logger.info("classes: %d base, %d validation, %d novel", len(base), len(val), len(novel))
    query_split = "test" if "test" in data else "train"
    val_query_split = "validation" if "validation" in data else query_split

    base_train = filter_classes(train, base)
    set_seed(training_args.seed)  # before the model is built: --seed reproduces the run
    model, tokenizer = build_model(args, list(base_train["text"]))
    train_sampler = EpisodeSampler(base_train, args.train_n_way, args.train_n_shot, args.train_n_query, args.train_episodes, seed=training_args.seed)
    val_queries = filter_classes(data[val_query_split], val) if val_query_split != "train" else None
    eval_sampler = EpisodeSampler(
        filter_classes(train, val), args.val_n_way, args.val_n_shot, args.val_n_query, args.val_episodes, seed=1000,
        query_dataset=val_queries,
    )
    trainer = EpisodicTrainer(model=model, args=training_args, train_sampler=train_sampler, eval_sampler=eval_sampler, processing_class=tokenizer)
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    model = trainer.model
    model.set_tokenizer(tokenizer)

    # novel classes: C-way K-shot episodes (support from train, queries from test)
    novel_train = filter_classes(train, novel)
    novel_test = filter_classes(data[query_split], novel) if query_split != "train" else None
    metrics = {}
    embeddings = None
    if not args.smoke:  # encode the novel rows once: exact for per-sentence encoders, far faster
        embeddings = (model.embed_texts(list(novel_train["text"])), model.embed_texts(list(novel_test["text"])) if novel_test is not None else None)
    for k in (int(s) for s in args.eval_shots.split(",")):
        sampler = EpisodeSampler(novel_train, args.eval_n_way, k, args.eval_n_query, args.eval_episodes, seed=1000, query_dataset=novel_test)
        result = evaluate_episodes(model, sampler, embeddings=embeddings)
        key = f"{args.eval_n_way}way{k}shot"
        metrics[f"{key}_accuracy"], metrics[f"{key}_ci95"] = result["accuracy"], result["ci95"]
        logger.info("novel classes %s: %.2f +- %.2f (%d episodes)", key, result["accuracy"], result["ci95"], result["n_episodes"])

    # store a support set of the novel classes, measure it on the novel test rows, save
    support = sample_few_shot(novel_train, args.support_shots, seed=0)
    label_names = support.features["label"].names
    model.fit_support(list(support["text"]), [label_names[i] for i in support["label"]])
    if novel_test is not None:
        test_rows = novel_test.select(range(0, len(novel_test), 30)) if args.smoke else novel_test
        predictions = model.predict(list(test_rows["text"]))
        gold = [label_names[i] for i in test_rows["label"]]
        metrics[f"novel_{len(novel)}way_{args.support_shots}shot_test_accuracy"] = 100 * sum(p == g for p, g in zip(predictions, gold)) / len(gold)
    out = Path(training_args.output_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    write_model_card(
        out,
        model_name=out.name,
        family="fewshot",
        task="text-classification",
        metrics=metrics,
        dataset="clinc150" if args.dataset.endswith("data_full.json") else Path(args.dataset).stem,
        eval_split=f"novel classes ({len(novel)}), support from train, queries from {query_split}" + (" (smoke run: tiny episode counts)" if args.smoke else ""),
        base_model=args.model_name_or_path if args.encoder == "backbone" else None,
        description=f"{model.config.model_type} ({args.method}) few-shot intent classifier.",
        training={
            "method": args.method, "encoder": args.encoder, "base classes": len(base), "train episodes": training_args.max_steps,
            "train episode": f"{args.train_n_way}-way {args.train_n_shot}-shot {args.train_n_query} queries", "learning rate": training_args.learning_rate,
            "eval episodes": args.eval_episodes, "best validation accuracy": trainer.state.best_metric, "training seconds": round(train_seconds, 1),
        },
        template="fewshot.md",
        tags=["few-shot", args.method],
    )
    logger.info("saved to %s: %s", out, metrics)
    return metrics


if __name__ == "__main__":
    main()
