"""`TransferConfig`: the encoder settings every hf_transfer model family builds on, and the one
vocabulary the families share (renamed settings keep loading under their old names)."""

from __future__ import annotations

from typing import ClassVar

from transformers import AutoConfig, PreTrainedConfig

from .hub_ids import backbone_hub_id


ENCODER_TYPES = ("bcnn", "backbone")


def pop_renamed(kwargs: dict, old: str, value, values: dict | None = None):
    """The value of a renamed setting: `kwargs[old]` (an old `config.json` or old code) when it is
    there, else `value` (the new name's). `values` renames values too (`{"full": "copy"}`).

    Old files may hold an old name beside an unused new one (e.g. multi-task configs saved
    `head_dropout`, which the heads used, and an inherited `classifier_dropout`, which nothing
    read), so the old name wins."""
    if old in kwargs:
        value = kwargs.pop(old)
    if values and isinstance(value, str):
        value = values.get(value, value)
    return value


def _scrub_name_or_path(values: dict) -> None:
    """Replace `values["_name_or_path"]` by its Hub id, or drop it (see `TransferConfig.to_dict`)."""
    if "_name_or_path" in values:
        hub_id = backbone_hub_id(values["_name_or_path"])
        if hub_id:
            values["_name_or_path"] = hub_id
        else:
            del values["_name_or_path"]


class TransferConfig(PreTrainedConfig):
    r"""
    Configuration of an hf_transfer model: which encoder reads the text, and how. Model families
    (multi-task, few-shot, multilingual) subclass it and add their heads' settings; the
    fine-tuning family (`TransferForSequenceClassification`) uses it as it is.

    Args:
        encoder_type (`str`, defaults to `"bcnn"`):
            `"bcnn"` (the reference design's text CNN, trained from scratch or from word vectors)
            or `"backbone"` (a transformer described by `backbone_config`).
        vocab_size (`int`, defaults to 30000): BCNN vocabulary size (the tokenizer's `len()`).
        embedding_size (`int`, defaults to 300): BCNN token embedding width (ALBERT's name for
            it; formerly `embedding_dim`).
        kernel_sizes (`list[int]`, defaults to `[1, 2, 3, 4, 5]`): BCNN convolution widths.
        num_filters (`int`, defaults to 128): BCNN filters per width (640 features per token).
        embedding_dropout (`float`, defaults to 0.0): dropout on BCNN embeddings.
        backbone_config (`dict` or `PreTrainedConfig`, *optional*):
            The transformer's own config, stored inside this one (as `EncoderDecoderConfig` does) so
            that `from_pretrained(saved_dir)` rebuilds the model with no network and no copy of
            the original checkpoint.
        word_pooling (`str`, defaults to `"first"`): sub-word pieces to words: `"first"` or `"mean"`.
        sentence_pooling (`str`, *optional*): `"mean"`, `"max"` or `"cls"`; defaults to `"max"` for
            BCNN (the reference design's max-pool over time) and `"mean"` for backbones.
        input_prefix (`str`, *optional*): text prepended to every input (E5 wants `"query: "`).
        classifier_hidden_size (`int`, *optional*): width of the ReLU layer of classification heads
            (2048 in the reference design); `None` gives a single linear layer.
        classifier_dropout (`float`, defaults to 0.1): dropout of classification heads
            (transformers' name). Families without a classification head (few-shot) drop both.
        initializer_range (`float`, defaults to 0.02): std of the normal init of new layers.

    The same name means the same thing in every family: `embedding_size` (token embeddings),
    `classifier_hidden_size` / `classifier_dropout` (task heads), `private_encoder_type`
    (`"copy"` / `"tower"`), `max_length` (a token budget; `max_words` counts words). Old names
    (`embedding_dim`, `head_hidden_size`, `max_seq_length` ...) still load and read, through
    `attribute_map` and `pop_renamed`.
    """

    model_type = "hf_transfer"
    attribute_map: ClassVar[dict[str, str]] = {"embedding_dim": "embedding_size"}

    def __init__(
        self,
        encoder_type: str = "bcnn",
        vocab_size: int = 30000,
        embedding_size: int = 300,
        kernel_sizes=(1, 2, 3, 4, 5),
        num_filters: int = 128,
        embedding_dropout: float = 0.0,
        backbone_config=None,
        word_pooling: str = "first",
        sentence_pooling: str | None = None,
        input_prefix: str | None = None,
        classifier_hidden_size: int | None = None,
        classifier_dropout: float = 0.1,
        initializer_range: float = 0.02,
        pad_token_id: int | None = 0,
        **kwargs,
    ):
        embedding_size = pop_renamed(kwargs, "embedding_dim", embedding_size)
        if type(self).__module__.startswith("hf_transfer."):
            # the library serves its tasks from PIPELINE_REGISTRY; `custom_pipelines` in config.json is for remote code
            kwargs.pop("custom_pipelines", None)
        if encoder_type not in ENCODER_TYPES:
            raise ValueError(f"encoder_type must be one of {ENCODER_TYPES}, got {encoder_type!r}")
        if isinstance(backbone_config, dict):
            backbone_config = dict(backbone_config)
            model_type = backbone_config.pop("model_type", None)
            if model_type is None:
                raise ValueError("backbone_config (a dict) needs a 'model_type' entry, e.g. 'bert'")
            backbone_config = AutoConfig.for_model(model_type, **backbone_config)
        if encoder_type == "backbone" and backbone_config is None:
            raise ValueError("encoder_type='backbone' needs backbone_config (use Model.from_backbone(path) to fill it)")
        if word_pooling not in ("first", "mean"):
            raise ValueError(f"word_pooling must be 'first' or 'mean', got {word_pooling!r}")
        if sentence_pooling is None:
            sentence_pooling = "max" if encoder_type == "bcnn" else "mean"
        if sentence_pooling not in ("mean", "max", "cls"):
            raise ValueError(f"sentence_pooling must be 'mean', 'max' or 'cls', got {sentence_pooling!r}")
        self.encoder_type = encoder_type
        self.vocab_size = vocab_size
        self.embedding_size = embedding_size
        self.kernel_sizes = list(kernel_sizes)
        self.num_filters = num_filters
        self.embedding_dropout = embedding_dropout
        self.backbone_config = backbone_config
        self.word_pooling = word_pooling
        self.sentence_pooling = sentence_pooling
        self.input_prefix = input_prefix
        self.classifier_hidden_size = classifier_hidden_size
        self.classifier_dropout = classifier_dropout
        self.initializer_range = initializer_range
        super().__init__(pad_token_id=pad_token_id, **kwargs)

    def to_dict(self) -> dict:
        """`PreTrainedConfig.to_dict` with no local path: `_name_or_path` (top level and in
        `backbone_config`) becomes the backbone's Hub id when one is known
        (`hf_transfer.hub_ids.backbone_hub_id`) and is dropped otherwise, so that `config.json` (and
        `to_json_string`) can be published. The attribute itself keeps the path."""
        output = super().to_dict()
        _scrub_name_or_path(output)
        if isinstance(output.get("backbone_config"), dict):
            _scrub_name_or_path(output["backbone_config"])
        return output

    @property
    def encoder_hidden_size(self) -> int:
        """Width of the features the encoder gives each word."""
        if self.encoder_type == "bcnn":
            return self.num_filters * len(self.kernel_sizes)
        bc = self.backbone_config
        return getattr(bc, "hidden_size", None) or getattr(bc, "dim", None) or bc.d_model
