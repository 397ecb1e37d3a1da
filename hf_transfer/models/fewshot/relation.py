"""Relation network (Sung et al., 2018, "Learning to Compare: Relation Network for Few-Shot
Learning"), over sentence embeddings.

A class embedding is the element-wise sum (the paper, K-shot) or mean of its support embeddings;
each (query, class) pair is concatenated (optionally with `|q - c|` and `q * c`:
`pair_features="concat_diff_prod"`) and a learned relation module (an MLP) gives a relation
score in [0, 1] (a sigmoid). The paper trains the scores with MSE against one-hot targets;
`relation_loss="ce"` uses cross-entropy over the pre-sigmoid scores instead. `logits` are the
pre-sigmoid scores (so `argmax` is the same either way); `relation_scores` holds the sigmoids.

Zero-shot (the paper's section 3.5, and the reference design): train on episodes whose support
set is one description per class (`DescriptionEpisodeCollator`), then `fit_descriptions` with
unseen classes' descriptions.
"""

from __future__ import annotations

import torch
from torch import nn

from .configuration_fewshot import RelationNetworkConfig
from .modeling_fewshot import FewShotPreTrainedModel, class_means


class RelationNetwork(FewShotPreTrainedModel):
    config_class = RelationNetworkConfig
    config: RelationNetworkConfig

    def __init__(self, config: RelationNetworkConfig):
        super().__init__(config)
        layers: list[nn.Module] = []
        width = (2 if config.pair_features == "concat" else 4) * config.sentence_embedding_size
        for size in config.relation_hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if config.relation_dropout:
                layers.append(nn.Dropout(config.relation_dropout))
            width = size
        layers.append(nn.Linear(width, 1))
        self.relation_module = nn.Sequential(*layers)
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, nn.Linear) and any(module is m for m in self.relation_module):
            module.reset_parameters()  # PyTorch's (Kaiming uniform) init: N(0, 0.02) starves the ReLU MLP
        else:
            super()._init_weights(module)

    def class_embeddings(self, support_embeddings, support_labels, n_way):
        means = class_means(support_embeddings, support_labels, n_way)
        if self.config.class_aggregation == "mean":
            return means
        counts = torch.bincount(support_labels, minlength=n_way).to(means.dtype)
        return means * counts[:, None]

    def compute_logits(self, support_embeddings, support_labels, query_embeddings, n_way):
        classes = self.class_embeddings(support_embeddings, support_labels, n_way)  # [n_way, dim]
        n_query, dim = query_embeddings.shape
        q = query_embeddings[:, None, :].expand(n_query, n_way, dim)
        c = classes[None, :, :].expand(n_query, n_way, dim)
        parts = [q, c] if self.config.pair_features == "concat" else [q, c, (q - c).abs(), q * c]
        pairs = torch.cat(parts, dim=-1)
        return self.relation_module(pairs).squeeze(-1)  # [n_query, n_way] pre-sigmoid relation scores

    def compute_loss(self, logits, query_labels, n_way):
        if self.config.relation_loss == "ce":
            return nn.functional.cross_entropy(logits, query_labels)
        target = nn.functional.one_hot(query_labels, n_way).to(logits.dtype)
        return nn.functional.mse_loss(torch.sigmoid(logits), target)

    def logits_to_proba(self, logits):
        if self.config.relation_loss == "ce":
            return logits.softmax(-1)
        scores = torch.sigmoid(logits)
        return scores / scores.sum(-1, keepdim=True).clamp(min=1e-12)

    def _extra_outputs(self, logits):
        return {"relation_scores": torch.sigmoid(logits)}
