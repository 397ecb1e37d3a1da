"""Episodic training and evaluation of the few-shot models.

One way for every method: `EpisodicTrainer`, a `transformers.Trainer` whose training batches are
episodes from an `EpisodeSampler` (one episode per optimisation step, as in Snell et al., 2017 and
Vinyals et al., 2016) and whose evaluation is `evaluate_episodes` on validation classes, reported
as `eval_accuracy` (with `eval_accuracy_ci95`), so `TrainingArguments(eval_strategy="steps",
save_strategy="steps", load_best_model_at_end=True, metric_for_best_model="accuracy")` keeps the
checkpoint that is best on the validation classes.

Under several processes (`accelerate launch` / `torchrun`), build the samplers after
`TrainingArguments` (which sets up the process group): the training sampler then gives each
rank different episodes (the same ones on resume). Evaluation draws episodes by global index,
so every rank scores the same validation episodes and agrees on the best checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import Trainer, TrainerCallback

from ..data.episodes import EpisodeCollator, EpisodeDataset, EpisodeSampler
from ..metrics import load_metric
from ..models.fewshot.modeling_fewshot import FewShotPreTrainedModel, label_to_description
from .run import EvaluationKeepsRNG


__all__ = ["EpisodeTextCollator", "EpisodicTrainer", "evaluate_episodes"]


class EpisodeTextCollator:
    """`EpisodeCollator` plus what the few-shot models need around it.

    - `prefix`: prepended to every text (E5 wants `"query: "`; defaults to the model's
      `config.input_prefix` in `EpisodicTrainer`).
    - `descriptions`: `{class name: description}` (or `True`: the class names themselves, e.g.
      `"book_flight"` -> `"book flight"`): the support set of each episode becomes one description
      per class, to train a relation network for zero-shot use on (query, class description) pairs
      (Sung et al., 2018, section 3.5). Needs label names (a `ClassLabel` column).
    """

    def __init__(
        self,
        tokenizer,
        text_column: str = "text",
        max_length: int | None = 128,
        label_column: str = "label",
        prefix: str | None = None,
        descriptions: Mapping | bool | None = None,
    ):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.prefix = prefix or ""
        self.descriptions = descriptions
        self._texts = EpisodeCollator(tokenizer=None, text_column=text_column, label_column=label_column)

    def _tokenize(self, texts: Sequence[str]) -> dict:
        return self.tokenizer([self.prefix + t for t in texts], padding=True, truncation=self.max_length is not None, max_length=self.max_length, return_tensors="pt")

    def __call__(self, episode) -> dict:
        batch = self._texts(episode)
        support_texts, query_texts = batch.pop("support_texts"), batch.pop("query_texts")
        if self.descriptions:
            names = batch.get("class_names")
            if names is None:
                raise ValueError("EpisodeTextCollator(descriptions=...) needs class names: use a ClassLabel label column.")
            if self.descriptions is True:
                support_texts = [label_to_description(n) for n in names]
            else:
                missing = [n for n in names if n not in self.descriptions]
                if missing:
                    raise ValueError(f"EpisodeTextCollator: no description for classes {missing}")
                support_texts = [self.descriptions[n] for n in names]
            batch["support_labels"] = torch.arange(len(names))
        for part, texts in (("support", support_texts), ("query", query_texts)):
            for key, value in self._tokenize(texts).items():
                batch[f"{part}_{key}"] = value
        return batch


def _local_labels(episode) -> tuple[list[int], list[int]]:
    return episode.support_labels, episode.query_labels


@torch.no_grad()
def evaluate_episodes(
    model,
    sampler: EpisodeSampler,
    tokenizer=None,
    collator=None,
    text_column: str = "text",
    n_episodes: int | None = None,
    embeddings: tuple | None = None,
    descriptions: Mapping | bool | None = None,
    progress: bool = False,
) -> dict:
    """Mean query accuracy (in %) over the sampler's episodes with its 95% confidence interval
    (`1.96 * std / sqrt(n)`, the few-shot literature's convention), by the packaged `evaluate`
    metric module `episode_accuracy` (`hf_transfer.metrics.load_metric`).

    Episodes are `sampler.episode(i)` for `i < n_episodes` (default `sampler.n_episodes`): global
    indices, whatever the rank or epoch, so every call scores the same episodes.

    Args:
        model: a few-shot model (scored with its episode `forward` / `compute_logits`), or any object
            with `fit_support(texts, labels)` / `predict(texts)` (e.g. `FrozenEmbeddingClassifier`),
            re-fitted on each episode's support set.
        tokenizer / collator: how a few-shot model's episodes are tokenized (default
            `EpisodeTextCollator(tokenizer, text_column, prefix=model.config.input_prefix)`).
        embeddings: `(support_embeddings, query_embeddings)`, row-aligned with `sampler.dataset`
            and `sampler.query_dataset` (`None` when it has none): skip encoding; the model then
            needs `compute_logits` or `fit_support_embeddings` / `predict_embeddings`. Exact for
            encoders that embed each sentence on its own (all of ours), and far faster.
        descriptions: zero-shot scoring: the support set of every episode is one description per
            class (`True`: the class names), as in `EpisodeTextCollator`.
        progress: show a progress bar over the episodes.

    Returns:
        `{"accuracy", "ci95", "n_episodes", "accuracies"}`.
    """
    n = sampler.n_episodes if n_episodes is None else int(n_episodes)
    if n < 1:
        raise ValueError(f"`n_episodes` must be positive, got {n}")
    fewshot = isinstance(getattr(model, "module", model), FewShotPreTrainedModel)
    if fewshot:
        model = getattr(model, "module", model)
    was_training = getattr(model, "training", False)
    if fewshot:
        model.eval()
    if embeddings is None and fewshot and collator is None:
        collator = EpisodeTextCollator(
            model._resolve_tokenizer(tokenizer), text_column=text_column, max_length=model.config.max_length,
            label_column=sampler.label_column, prefix=model.config.input_prefix, descriptions=descriptions,
        )
    if embeddings is not None:
        support_emb, query_emb = embeddings
        query_emb = support_emb if query_emb is None else query_emb
        if descriptions:
            raise ValueError("evaluate_episodes: pass `descriptions` without `embeddings` (descriptions are encoded per episode)")
    reader = EpisodeDataset(sampler.dataset, sampler.query_dataset)
    episode_predictions, episode_labels = [], []
    try:
        for i in tqdm(range(n), desc="episodes", disable=not progress, leave=False):
            episode = sampler.episode(i)
            support_labels, query_labels = _local_labels(episode)
            if embeddings is not None:
                s = _rows(support_emb, episode.support_indices)
                q = _rows(query_emb, episode.query_indices)
                if fewshot:
                    s, q = torch.as_tensor(s, device=model.device), torch.as_tensor(q, device=model.device)
                    logits = model.compute_logits(s.to(model.dtype), torch.tensor(support_labels, device=model.device), q.to(model.dtype), episode.n_way)
                    predictions = logits.argmax(-1).tolist()
                else:
                    predictions = model.fit_support_embeddings(np.asarray(s), support_labels).predict_embeddings(np.asarray(q))
            elif fewshot:
                batch = collator(reader[episode])
                batch = {k: v.to(model.device) for k, v in batch.items() if isinstance(v, torch.Tensor) and k not in ("class_ids", "query_labels")}
                predictions = model(**batch).logits.argmax(-1).tolist()
            else:
                rows = reader[episode]
                predictions = model.fit_support(rows.support[text_column], support_labels).predict(rows.query[text_column])
            episode_predictions.append(np.asarray(predictions).tolist())
            episode_labels.append(np.asarray(query_labels).tolist())
    finally:
        if fewshot:
            model.train(was_training)
    result = load_metric("episode_accuracy").compute(predictions=episode_predictions, references=episode_labels)
    return {"accuracy": 100 * result["accuracy"], "ci95": 100 * result["ci95"], "n_episodes": n, "accuracies": result["accuracies"]}


def _rows(matrix, indices):
    if isinstance(matrix, torch.Tensor):
        return matrix[torch.as_tensor(indices, dtype=torch.long, device=matrix.device)]
    return np.asarray(matrix)[np.asarray(indices)]


class EpisodicTrainer(EvaluationKeepsRNG, Trainer):
    """`transformers.Trainer` over episodes: each step is one `EpisodeSampler` episode.

    Args:
        model: a few-shot model (its `forward` takes the episode keys and returns `loss`).
        args: `TrainingArguments` (`per_device_train_batch_size` is ignored: one episode a step;
            use `gradient_accumulation_steps` for several).
        train_sampler: episodes of the base classes.
        eval_sampler: episodes of the validation classes (for `eval_accuracy`, best checkpoint).
        processing_class: the tokenizer (also saved with checkpoints).
        data_collator: default `EpisodeTextCollator(processing_class, text_column,
            prefix=model.config.input_prefix, descriptions=descriptions)`.
        descriptions: train on (query, class description) pairs (see `EpisodeTextCollator`).
        eval_n_episodes: validation episodes per evaluation (default `eval_sampler.n_episodes`).
    """

    def __init__(
        self,
        model=None,
        args=None,
        train_sampler: EpisodeSampler | None = None,
        eval_sampler: EpisodeSampler | None = None,
        processing_class=None,
        data_collator=None,
        text_column: str = "text",
        descriptions: Mapping | bool | None = None,
        eval_n_episodes: int | None = None,
        **kwargs,
    ):
        if train_sampler is None and eval_sampler is None:
            raise ValueError("EpisodicTrainer needs `train_sampler` (training) and/or `eval_sampler` (evaluation)")
        if data_collator is None:
            if processing_class is None:
                raise ValueError("EpisodicTrainer needs `processing_class` (the tokenizer) or a `data_collator`")
            label_column = (train_sampler or eval_sampler).label_column
            data_collator = EpisodeTextCollator(
                processing_class, text_column=text_column, max_length=getattr(model.config, "max_length", 128),
                label_column=label_column, prefix=getattr(model.config, "input_prefix", None), descriptions=descriptions,
            )
        self.train_sampler, self.eval_sampler = train_sampler, eval_sampler
        if train_sampler is not None:
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), _SamplerEpoch(train_sampler)]
        self.eval_n_episodes = eval_n_episodes
        train_dataset = EpisodeDataset(train_sampler.dataset, train_sampler.query_dataset) if train_sampler is not None else None
        # Trainer insists on an eval_dataset when eval_strategy is set; ours is read by `evaluate`
        eval_dataset = EpisodeDataset(eval_sampler.dataset, eval_sampler.query_dataset) if eval_sampler is not None else None
        super().__init__(
            model=model, args=args, train_dataset=train_dataset, eval_dataset=eval_dataset, data_collator=data_collator,
            processing_class=processing_class, **kwargs,
        )

    def get_train_dataloader(self) -> DataLoader:
        # not `accelerator.prepare`d: the sampler is already rank-aware and must not be sharded again.
        # Batches of one episode (not `batch_size=None`), so that resuming can skip the episodes
        # already trained on (accelerate's `skip_first_batches` needs a batch sampler).
        return DataLoader(
            self.train_dataset,
            sampler=self.train_sampler,
            batch_size=1,
            collate_fn=_OneEpisode(self.data_collator),
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory and torch.cuda.is_available(),
        )

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict[str, float]:
        """Accuracy on the validation classes' episodes (`eval_sampler`, or a sampler passed as `eval_dataset`)."""
        sampler = eval_dataset if isinstance(eval_dataset, EpisodeSampler) else self.eval_sampler
        if sampler is None:
            raise ValueError("EpisodicTrainer.evaluate needs `eval_sampler` (episodes of the validation classes)")
        result = evaluate_episodes(self.model, sampler, collator=self.data_collator, n_episodes=self.eval_n_episodes, progress=not self.args.disable_tqdm)
        metrics = {f"{metric_key_prefix}_accuracy": result["accuracy"], f"{metric_key_prefix}_accuracy_ci95": result["ci95"]}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics


class _OneEpisode:
    """Collates a batch of one episode (the episode training loader's batches)."""

    def __init__(self, collator):
        self.collator = collator

    def __call__(self, items):
        return self.collator(items[0])


class _SamplerEpoch(TrainerCallback):
    """New episodes each epoch, the same ones on resume: `EpisodeSampler.set_epoch` at each epoch."""

    def __init__(self, sampler: EpisodeSampler):
        self.sampler = sampler

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.sampler.set_epoch(int(state.epoch + 1e-6) if state.epoch else 0)
