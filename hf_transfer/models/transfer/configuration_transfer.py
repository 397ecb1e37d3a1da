"""The fine-tuning family's configuration is the shared base `TransferConfig`
(`hf_transfer.configuration_utils`); re-exported here for code that imported it from this module."""

from ...configuration_utils import ENCODER_TYPES, TransferConfig


__all__ = ["ENCODER_TYPES", "TransferConfig"]
