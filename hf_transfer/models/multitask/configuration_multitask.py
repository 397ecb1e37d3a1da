"""SharedPrivateConfig: joint intent classification + slot filling with shared and private
feature extractors (Liu, Qiu & Huang, "Adversarial Multi-task Learning for Text
Classification", ACL 2017, shared-private scheme; heads as in the reference design)."""

from __future__ import annotations

from ...configuration_utils import TransferConfig, pop_renamed
from ...encoders.private import PRIVATE_ENCODER_TYPES
from ...tagging import check_crf_constraints, resolve_crf_scheme


# the values of the old `private_encoder` setting and what they are called now
OLD_PRIVATE_ENCODER_VALUES = {"full": "copy", "bcnn_tower": "tower"}


def _int_keys(mapping, name):
    if mapping is None:
        return None
    if isinstance(mapping, (list, tuple)):
        return {i: str(v) for i, v in enumerate(mapping)}
    try:
        out = {int(k): str(v) for k, v in mapping.items()}
    except (TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{name} must map integer ids (or integer strings) to names, got {mapping!r}") from err
    if sorted(out) != list(range(len(out))):
        raise ValueError(f"{name} keys must be 0..{len(out) - 1} without gaps, got {sorted(out)}")
    return out


class SharedPrivateConfig(TransferConfig):
    r"""
    Configuration of [`SharedPrivateForIntentAndSlotFilling`]: three feature extractors read the
    same utterance (one private to the intent task, one shared, one private to the slot task);
    each task reads its private features concatenated with the shared ones.

    Labels: intents use the usual `id2label` / `label2id` (so `num_labels` is the number of
    intents); slot tags use `id2tag` / `tag2id` (`num_tags`). Both come from the data set's
    `ClassLabel` features (`intent`, `tags`). The encoder settings are those of
    [`TransferConfig`].

    Args:
        id2tag (`dict[int, str]` or `list[str]`, *optional*): slot tag names (BIO or BIOES).
        intent_loss_weight (`float`, defaults to 0.75): weight of the intent cross-entropy.
        slot_loss_weight (`float`, defaults to 0.25): weight of the slot loss (CRF negative
            log-likelihood, mean over utterances, or token cross-entropy). A weight of 0 turns
            the task off: its head and private extractor are not built and not computed
            (single-task variants).
        use_private (`bool`, defaults to `True`): build the private extractors; `False` gives the
            shared-only model (one encoder, two heads).
        private_encoder_type (`str`, defaults to `"copy"`; formerly `private_encoder`, whose values
            `"full"` and `"bcnn_tower"` still load as `"copy"` and `"tower"`):
            - `"copy"`: each private extractor is a full encoder. With a BCNN these are BCNN
              towers over the shared embedding table (the reference design: a copy of the BCNN
              that shares its embeddings); with a transformer, three copies of it (3x
              parameters and about 3x the compute of one backbone).
            - `"tower"`: light BCNN towers (`kernel_sizes`, `num_filters`) over the shared
              encoder's output token features: one transformer pass per utterance, plus
              ~`hidden * num_filters * sum(kernel_sizes)` parameters per tower.
        use_crf (`bool`, defaults to `True`): CRF over the word-level slot emissions (else
            per-word softmax with cross-entropy).
        crf_constraints (`str` or `None`, defaults to `"auto"`): transitions forbidden in CRF
            decoding: `"bio"` (I-x only after B-x/I-x), `"bioes"`, `"auto"` (BIOES when a tag
            starts with `E-`/`S-`, else BIO) or `None`.
        classifier_hidden_size (`int`, defaults to 2048; formerly `head_hidden_size`): width of the
            ReLU layer of both heads (`None`: linear heads).
        classifier_dropout (`float`, defaults to 0.1; formerly `head_dropout`): dropout of both
            heads (intent: before the ReLU layer; slots: after it, as in the reference design).
        max_words (`int`, *optional*): longest utterance in words; longer ones are truncated by
            the collator and the pipeline (with a warning).
        sentence_pooling (`str`, defaults to `"max"`): pooling of the intent features over time
            (the reference design max-pools, also over transformer features).
    """

    model_type = "hf_transfer_shared_private"
    keys_to_ignore_at_inference = ["intent_loss", "slot_loss"]
    attribute_map = {**TransferConfig.attribute_map, "head_hidden_size": "classifier_hidden_size", "head_dropout": "classifier_dropout"}

    def __init__(
        self,
        id2tag=None,
        tag2id=None,
        intent_loss_weight: float = 0.75,
        slot_loss_weight: float = 0.25,
        use_private: bool = True,
        private_encoder_type: str = "copy",
        use_crf: bool = True,
        crf_constraints: str | None = "auto",
        classifier_hidden_size: int | None = 2048,
        classifier_dropout: float = 0.1,
        max_words: int | None = None,
        sentence_pooling: str | None = "max",
        **kwargs,
    ):
        # old names (config.json files and code from before the shared vocabulary)
        private_encoder_type = pop_renamed(kwargs, "private_encoder", private_encoder_type, OLD_PRIVATE_ENCODER_VALUES)
        classifier_hidden_size = pop_renamed(kwargs, "head_hidden_size", classifier_hidden_size)
        classifier_dropout = pop_renamed(kwargs, "head_dropout", classifier_dropout)
        for name, value in (("intent_loss_weight", intent_loss_weight), ("slot_loss_weight", slot_loss_weight)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if intent_loss_weight == 0 and slot_loss_weight == 0:
            raise ValueError("intent_loss_weight and slot_loss_weight are both 0: at least one task must be trained")
        if private_encoder_type not in PRIVATE_ENCODER_TYPES:
            raise ValueError(f"private_encoder_type must be one of {PRIVATE_ENCODER_TYPES}, got {private_encoder_type!r}")
        crf_constraints = check_crf_constraints(crf_constraints)
        if classifier_hidden_size is not None and int(classifier_hidden_size) < 1:
            raise ValueError(f"classifier_hidden_size must be a positive width or None, got {classifier_hidden_size!r}")
        if not 0.0 <= float(classifier_dropout) < 1.0:
            raise ValueError(f"classifier_dropout must be in [0, 1), got {classifier_dropout!r}")
        if max_words is not None and int(max_words) < 1:
            raise ValueError(f"max_words must be a positive number of words or None, got {max_words!r}")
        self.id2tag = _int_keys(id2tag, "id2tag")
        if self.id2tag is None and tag2id is not None:
            self.id2tag = {int(v): str(k) for k, v in dict(tag2id).items()}
        self.tag2id = {v: k for k, v in self.id2tag.items()} if self.id2tag is not None else None
        self.intent_loss_weight = float(intent_loss_weight)
        self.slot_loss_weight = float(slot_loss_weight)
        self.use_private = bool(use_private)
        self.private_encoder_type = private_encoder_type
        self.use_crf = bool(use_crf)
        self.crf_constraints = crf_constraints
        self.max_words = None if max_words is None else int(max_words)
        super().__init__(
            sentence_pooling=sentence_pooling,
            classifier_hidden_size=None if classifier_hidden_size is None else int(classifier_hidden_size),
            classifier_dropout=float(classifier_dropout),
            **kwargs,
        )
        if getattr(self, "label2id", None) is None and getattr(self, "id2label", None):
            self.label2id = {v: k for k, v in self.id2label.items()}  # transformers 5 leaves it unset

    @property
    def private_encoder(self) -> str:
        """The old name of `private_encoder_type`, with its old values (`"full"`, `"bcnn_tower"`)."""
        return {new: old for old, new in OLD_PRIVATE_ENCODER_VALUES.items()}[self.private_encoder_type]

    @private_encoder.setter
    def private_encoder(self, value: str) -> None:
        value = OLD_PRIVATE_ENCODER_VALUES.get(value, value)
        if value not in PRIVATE_ENCODER_TYPES:
            raise ValueError(f"private_encoder_type must be one of {PRIVATE_ENCODER_TYPES}, got {value!r}")
        self.private_encoder_type = value

    @property
    def num_tags(self) -> int:
        return len(self.id2tag) if self.id2tag else 0

    @property
    def num_intents(self) -> int:
        return self.num_labels

    @property
    def id2intent(self) -> dict:
        return self.id2label

    @property
    def predicts_intent(self) -> bool:
        return self.intent_loss_weight > 0

    @property
    def predicts_slots(self) -> bool:
        return self.slot_loss_weight > 0

    def resolved_crf_scheme(self) -> str | None:
        """The tagging scheme the CRF constraints use (`"BIO"`, `"BIOES"` or `None`)."""
        return resolve_crf_scheme(self.crf_constraints, self.id2tag) if self.use_crf else None
