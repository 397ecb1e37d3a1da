"""Run by `torchrun --nproc_per_node 2` from tests/test_fewshot.py: episodic training of a tiny
BCNN prototypical network with `EpisodicTrainer` on CPU (gloo). Each rank writes the classes of
the episodes it trained on and a checksum of its final weights to <out>/rank<r>.json."""

from __future__ import annotations

import json
import random
import sys

import torch
from datasets import ClassLabel, Dataset, Features, Value
from transformers import TrainingArguments

from hf_transfer.data.episodes import EpisodeSampler
from hf_transfer.data.tokenization import build_bcnn_tokenizer
from hf_transfer.models.fewshot import PrototypicalNetwork, PrototypicalNetworkConfig
from hf_transfer.training.episodic import EpisodicTrainer


def toy_dataset() -> Dataset:
    """8 classes x 10 sentences; class c holds the keyword `kw{c}` among noise words."""
    rng = random.Random(0)
    texts, labels = [], []
    for c in range(8):
        for _ in range(10):
            words = rng.sample([f"n{i}" for i in range(20)], 4)
            words.insert(rng.randrange(5), f"kw{c}")
            texts.append(" ".join(words))
            labels.append(c)
    return Dataset.from_dict({"text": texts, "label": labels}, features=Features({"text": Value("string"), "label": ClassLabel(names=[f"c{i}" for i in range(8)])}))


def main(out_dir: str) -> None:
    torch.set_num_threads(1)
    data = toy_dataset()
    tokenizer = build_bcnn_tokenizer(list(data["text"]))
    args = TrainingArguments(output_dir=out_dir, max_steps=6, learning_rate=5e-3, report_to=[], logging_steps=3, use_cpu=True,
                             disable_tqdm=True, save_strategy="no", seed=0)
    # built after TrainingArguments: the process group exists, so the sampler knows its rank
    sampler = EpisodeSampler(data, n_way=3, n_shot=2, n_query=2, n_episodes=12, seed=7)
    torch.manual_seed(0)
    model = PrototypicalNetwork(PrototypicalNetworkConfig(encoder_type="bcnn", vocab_size=len(tokenizer), embedding_size=8, kernel_sizes=[1], num_filters=4))
    seen = []
    trainer = EpisodicTrainer(model=model, args=args, train_sampler=sampler, processing_class=tokenizer)
    collate = trainer.data_collator

    def spying(episode):
        seen.append(list(episode.class_ids))
        return collate(episode)

    trainer.data_collator = spying
    trainer.train()
    total = sum(float(p.detach().double().sum()) for p in trainer.model.parameters())
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    with open(f"{out_dir}/rank{rank}.json", "w") as f:
        json.dump({"rank": rank, "world": world, "sampler_rank": sampler.rank, "episodes": seen, "checksum": total, "global_step": trainer.state.global_step}, f)


if __name__ == "__main__":
    main(sys.argv[1])
