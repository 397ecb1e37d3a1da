"""Register every hf_transfer config and model with the `transformers` Auto classes, so that
`AutoConfig` / `AutoModel*.from_pretrained(saved_dir)` rebuild them."""

from __future__ import annotations

from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

_done = False


def _pairs():
    from .models.transfer import TransferConfig, TransferForSequenceClassification, TransferModel

    yield TransferConfig, [(AutoModel, TransferModel), (AutoModelForSequenceClassification, TransferForSequenceClassification)]


def register_auto_classes() -> None:
    global _done
    if _done:
        return
    for config_class, models in _pairs():
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        for auto_class, model_class in models:
            auto_class.register(config_class, model_class, exist_ok=True)
    _done = True
