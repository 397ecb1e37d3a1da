"""The base of every hf_transfer model: builds its encoder from the config, initialises new
layers, and loads a pretrained transformer backbone once (`from_backbone`)."""

from __future__ import annotations

from torch import nn
from transformers import AutoModel, PreTrainedModel

from .configuration_utils import TransferConfig
from .encoders.backbone import BackboneEncoder
from .encoders.bcnn import BCNN


def build_encoder(config: TransferConfig, embeddings: nn.Embedding | None = None) -> nn.Module:
    """A fresh encoder as `config` describes it (`BCNN` or `BackboneEncoder`).

    `embeddings` shares one BCNN embedding between several towers (the reference design's
    shared-private model)."""
    if config.encoder_type == "bcnn":
        return BCNN(
            vocab_size=config.vocab_size,
            embedding_size=config.embedding_size,
            kernel_sizes=config.kernel_sizes,
            num_filters=config.num_filters,
            dropout=config.embedding_dropout,
            pad_token_id=config.pad_token_id if config.pad_token_id is not None else 0,
            word_pooling=config.word_pooling,
            sentence_pooling=config.sentence_pooling,
            embeddings=embeddings,
        )
    return BackboneEncoder(config.backbone_config, word_pooling=config.word_pooling, sentence_pooling=config.sentence_pooling)


class TransferPreTrainedModel(PreTrainedModel):
    """Weight init, the Auto-class plumbing and `from_backbone` for all hf_transfer models."""

    config_class = TransferConfig
    config: TransferConfig
    base_model_prefix = "transfer"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = False
    _supports_sdpa = True

    def _init_weights(self, module):
        if isinstance(module, nn.Conv1d):
            module.reset_parameters()  # PyTorch's (Kaiming uniform) init, as the reference CNN used
        else:
            super()._init_weights(module)

    def backbone_encoders(self) -> list[BackboneEncoder]:
        """Every transformer backbone inside this model (shared and private copies)."""
        return [m for m in self.modules() if isinstance(m, BackboneEncoder)]

    @classmethod
    def from_backbone(cls, backbone, **config_kwargs):
        """Build this model over a pretrained transformer and copy its weights into every backbone
        encoder of the model (a shared-private model with three copies gets three).

        Args:
            backbone: a local directory, a Hub id, or a loaded `PreTrainedModel`.
            config_kwargs: the other settings of `cls.config_class` (`num_labels`, `id2label` ...).
        """
        if isinstance(backbone, PreTrainedModel):
            pretrained = backbone
        else:
            pretrained = AutoModel.from_pretrained(backbone)
        backbone_config = pretrained.config
        config = cls.config_class(encoder_type="backbone", backbone_config=backbone_config, **config_kwargs)
        model = cls(config)
        state = pretrained.state_dict()
        encoders = model.backbone_encoders()
        if not encoders:
            raise ValueError(f"{cls.__name__} built from config {config_kwargs} has no backbone encoder to load weights into")
        for encoder in encoders:
            missing, _unexpected = encoder.model.load_state_dict(state, strict=False)
            missing = [k for k in missing if not k.endswith("position_ids")]
            if missing:
                raise ValueError(f"backbone {getattr(backbone_config, '_name_or_path', '')!r} lacks weights for {missing[:5]}")
        model.config.name_or_path = getattr(backbone_config, "_name_or_path", "")
        return model
