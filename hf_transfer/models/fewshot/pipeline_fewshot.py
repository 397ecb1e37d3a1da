"""The `"few-shot-classification"` pipeline: classify texts against a support set.

    clf = pipeline("few-shot-classification", model="runs/protonet")   # the stored support set
    clf("what is my balance")                                         # {"label": "balance", "score": 0.91}
    clf(texts, support_texts=["send 5 euros", "play jazz"], support_labels=["transfer", "music"])
    clf(texts, descriptions={"transfer": "send money", "music": "play a song"})   # zero-shot
    clf(texts, top_k=3)                                               # [{"label", "score"}, ...] best first

The support set is the model's stored one (`fit_support` / `fit_descriptions`, saved with the
model) unless the call (or the pipeline's creation) passes one: `support_texts=` with
`support_labels=` (any number of texts per class; classes in first-seen order), or
`descriptions=` (`{label: description}`, a `None` description being the label's name, or a list
of label names: zero-shot, one text per class). A passed support set is encoded once per call
and never stored in the model. Scores are the model's class probabilities (`predict_proba`).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ...pipelines import TextPipeline
from ...utils import check_texts
from .modeling_fewshot import _plain, label_to_description


__all__ = ["FewShotClassificationPipeline"]


class FewShotClassificationPipeline(TextPipeline):
    """`{"label": class name, "score": probability}` per text (`{"label": None, "score": None}`
    for an empty text); with `top_k=k` (or `None`: every class) a list of such dicts, best first
    (`[]` for an empty text). Parameters, at creation or per call: `support_texts` +
    `support_labels`, or `descriptions` (see the module docstring), and `top_k`.
    """

    empty_result = {"label": None, "score": None}

    def _sanitize_parameters(self, support_texts=None, support_labels=None, descriptions=None, top_k="", **unknown):
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)} "
                            "(it takes support_texts, support_labels, descriptions, top_k)")
        forward, post = {}, {}
        if support_texts is not None or support_labels is not None or descriptions is not None:
            support = self._support_set(support_texts, support_labels, descriptions)
            forward["support"] = support
            post["labels"] = support["labels"]
        if top_k != "":
            if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
                raise ValueError(f"top_k must be a positive number of classes or None (every class), got {top_k!r}")
            post["top_k"] = top_k
        return {}, forward, post

    def _support_set(self, texts, labels, descriptions) -> dict:
        """The compared support set, as `fit_support` / `fit_descriptions` would store it."""
        where = type(self).__name__
        if descriptions is not None:
            if texts is not None or labels is not None:
                raise ValueError(f"{where}: pass support_texts with support_labels, or descriptions, not both")
            if isinstance(descriptions, Mapping):
                labels = list(descriptions)
                texts = [label_to_description(k) if v is None else str(v) for k, v in descriptions.items()]
            else:
                labels = list(descriptions)
                texts = [label_to_description(k) for k in labels]
            if len(set(map(_plain, labels))) != len(labels):
                raise ValueError(f"{where}: a label occurs more than once in descriptions")
        elif texts is None or labels is None:
            raise ValueError(f"{where}: support_texts and support_labels go together (one label per text)")
        texts, _ = check_texts(texts, "support_texts", where)
        labels = [_plain(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{where}: {len(texts)} support_texts but {len(labels)} support_labels")
        if not texts:
            raise ValueError(f"{where}: the support set is empty")
        classes = list(dict.fromkeys(labels))
        index = {c: i for i, c in enumerate(classes)}
        with torch.no_grad():
            embeddings = self.model.embed_texts(texts, tokenizer=self.tokenizer)
            targets = torch.tensor([index[label] for label in labels], dtype=torch.long, device=embeddings.device)
            embeddings, targets = self.model._compress_support(embeddings, targets, len(classes))
        return {"embeddings": embeddings, "targets": targets, "labels": classes}

    def _predict(self, texts, support=None):
        model = self.model
        query = model.embed_texts(texts, tokenizer=self.tokenizer, batch_size=len(texts))
        if support is None:
            logits = model.stored_logits(query)  # raises when the model has no stored support set
        else:
            logits = model.compute_logits(support["embeddings"], support["targets"], query, len(support["labels"]))
        return {"probs": model.logits_to_proba(logits)}

    def _labels(self, labels):
        if labels is not None:
            return labels
        self.model._check_fitted()
        return self.model.config.support_labels

    def _result(self, text, outputs, labels=None, top_k=""):
        labels = self._labels(labels)
        probs = outputs["probs"]
        if top_k == "":
            score, idx = probs.max(-1)
            return {"label": labels[int(idx)], "score": float(score)}
        order = probs.argsort(descending=True, stable=True).tolist()
        return [{"label": labels[i], "score": float(probs[i])} for i in order[: top_k if top_k is not None else len(order)]]

    def _empty(self, labels=None, top_k=""):
        return dict(self.empty_result) if top_k == "" else []
