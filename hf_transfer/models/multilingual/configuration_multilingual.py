"""AdversarialSharedPrivateConfig: the adversarial shared-private multilingual model's settings."""

from __future__ import annotations

from collections.abc import Sequence

from ...configuration_utils import TransferConfig
from ...encoders.private import PRIVATE_ENCODER_TYPES
from ...tagging import check_crf_constraints, resolve_crf_scheme


PRIVATE_ENCODERS = ("single", "per_language")
ADVERSARIAL_SCHEDULES = ("grl", "alternating")
FEATURE_ACTIVATIONS = ("relu", "tanh", "none")
HELDOUT_PRIVATE_FEATURES = ("encode", "zeros")
UNKNOWN_LANGUAGE_ID = -100


class AdversarialSharedPrivateConfig(TransferConfig):
    r"""
    Configuration of `AdversarialSharedPrivateModel` and its heads
    (`...ForSequenceClassification`, `...ForTokenClassification`): a shared encoder whose
    features a language discriminator must not be able to tell apart (gradient reversal, Ganin &
    Lempitsky, ICML 2015), private encoder(s) for what is language-specific, and a difference
    (orthogonality) loss between the two (Liu, Qiu & Huang, "Adversarial Multi-task Learning for
    Text Classification", ACL 2017; Bousmalis et al., "Domain Separation Networks", NeurIPS 2016).

    The encoder settings (`encoder_type`, BCNN sizes, `backbone_config` ...) and the task head's
    (`classifier_hidden_size`, `classifier_dropout`) are `TransferConfig`'s.

    Args:
        languages (`list[str]`): language names; the position of a name is its language id (the
            discriminator's classes). Language id `-100` means "unknown / held out of training":
            it is ignored by the discriminator and routed to the mean of the private encoders.
        private_encoders (`str`, defaults to `"single"`): `"single"` (one private encoder for all
            languages, as the reference code) or `"per_language"` (one per language, as Liu et al.,
            2017; each example goes to its language's encoder).
        private_encoder_type (`str`, defaults to `"tower"`): `"tower"` (a `PrivateEncoder` CNN
            tower with the BCNN sizes over the shared encoder's input embeddings: with a BCNN
            encoder this is the reference design's towers over one embedding table; with a
            transformer backbone it is a cheap private encoder over its word embeddings) or
            `"copy"` (a full independent copy of the encoder, a BCNN with its own embeddings
            included; `from_backbone` loads the pretrained weights into every copy).
        feature_size (`int`, defaults to 256): width of the fully connected layer after each encoder.
        feature_activation (`str`, defaults to `"relu"`): `"relu"`, `"tanh"` or `"none"`.
        adversarial_weight (`float`, defaults to 0.05): weight of the discriminator loss (the
            reference design's value).
        difference_weight (`float`, defaults to 1.0): weight of the difference loss (the reference
            design's value; Liu et al., 2017 use 0.01).
        grl_lambda (`float`, defaults to 1.0): gradient reversal factor: the shared encoder gets
            `-grl_lambda * adversarial_weight` times the discriminator's gradient.
        adversarial_schedule (`str`, defaults to `"grl"`): `"grl"` (one backward pass through a
            gradient reversal layer) or `"alternating"` (GAN-style min-max: the discriminator
            learns on detached shared features, the shared encoder minimises the cross-entropy of
            the frozen discriminator's prediction to the uniform distribution, Tzeng et al., ICCV
            2015; `AdversarialScheduleCallback` alternates the two steps; without it both happen
            in every step, the discriminator's cross-entropy entering the loss unweighted).
        discriminator_hidden_size (`int`, *optional*, defaults to 256): ReLU layer of the
            discriminator (`None`: a linear discriminator).
        discriminator_dropout (`float`, defaults to 0.1): dropout before the discriminator.
        private_dropout (`float`, defaults to 0.0): in training, the probability with which an
            example's private features are replaced by zeros in the task head's input (the
            difference loss still sees them), so that the head also learns to classify from the
            shared features alone, which is all that carries over to a language held out of
            training (see `heldout_private_features`).
        heldout_private_features (`str`, defaults to `"encode"`): what the task head reads as
            private features for an example of unknown language (language id `-100`, or no
            `language_ids`): `"encode"` (the single private encoder's features, or the mean of the
            per-language encoders') or `"zeros"` (shared features only: the private encoders only
            ever saw the training languages; pair with `private_dropout` so the head has learned
            to do without them).
        unlabeled_languages (`list[str]`, defaults to `[]`): languages of `languages` whose text
            trained the adversary without task labels (rows labelled -100). With
            `heldout_private_features="zeros"` the task head reads no private features for them
            either: it never learned to read their private encoder's output.
        use_private / use_adversary / use_difference (`bool`, default `True`): ablations:
            all three off is the plain joint model; private only is shared-private without
            adversary; private + adversary; all three is the full model.
        use_crf (`bool`, defaults to `True`): `...ForTokenClassification` only: a CRF over the
            word-level tag emissions (else per-word cross-entropy); tags are `id2label`.
        crf_constraints (`str` or `None`, defaults to `"auto"`): transitions forbidden in CRF
            decoding: `"bio"`, `"bioes"`, `"auto"` (BIOES when a tag starts with `E-`/`S-`, else
            BIO) or `None`.
    """

    model_type = "hf_transfer_adversarial"
    # Trainer leaves these out of `predictions` (scalars and features do not concatenate as logits)
    keys_to_ignore_at_inference = ["task_loss", "adversarial_loss", "difference_loss", "shared_features", "private_features"]

    def __init__(
        self,
        languages: Sequence[str] | None = None,
        private_encoders: str = "single",
        private_encoder_type: str = "tower",
        feature_size: int = 256,
        feature_activation: str = "relu",
        adversarial_weight: float = 0.05,
        difference_weight: float = 1.0,
        grl_lambda: float = 1.0,
        adversarial_schedule: str = "grl",
        discriminator_hidden_size: int | None = 256,
        discriminator_dropout: float = 0.1,
        private_dropout: float = 0.0,
        heldout_private_features: str = "encode",
        unlabeled_languages: Sequence[str] | None = None,
        use_private: bool = True,
        use_adversary: bool = True,
        use_difference: bool = True,
        use_crf: bool = True,
        crf_constraints: str | None = "auto",
        **kwargs,
    ):
        languages = list(languages or [])
        if any(not isinstance(x, str) or not x for x in languages):
            raise ValueError(f"languages must be a list of non-empty language names, got {languages!r}")
        duplicates = sorted({x for x in languages if languages.count(x) > 1})
        if duplicates:
            raise ValueError(f"languages lists {duplicates} more than once: {languages}")
        if private_encoders not in PRIVATE_ENCODERS:
            raise ValueError(f"private_encoders must be one of {PRIVATE_ENCODERS}, got {private_encoders!r}")
        if private_encoder_type not in PRIVATE_ENCODER_TYPES:
            raise ValueError(f"private_encoder_type must be one of {PRIVATE_ENCODER_TYPES}, got {private_encoder_type!r}")
        if adversarial_schedule not in ADVERSARIAL_SCHEDULES:
            raise ValueError(f"adversarial_schedule must be one of {ADVERSARIAL_SCHEDULES}, got {adversarial_schedule!r}")
        if feature_activation not in FEATURE_ACTIVATIONS:
            raise ValueError(f"feature_activation must be one of {FEATURE_ACTIVATIONS}, got {feature_activation!r}")
        if not 0.0 <= float(private_dropout) < 1.0:
            raise ValueError(f"private_dropout must be in [0, 1), got {private_dropout}")
        if heldout_private_features not in HELDOUT_PRIVATE_FEATURES:
            raise ValueError(f"heldout_private_features must be one of {HELDOUT_PRIVATE_FEATURES}, got {heldout_private_features!r}")
        unlabeled_languages = list(unlabeled_languages or [])
        if any(x not in languages for x in unlabeled_languages):
            raise ValueError(f"unlabeled_languages {[x for x in unlabeled_languages if x not in languages]} are not in languages {languages}")
        if int(feature_size) < 1:
            raise ValueError(f"feature_size must be a positive width, got {feature_size}")
        for name, value in (("adversarial_weight", adversarial_weight), ("difference_weight", difference_weight), ("grl_lambda", grl_lambda)):
            if float(value) < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if use_difference and not use_private:
            raise ValueError("use_difference=True needs use_private=True (the difference loss compares private and shared features)")
        self.languages = languages
        self.private_encoders = private_encoders
        self.private_encoder_type = private_encoder_type
        self.feature_size = int(feature_size)
        self.feature_activation = feature_activation
        self.adversarial_weight = float(adversarial_weight)
        self.difference_weight = float(difference_weight)
        self.grl_lambda = float(grl_lambda)
        self.adversarial_schedule = adversarial_schedule
        self.discriminator_hidden_size = discriminator_hidden_size
        self.discriminator_dropout = discriminator_dropout
        self.private_dropout = float(private_dropout)
        self.heldout_private_features = heldout_private_features
        self.unlabeled_languages = unlabeled_languages
        self.use_private = bool(use_private)
        self.use_adversary = bool(use_adversary)
        self.use_difference = bool(use_difference)
        self.use_crf = bool(use_crf)
        self.crf_constraints = check_crf_constraints(crf_constraints)
        super().__init__(**kwargs)

    def resolved_crf_scheme(self) -> str | None:
        """The tagging scheme the CRF constraints use (`"BIO"`, `"BIOES"` or `None`), from `id2label`."""
        return resolve_crf_scheme(self.crf_constraints, self.id2label) if self.use_crf else None

    @property
    def num_languages(self) -> int:
        return len(self.languages)

    @property
    def id2language(self) -> dict[int, str]:
        return dict(enumerate(self.languages))

    @property
    def language2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.languages)}

    def language_id(self, language: str, allow_unknown: bool = False) -> int:
        """The id of `language`; an unknown name raises `ValueError` naming the known ones, or gives
        `-100` (held-out language) with `allow_unknown=True`."""
        ids = self.language2id
        if language in ids:
            return ids[language]
        if allow_unknown:
            return UNKNOWN_LANGUAGE_ID
        raise ValueError(f"unknown language {language!r}; this model knows {self.languages} (config.languages)")

    def encode_languages(self, languages: Sequence[str], allow_unknown: bool = False) -> list[int]:
        """Language ids for a list of names (see `language_id`)."""
        return [self.language_id(x, allow_unknown) for x in languages]


def ablation_config_kwargs(variant: str) -> dict:
    """Config flags for the named ablations of the benchmark (`joint`, `shared_private`,
    `adversarial`, `adversarial_diff`)."""
    table = {
        "joint": dict(use_private=False, use_adversary=False, use_difference=False),
        "shared_private": dict(use_private=True, use_adversary=False, use_difference=False),
        "adversarial": dict(use_private=True, use_adversary=True, use_difference=False),
        "adversarial_diff": dict(use_private=True, use_adversary=True, use_difference=True),
    }
    if variant not in table:
        raise ValueError(f"unknown variant {variant!r}; expected one of {sorted(table)} (train one model per language for 'separate')")
    return dict(table[variant])
