"""Prototypical network (Snell et al., 2017, "Prototypical Networks for Few-shot Learning"):
a class is the mean of its support embeddings (its prototype); a query's logits are its negative
squared Euclidean distances to the prototypes, or scaled cosine similarities."""

from __future__ import annotations

import math

import torch
from torch import nn

from .configuration_fewshot import PrototypicalNetworkConfig
from .modeling_fewshot import FewShotPreTrainedModel, class_means


class PrototypicalNetwork(FewShotPreTrainedModel):
    config_class = PrototypicalNetworkConfig
    config: PrototypicalNetworkConfig

    def __init__(self, config: PrototypicalNetworkConfig):
        super().__init__(config)
        # log of the cosine scale (learnable or fixed by `learn_scale`)
        self.log_scale = nn.Parameter(torch.tensor(math.log(config.scale)), requires_grad=config.learn_scale)
        self.post_init()

    def _init_weights(self, module):
        super()._init_weights(module)
        if module is self:
            with torch.no_grad():
                self.log_scale.fill_(math.log(self.config.scale))

    def compute_logits(self, support_embeddings, support_labels, query_embeddings, n_way):
        prototypes = class_means(support_embeddings, support_labels, n_way)
        if self.config.distance == "euclidean":
            return -torch.cdist(query_embeddings, prototypes).pow(2)
        q = nn.functional.normalize(query_embeddings, dim=-1)
        p = nn.functional.normalize(prototypes, dim=-1)
        return self.log_scale.exp() * q @ p.T

    def _compress_support(self, embeddings, labels, n_way):
        """Store one prototype per class (the mean of a class's one stored prototype is itself)."""
        return class_means(embeddings, labels, n_way), torch.arange(n_way, device=embeddings.device)

    @property
    def prototypes(self) -> torch.Tensor:
        """`[n_classes, dim]` the stored prototypes (rows in `config.support_labels` order)."""
        self._check_fitted()
        return self.support_embeddings
