"""Adversarial shared-private model for texts in several languages that share one label set.

A shared encoder learns features a language discriminator cannot tell apart (it reads them through
a gradient reversal layer, Ganin & Lempitsky, ICML 2015), private encoder(s) keep what is
language-specific, and a difference loss keeps the two spaces apart (Liu, Qiu & Huang, "Adversarial
Multi-task Learning for Text Classification", ACL 2017, with languages in place of tasks; Chen et
al., "Adversarial Deep Averaging Networks for Cross-Lingual Sentiment Classification", TACL 2018).
The task head reads `concat(private, shared)`:

    loss = L_task + adversarial_weight * L_adv + difference_weight * L_diff

The bare model (`AdversarialSharedPrivateModel`: shared and private encoders, discriminator,
difference loss) is written once; two heads sit on it: sentence classification
(`...ForSequenceClassification`: intents, topics, sentiment) and word-level tagging
(`...ForTokenClassification`: slot filling / NER across languages, with the library's CRF).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput

from ...encoders.pooling import pool_sentence, word_level_inputs
from ...encoders.private import ACTIVATIONS, PrivateEncoder
from ...layers.crf import CRF, CRFTaggingMixin, tagging_loss
from ...layers.gradient_reversal import GradientReversal
from ...layers.heads import ClassificationHead, sequence_classification_loss
from ...layers.losses import difference_loss
from ...modeling_utils import TransferPreTrainedModel, build_encoder
from ...utils import check_label_ids
from .configuration_multilingual import UNKNOWN_LANGUAGE_ID, AdversarialSharedPrivateConfig


PHASES = ("joint", "discriminator", "encoder")


@dataclass
class AdversarialSharedPrivateModelOutput(ModelOutput):
    """
    What the bare model gives its heads.

    Args:
        last_hidden_state: `concat(private, shared)` features, what a task head reads:
            `[batch, task_input_size]`, or `[batch, words, task_input_size]` at word level.
        mask: `[batch, words]` word mask (word level only).
        shared_features / private_features: `[batch, feature_size]` (or `[batch, words,
            feature_size]`); `private_features` is None without private encoders.
        language_ids: `[batch]` the checked language ids (-100: unknown), or None.
        language_logits: `[batch, num_languages]` the discriminator's logits on the shared
            sentence features (the mean of the word features at word level).
        adversarial_loss: the discriminator's cross-entropy on the known languages.
        confusion_loss: the `"alternating"` schedule's loss of the shared encoder.
        difference_loss: the difference loss between private and shared sentence features.
    """

    last_hidden_state: torch.Tensor | None = None
    mask: torch.Tensor | None = None
    shared_features: torch.Tensor | None = None
    private_features: torch.Tensor | None = None
    language_ids: torch.Tensor | None = None
    language_logits: torch.Tensor | None = None
    adversarial_loss: torch.Tensor | None = None
    confusion_loss: torch.Tensor | None = None
    difference_loss: torch.Tensor | None = None


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


def _branch_features(branch: PrivateEncoder, input_ids, attention_mask, token_type_ids, embeds, word_ids=None, num_words=None, word_level=False) -> torch.Tensor:
    """One private encoder's features after its fully connected layer: sentence features, or word
    features with `word_level=True`. A tower reads the shared encoder's input embeddings `embeds`."""
    out = branch(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, word_ids=word_ids, num_words=num_words, features=embeds)
    return branch.project(out.last_hidden_state if word_level else out.pooler_output)


class AdversarialSharedPrivatePreTrainedModel(TransferPreTrainedModel):
    """The base of the adversarial shared-private models: their config class, weight init and
    `from_backbone` (the layers are `AdversarialSharedPrivateModel`'s)."""

    config_class = AdversarialSharedPrivateConfig
    config: AdversarialSharedPrivateConfig


class AdversarialSharedPrivateModel(AdversarialSharedPrivatePreTrainedModel):
    """The bare adversarial shared-private model, under both heads: the shared encoder and its
    fully connected layer, the private encoder(s) (`PrivateEncoder`, each with its fully connected
    layer), the language discriminator behind gradient reversal, the difference loss and the loss
    schedule (see `AdversarialSharedPrivateConfig`).

    `forward` gives the task features `concat(private, shared)` with the adversarial and
    difference losses. A head adds its layers in `_build_head` (built after the shared parts and
    initialised in the same single pass, so seeded runs and parameter names stay as they were),
    and runs the two halves of `forward` around its own layer: `encode`, the head,
    `adversarial_losses` (in that order, so its dropout draws its random numbers before the
    discriminator's), then `total_loss`.

    Inputs: `input_ids`, `attention_mask`, `language_ids` (`[batch]` ids into `config.languages`,
    `-100` for a language held out of training; named so that `Trainer` does not take it for a
    label).
    """

    def __init__(self, config: AdversarialSharedPrivateConfig):
        super().__init__(config)
        if config.use_adversary and config.num_languages < 2:
            raise ValueError(f"use_adversary=True needs at least 2 languages in config.languages, got {config.languages}")
        if config.use_private and config.private_encoders == "per_language" and config.num_languages < 1:
            raise ValueError("private_encoders='per_language' needs config.languages (one private encoder per language)")
        self.num_labels = config.num_labels
        self.shared_encoder = build_encoder(config)
        self.shared_fc = nn.Sequential(nn.Linear(self.shared_encoder.hidden_size, config.feature_size), ACTIVATIONS[config.feature_activation]())
        self.private = None
        if config.use_private:
            n = config.num_languages if config.private_encoders == "per_language" else 1
            input_size = self.shared_encoder.get_input_embeddings().embedding_dim
            self.private = nn.ModuleList(self._private_encoder(input_size) for _ in range(n))
        self.grl = GradientReversal(config.grl_lambda)
        self.discriminator = None
        if config.use_adversary:
            self.discriminator = ClassificationHead(config.feature_size, config.num_languages, config.discriminator_hidden_size, config.discriminator_dropout)
        # set by `AdversarialScheduleCallback` with the "alternating" schedule
        self.adversarial_phase = "joint"
        self._build_head(config)
        self.post_init()

    def _build_head(self, config: AdversarialSharedPrivateConfig) -> None:
        """A head's own layers (the bare model has none)."""

    def _private_encoder(self, input_size: int) -> PrivateEncoder:
        """A `"tower"` over the shared encoder's input embeddings (`input_size` wide) or a `"copy"`
        of the encoder, each followed by its fully connected layer."""
        config = self.config
        fc = {"output_size": config.feature_size, "activation": config.feature_activation}
        if config.private_encoder_type == "tower":
            return PrivateEncoder(input_size, config.kernel_sizes, config.num_filters, word_pooling=config.word_pooling, sentence_pooling="max", **fc)
        return PrivateEncoder(encoder=build_encoder(config), word_pooling=config.word_pooling, **fc)

    @property
    def task_input_size(self) -> int:
        """Width of the task head's input: `concat(private, shared)` features."""
        return self.config.feature_size * (2 if self.config.use_private else 1)

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

    def _prepare_language_ids(self, input_ids, language_ids):
        if language_ids is not None:
            return self.check_language_ids(language_ids.to(input_ids.device) if torch.is_tensor(language_ids) else language_ids, input_ids.shape[0])
        if self.config.private_encoders == "per_language" and self.config.use_private and self.training:
            raise ValueError("private_encoders='per_language' needs language_ids in training (each example goes to its language's encoder)")
        return None

    def _shared(self, input_ids, attention_mask, token_type_ids, word_ids=None, num_words=None, word_level=False):
        """`(features, word_mask)`: `[batch, feature_size]` (or `[batch, words, feature_size]`)."""
        encoded = self.shared_encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, word_ids=word_ids, num_words=num_words)
        if word_level:
            return self.shared_fc(encoded.last_hidden_state), encoded.mask
        return self.shared_fc(encoded.pooler_output), encoded.mask

    def shared_features(self, input_ids=None, attention_mask=None, token_type_ids=None) -> torch.Tensor:
        """`[batch, feature_size]` shared sentence features (before gradient reversal)."""
        return self._shared(input_ids, attention_mask, token_type_ids)[0]

    def private_features(self, input_ids=None, attention_mask=None, token_type_ids=None, language_ids=None, word_ids=None, num_words=None, word_level=False) -> torch.Tensor:
        """`[batch, feature_size]` private features (`[batch, words, feature_size]` with
        `word_level=True`). With one private encoder per language each example goes to its
        language's encoder; examples of unknown language (`-100` or no `language_ids`) get the
        mean of all private encoders' features."""
        if self.private is None:
            raise ValueError("this model has no private encoder (config.use_private=False)")
        if attention_mask is None:
            attention_mask = input_ids.ne(self.config.pad_token_id or 0).long()
        embeds = None
        if self.config.private_encoder_type == "tower":
            embeds = self.shared_encoder.get_input_embeddings()(input_ids)
        branches = list(self.private)
        if len(branches) == 1:
            return _branch_features(branches[0], input_ids, attention_mask, token_type_ids, embeds, word_ids, num_words, word_level)
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
            feats = _branch_features(branch, take(input_ids, idx), take(attention_mask, idx), take(token_type_ids, idx), take(embeds, idx), take(word_ids, idx), num_words, word_level)
            if out is None:
                out = feats.new_zeros((batch,) + tuple(feats.shape[1:]))
            weight = torch.where(unknown[idx], 1.0 / len(branches), 1.0).to(feats.dtype).view(-1, *([1] * (feats.dim() - 1)))
            out = out.index_add(0, idx, feats * weight)
        return out

    def _encode(self, input_ids, attention_mask, token_type_ids, language_ids, word_ids=None, num_words=None, word_level=False):
        """`(shared, private, concat(private, shared), word_mask)`; sentence features, or word
        features with `word_level=True` (`private` is None without private encoders)."""
        shared, word_mask = self._shared(input_ids, attention_mask, token_type_ids, word_ids, num_words, word_level)
        if self.private is None:
            return shared, None, shared, word_mask
        num_words = shared.shape[1] if word_level else num_words
        private = self.private_features(input_ids, attention_mask, token_type_ids, language_ids, word_ids, num_words, word_level)
        return shared, private, torch.cat([self._head_private(private, language_ids), shared], dim=-1), word_mask

    def _head_private(self, private: torch.Tensor, language_ids: torch.Tensor | None) -> torch.Tensor:
        """The private features the task head reads: zeroed for held-out languages (and
        `config.unlabeled_languages`) with `heldout_private_features="zeros"`, and per example
        with probability `private_dropout` in training."""
        keep = None
        if self.config.heldout_private_features == "zeros":
            keep = language_ids != UNKNOWN_LANGUAGE_ID if language_ids is not None else private.new_zeros(private.shape[0], dtype=torch.bool)
            if language_ids is not None:
                for name in self.config.unlabeled_languages:  # no task labels in training: shared features only
                    keep = keep & (language_ids != self.config.language_id(name))
        if self.training and self.config.private_dropout > 0:
            kept = torch.rand(private.shape[0], device=private.device) >= self.config.private_dropout
            keep = kept if keep is None else keep & kept
        if keep is None:
            return private
        return private * keep.to(private.dtype).view(-1, *([1] * (private.dim() - 1)))

    def _discriminator_logits(self, shared: torch.Tensor, frozen: bool) -> torch.Tensor:
        if not frozen:
            return self.discriminator(shared)
        params = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        return torch.func.functional_call(self.discriminator, params, (shared,))

    def _phase(self) -> str:
        phase = self.adversarial_phase if self.config.adversarial_schedule == "alternating" else "joint"
        if phase not in PHASES:
            raise ValueError(f"adversarial_phase must be one of {PHASES}, got {phase!r}")
        return phase

    def _adversary(self, shared: torch.Tensor, language_ids, phase: str):
        """`(language_logits, adversarial_loss, confusion_loss)` on `[batch, feature_size]` shared
        sentence features (each None where it does not apply)."""
        if self.discriminator is None:
            return None, None, None
        confusion_loss = adversarial_loss = None
        if self.config.adversarial_schedule == "grl":
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
        return language_logits, adversarial_loss, confusion_loss

    def _difference(self, private, shared):
        """The difference loss on `[n, feature_size]` rows (None when off or under 2 rows)."""
        if not self.config.use_difference or private is None or shared.shape[0] < 2:
            return None
        return difference_loss(private, shared)

    def _total_loss(self, task_loss, adversarial_loss, confusion_loss, diff, phase):
        """`task + adversarial_weight * adversarial + difference_weight * difference` (the
        discriminator's loss alone in the "discriminator" phase of the alternating schedule)."""
        config = self.config
        if phase == "discriminator":
            return adversarial_loss if adversarial_loss is not None else task_loss * 0.0
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
        return loss

    # -- forward, written once for both heads --------------------------------------------------

    def encode(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        language_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        num_words: int | None = None,
        word_level: bool = False,
    ) -> AdversarialSharedPrivateModelOutput:
        """The first half of `forward`: checked language ids, shared and private features and
        their concatenation (`last_hidden_state`), per sentence or, with `word_level=True`, per
        word (`word_ids`, `num_words` as `word_level_inputs` gives them)."""
        if input_ids is None:
            raise ValueError(f"{type(self).__name__}.forward needs input_ids")
        language_ids = self._prepare_language_ids(input_ids, language_ids)
        shared, private, features, word_mask = self._encode(input_ids, attention_mask, token_type_ids, language_ids, word_ids, num_words, word_level)
        return AdversarialSharedPrivateModelOutput(
            last_hidden_state=features,
            mask=word_mask if word_level else None,
            shared_features=shared,
            private_features=private,
            language_ids=language_ids,
        )

    def adversarial_losses(self, outputs: AdversarialSharedPrivateModelOutput) -> AdversarialSharedPrivateModelOutput:
        """The second half of `forward`: the discriminator's logits and loss on the shared
        sentence features, and the difference loss (at word level both read the mean of each
        sentence's word features: over every word of a batch, the mean of the squared entries of
        `PᵀS` would grow with the number of words and swamp the task)."""
        shared, private = outputs.shared_features, outputs.private_features
        if outputs.mask is not None:
            shared = pool_sentence(shared, outputs.mask, "mean")
        language_logits, adversarial_loss, confusion_loss = self._adversary(shared, outputs.language_ids, self._phase())
        if outputs.mask is not None and private is not None:
            private = pool_sentence(private, outputs.mask, "mean")
        diff = self._difference(private, shared)
        return dataclasses.replace(
            outputs, language_logits=language_logits, adversarial_loss=adversarial_loss, confusion_loss=confusion_loss, difference_loss=diff
        )

    def total_loss(self, task_loss: torch.Tensor, outputs: AdversarialSharedPrivateModelOutput) -> torch.Tensor:
        """`task + adversarial_weight * adversarial + difference_weight * difference` (see `_total_loss`)."""
        return self._total_loss(task_loss, outputs.adversarial_loss, outputs.confusion_loss, outputs.difference_loss, self._phase())

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        language_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        word_level: bool = False,
        return_dict: bool | None = None,
    ) -> AdversarialSharedPrivateModelOutput:
        """Task features with the adversarial and difference losses (`word_level=True`: one
        feature vector per word of `word_ids`, `-1` for special tokens and padding)."""
        num_words = None
        if word_level:
            attention_mask, word_ids, num_words = word_level_inputs(input_ids, attention_mask, word_ids, None, self.config.pad_token_id)
        return self.adversarial_losses(self.encode(input_ids, attention_mask, language_ids, token_type_ids, word_ids, num_words, word_level))


class AdversarialSharedPrivateForSequenceClassification(AdversarialSharedPrivateModel):
    """Shared encoder + private encoder(s), each followed by a fully connected layer; task head on
    `concat(private, shared)`; language discriminator on `grad_reverse(shared)`; difference loss
    between shared and private features. Ablations come from the config (`use_private`,
    `use_adversary`, `use_difference`).

    Inputs: `input_ids`, `attention_mask`, `language_ids` (`[batch]` ids into `config.languages`,
    `-100` for a language held out of training; named so that `Trainer` does not take it for a
    label), `labels`.
    """

    def _build_head(self, config: AdversarialSharedPrivateConfig) -> None:
        self.classifier = ClassificationHead(self.task_input_size, config.num_labels, config.classifier_hidden_size, config.classifier_dropout)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        language_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        return_dict: bool | None = None,
    ) -> AdversarialSharedPrivateOutput:
        config = self.config
        outputs = self.encode(input_ids, attention_mask, language_ids, token_type_ids)
        logits = self.classifier(outputs.last_hidden_state)
        outputs = self.adversarial_losses(outputs)
        task_loss = loss = None
        if labels is not None:
            task_loss, config.problem_type = sequence_classification_loss(logits, labels, config.problem_type, self.num_labels, config.id2label)
            loss = self.total_loss(task_loss, outputs)
        # the loss parts only with labels: batch-level scalars cannot be split per example (pipelines)
        return AdversarialSharedPrivateOutput(
            loss=loss,
            logits=logits,
            language_logits=outputs.language_logits,
            task_loss=task_loss,
            adversarial_loss=outputs.adversarial_loss if labels is not None else None,
            difference_loss=outputs.difference_loss if labels is not None else None,
            shared_features=outputs.shared_features,
            private_features=outputs.private_features,
        )


@dataclass
class AdversarialSharedPrivateTokenOutput(AdversarialSharedPrivateOutput):
    """
    As `AdversarialSharedPrivateOutput`, with word-level tensors:

    Args:
        logits: `[batch, words, num_labels]` word-level tag emissions (never sub-word pieces).
        tag_paths: `[batch, words]` decoded tag ids (CRF Viterbi, or argmax without CRF), -100 at
            padding; returned in eval mode or with `return_tag_paths=True`.
        shared_features / private_features: `[batch, words, feature_size]`.
        language_logits: the discriminator's logits on the mean of each sentence's shared word
            features.
    """

    tag_paths: torch.Tensor | None = None


class AdversarialSharedPrivateForTokenClassification(CRFTaggingMixin, AdversarialSharedPrivateModel):
    """The adversarial shared-private model with a word-level tagging head (slot filling / NER
    across languages): tags from `concat(private, shared)` per word through `ClassificationHead`
    and the library's CRF (`config.use_crf`, decoding constrained by `config.crf_constraints`).
    The discriminator reads the mean of each sentence's shared word features through gradient
    reversal; the difference loss compares the sentence means of the private and shared word
    features (one row per sentence, as in the sentence model). Tag names are `config.id2label`
    (as `transformers`' `*ForTokenClassification`).

    Inputs: `input_ids`, `attention_mask`, `word_ids` (`[batch, tokens]` word index per token, -1
    for special tokens and padding: `tokenize_words`, `DataCollatorForWordLevel`), `language_ids`,
    `labels` (`[batch, words]` tag ids, -100 at padding).
    """

    def _build_head(self, config: AdversarialSharedPrivateConfig) -> None:
        self.classifier = ClassificationHead(self.task_input_size, config.num_labels, config.classifier_hidden_size, config.classifier_dropout, dropout_after_hidden=True)
        self.crf = CRF(config.num_labels, batch_first=True) if config.use_crf else None

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        word_ids: torch.Tensor | None = None,
        language_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        return_tag_paths: bool | None = None,
        return_dict: bool | None = None,
    ) -> AdversarialSharedPrivateTokenOutput:
        if input_ids is None:
            raise ValueError(f"{type(self).__name__}.forward needs input_ids")
        attention_mask, word_ids, num_words = word_level_inputs(input_ids, attention_mask, word_ids, labels, self.config.pad_token_id)
        outputs = self.encode(input_ids, attention_mask, language_ids, token_type_ids, word_ids, num_words, word_level=True)
        logits = self.classifier(outputs.last_hidden_state)
        outputs = self.adversarial_losses(outputs)
        task_loss = loss = None
        if labels is not None:
            check_label_ids(labels, self.num_labels, "labels", self.config.id2label, mask=outputs.mask)
            task_loss = tagging_loss(self.crf, logits, labels, outputs.mask)
            loss = self.total_loss(task_loss, outputs)
        tag_paths = None
        if return_tag_paths or (return_tag_paths is None and not self.training):
            tag_paths = self.decode_tags(logits, outputs.mask)
        return AdversarialSharedPrivateTokenOutput(
            loss=loss,
            logits=logits,
            language_logits=outputs.language_logits,
            task_loss=task_loss,
            adversarial_loss=outputs.adversarial_loss,
            difference_loss=outputs.difference_loss,
            shared_features=outputs.shared_features,
            private_features=outputs.private_features,
            tag_paths=tag_paths,
        )

