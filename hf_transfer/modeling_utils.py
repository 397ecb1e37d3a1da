"""The base of every hf_transfer model: builds its encoder from the config, initialises new
layers, loads a pretrained transformer backbone once (`from_backbone`), and refuses to load a
saved model of another `model_type` (`from_pretrained`)."""

from __future__ import annotations

import os

from torch import nn
from transformers import AutoModel, PreTrainedConfig, PreTrainedModel

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

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """`PreTrainedModel.from_pretrained`, but a saved model of another `model_type` (a plain
        `bert` directory, or another hf_transfer family) is a `ValueError` naming both types,
        not a randomly initialised model with a load report: start from a pretrained
        transformer with `from_backbone(path, ...)`, and load another family with its own class
        (or `AutoModel`). A `config=` of this class's config class is used as it is."""
        cls._check_saved_model_type(pretrained_model_name_or_path, kwargs)
        return super().from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)

    @classmethod
    def _check_saved_model_type(cls, path, kwargs: dict) -> None:
        expected = getattr(cls.config_class, "model_type", None)
        config = kwargs.get("config")
        if isinstance(config, PreTrainedConfig):
            if not isinstance(config, cls.config_class) and getattr(config, "model_type", None) != expected:
                raise ValueError(
                    f"{cls.__name__}.from_pretrained: `config` is a {type(config).__name__} (model_type {config.model_type!r}), "
                    f"expected a {cls.config_class.__name__} (model_type {expected!r})"
                )
            return
        source = config if config is not None else path
        if source is None or not expected:
            return
        download = {k: kwargs[k] for k in ("cache_dir", "force_download", "local_files_only", "token", "revision", "subfolder", "proxies") if k in kwargs}
        try:
            config_dict, _ = PreTrainedConfig.get_config_dict(source, **download)
        except Exception:  # no config there: `PreTrainedModel.from_pretrained` says so in its own words
            return
        saved = config_dict.get("model_type")
        if not saved or saved == expected:
            return
        where = f"{os.fspath(source)!r}" if isinstance(source, (str, os.PathLike)) else repr(source)
        if saved.startswith("hf_transfer"):
            architectures = [a for a in config_dict.get("architectures") or [] if isinstance(a, str)]
            other = architectures[0] if architectures else "its own class"
            fix = f"load it with {other}.from_pretrained({where}), AutoModel.from_pretrained or hf_transfer.inference.load_model"
        else:
            fix = (
                f"to start from this pretrained {saved} transformer, use {cls.__name__}.from_backbone({where}, ...) "
                "(its weights go into every backbone encoder of the model)"
            )
        raise ValueError(
            f"{where} holds a saved model of type {saved!r} (config.json model_type), but {cls.__name__} loads "
            f"model_type {expected!r}: {fix}."
        )

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

    def save_pretrained(self, save_directory, *args, **kwargs):
        """`PreTrainedModel.save_pretrained`, plus the model's remote code (`modeling_hf_transfer.py`
        and `auto_map`, see `hf_transfer.remote_code`), so every save loads with
        `trust_remote_code=True` where hf_transfer is not installed."""
        super().save_pretrained(save_directory, *args, **kwargs)
        if kwargs.get("is_main_process", True) and type(self).__module__.startswith("hf_transfer."):  # not from remote code itself
            from .remote_code import save_remote_code

            save_remote_code(self, save_directory)

    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        commit_description: str | None = None,
        private: bool | None = None,
        token: bool | str | None = None,
        revision: str | None = None,
        create_pr: bool = False,
        max_shard_size: int | str | None = "50GB",
        tags: list[str] | None = None,
        card=None,
        tokenizer=None,
    ):
        """Upload this model through `hf_transfer.hub.push`: config, safetensors, tokenizer and the
        library's model card, nothing else, and no local path (transformers' own `push_to_hub`
        would upload its generic card).

        The card is `card` (a path, the text or a `huggingface_hub.ModelCard`), else the one saved
        with the model in the directory it was loaded from (`from_pretrained(dir)`), else one made
        from the config (no figures). The tokenizer is `tokenizer`, else the one the model holds
        (few-shot models: `set_tokenizer`), else the one saved in that directory.
        Returns the `CommitInfo` of the upload.
        """
        import shutil
        import tempfile
        from pathlib import Path

        from . import hub

        source = hub.saved_model_dir(self)
        with tempfile.TemporaryDirectory(prefix="hf_transfer-save-") as tmp:
            self.save_pretrained(tmp, max_shard_size=max_shard_size)
            tokenizer = tokenizer if tokenizer is not None else getattr(self, "_tokenizer", None)
            if tokenizer is not None:
                tokenizer.save_pretrained(tmp)
            elif source is not None:
                for file in Path(source).iterdir():
                    if hub.is_tokenizer_file(file.name):
                        shutil.copyfile(file, Path(tmp) / file.name)
            if card is None and source is not None and hub.is_library_card(Path(source) / "README.md"):
                card = Path(source) / "README.md"
            return hub.push(tmp, repo_id, token=token, private=private, commit_message=commit_message, commit_description=commit_description,
                            revision=revision, create_pr=create_pr, card=card, tags=tags, check_paths=[source] if source else [])
