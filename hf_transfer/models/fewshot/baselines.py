"""Baselines on frozen sentence embeddings, with the few-shot models' `fit_support` / `predict`
interface: nearest prototype (Snell et al., 2017, without episodic training; Chen et al., 2019,
"A Closer Look at Few-shot Classification" find such baselines strong), k-NN, a linear SVM and
logistic regression (scikit-learn; the latter is SetFit's head on un-tuned embeddings).

Texts are handled as the few-shot models handle them: a bare string is one text, anything but a
string or a list of strings is a `TypeError` naming the position, and an empty or
whitespace-only text gets `None` from `predict` and a row of NaN from `predict_proba` (with one
warning per call counting them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ...modeling_utils import TransferPreTrainedModel
from ...utils import check_texts, empty_text_positions, warn_empty_texts


METHODS = ("prototype", "knn", "svm", "logreg")


@torch.no_grad()
def embed_texts(model, texts: Sequence[str], tokenizer=None, batch_size: int = 64, max_length: int = 128, prefix: str | None = None,
                progress: bool = False) -> np.ndarray:
    """`[n, dim]` float32 sentence embeddings from a few-shot model (`embed_texts`), an hf_transfer
    model with an `encoder` (its `pooler_output`), or any transformers model (mean pooling of
    `last_hidden_state`, as sentence-transformers does). A bare string is one text."""
    texts, _ = check_texts(texts, "texts", "embed_texts")
    if hasattr(model, "embed_texts"):
        return model.embed_texts(texts, tokenizer, batch_size, progress=progress).float().cpu().numpy()
    if tokenizer is None:
        raise ValueError("embed_texts: pass `tokenizer=` for this encoder model")
    prefix = prefix if prefix is not None else (getattr(getattr(model, "config", None), "input_prefix", None) or "")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    try:
        for start in tqdm(range(0, len(texts), batch_size), desc="encoding", disable=not progress, leave=False):
            enc = tokenizer([prefix + t for t in texts[start : start + batch_size]], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
            if isinstance(model, TransferPreTrainedModel):
                pooled = model.encoder(**enc).pooler_output
            else:
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(pooled.float().cpu())
    finally:
        model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, 0), dtype=np.float32)


class FrozenEmbeddingClassifier:
    """A classifier over a frozen encoder's sentence embeddings.

    Args:
        encoder_model: a few-shot model, an hf_transfer `TransferModel`, or any transformers
            `AutoModel` (mean-pooled); or `None` with `embed_fn`.
        method: `"prototype"` (nearest class mean, cosine), `"knn"` (k nearest neighbours, cosine),
            `"svm"` (`LinearSVC`) or `"logreg"` (`LogisticRegression`).
        tokenizer: the encoder's tokenizer.
        normalize: L2-normalise embeddings (the anchors of BENCHMARKS.md do).
        n_neighbors: k of `"knn"` (1 by default: 1-NN).
        C: inverse regularisation of `"svm"` / `"logreg"`.
        embed_fn: `callable(texts) -> [n, dim] array` replacing the encoder (e.g. a cache).

    `fit_support_embeddings` / `predict_embeddings` skip encoding (benchmarks encode a data set once).
    """

    def __init__(
        self,
        encoder_model=None,
        method: str = "prototype",
        tokenizer=None,
        normalize: bool = True,
        n_neighbors: int = 1,
        C: float = 1.0,
        batch_size: int = 64,
        max_length: int = 128,
        embed_fn: Callable[[Sequence[str]], np.ndarray] | None = None,
        random_state: int = 0,
    ):
        if method not in METHODS:
            raise ValueError(f"`method` must be one of {list(METHODS)}, got {method!r}")
        if encoder_model is None and embed_fn is None:
            raise ValueError("FrozenEmbeddingClassifier needs `encoder_model` or `embed_fn`")
        if n_neighbors < 1:
            raise ValueError(f"`n_neighbors` must be a positive integer, got {n_neighbors!r}")
        self.encoder_model, self.method, self.tokenizer = encoder_model, method, tokenizer
        self.normalize, self.n_neighbors, self.C = normalize, int(n_neighbors), C
        self.batch_size, self.max_length, self.embed_fn, self.random_state = batch_size, max_length, embed_fn, random_state
        self.classes_: list | None = None
        self._estimator = None
        self._prototypes = None

    # -- embeddings -----------------------------------------------------------------------------

    def embed(self, texts: str | Sequence[str]) -> np.ndarray:
        """`[n, dim]` embeddings (a bare string is one text)."""
        texts, _ = check_texts(texts, "texts", "FrozenEmbeddingClassifier.embed")
        if self.embed_fn is not None:
            return np.asarray(self.embed_fn(texts), dtype=np.float32)
        return embed_texts(self.encoder_model, texts, self.tokenizer, self.batch_size, self.max_length)

    def _prepare(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if self.normalize:
            x = x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)
        return x

    # -- fit / predict --------------------------------------------------------------------------

    def fit_support_embeddings(self, embeddings, labels: Sequence) -> FrozenEmbeddingClassifier:
        x = self._prepare(embeddings)
        labels = list(labels)
        if len(labels) != len(x):
            raise ValueError(f"fit_support: {len(x)} texts/embeddings but {len(labels)} labels")
        if not labels:
            raise ValueError("fit_support: the support set is empty")
        self.classes_ = list(dict.fromkeys(labels))
        index = {c: i for i, c in enumerate(self.classes_)}
        y = np.array([index[label] for label in labels])
        self._estimator = self._prototypes = None
        if self.method == "prototype":
            protos = np.stack([x[y == i].mean(0) for i in range(len(self.classes_))])
            self._prototypes = self._prepare(protos) if self.normalize else protos
        elif self.method == "knn":
            self._support, self._support_y = x, y
        elif len(self.classes_) == 1:
            pass  # one class: every prediction is that class
        elif self.method == "svm":
            from sklearn.svm import LinearSVC

            self._estimator = LinearSVC(C=self.C, random_state=self.random_state).fit(x, y)
        else:
            from sklearn.linear_model import LogisticRegression

            self._estimator = LogisticRegression(C=self.C, max_iter=1000, random_state=self.random_state).fit(x, y)
        return self

    def fit_support(self, texts: Sequence[str], labels: Sequence) -> FrozenEmbeddingClassifier:
        texts, _ = check_texts(texts, "texts", "FrozenEmbeddingClassifier.fit_support")
        if len(texts) != len(labels):
            raise ValueError(f"fit_support: {len(texts)} texts but {len(labels)} labels")
        return self.fit_support_embeddings(self.embed(texts), labels)

    def _check_fitted(self) -> None:
        if self.classes_ is None:
            raise RuntimeError("FrozenEmbeddingClassifier has no support set: call `fit_support(texts, labels)` first.")

    def decision_embeddings(self, embeddings) -> np.ndarray:
        """`[n, n_classes]` scores (columns in `classes_` order)."""
        self._check_fitted()
        x = self._prepare(embeddings)
        n_classes = len(self.classes_)
        if self.method == "prototype":
            return x @ self._prototypes.T if self.normalize else -((x[:, None, :] - self._prototypes[None]) ** 2).sum(-1)
        if self.method == "knn":
            sims = x @ self._support.T
            k = min(self.n_neighbors, sims.shape[1])
            top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
            scores = np.zeros((len(x), n_classes))
            for j in range(k):  # votes, ties broken by the summed similarity
                np.add.at(scores, (np.arange(len(x)), self._support_y[top[:, j]]), 1.0 + 1e-3 * sims[np.arange(len(x)), top[:, j]])
            return scores
        if self._estimator is None:
            return np.zeros((len(x), 1))
        scores = self._estimator.decision_function(x)
        if n_classes == 2:
            scores = np.stack([-scores, scores], axis=1)
        return scores

    def predict_embeddings(self, embeddings) -> list:
        return [self.classes_[i] for i in self.decision_embeddings(embeddings).argmax(1)]

    def predict_proba_embeddings(self, embeddings) -> np.ndarray:
        self._check_fitted()
        if self.method == "logreg" and self._estimator is not None:
            return self._estimator.predict_proba(self._prepare(embeddings))
        scores = self.decision_embeddings(embeddings)
        if self.method == "knn":
            return scores / np.clip(scores.sum(1, keepdims=True), 1e-12, None)
        scores = scores * (10.0 if self.method == "prototype" and self.normalize else 1.0)
        scores = np.exp(scores - scores.max(1, keepdims=True))
        return scores / scores.sum(1, keepdims=True)

    def _non_empty(self, texts, where: str, empty_result: str):
        """`(n_texts, positions of the non-empty texts, their embeddings or None)`."""
        self._check_fitted()
        texts, _ = check_texts(texts, "texts", f"FrozenEmbeddingClassifier.{where}")
        empty = set(empty_text_positions(texts))
        warn_empty_texts(len(empty), len(texts), f"FrozenEmbeddingClassifier.{where}", empty_result, stacklevel=4)
        kept = [i for i in range(len(texts)) if i not in empty]
        return len(texts), kept, (self.embed([texts[i] for i in kept]) if kept else None)

    def predict(self, texts: str | Sequence[str]) -> list:
        """The predicted class of each text, as a list (a bare string is one text: a list of one);
        `None` for an empty or whitespace-only text (the call warns once, counting them)."""
        n, kept, embeddings = self._non_empty(texts, "predict", "None")
        out = [None] * n
        if kept:
            for i, label in zip(kept, self.predict_embeddings(embeddings)):
                out[i] = label
        return out

    def predict_proba(self, texts: str | Sequence[str]) -> np.ndarray:
        """`[n, n_classes]` probabilities (columns in `classes_` order; a bare string is one text);
        a row of NaN for an empty or whitespace-only text (the call warns once, counting them)."""
        n, kept, embeddings = self._non_empty(texts, "predict_proba", "a row of NaN")
        if len(kept) == n and kept:
            return self.predict_proba_embeddings(embeddings)
        out = np.full((n, len(self.classes_)), np.nan)
        if kept:
            out[kept] = self.predict_proba_embeddings(embeddings)
        return out
