"""Register hf_transfer configs and models with the `transformers` Auto classes, so that
`AutoConfig` / `AutoModel*.from_pretrained(saved_dir)` rebuild them. Each model family calls
`register` for its own classes when it is imported."""

from __future__ import annotations

from transformers import AutoConfig


def register(config_class, *models) -> None:
    """`register(MyConfig, (AutoModel, MyModel), (AutoModelForSequenceClassification, MyHead))`."""
    AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
    for auto_class, model_class in models:
        auto_class.register(config_class, model_class, exist_ok=True)
