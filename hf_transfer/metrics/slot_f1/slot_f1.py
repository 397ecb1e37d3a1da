"""Slot F1 (seqeval, entity level): the `evaluate` metric module shipped with hf_transfer (load it
offline with ``hf_transfer.metrics.load_metric("slot_f1")`` or ``evaluate.load(<this folder>)``)."""

import datasets
import evaluate

from hf_transfer.metrics import functional


_DESCRIPTION = """\
Slot F1: entity-level micro precision, recall and F1 of BIO / BIOES slot tag sequences, computed
with seqeval (the metric of JointBERT and of most joint intent detection / slot filling papers).
A slot counts as right only when its type and its whole span match. The default mode is
conlleval's lenient chunking (an `I-` tag after `O` starts an entity); `mode="strict"` with a
`scheme` (seqeval's `IOB2`, `IOE2`, `IOBES`, `BILOU`, ... class or its name) matches strictly.
Sequences without any entity give 0 (`zero_division=0`).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `str`): predicted tags of each utterance.
    references (`list` of `list` of `str`): gold tags of each utterance (same lengths).
    mode (`str`, *optional*): `None` (conlleval-compatible default) or `"strict"`.
    scheme (seqeval scheme class or its name, *optional*): the tagging scheme for strict mode.
Returns:
    precision (`float`), recall (`float`), f1 (`float`): entity-level micro scores in [0, 1].
Examples:
    >>> metric = hf_transfer.metrics.load_metric("slot_f1")
    >>> metric.compute(predictions=[["B-city", "O"]], references=[["B-city", "O"]])
    {'precision': 1.0, 'recall': 1.0, 'f1': 1.0}
"""

_CITATION = """\
@misc{seqeval,
  title={{seqeval}: A Python framework for sequence labeling evaluation},
  url={https://github.com/chakki-works/seqeval},
  note={Software available from https://github.com/chakki-works/seqeval},
  author={Hiroki Nakayama},
  year={2018},
}
@article{chen2019bert,
  title={BERT for Joint Intent Classification and Slot Filling},
  author={Chen, Qian and Zhuo, Zhu and Wang, Wen},
  journal={arXiv preprint arXiv:1902.10909},
  year={2019}
}
"""

_TAGS = datasets.Sequence(datasets.Value("string"))


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SlotF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": _TAGS, "references": _TAGS}),
            homepage="https://github.com/chakki-works/seqeval",
            codebase_urls=["https://github.com/chakki-works/seqeval"],
            reference_urls=["https://www.clips.uantwerpen.be/conll2000/chunking/conlleval.txt"],
        )

    def _compute(self, predictions, references, mode=None, scheme=None):
        p, r, f = functional.slot_precision_recall_f1(predictions, references, mode=mode, scheme=scheme)
        return {"precision": p, "recall": r, "f1": f}
