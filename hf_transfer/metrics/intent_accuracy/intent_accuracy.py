"""Intent accuracy: the `evaluate` metric module shipped with hf_transfer (load it offline with
``hf_transfer.metrics.load_metric("intent_accuracy")`` or ``evaluate.load(<this folder>)``)."""

import datasets
import evaluate

from hf_transfer.metrics import base, functional


_DESCRIPTION = """\
Intent accuracy: the fraction of utterances whose predicted intent equals the gold intent
(utterance-level classification accuracy, as reported for joint intent detection and slot filling,
e.g. by JointBERT). Intents are ids (integers) or names (strings). Optionally also the macro F1
over intents (scikit-learn's unweighted mean of per-class F1; a class with no prediction and no
example counts 0), the second figure of the library's sentence-classification runs.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `int` or `str`): predicted intent of each utterance.
    references (`list` of `int` or `str`): gold intent of each utterance.
    macro_f1 (`bool`, defaults to `False`): also return the macro F1.
Returns:
    accuracy (`float`): fraction of utterances with the right intent, in [0, 1].
    macro_f1 (`float`, only with `macro_f1=True`): macro F1 over intents, in [0, 1].
Examples:
    >>> metric = hf_transfer.metrics.load_metric("intent_accuracy")
    >>> metric.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2])
    {'accuracy': 0.75}
"""

_CITATION = """\
@article{chen2019bert,
  title={BERT for Joint Intent Classification and Slot Filling},
  author={Chen, Qian and Zhuo, Zhu and Wang, Wen},
  journal={arXiv preprint arXiv:1902.10909},
  year={2019}
}
"""


def _features(dtype):
    return datasets.Features({"predictions": datasets.Value(dtype), "references": datasets.Value(dtype)})


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class IntentAccuracy(base.MetricModule):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[_features("int64"), _features("string")],
            reference_urls=["https://arxiv.org/abs/1902.10909"],
        )

    def _compute(self, predictions, references, macro_f1=False):
        out = {"accuracy": functional.intent_accuracy(predictions, references)}
        if macro_f1:
            out["macro_f1"] = functional.macro_f1(predictions, references)
        return out
