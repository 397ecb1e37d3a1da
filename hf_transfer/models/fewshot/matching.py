"""Matching network (Vinyals et al., 2016, "Matching Networks for One Shot Learning").

A query attends to every support example with a softmax over (scaled) cosine similarities; the
prediction is the attention-weighted sum of the support labels' one-hot vectors, and `logits` is
its logarithm (so `softmax(logits)` is that label distribution, and the loss is its negative
log-likelihood).

Full-context embeddings (FCE, the paper's appendix), kept simple:
- support: `g(x_i) = g'(x_i) + h_fwd_i + h_bwd_i`, a bidirectional LSTM over the support set in
  the order it is given (class by class);
- query: `fce_steps` steps of an attention LSTM, `h_k = LSTMCell(f'(x), (h_{k-1} + r_{k-1}, c_{k-1})) + f'(x)`
  with the read-out `r_k = sum_i softmax(h_k . g(x_i)) g(x_i)`. The paper concatenates `h` and
  `r` into the LSTM state; adding them keeps one hidden width.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .configuration_fewshot import MatchingNetworkConfig
from .modeling_fewshot import FewShotPreTrainedModel


class MatchingNetwork(FewShotPreTrainedModel):
    config_class = MatchingNetworkConfig
    config: MatchingNetworkConfig

    def __init__(self, config: MatchingNetworkConfig):
        super().__init__(config)
        dim = config.sentence_embedding_size
        self.log_scale = nn.Parameter(torch.tensor(math.log(config.scale)), requires_grad=config.learn_scale)
        if config.full_context_embeddings:
            self.support_lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
            self.query_lstm = nn.LSTMCell(dim, dim)
        else:
            self.support_lstm = self.query_lstm = None
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, (nn.LSTM, nn.LSTMCell)):
            module.reset_parameters()
        else:
            super()._init_weights(module)
        if module is self:
            with torch.no_grad():
                self.log_scale.fill_(math.log(self.config.scale))

    def full_context_support(self, support: torch.Tensor) -> torch.Tensor:
        out, _ = self.support_lstm(support.unsqueeze(0))  # [1, n, 2 * dim]
        forward, backward = out[0].chunk(2, dim=-1)
        return support + forward + backward

    def full_context_query(self, query: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
        h = torch.zeros_like(query)
        c = torch.zeros_like(query)
        r = torch.zeros_like(query)
        for _ in range(self.config.fce_steps):
            h_hat, c = self.query_lstm(query, (h + r, c))
            h = h_hat + query
            r = (h @ support.T).softmax(-1) @ support
        return h

    def compute_logits(self, support_embeddings, support_labels, query_embeddings, n_way):
        support, query = support_embeddings, query_embeddings
        if self.config.full_context_embeddings:
            support = self.full_context_support(support)
            query = self.full_context_query(query, support)
        cosine = nn.functional.normalize(query, dim=-1) @ nn.functional.normalize(support, dim=-1).T
        attention = (self.log_scale.exp() * cosine).softmax(-1)  # [n_query, n_support]
        one_hot = nn.functional.one_hot(support_labels, n_way).to(attention.dtype)
        return (attention @ one_hot).clamp(min=1e-12).log()

    def compute_loss(self, logits, query_labels, n_way):
        return nn.functional.nll_loss(logits, query_labels)
