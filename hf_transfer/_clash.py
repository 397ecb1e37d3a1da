"""Detect Hugging Face's deprecated download accelerator, also installed as a top-level
`hf_transfer` package, beside this library (distribution `hf-transfer-learning`)."""

from __future__ import annotations

import importlib.metadata
import warnings


OTHER_DISTRIBUTION = "hf-transfer"
_warned = False


class DistributionClashWarning(UserWarning):
    """Two installed distributions provide the same top-level `hf_transfer` package."""


def find_clashing_distribution():
    """The installed `hf-transfer` distribution (Hugging Face's download accelerator), or None."""
    try:
        dist = importlib.metadata.distribution(OTHER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    name = (dist.metadata["Name"] or "").lower().replace("_", "-")
    return dist if name == OTHER_DISTRIBUTION else None


def check_distribution_clash() -> bool:
    """Warn once when `hf-transfer` is installed too. Returns whether it is."""
    global _warned
    dist = find_clashing_distribution()
    if dist is None:
        return False
    if not _warned:
        _warned = True
        warnings.warn(
            f"Both 'hf-transfer-learning' (this library) and Hugging Face's download accelerator "
            f"'hf-transfer' {dist.version} are installed. Both install a top-level 'hf_transfer' folder: "
            "whichever was installed last has overwritten the other's files, and uninstalling one deletes "
            "the other's too (and huggingface_hub imports 'hf_transfer' when HF_HUB_ENABLE_HF_TRANSFER=1). "
            "Fix: `pip uninstall -y hf-transfer hf-transfer-learning && pip install hf-transfer-learning`, "
            "unset HF_HUB_ENABLE_HF_TRANSFER, or keep the two in separate virtual environments.",
            DistributionClashWarning,
            stacklevel=3,
        )
    return True
