#!/usr/bin/env python
"""Train a few-shot intent classifier episodically on the base classes of a data set, keep the
checkpoint best on validation classes, evaluate on novel classes (C-way K-shot episodes, the
protocol of BENCHMARKS.md for CLINC150), store a support set of the novel classes in the model,
and save it with its tokenizer, results and a model card holding the measured figures.

    python examples/run_fewshot.py --method protonet --dataset clinc150 --output_dir runs/protonet \
        --distance cosine --train_n_way 20 --train_episodes 400 --learning_rate 2e-5

    # any CSV / JSON / Hub data set with a text and a label column, a BCNN from scratch
    python examples/run_fewshot.py --method relation --dataset my.csv --text_column utterance \
        --label_column intent --encoder_type bcnn --output_dir runs/rel

    python examples/run_fewshot.py --smoke --output_dir /tmp/fewshot-smoke   # seconds

The flow is `hf_transfer.training.train_fewshot`, the same as `hf-transfer train fewshot`.
"""

import json

from transformers import HfArgumentParser, TrainingArguments

from hf_transfer.training.fewshot import FewShotArguments, train_fewshot


def main(argv=None):
    parser = HfArgumentParser((FewShotArguments, TrainingArguments))
    args, training_args = parser.parse_args_into_dataclasses(args=argv)
    metrics = train_fewshot(args, training_args)
    print(json.dumps(metrics, indent=2))
    return metrics


if __name__ == "__main__":
    main()
