"""Data: readers into one schema (one module per format in :mod:`.formats`; :func:`load_dataset` picks one
by built-in name or path), BCNN tokenizers, word-level tokenization, few-shot episodes."""

from .collators import DataCollatorForWordLevel, require_columns
from .episodes import (
    Episode,
    EpisodeCollator,
    EpisodeDataset,
    EpisodeSampler,
    filter_classes,
    sample_few_shot,
    split_classes,
)
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
from .registry import BUILTIN_DATASETS, data_dir, load_dataset
from .sample import load_sample, write_sample
from .schema import (
    SPLIT_ALIASES,
    UNK,
    DataWarning,
    canonical_split,
    classification_features,
    joint_features,
    validate_bio,
)
from .tokenization import build_bcnn_tokenizer, tokenize_words


__all__ = [
    "BUILTIN_DATASETS",
    "DataCollatorForWordLevel",
    "require_columns",
    "DataWarning",
    "Episode",
    "EpisodeCollator",
    "EpisodeDataset",
    "EpisodeSampler",
    "SPLIT_ALIASES",
    "UNK",
    "align_label_sets",
    "build_bcnn_tokenizer",
    "canonical_split",
    "classification_features",
    "data_dir",
    "filter_classes",
    "joint_features",
    "load_clinc150",
    "load_conll_intents",
    "load_dataset",
    "load_hub_dataset",
    "load_jointbert",
    "load_massive",
    "load_multilingual_tsv",
    "load_sample",
    "load_seed_ner",
    "parse_annotated_utterance",
    "read_label_file",
    "sample_few_shot",
    "split_classes",
    "tokenize_words",
    "validate_bio",
    "write_sample",
]
