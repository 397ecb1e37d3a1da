#!/usr/bin/env python
"""Train the shared-private intent + slot model (`SharedPrivateForIntentAndSlotFilling`) with
`transformers.Trainer`, evaluate it on the validation and test splits, and save model,
tokenizer, results and a model card holding the run's measured metrics.

    # smoke run: BCNN from scratch on a few SNIPS utterances (seconds)
    python examples/run_multitask.py --dataset snips --encoder_type bcnn --smoke --output_dir /tmp/mt-smoke

    # the offline MiniLM backbone (default when installed), three transformer copies
    python examples/run_multitask.py --dataset snips --num_train_epochs 3 \
        --per_device_train_batch_size 32 --output_dir runs/snips-minilm

    # one MiniLM + light BCNN private towers; no CRF; ATIS
    python examples/run_multitask.py --dataset atis --private_encoder_type tower --no_use_crf \
        --output_dir runs/atis-minilm-towers

    # slots only (the reference design's Chinese NER data, no intents), xSID German
    python examples/run_multitask.py --dataset seed_ner --encoder_type bcnn --output_dir runs/seed-ner
    python examples/run_multitask.py --dataset xsid:de --output_dir runs/xsid-de

`--dataset` takes a built-in name (`snips`, `atis`, `xsid:<lang>`, `seed_ner`) or a path / Hub id
(see `hf_transfer.load_dataset`). The flow is `hf_transfer.training.train_multitask`, the same
as `hf-transfer train multitask`; every other option is a `TrainingArguments` flag.
"""

import json

from transformers import HfArgumentParser, TrainingArguments

from hf_transfer.training.multitask import MultitaskArguments, train_multitask


def main(argv=None):
    parser = HfArgumentParser((MultitaskArguments, TrainingArguments))
    args, training_args = parser.parse_args_into_dataclasses(args=argv)
    metrics = train_multitask(args, training_args)
    print(json.dumps(metrics, indent=2))
    return metrics


if __name__ == "__main__":
    main()
