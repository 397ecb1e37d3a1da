"""Adversarial shared-private model for texts in several languages that share one label set.

A shared encoder learns features a language discriminator cannot tell apart (it reads them through
a gradient reversal layer, Ganin & Lempitsky, ICML 2015), private encoder(s) keep what is
language-specific, and a difference loss keeps the two spaces apart (Liu, Qiu & Huang, "Adversarial
Multi-task Learning for Text Classification", ACL 2017, with languages in place of tasks; Chen et
al., "Adversarial Deep Averaging Networks for Cross-Lingual Sentiment Classification", TACL 2018).
The task classifier reads `concat(private, shared)`:

    loss = L_task + adversarial_weight * L_adv + difference_weight * L_diff
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput

from ...encoders.bcnn import BCNNTower
from ...encoders.pooling import pool_sentence
from ...layers.gradient_reversal import GradientReversal
from ...layers.heads import ClassificationHead, sequence_classification_loss
from ...layers.losses import difference_loss
from ..transfer.modeling_transfer import TransferPreTrainedModel, build_encoder
from .configuration_multilingual import UNKNOWN_LANGUAGE_ID, AdversarialSharedPrivateConfig

PHASES = ("joint", "discriminator", "encoder")


@dataclass
class AdversarialSharedPrivateOutput(ModelOutput):
    """
    Args:
        loss: the training loss (`task_loss + adversarial_weight * adversarial_loss +
            difference_weight * difference_loss` with the `"grl"` schedule).
        logits: `[batch, num_labels]` task logits.
        language_logits: `[batch, num_languages]` the discriminator's logits on the shared features.
        task_loss / adversarial_loss / difference_loss: the unweighted parts, for logging
            (`adversarial_loss` is the discriminator's cross-entropy on the known languages).
        shared_features / private_features: `[batch, feature_size]` (for probes and plots).
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    language_logits: torch.Tensor | None = None
    task_loss: torch.Tensor | None = None
    adversarial_loss: torch.Tensor | None = None
    difference_loss: torch.Tensor | None = None
    shared_features: torch.Tensor | None = None
    private_features: torch.Tensor | None = None


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "none": nn.Identity()}[name]


class _PrivateBranch(nn.Module):
    """One private encoder (a CNN tower over the shared input embeddings, or a full encoder copy)
    and its fully connected layer."""

    def __init__(self, config: AdversarialSharedPrivateConfig, embedding_dim: int):
        super().__init__()
        if config.private_encoder_type == "tower":
            self.tower = BCNNTower(embedding_dim, config.kernel_sizes, config.num_filters)
            self.encoder = None
            width = self.tower.output_dim
        else:
            self.tower = None
            self.encoder = build_encoder(config)
            width = self.encoder.hidden_size
        self.fc = nn.Sequential(nn.Linear(width, config.feature_size), _activation(config.feature_activation))

    def forward(self, input_ids, attention_mask, token_type_ids, embeds):
        if self.tower is not None:
            mask = attention_mask.bool()
            pooled = pool_sentence(self.tower(embeds, mask), mask, "max")
        else:
            pooled = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).pooler_output
        return self.fc(pooled)


class AdversarialSharedPrivateForSequenceClassification(TransferPreTrainedModel):
    """Shared encoder + private encoder(s), each followed by a fully connected layer; task head on
    `concat(private, shared)`; language discriminator on `grad_reverse(shared)`; difference loss
    between shared and private features. Ablations come from the config (`use_private`,
    `use_adversary`, `use_difference`).

    Inputs: `input_ids`, `attention_mask`, `language_ids` (`[batch]` ids into `config.languages`,
    `-100` for a language held out of training; named so that `Trainer` does not take it for a
    label), `labels`.
    """

    config_class = AdversarialSharedPrivateConfig
    config: AdversarialSharedPrivateConfig

    def __init__(self, config: AdversarialSharedPrivateConfig):
        super().__init__(config)
        if config.use_adversary and config.num_languages < 2:
            raise ValueError(f"use_adversary=True needs at least 2 languages in config.languages, got {config.languages}")
        if config.use_private and config.private_encoders == "per_language" and config.num_languages < 1:
            raise ValueError("private_encoders='per_language' needs config.languages (one private encoder per language)")
        self.num_labels = config.num_labels
        self.shared_encoder = build_encoder(config)
        self.shared_fc = nn.Sequential(nn.Linear(self.shared_encoder.hidden_size, config.feature_size), _activation(config.feature_activation))
        self.private = None
        if config.use_private:
            n = config.num_languages if config.private_encoders == "per_language" else 1
            embedding_dim = self.shared_encoder.get_input_embeddings().embedding_dim
            self.private = nn.ModuleList(_PrivateBranch(config, embedding_dim) for _ in range(n))
        width = config.feature_size * (2 if config.use_private else 1)
        self.classifier = ClassificationHead(width, config.num_labels, config.classifier_hidden_size, config.classifier_dropout)
        self.grl = GradientReversal(config.grl_lambda)
        self.discriminator = None
        if config.use_adversary:
            self.discriminator = ClassificationHead(config.feature_size, config.num_languages, config.discriminator_hidden_size, config.discriminator_dropout)
        # set by `AdversarialScheduleCallback` with the "alternating" schedule
        self.adversarial_phase = "joint"
        self.post_init()

    def get_input_embeddings(self):
        return self.shared_encoder.get_input_embeddings()

    # ----------------------------------------------------------------------------------------
    def check_language_ids(self, language_ids: torch.Tensor, batch_size: int) -> torch.Tensor:
        """Validate `language_ids` (`[batch]`, ids into `config.languages` or `-100`)."""
        language_ids = torch.as_tensor(language_ids)
        if language_ids.dim() != 1 or language_ids.shape[0] != batch_size:
            raise ValueError(f"language_ids must have shape [batch] = [{batch_size}], got {tuple(language_ids.shape)}")
        if language_ids.is_floating_point():
            raise ValueError(f"language_ids must be integer ids into config.languages, got dtype {language_ids.dtype}")
        bad = language_ids[((language_ids < 0) | (language_ids >= self.config.num_languages)) & (language_ids != UNKNOWN_LANGUAGE_ID)]
        if bad.numel():
            known = ", ".join(f"{i}={name}" for i, name in self.config.id2language.items()) or "none"
            raise ValueError(
                f"language id {int(bad[0])} is out of range: this model knows {self.config.num_languages} languages ({known}); "
                f"use {UNKNOWN_LANGUAGE_ID} for a language held out of training"
            )
        return language_ids.long()

    def shared_features(self, input_ids=None, attention_mask=None, token_type_ids=None) -> torch.Tensor:
        """`[batch, feature_size]` shared features (before gradient reversal)."""
        encoded = self.shared_encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return self.shared_fc(encoded.pooler_output)

    def private_features(self, input_ids=None, attention_mask=None, token_type_ids=None, language_ids=None) -> torch.Tensor:
        """`[batch, feature_size]` private features. With one private encoder per language each
        example goes to its language's encoder; examples of unknown language (`-100` or no
        `language_ids`) get the mean of all private encoders' features."""
        if self.private is None:
            raise ValueError("this model has no private encoder (config.use_private=False)")
        if attention_mask is None:
            attention_mask = input_ids.ne(self.config.pad_token_id or 0).long()
        embeds = None
        if self.config.private_encoder_type == "tower":
            embeds = self.shared_encoder.get_input_embeddings()(input_ids)
        branches = list(self.private)
        if len(branches) == 1:
            return branches[0](input_ids, attention_mask, token_type_ids, embeds)
        batch = input_ids.shape[0]
        if language_ids is None:
            language_ids = torch.full((batch,), UNKNOWN_LANGUAGE_ID, dtype=torch.long, device=input_ids.device)
        out = None
        unknown = language_ids == UNKNOWN_LANGUAGE_ID

        def take(t, idx):
            return None if t is None else t[idx]

        for lang, branch in enumerate(branches):
            idx = (language_ids == lang).nonzero(as_tuple=True)[0]
            if unknown.any():  # held-out languages: every branch contributes to the mean
                idx = torch.cat([idx, unknown.nonzero(as_tuple=True)[0]])
            if idx.numel() == 0:
                continue
            feats = branch(take(input_ids, idx), take(attention_mask, idx), take(token_type_ids, idx), take(embeds, idx))
            if out is None:
                out = feats.new_zeros(batch, feats.shape[-1])
            weight = torch.where(unknown[idx], 1.0 / len(branches), 1.0).to(feats.dtype).unsqueeze(-1)
            out = out.index_add(0, idx, feats * weight)
        return out

    def _discriminator_logits(self, shared: torch.Tensor, frozen: bool) -> torch.Tensor:
        if not frozen:
            return self.discriminator(shared)
        params = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        return torch.func.functional_call(self.discriminator, params, (shared,))

    # ----------------------------------------------------------------------------------------
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        language_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        return_dict: bool | None = None,
    ) -> AdversarialSharedPrivateOutput:
        if input_ids is None:
            raise ValueError(f"{type(self).__name__}.forward needs input_ids")
        config = self.config
        if language_ids is not None:
            language_ids = self.check_language_ids(language_ids.to(input_ids.device) if torch.is_tensor(language_ids) else language_ids, input_ids.shape[0])
        elif config.private_encoders == "per_language" and config.use_private and self.training:
            raise ValueError("private_encoders='per_language' needs language_ids in training (each example goes to its language's encoder)")
        shared = self.shared_features(input_ids, attention_mask, token_type_ids)
        private = None
        features = shared
        if self.private is not None:
            private = self.private_features(input_ids, attention_mask, token_type_ids, language_ids)
            features = torch.cat([private, shared], dim=-1)
        logits = self.classifier(features)

        phase = self.adversarial_phase if config.adversarial_schedule == "alternating" else "joint"
        if phase not in PHASES:
            raise ValueError(f"adversarial_phase must be one of {PHASES}, got {phase!r}")
        language_logits = adversarial_loss = confusion_loss = None
        if self.discriminator is not None:
            if config.adversarial_schedule == "grl":
                language_logits = self.discriminator(self.grl(shared))
            else:  # the discriminator learns on detached features; the encoder is trained by `confusion_loss`
                language_logits = self.discriminator(shared.detach())
                if self.training and phase in ("joint", "encoder"):
                    log_probs = torch.log_softmax(self._discriminator_logits(shared, frozen=True), dim=-1)
                    known = language_ids != UNKNOWN_LANGUAGE_ID if language_ids is not None else None
                    confusion = -log_probs.mean(dim=-1)  # cross-entropy to the uniform distribution
                    confusion_loss = confusion[known].mean() if known is not None and known.any() else confusion.mean()
            if language_ids is not None and bool((language_ids != UNKNOWN_LANGUAGE_ID).any()):
                adversarial_loss = nn.functional.cross_entropy(language_logits, language_ids, ignore_index=UNKNOWN_LANGUAGE_ID)

        diff = difference_loss(private, shared) if (config.use_difference and private is not None and shared.shape[0] > 1) else None

        task_loss = loss = None
        if labels is not None:
            task_loss, config.problem_type = sequence_classification_loss(logits, labels, config.problem_type, self.num_labels)
            if phase == "discriminator":
                loss = adversarial_loss if adversarial_loss is not None else task_loss * 0.0
            else:
                loss = task_loss
                if adversarial_loss is not None:
                    if config.adversarial_schedule == "grl":
                        loss = loss + config.adversarial_weight * adversarial_loss
                    else:
                        if phase == "joint":
                            loss = loss + adversarial_loss  # the discriminator's own step (detached input)
                        if confusion_loss is not None:
                            loss = loss + config.adversarial_weight * confusion_loss
                if diff is not None:
                    loss = loss + config.difference_weight * diff
        return AdversarialSharedPrivateOutput(
            loss=loss,
            logits=logits,
            language_logits=language_logits,
            task_loss=task_loss,
            adversarial_loss=adversarial_loss,
            difference_loss=diff,
            shared_features=shared,
            private_features=private,
        )
