"""Few-shot intent classification, trained episodically: the entry point.

    metrics = train_fewshot(FewShotArguments(method="protonet"), TrainingArguments("runs/protonet"))

Trains a few-shot model (prototypical, matching or relation network) on episodes of the base
classes, keeps the checkpoint best on validation-class episodes, evaluates C-way K-shot episodes
of the novel classes (`evaluate_novel_classes`; mean accuracy and 95% interval over episodes),
stores a support set of the novel classes in the model and saves it with its tokenizer, results
and a model card holding the measured figures.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from transformers import AutoTokenizer, TrainerCallback, TrainingArguments, set_seed

from ..cards import write_model_card
from ..data.episodes import EpisodeSampler, filter_classes, sample_few_shot, split_classes
from ..data.registry import load_dataset
from ..data.tokenization import build_bcnn_tokenizer
from ..models.fewshot import MatchingNetwork, PrototypicalNetwork, RelationNetwork
from .episodic import EpisodicTrainer, evaluate_episodes
from .finetune import default_backbone
from .run import FiniteCheckCallback, RunArguments, configure_ddp, save_run, start_run


logger = logging.getLogger(__name__)
METHODS = {"protonet": PrototypicalNetwork, "matching": MatchingNetwork, "relation": RelationNetwork}


@dataclass
class FewShotArguments(RunArguments):
    method: str = field(default="protonet", metadata={"help": "protonet | matching | relation"})
    dataset: str = field(default="clinc150", metadata={"help": "clinc150, a csv/json file, a folder or a Hub id with text and label columns (see hf_transfer.load_dataset)."})
    text_column: str = "text"
    label_column: str = "label"
    encoder_type: str = field(default="backbone", metadata={"help": "'backbone' (a pretrained transformer, --model_name_or_path) or 'bcnn' (trained from scratch)."})
    model_name_or_path: str = field(default_factory=default_backbone, metadata={"help": "Backbone directory or Hub id (default: the offline all-MiniLM-L6-v2)."})
    input_prefix: str | None = field(default=None, metadata={"help": 'e.g. "query: " for E5'})
    distance: str = field(default="cosine", metadata={"help": "protonet: euclidean | cosine"})
    scale: float = 10.0
    full_context_embeddings: bool = False
    relation_loss: str = "mse"
    pair_features: str = "concat"
    class_aggregation: str = "sum"
    max_length: int = 64
    n_base: int | None = field(default=None, metadata={"help": "Base (training) classes; default a third of the classes (50 for CLINC150)."})
    n_val: int | None = field(default=None, metadata={"help": "Validation classes; default a third."})
    n_novel: int | None = field(default=None, metadata={"help": "Novel (test) classes; default the rest."})
    split_seed: int = 0
    train_n_way: int = 20
    train_n_shot: int = 5
    train_n_query: int = 5
    train_episodes: int = field(default=400, metadata={"help": "Training episodes (one per step) when --max_steps is not given."})
    val_n_way: int = 5
    val_n_shot: int = 1
    val_n_query: int = 5
    val_episodes: int = 50
    eval_n_way: int = 5
    eval_n_query: int = 15
    eval_episodes: int = 600
    eval_shots: str = "1,5"
    support_shots: int = field(default=10, metadata={"help": "Examples per novel class stored in the saved model."})


def _apply_smoke(args: FewShotArguments, training_args: TrainingArguments) -> None:
    args.train_n_way, args.train_n_shot, args.train_n_query, args.train_episodes = 5, 2, 2, 2
    args.val_episodes, args.val_n_query, args.eval_episodes, args.eval_n_query = 2, 3, 2, 5
    args.support_shots, args.max_length = 1, 32
    training_args.max_steps = training_args.max_steps if training_args.max_steps > 0 else 2
    training_args.eval_steps = training_args.save_steps = 2


def _episodic_training_args(args: FewShotArguments, training_args: TrainingArguments) -> None:
    """What episodic training needs of `TrainingArguments`: one pass over the training episodes
    unless --max_steps says otherwise, evaluation and checkpoints every quarter, the checkpoint
    best on the validation classes kept."""
    if training_args.max_steps <= 0:
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


def build_fewshot_model(args: FewShotArguments, base_texts):
    """The model of `args.method` over a pretrained backbone or a BCNN, and its tokenizer."""
    cls = METHODS[args.method]
    kwargs = dict(max_length=args.max_length, input_prefix=args.input_prefix)
    if args.method == "protonet":
        kwargs.update(distance=args.distance, scale=args.scale)
    elif args.method == "matching":
        kwargs.update(full_context_embeddings=args.full_context_embeddings, scale=args.scale)
    else:
        kwargs.update(relation_loss=args.relation_loss, pair_features=args.pair_features, class_aggregation=args.class_aggregation)
    if args.encoder_type == "bcnn":
        tokenizer = build_bcnn_tokenizer(base_texts)
        return cls(cls.config_class(encoder_type="bcnn", vocab_size=len(tokenizer), **kwargs)), tokenizer
    if not args.model_name_or_path:
        raise ValueError("--model_name_or_path is required with --encoder_type backbone (or pass --encoder_type bcnn)")
    return cls.from_backbone(args.model_name_or_path, **kwargs), AutoTokenizer.from_pretrained(args.model_name_or_path)


def evaluate_novel_classes(model, support_rows, query_rows, n_way: int, shots, n_query: int, n_episodes: int,
                           precompute: bool = True, progress: bool = False) -> dict:
    """C-way K-shot episodes of the novel classes (support from `support_rows`, queries from
    `query_rows`, or from `support_rows` when None), for each K in `shots`:
    `{"{C}way{K}shot_accuracy", "{C}way{K}shot_ci95"}` in percent. `precompute` encodes every row
    once (exact for encoders that embed each sentence on its own, and far faster)."""
    embeddings = None
    if precompute:
        embeddings = (model.embed_texts(list(support_rows["text"]), progress=progress),
                      model.embed_texts(list(query_rows["text"]), progress=progress) if query_rows is not None else None)
    metrics = {}
    for k in shots:
        sampler = EpisodeSampler(support_rows, n_way, k, n_query, n_episodes, seed=1000, query_dataset=query_rows)
        result = evaluate_episodes(model, sampler, embeddings=embeddings, progress=progress)
        key = f"{n_way}way{k}shot"
        metrics[f"{key}_accuracy"], metrics[f"{key}_ci95"] = result["accuracy"], result["ci95"]
        logger.info("novel classes %s: %.2f +- %.2f (%d episodes)", key, result["accuracy"], result["ci95"], result["n_episodes"])
    return metrics


def train_fewshot(args: FewShotArguments, training_args: TrainingArguments, callbacks: list[TrainerCallback] | None = None) -> dict:
    """Train on base-class episodes, evaluate on novel classes, save; returns the metrics."""
    if args.method not in METHODS:
        raise ValueError(f"--method must be one of {list(METHODS)}, got {args.method!r}")
    if args.encoder_type not in ("backbone", "bcnn"):
        raise ValueError(f"--encoder_type must be 'backbone' or 'bcnn', got {args.encoder_type!r}")
    if args.smoke:
        _apply_smoke(args, training_args)
    _episodic_training_args(args, training_args)
    run = start_run(args, training_args)

    data = load_dataset(args.dataset, text_column=args.text_column, label_column=args.label_column)
    train = data["train"]
    n = len(train.features["label"].names)
    n_base = args.n_base or n // 3
    n_val = args.n_val if args.n_val is not None else n // 3
    n_novel = args.n_novel or n - n_base - n_val
    base, val, novel = split_classes(train, n_base, n_val, n_novel, seed=args.split_seed)
    logger.info("classes: %d base, %d validation, %d novel", len(base), len(val), len(novel))
    query_split = "test" if "test" in data else "train"
    val_query_split = "validation" if "validation" in data else query_split

    base_train = filter_classes(train, base)
    set_seed(training_args.seed)
    model, tokenizer = build_fewshot_model(args, list(base_train["text"]))
    train_sampler = EpisodeSampler(base_train, args.train_n_way, args.train_n_shot, args.train_n_query, args.train_episodes, seed=training_args.seed)
    val_queries = filter_classes(data[val_query_split], val) if val_query_split != "train" else None
    eval_sampler = EpisodeSampler(filter_classes(train, val), args.val_n_way, args.val_n_shot, args.val_n_query, args.val_episodes, seed=1000, query_dataset=val_queries)
    configure_ddp(training_args, model)
    trainer = EpisodicTrainer(model=model, args=training_args, train_sampler=train_sampler, eval_sampler=eval_sampler,
                              processing_class=tokenizer, callbacks=[FiniteCheckCallback(), *(callbacks or [])])
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=run.resume_from_checkpoint)
    train_seconds = time.perf_counter() - start
    model = trainer.model
    model.set_tokenizer(tokenizer)

    novel_train = filter_classes(train, novel)
    novel_test = filter_classes(data[query_split], novel) if query_split != "train" else None
    shots = [int(s) for s in args.eval_shots.split(",")]
    metrics = evaluate_novel_classes(model, novel_train, novel_test, args.eval_n_way, shots, args.eval_n_query, args.eval_episodes,
                                     precompute=not args.smoke, progress=not training_args.disable_tqdm)

    # a support set of the novel classes, stored in the model and measured on their test rows
    support = sample_few_shot(novel_train, args.support_shots, seed=0)
    label_names = support.features["label"].names
    model.fit_support(list(support["text"]), [label_names[i] for i in support["label"]])
    if novel_test is not None:
        test_rows = novel_test.select(range(0, len(novel_test), 30)) if args.smoke else novel_test
        predictions = model.predict(list(test_rows["text"]))
        gold = [label_names[i] for i in test_rows["label"]]
        metrics[f"novel_{len(novel)}way_{args.support_shots}shot_test_accuracy"] = 100 * sum(p == g for p, g in zip(predictions, gold)) / len(gold)
    results = {**metrics, "train_runtime_s": round(train_seconds, 1), "best_validation_accuracy": trainer.state.best_metric}

    def card(directory: Path) -> None:
        write_model_card(
            directory,
            model_name=Path(training_args.output_dir).name,
            family="fewshot",
            task="text-classification",
            task_name=f"Few-shot intent classification ({args.eval_n_way}-way episodes of novel classes)",
            metrics=metrics,
            dataset="clinc150" if args.dataset in ("clinc150",) or args.dataset.endswith("data_full.json") else Path(args.dataset).stem,
            eval_split=query_split,
            eval_description=f"novel classes ({len(novel)}), support from train, queries from {query_split}" + (" (smoke run: tiny episode counts)" if args.smoke else ""),
            base_model=args.model_name_or_path if args.encoder_type == "backbone" else None,
            description=f"{model.config.model_type} ({args.method}) few-shot intent classifier.",
            training={
                "method": args.method, "encoder": args.encoder_type, "base classes": len(base), "train episodes": training_args.max_steps,
                "train episode": f"{args.train_n_way}-way {args.train_n_shot}-shot {args.train_n_query} queries", "learning rate": training_args.learning_rate,
                "eval episodes": args.eval_episodes, "best validation accuracy": trainer.state.best_metric, "training seconds": round(train_seconds, 1),
            },
            template="fewshot.md",
            tags=["few-shot", "intent-classification", args.method],
        )

    save_run(run, training_args, model, tokenizer, results=results, card=card)
    return metrics
