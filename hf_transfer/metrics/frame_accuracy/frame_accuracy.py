"""Exact frame accuracy: the `evaluate` metric module shipped with hf_transfer (load it offline with
``hf_transfer.metrics.load_metric("frame_accuracy")`` or ``evaluate.load(<this folder>)``)."""

import datasets
import evaluate

from hf_transfer.metrics import base, functional


_DESCRIPTION = """\
Exact frame (sentence) accuracy: the fraction of utterances whose semantic frame is entirely right,
i.e. the intent and every slot tag (Goo et al., 2018). Each prediction / reference is a frame
`{"intent": id or name, "tags": [tag, ...]}`, or just the list of tags for a tagger without
intents (then: the fraction of sentences with every tag right).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `dict` or of `list` of `str`): predicted frame of each utterance,
        `{"intent": int or str, "tags": list of str}`, or its tags alone.
    references (same type as `predictions`): gold frame of each utterance.
Returns:
    accuracy (`float`): fraction of utterances with the whole frame right, in [0, 1].
Examples:
    >>> metric = hf_transfer.metrics.load_metric("frame_accuracy")
    >>> metric.compute(predictions=[{"intent": "fare", "tags": ["O", "B-city"]}],
    ...                references=[{"intent": "flight", "tags": ["O", "B-city"]}])
    {'accuracy': 0.0}
"""

_CITATION = """\
@inproceedings{goo2018slot,
  title={Slot-Gated Modeling for Joint Slot Filling and Intent Prediction},
  author={Goo, Chih-Wen and Gao, Guang and Hsu, Yun-Kai and Huo, Chih-Li and Chen, Tsung-Chieh and Hsu, Keng-Wei and Chen, Yun-Nung},
  booktitle={Proceedings of the 2018 Conference of the North American Chapter of the Association for Computational Linguistics: Human Language Technologies},
  year={2018}
}
"""

_TAGS = datasets.Sequence(datasets.Value("string"))


def _features(frame):
    return datasets.Features({"predictions": frame, "references": frame})


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class FrameAccuracy(base.MetricModule):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # frames with intent ids, frames with intent names, tags alone (the first option
            # whose types fit the first example is taken)
            features=[
                _features({"intent": datasets.Value("int64"), "tags": _TAGS}),
                _features({"intent": datasets.Value("string"), "tags": _TAGS}),
                _features(_TAGS),
            ],
            reference_urls=["https://aclanthology.org/N18-2118/"],
        )

    def _compute(self, predictions, references):
        if predictions and isinstance(predictions[0], dict):
            return {
                "accuracy": functional.frame_accuracy(
                    [p["intent"] for p in predictions],
                    [r["intent"] for r in references],
                    [p["tags"] for p in predictions],
                    [r["tags"] for r in references],
                )
            }
        return {"accuracy": functional.frame_accuracy(None, None, predictions, references)}
