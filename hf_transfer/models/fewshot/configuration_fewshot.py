"""Configurations of the few-shot models: the encoder settings of `TransferConfig` plus what each
comparison method needs, and the fitted support set's class names (so that a saved model
predicts after `from_pretrained`)."""

from __future__ import annotations

from ...configuration_utils import TransferConfig, pop_renamed


DISTANCES = ("euclidean", "cosine")
AGGREGATIONS = ("sum", "mean")
RELATION_LOSSES = ("mse", "ce")
PAIR_FEATURES = ("concat", "concat_diff_prod")


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}, got {value!r}")


def _check_positive(name: str, value, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive number, got {value!r}")


class FewShotConfig(TransferConfig):
    r"""
    Settings every few-shot model shares (on top of `TransferConfig`'s encoder settings; the
    few-shot models compare sentence embeddings and have no classification head, so the
    `classifier_*` settings are dropped).

    Args:
        projection_size (`int`, *optional*): a linear layer from the sentence vector to this width
            (None: use the encoder's sentence vector as the embedding). The width the comparison
            works on either way is `sentence_embedding_size`.
        normalize_embeddings (`bool`, defaults to `False`): L2-normalise sentence embeddings.
        max_length (`int`, defaults to 128; formerly `max_seq_length`): token budget (truncation
            length) of `fit_support` / `predict` and the episode collators.
        support_labels (`list`, *optional*): class names of the fitted support set, in the order
            of the model's output columns; filled by `fit_support` / `fit_descriptions`.
        num_support_embeddings (`int`, defaults to 0): rows of the stored support embeddings
            (sizes the buffers so `from_pretrained` can load them).
    """

    model_type = "hf_transfer_fewshot"
    attribute_map = {**TransferConfig.attribute_map, "max_seq_length": "max_length"}
    # a declared field: transformers then takes `max_length` for this config's own setting (a token
    # budget), not for a generation setting misplaced in a model config
    max_length: int = 128

    def __init__(
        self,
        projection_size: int | None = None,
        normalize_embeddings: bool = False,
        max_length: int = 128,
        support_labels: list | None = None,
        num_support_embeddings: int = 0,
        **kwargs,
    ):
        max_length = pop_renamed(kwargs, "max_seq_length", max_length)
        for unused in ("classifier_hidden_size", "classifier_dropout"):  # in config files saved before they were dropped
            kwargs.pop(unused, None)
        _check_positive("projection_size", projection_size, allow_none=True)
        _check_positive("max_length", max_length)
        if isinstance(num_support_embeddings, bool) or not isinstance(num_support_embeddings, int) or num_support_embeddings < 0:
            raise ValueError(f"`num_support_embeddings` must be a non-negative integer, got {num_support_embeddings!r}")
        self.projection_size = projection_size
        self.normalize_embeddings = bool(normalize_embeddings)
        self.max_length = int(max_length)
        self.support_labels = list(support_labels) if support_labels is not None else None
        self.num_support_embeddings = num_support_embeddings
        super().__init__(**kwargs)
        del self.classifier_hidden_size, self.classifier_dropout  # no classification head

    @property
    def sentence_embedding_size(self) -> int:
        """Width of the sentence embeddings the comparison works on: `projection_size`, else the
        encoder's (`embedding_size` is the BCNN's token embedding width, as in every family)."""
        return self.projection_size or self.encoder_hidden_size


class PrototypicalNetworkConfig(FewShotConfig):
    r"""
    Prototypical network (Snell et al., 2017, "Prototypical Networks for Few-shot Learning").

    Args:
        distance (`str`, defaults to `"euclidean"`): `"euclidean"` (negative squared Euclidean
            distance, the paper's choice) or `"cosine"` (scaled cosine similarity).
        scale (`float`, defaults to 10.0): multiplier of cosine similarities (a temperature; cosine
            values in [-1, 1] are too flat for a softmax otherwise). Unused for `"euclidean"`.
        learn_scale (`bool`, defaults to `True`): learn `scale` (as in Oreshkin et al., 2018, TADAM).
    """

    model_type = "hf_transfer_protonet"

    def __init__(self, distance: str = "euclidean", scale: float = 10.0, learn_scale: bool = True, **kwargs):
        _check_choice("distance", distance, DISTANCES)
        _check_positive("scale", scale)
        self.distance = distance
        self.scale = float(scale)
        self.learn_scale = bool(learn_scale)
        super().__init__(**kwargs)


class MatchingNetworkConfig(FewShotConfig):
    r"""
    Matching network (Vinyals et al., 2016, "Matching Networks for One Shot Learning").

    Args:
        full_context_embeddings (`bool`, defaults to `False`): the paper's full-context embeddings
            (a bidirectional LSTM over the support set, an attention LSTM for queries).
        fce_steps (`int`, defaults to 3): processing steps of the query attention LSTM.
        scale (`float`, defaults to 10.0): multiplier of the cosine similarities before the softmax
            attention; `scale=1.0, learn_scale=False` is the paper's plain cosine attention.
        learn_scale (`bool`, defaults to `True`): learn `scale`.
    """

    model_type = "hf_transfer_matching"

    def __init__(self, full_context_embeddings: bool = False, fce_steps: int = 3, scale: float = 10.0, learn_scale: bool = True, **kwargs):
        _check_positive("fce_steps", fce_steps)
        _check_positive("scale", scale)
        self.full_context_embeddings = bool(full_context_embeddings)
        self.fce_steps = int(fce_steps)
        self.scale = float(scale)
        self.learn_scale = bool(learn_scale)
        super().__init__(**kwargs)


class RelationNetworkConfig(FewShotConfig):
    r"""
    Relation network (Sung et al., 2018, "Learning to Compare: Relation Network for Few-Shot
    Learning"), with an MLP relation module over sentence embeddings.

    Args:
        relation_hidden_sizes (`list[int]`, defaults to `[256]`): widths of the ReLU layers of the
            relation module (the last layer gives one score).
        relation_dropout (`float`, defaults to 0.0): dropout inside the relation module.
        class_aggregation (`str`, defaults to `"sum"`): K-shot class embedding: `"sum"` (the
            paper's element-wise sum) or `"mean"`.
        relation_loss (`str`, defaults to `"mse"`): `"mse"` between sigmoid scores and one-hot
            targets (the paper) or `"ce"` (cross-entropy over the score logits).
        pair_features (`str`, defaults to `"concat"`): what the relation module reads for a
            (query, class) pair: `"concat"` (`[q; c]`, the paper) or `"concat_diff_prod"`
            (`[q; c; |q - c|; q * c]`, the matching features of sentence-pair models such as
            InferSent, Conneau et al., 2017), which learns a comparison from far fewer episodes.
    """

    model_type = "hf_transfer_relation"

    def __init__(
        self,
        relation_hidden_sizes=(256,),
        relation_dropout: float = 0.0,
        class_aggregation: str = "sum",
        relation_loss: str = "mse",
        pair_features: str = "concat",
        **kwargs,
    ):
        sizes = list(relation_hidden_sizes or [])
        for s in sizes:
            _check_positive("relation_hidden_sizes", s)
        if not 0.0 <= relation_dropout < 1.0:
            raise ValueError(f"`relation_dropout` must be in [0, 1), got {relation_dropout!r}")
        _check_choice("class_aggregation", class_aggregation, AGGREGATIONS)
        _check_choice("relation_loss", relation_loss, RELATION_LOSSES)
        _check_choice("pair_features", pair_features, PAIR_FEATURES)
        self.pair_features = pair_features
        self.relation_hidden_sizes = [int(s) for s in sizes]
        self.relation_dropout = float(relation_dropout)
        self.class_aggregation = class_aggregation
        self.relation_loss = relation_loss
        super().__init__(**kwargs)
