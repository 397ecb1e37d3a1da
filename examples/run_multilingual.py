#!/usr/bin/env python
"""Train the adversarial shared-private multilingual model with `Trainer`.

Data: the reference design's TSV (`--dataset seed`: Russian + Spanish customer-service queries,
6 intents) or xSID (`--dataset xsid`: train on some languages' `valid` files, test on every
language's `test` file, so languages held out of training measure zero-shot transfer).
Encoder: a BCNN over a vocabulary of all training languages (`--encoder_type bcnn`) or
multilingual-e5-small (`--encoder_type backbone`; built offline once into
`~/.cache/hf_transfer/multilingual-e5-small` by `../shared/tools/build_multilingual_e5.py`; its
word embeddings (96M of its 118M parameters) are frozen by default). `--task slots` (xSID) trains
the word-level model with the CRF, scored by slot F1 per language.

The run logs the task, adversarial and difference losses and the discriminator's accuracy, and
saves the model, tokenizer, a model card with the measured test metrics, `test_results.json` and
a 2-D projection of shared and private features (`features.png`).

    python examples/run_multilingual.py --output_dir runs/seed_bcnn --variant adversarial_diff
    python examples/run_multilingual.py --dataset xsid --encoder_type backbone --output_dir runs/xsid_e5
    python examples/run_multilingual.py --dataset xsid --task slots --encoder_type backbone --output_dir runs/xsid_slots_e5
    python examples/run_multilingual.py --smoke --output_dir /tmp/smoke   # a few seconds

The flow is `hf_transfer.training.train_multilingual`, the same as `hf-transfer train multilingual`.
"""

import json

from transformers import HfArgumentParser

from hf_transfer.training.multilingual import MultilingualArguments, MultilingualTrainingArguments, train_multilingual


def main(argv=None):
    parser = HfArgumentParser((MultilingualArguments, MultilingualTrainingArguments))
    args, training_args = parser.parse_args_into_dataclasses(args=argv)
    metrics = train_multilingual(args, training_args)
    print(json.dumps(metrics, indent=2))
    return metrics


if __name__ == "__main__":
    main()
