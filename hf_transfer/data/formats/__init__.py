"""Readers that turn the common intent / slot / sentence-classification formats into
``datasets.DatasetDict`` objects with one schema (see :mod:`hf_transfer.data.schema`), one
module per file format:

=====================  ==================================================================
module                 reader
=====================  ==================================================================
:mod:`.jointbert`      :func:`load_jointbert` (``{split}/seq.in``, ``seq.out``, ``label``),
                       :func:`read_label_file`
:mod:`.conll`          :func:`load_conll_intents` (xSID CoNLL with ``# intent`` comments)
:mod:`.seed_ner`       :func:`load_seed_ner` (``{prefix}.{split}.source.txt`` / ``.target.txt``)
:mod:`.massive`        :func:`load_massive` (jsonl), :func:`parse_annotated_utterance`
:mod:`.tsv`            :func:`load_multilingual_tsv` (``label<TAB>text<TAB>lang``)
:mod:`.clinc150`       :func:`load_clinc150` (``data_full.json``)
:mod:`.hub`            :func:`load_hub_dataset` (csv/json/parquet files, Hub ids)
:mod:`.common`         what they share; :func:`align_label_sets`
=====================  ==================================================================

Every reader:

* names splits the Hugging Face way (``dev``/``valid``/``val`` -> ``validation``; see
  :data:`~hf_transfer.data.schema.SPLIT_ALIASES` for the mapping);
* stores labels as ``ClassLabel`` features, so their names travel into ``config.id2label``;
* by default maps labels that the reference split (``train``) never shows to an explicit
  ``UNK`` label (slot tags to ``B-UNK``/``I-UNK``) with one :class:`DataWarning` that counts
  them: a classifier cannot predict a class it was never trained on, and a label space that
  depends on the test split leaks test information into the model head. This mirrors
  JointBERT (Chen et al., 2019), whose vocabularies come from train and map the rest to
  ``UNK``. Pass ``unseen_labels="keep"`` to keep every label, or ``"error"`` to refuse;
* raises ``ValueError`` naming the file and line (or row) at fault for malformed input, and
  skips empty utterances with a warning.

:func:`hf_transfer.data.load_dataset` picks the reader for a built-in name or a path.
"""

from .clinc150 import load_clinc150
from .common import align_label_sets
from .conll import load_conll_intents
from .hub import load_hub_dataset
from .jointbert import load_jointbert, read_label_file
from .massive import load_massive, parse_annotated_utterance
from .seed_ner import load_seed_ner
from .tsv import load_multilingual_tsv


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
]
