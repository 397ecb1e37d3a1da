"""Training helpers on top of `transformers.Trainer`: adversarial (min-max) and episodic training.
Import them from their modules: `hf_transfer.training.adversarial`, `hf_transfer.training.episodic`."""
