"""Few-shot episode accuracy with its 95% confidence interval: the `evaluate` metric module shipped
with hf_transfer (load it offline with ``hf_transfer.metrics.load_metric("episode_accuracy")`` or
``evaluate.load(<this folder>)``)."""

import datasets
import evaluate

from hf_transfer.metrics import base, functional


_DESCRIPTION = """\
Few-shot episode accuracy: each prediction / reference is one episode's query labels; the score is
the mean over episodes of the query accuracy, with the half-width of its 95% confidence interval
`1.96 * std / sqrt(n_episodes)` (population std, ddof=0), the convention of the few-shot literature
(e.g. Chen et al., 2019, "A Closer Look at Few-shot Classification"), so figures compare with
published `mean +- ci95` numbers. One episode gives a half-width of 0.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `int` or `str`): predicted label of each query, per episode.
    references (`list` of `list` of `int` or `str`): gold label of each query, per episode.
Returns:
    accuracy (`float`): mean query accuracy over the episodes, in [0, 1].
    ci95 (`float`): half-width of its 95% confidence interval.
    accuracies (`list` of `float`): the query accuracy of each episode.
Examples:
    >>> metric = hf_transfer.metrics.load_metric("episode_accuracy")
    >>> metric.compute(predictions=[[0, 1], [1, 1]], references=[[0, 1], [0, 1]])
    {'accuracy': 0.75, 'ci95': 0.3464823227814083, 'accuracies': [1.0, 0.5]}
"""

_CITATION = """\
@inproceedings{chen2019closer,
  title={A Closer Look at Few-shot Classification},
  author={Chen, Wei-Yu and Liu, Yen-Cheng and Kira, Zsolt and Wang, Yu-Chiang Frank and Huang, Jia-Bin},
  booktitle={International Conference on Learning Representations},
  year={2019}
}
"""


def _features(dtype):
    labels = datasets.Sequence(datasets.Value(dtype))
    return datasets.Features({"predictions": labels, "references": labels})


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EpisodeAccuracy(base.MetricModule):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # names first: `datasets` lets a list of strings pass as a list of int64 when it picks the option
            features=[_features("string"), _features("int64")],
            reference_urls=["https://openreview.net/forum?id=HkxLXnAcFQ"],
        )

    def _compute(self, predictions, references):
        accuracies = functional.episode_accuracies(predictions, references)
        mean, half_width = functional.mean_confidence_interval(accuracies)
        return {"accuracy": mean, "ci95": half_width, "accuracies": accuracies}
