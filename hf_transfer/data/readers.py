"""Compatibility module: the readers now live in :mod:`hf_transfer.data.formats`, one module per
file format; :func:`hf_transfer.data.load_dataset` picks one by name or path. Existing imports
(``from hf_transfer.data.readers import load_jointbert``) keep working."""

from .formats import (
    align_label_sets,
    load_clinc150,
    load_conll_intents,
    load_hub_dataset,
    load_jointbert,
    load_massive,
    load_multilingual_tsv,
    load_seed_ner,
    parse_annotated_utterance,
    read_label_file,
)
from .schema import validate_bio


__all__ = [
    "align_label_sets",
    "load_clinc150",
    "load_conll_intents",
    "load_hub_dataset",
    "load_jointbert",
    "load_massive",
    "load_multilingual_tsv",
    "load_seed_ner",
    "parse_annotated_utterance",
    "read_label_file",
    "validate_bio",
]
