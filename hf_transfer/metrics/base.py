"""The common base of the `evaluate` metric modules shipped in this package.

Each module is a script `hf_transfer/metrics/<name>/<name>.py` that `evaluate.load` copies into its
modules cache (``HF_MODULES_CACHE``) and imports from there, so a script cannot import its
neighbours relatively; it imports this module and `hf_transfer.metrics.functional` absolutely
(``from hf_transfer.metrics import base, functional``), which `evaluate` accepts as an installed
library. Subclass `base.MetricModule` through the module attribute, never ``from ... import
MetricModule``: `evaluate` takes the first `EvaluationModule` class it finds in the script's
namespace as the metric.
"""

from __future__ import annotations

import evaluate


__all__ = ["MetricModule"]


class MetricModule(evaluate.Metric):
    """`evaluate.Metric` whose empty inputs reach `_compute` (which says "no examples").

    With several feature options (ids or names), `evaluate` picks one from the first example
    and fails on an empty batch with an `IndexError`; here an empty batch takes the first option.
    """

    def _infer_feature_from_batch(self, batch):
        if not isinstance(self.features, list) or any(len(column) for column in batch.values()):
            return super()._infer_feature_from_batch(batch)
        return self.features[0]
