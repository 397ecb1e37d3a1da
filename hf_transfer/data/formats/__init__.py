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

What each reader does with input that is not quite right (``tests/README.md`` lists the test of
each case):

* bytes that are not UTF-8: ``ValueError`` naming the file, the line and the byte offset
  ("expected UTF-8 text"); a UTF-8 BOM is accepted everywhere (CLINC150's JSON included);
* a data file with no utterance (empty, or only blank / skipped lines): ``ValueError`` naming
  the file ("no utterances"), instead of a 0-row split or a language that silently disappears;
* Unicode line / paragraph separators inside a line or a token (U+2028, U+2029, U+0085, and
  the ASCII ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1f``; see :data:`.common.SEPARATORS`): replaced by a
  space, with one :class:`DataWarning` per file that counts them and names the lines.
  ``str.split()`` (whitespace-split files, the collator, inference) and the tokenizers then
  read them alike: as a space. In a token-level file (CoNLL) the token keeps its one tag, as
  a token with a plain space would;
* ``I-x`` with no ``B-x``/``I-x`` of the same type before it: read as ``B-x`` (a chunk starts
  there, as conlleval and seqeval read it) and stored so, with one :class:`DataWarning` per
  file that counts them and names the lines. Stored tags are otherwise exactly as read; a
  CRF constrained to BIO could not even score the unrepaired sequence;
* a CoNLL sentence not closed by a blank line (a comment line, or a token index that does not
  increase, after token rows): split there, with one :class:`DataWarning` per file naming
  the lines, since a comment line can only open a sentence;
* a csv row or JSON line that ``datasets.load_dataset`` fails on (:func:`load_hub_dataset`):
  the local files are read to find it, and a ``ValueError`` names the file and the line.

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
