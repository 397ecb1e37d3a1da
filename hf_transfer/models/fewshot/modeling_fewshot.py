"""The shared base of the few-shot models, in the style of easyfsl's `FewShotClassifier`.

Every method embeds sentences with the same encoder (BCNN or a transformer backbone) and differs
only in how query embeddings are compared with the support set: subclasses override
`compute_logits` (and, where the paper says so, `compute_loss` and `_compress_support`).

After (episodic) training, `fit_support(texts, labels)` encodes a support set once and stores it
in the model as buffers (saved by `save_pretrained`, reloaded by `from_pretrained`, class names in
`config.support_labels`); `predict` / `predict_proba` then classify new texts against it.
`fit_descriptions({label: description})` does the same from one text per class (zero-shot).

Tokenizer: pass `tokenizer=` to `fit_support` / `predict`, or set it once with
`model.set_tokenizer(tok)`; a model loaded with `from_pretrained(dir)` finds a tokenizer saved in
the same directory by itself (the examples save it beside the model); a directory without
tokenizer files is an error naming the files expected.

Texts: `predict`, `predict_proba`, `embed_texts` and `fit_support` take a list of strings, or a
bare string as one text (as transformers pipelines do: `predict("send money")` is a list of one
prediction, not one per character). Anything else (`None`, a number, bytes, or a list holding
one) is a `TypeError` naming the argument and the position. An empty or whitespace-only text
gets no prediction: `None` from `predict`, a row of NaN from `predict_proba`, and a call with
such texts warns once (a `UserWarning` counting them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers.utils import ModelOutput

from ...modeling_utils import TransferPreTrainedModel, build_encoder
from ...utils import (
    check_texts,
    empty_text_positions,
    has_tokenizer_files,
    missing_tokenizer_message,
    warn_empty_texts,
)
from .configuration_fewshot import FewShotConfig


@dataclass
class FewShotOutput(ModelOutput):
    """
    Args:
        loss: the episode loss on the queries (when `query_labels` were given).
        logits: `[n_query, n_way]` scores of each query for each episode class.
        query_embeddings: `[n_query, dim]` query sentence embeddings.
        support_embeddings: `[n_support, dim]` support sentence embeddings.
        relation_scores: `[n_query, n_way]` sigmoid relation scores in [0, 1] (relation network).
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    query_embeddings: torch.Tensor | None = None
    support_embeddings: torch.Tensor | None = None
    relation_scores: torch.Tensor | None = None


def label_to_description(label) -> str:
    """A class name as text: `"book_flight"` -> `"book flight"` (zero-shot from names)."""
    return " ".join(str(label).replace("_", " ").replace("-", " ").split())


def class_means(embeddings: torch.Tensor, labels: torch.Tensor, n_way: int) -> torch.Tensor:
    """`[n_way, dim]` mean of the embeddings of each class 0..n_way-1 (prototypes)."""
    sums = embeddings.new_zeros(n_way, embeddings.shape[-1]).index_add_(0, labels, embeddings)
    counts = torch.bincount(labels, minlength=n_way).clamp(min=1).to(embeddings.dtype)
    return sums / counts[:, None]


class FewShotPreTrainedModel(TransferPreTrainedModel):
    """Encoder + comparison of queries with a support set; see the module docstring."""

    config_class = FewShotConfig
    config: FewShotConfig

    def __init__(self, config: FewShotConfig):
        super().__init__(config)
        self.encoder = build_encoder(config)
        self.projection = nn.Linear(config.encoder_hidden_size, config.projection_size) if config.projection_size else None
        n = config.num_support_embeddings
        # the fitted support set: embeddings and their class index in `config.support_labels`
        self.register_buffer("support_embeddings", torch.zeros(n, config.sentence_embedding_size))
        self.register_buffer("support_targets", torch.zeros(n, dtype=torch.long))
        self._tokenizer = None

    # -- encoding ------------------------------------------------------------------------------

    def get_input_embeddings(self):
        return self.encoder.get_input_embeddings()

    def encode(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs) -> torch.Tensor:
        """`[batch, dim]` sentence embeddings."""
        pooled = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).pooler_output
        if self.projection is not None:
            pooled = self.projection(pooled)
        if self.config.normalize_embeddings:
            pooled = nn.functional.normalize(pooled, dim=-1)
        return pooled

    # -- what a method defines -----------------------------------------------------------------

    def compute_logits(self, support_embeddings: torch.Tensor, support_labels: torch.Tensor, query_embeddings: torch.Tensor, n_way: int) -> torch.Tensor:
        """`[n_query, n_way]` logits of the queries given the labelled support embeddings."""
        raise NotImplementedError(f"{type(self).__name__} must implement compute_logits")

    def compute_loss(self, logits: torch.Tensor, query_labels: torch.Tensor, n_way: int) -> torch.Tensor:
        """Cross-entropy of the query logits (the episode loss of most methods)."""
        return nn.functional.cross_entropy(logits, query_labels)

    def logits_to_proba(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.softmax(-1)

    def _compress_support(self, embeddings: torch.Tensor, labels: torch.Tensor, n_way: int):
        """What `fit_support` stores: by default every support embedding with its class index."""
        return embeddings, labels

    def _extra_outputs(self, logits: torch.Tensor) -> dict:
        return {}

    # -- episodes ------------------------------------------------------------------------------

    def forward(
        self,
        support_input_ids: torch.Tensor | None = None,
        support_attention_mask: torch.Tensor | None = None,
        support_labels: torch.Tensor | None = None,
        query_input_ids: torch.Tensor | None = None,
        query_attention_mask: torch.Tensor | None = None,
        query_labels: torch.Tensor | None = None,
        support_token_type_ids: torch.Tensor | None = None,
        query_token_type_ids: torch.Tensor | None = None,
        n_way: int | None = None,
        **kwargs,
    ) -> FewShotOutput:
        """One episode: the keys `EpisodeCollator` gives (`class_ids`, `class_names` are ignored).

        `support_labels` are episode-local class indices 0..n_way-1; `logits` is `[n_query, n_way]`.
        """
        if support_input_ids is None or support_labels is None or query_input_ids is None:
            raise ValueError(
                f"{type(self).__name__}.forward needs support_input_ids, support_labels and query_input_ids "
                "(the keys EpisodeCollator gives); for new texts after `fit_support` use `predict`."
            )
        support_labels = support_labels.long()
        n_way = int(n_way) if n_way is not None else int(support_labels.max().item()) + 1
        missing = set(range(n_way)) - set(support_labels.tolist())
        if missing:
            raise ValueError(f"support_labels must hold every class 0..{n_way - 1} at least once; missing {sorted(missing)}")
        support = self.encode(support_input_ids, support_attention_mask, support_token_type_ids)
        query = self.encode(query_input_ids, query_attention_mask, query_token_type_ids)
        logits = self.compute_logits(support, support_labels, query, n_way)
        loss = self.compute_loss(logits, query_labels.long(), n_way) if query_labels is not None else None
        return FewShotOutput(loss=loss, logits=logits, query_embeddings=query, support_embeddings=support, **self._extra_outputs(logits))

    # -- after training: a stored support set --------------------------------------------------

    def set_tokenizer(self, tokenizer) -> None:
        """The tokenizer `fit_support` / `fit_descriptions` / `predict` use when given none."""
        self._tokenizer = tokenizer

    def _resolve_tokenizer(self, tokenizer):
        if tokenizer is not None:
            return tokenizer
        if self._tokenizer is not None:
            return self._tokenizer
        path = getattr(self, "name_or_path", "") or ""
        if path and os.path.isdir(path):
            if not has_tokenizer_files(path):
                raise ValueError(
                    f"{type(self).__name__} has no tokenizer: {missing_tokenizer_message(path)}, or pass `tokenizer=` "
                    "or call `model.set_tokenizer(tokenizer)`."
                )
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(path)
            return self._tokenizer
        raise ValueError(
            f"{type(self).__name__} has no tokenizer: pass `tokenizer=` or call `model.set_tokenizer(tokenizer)` "
            "(or save the tokenizer beside the model so `from_pretrained` finds it)."
        )

    @torch.no_grad()
    def embed_texts(self, texts: str | Sequence[str], tokenizer=None, batch_size: int = 64, progress: bool = False) -> torch.Tensor:
        """`[len(texts), dim]` embeddings, in eval mode (`config.input_prefix` is prepended); a bare
        string is one text (`[1, dim]`). An empty text is embedded as it is (its special tokens).
        `progress`: a progress bar over the batches."""
        texts, _ = check_texts(texts, "texts", f"{type(self).__name__}.embed_texts")
        tokenizer = self._resolve_tokenizer(tokenizer)
        prefix = self.config.input_prefix or ""
        was_training = self.training
        self.eval()
        out = []
        try:
            for start in tqdm(range(0, len(texts), batch_size), desc="encoding", disable=not progress, leave=False):
                chunk = [prefix + t for t in texts[start : start + batch_size]]
                enc = tokenizer(chunk, padding=True, truncation=True, max_length=self.config.max_length, return_tensors="pt")
                enc = {k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
                out.append(self.encode(**enc))
        finally:
            self.train(was_training)
        if not out:
            return torch.zeros(0, self.config.sentence_embedding_size, device=self.device)
        return torch.cat(out)

    def fit_support_embeddings(self, embeddings: torch.Tensor, labels: Sequence) -> FewShotPreTrainedModel:
        """Store precomputed support embeddings (`embed_texts`) and their labels."""
        labels = list(labels)
        if len(labels) != len(embeddings):
            raise ValueError(f"fit_support: {len(embeddings)} texts/embeddings but {len(labels)} labels")
        if not labels:
            raise ValueError("fit_support: the support set is empty")
        classes = list(dict.fromkeys(_plain(label) for label in labels))
        index = {c: i for i, c in enumerate(classes)}
        targets = torch.tensor([index[_plain(label)] for label in labels], dtype=torch.long, device=embeddings.device)
        stored, stored_targets = self._compress_support(embeddings.detach(), targets, len(classes))
        self.support_embeddings = stored.detach().clone().to(self.support_embeddings.dtype)
        self.support_targets = stored_targets.detach().clone()
        self.config.support_labels = classes
        self.config.num_support_embeddings = int(stored.shape[0])
        return self

    def fit_support(self, texts: Sequence[str], labels: Sequence, tokenizer=None, batch_size: int = 64) -> FewShotPreTrainedModel:
        """Encode a labelled support set and store it in the model (classes in first-seen order).

        `labels` are any JSON-serialisable class names (strings or integers); they are saved in
        `config.support_labels`, and the embeddings as buffers, by `save_pretrained`.
        """
        texts, _ = check_texts(texts, "texts", "fit_support")
        if len(texts) != len(labels):
            raise ValueError(f"fit_support: {len(texts)} texts but {len(labels)} labels")
        return self.fit_support_embeddings(self.embed_texts(texts, tokenizer, batch_size), labels)

    def fit_descriptions(self, descriptions: Mapping | Sequence, tokenizer=None, batch_size: int = 64) -> FewShotPreTrainedModel:
        """Zero-shot: one text per class is the class's support set.

        `descriptions` is `{label: description}` (a `None` description uses the label's name), or a
        list of label names, which become descriptions such as `"book_flight"` -> `"book flight"`.
        """
        if isinstance(descriptions, Mapping):
            labels = list(descriptions)
            texts = [label_to_description(k) if v is None else str(v) for k, v in descriptions.items()]
        else:
            labels = list(descriptions)
            texts = [label_to_description(k) for k in labels]
        if len(set(map(_plain, labels))) != len(labels):
            raise ValueError("fit_descriptions: a label occurs more than once")
        return self.fit_support(texts, labels, tokenizer=tokenizer, batch_size=batch_size)

    @property
    def is_fitted(self) -> bool:
        return bool(self.config.support_labels) and self.support_embeddings.shape[0] > 0

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError(
                f"{type(self).__name__} has no support set: call `model.fit_support(texts, labels)` (few-shot) or "
                "`model.fit_descriptions({label: description})` (zero-shot) before `predict` / `predict_proba`."
            )

    @torch.no_grad()
    def stored_logits(self, query_embeddings: torch.Tensor) -> torch.Tensor:
        """`[n, n_classes]` logits of query embeddings against the stored support set."""
        self._check_fitted()
        was_training = self.training
        self.eval()
        try:
            return self.compute_logits(self.support_embeddings, self.support_targets, query_embeddings, len(self.config.support_labels))
        finally:
            self.train(was_training)

    def _stored_logits_of_texts(self, texts, tokenizer, batch_size: int, where: str, empty_result: str):
        """`(n_texts, positions of the non-empty texts, their [n, n_classes] logits)`."""
        self._check_fitted()
        texts, _ = check_texts(texts, "texts", f"{type(self).__name__}.{where}")
        empty = set(empty_text_positions(texts))
        warn_empty_texts(len(empty), len(texts), f"{type(self).__name__}.{where}", empty_result, stacklevel=4)
        kept = [i for i in range(len(texts)) if i not in empty]
        if not kept:  # no text to encode (some methods cannot compare zero queries)
            return len(texts), kept, self.support_embeddings.new_zeros(0, len(self.config.support_labels))
        logits = self.stored_logits(self.embed_texts([texts[i] for i in kept], tokenizer, batch_size))
        return len(texts), kept, logits

    def predict_proba(self, texts: str | Sequence[str], tokenizer=None, batch_size: int = 64) -> np.ndarray:
        """`[len(texts), n_classes]` class probabilities, columns in `config.support_labels` order
        (a bare string is one text: one row). An empty or whitespace-only text gets a row of NaN
        (and the call warns once, counting them)."""
        n, kept, logits = self._stored_logits_of_texts(texts, tokenizer, batch_size, "predict_proba", "a row of NaN")
        proba = self.logits_to_proba(logits).cpu().numpy()
        if len(kept) == n:
            return proba
        out = np.full((n, len(self.config.support_labels)), np.nan, dtype=proba.dtype)
        out[kept] = proba
        return out

    def predict(self, texts: str | Sequence[str], tokenizer=None, batch_size: int = 64) -> list:
        """The predicted class name of each text, as a list (a bare string is one text: a list of
        one). An empty or whitespace-only text gets `None` (and the call warns once, counting them)."""
        n, kept, logits = self._stored_logits_of_texts(texts, tokenizer, batch_size, "predict", "None")
        out = [None] * n
        for i, c in zip(kept, logits.argmax(-1).tolist()):
            out[i] = self.config.support_labels[c]
        return out


def _plain(value):
    """numpy / torch scalars to Python values (JSON-serialisable class names)."""
    if isinstance(value, (np.generic, torch.Tensor)):
        return value.item()
    return value
