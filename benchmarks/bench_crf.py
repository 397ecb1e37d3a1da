"""CRF speed against pytorch-crf: likelihood forward+backward and Viterbi decoding.

Batch 64, up to 50 words (lengths drawn from 20-50, masked), 122 tags (the ATIS slot tag
count), torch's default thread count. pytorch-crf and `hf_transfer.layers.crf.CRF` share the
same parameters and inputs and are timed interleaved in one run; speed-ups are medians of the
per-repeat ratios. The same run checks the values: the largest relative likelihood difference
and the share of decoded paths equal to pytorch-crf's.

Decoding prunes predecessors that cannot win (exact, see `CRF._max_plus`), which pays most
when emissions are peaked relative to the spread of the transition scores. The main figures
use pytorch-crf's initialisation (transitions in U(-0.1, 0.1)); the
`crf.decode_speedup_wide_transitions` record repeats the decode timing with N(0, 1)
transitions, where little can be pruned (close to the worst case).

Run from the repository root: ``python -m benchmarks.bench_crf``.

`--sweep` adds `crf.sweep.{nll,decode}_speedup.len{L}.tags{T}` over sequence lengths and tag
counts (`--lengths`, `--tags`, `--batch`; lengths drawn from 40-100% of L), and `--slot_model DIR`
repeats the comparison on a trained slot model's real emissions and transitions
(`crf.real.<name>.*`): both CRFs get the model's transitions with its decoding constraints
added, so they decode the same paths. `python -m benchmarks` runs both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torchcrf

from benchmarks.common import record, write_results
from hf_transfer.layers.crf import CRF


def _inputs(batch, length, num_tags, seed, min_length=20):
    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, length, num_tags, generator=g)
    tags = torch.randint(0, num_tags, (batch, length), generator=g)
    lengths = torch.randint(min(min_length, length), length + 1, (batch,), generator=g)
    lengths[0] = length
    mask = torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)
    return emissions, tags, mask


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _nll_step(crf, emissions, tags, mask):
    def step():
        crf.zero_grad(set_to_none=True)
        em = emissions.detach().requires_grad_()
        (-crf(em, tags, mask, reduction="mean")).backward()

    return step


def _decode_step(crf, emissions, mask):
    def step():
        with torch.no_grad():
            crf.decode(emissions, mask)

    return step


def _interleaved(pairs, repeats):
    """Time each (reference, ours) pair alternately; returns per-pair lists of ms."""
    times = {name: ([], []) for name in pairs}
    for name, (ref, ours) in pairs.items():  # warm-up
        ref(), ours()
    for i in range(repeats):
        for name, (ref, ours) in pairs.items():
            order = (ref, ours) if i % 2 == 0 else (ours, ref)
            t = {fn: _ms(fn) for fn in order}
            times[name][0].append(t[ref])
            times[name][1].append(t[ours])
    return times


def _pair(num_tags, state=None):
    """pytorch-crf's CRF and ours with the same parameters (pytorch-crf's init, or `state`)."""
    ref = torchcrf.CRF(num_tags, batch_first=True)
    if state is not None:
        ref.load_state_dict(state)
    ours = CRF(num_tags)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def sweep(lengths=(10, 25, 50, 100), tag_counts=(20, 60, 122), batch=64, repeats=5, seed=0) -> list[dict]:
    """Likelihood (forward + backward) and decoding time of pytorch-crf and ours over sequence
    lengths and tag counts, on random N(0, 1) emissions, pytorch-crf's initialisation; per
    (length, tags) cell one record per operation: the median per-repeat speed-up, with both
    median times in its settings."""
    records = []
    for num_tags in tag_counts:
        for length in lengths:
            torch.manual_seed(seed)
            ref, ours = _pair(num_tags)
            emissions, tags, mask = _inputs(batch, length, num_tags, seed, min_length=max(1, (2 * length) // 5))
            times = _interleaved(
                {
                    "nll": (_nll_step(ref, emissions, tags, mask), _nll_step(ours, emissions, tags, mask)),
                    "decode": (_decode_step(ref, emissions, mask), _decode_step(ours, emissions, mask)),
                },
                repeats,
            )
            with torch.no_grad():
                equal = 100.0 * sum(a == b for a, b in zip(ref.decode(emissions, mask), ours.decode(emissions, mask))) / batch
            for op in ("nll", "decode"):
                ref_ms, ours_ms = times[op]
                settings = {
                    "batch": batch, "length": length, "lengths": "uniform 40-100% of length", "num_tags": num_tags, "repeats": repeats,
                    "seed": seed, "threads": torch.get_num_threads(), "emissions": "N(0, 1)", "transitions": "pytorch-crf init U(-0.1, 0.1)",
                    "torchcrf_ms": round(statistics.median(ref_ms), 3), "ours_ms": round(statistics.median(ours_ms), 3),
                    "decode_paths_equal": equal, "reference": f"pytorch-crf {torchcrf.__version__}",
                    "load_average_1min": round(os.getloadavg()[0], 2),
                }
                speedup = statistics.median(r / o for r, o in zip(ref_ms, ours_ms))
                records.append(record(f"crf.sweep.{op}_speedup.len{length}.tags{num_tags}", speedup, "x", "higher", settings))
    return records


def real_emissions_records(name, emissions, mask, tags, state, repeats=5, source=None) -> list[dict]:
    """pytorch-crf against ours on real `emissions` `[batch, words, tags]` (a word `mask` whose
    first column is on, gold `tags`) and a trained CRF's `state` (`start_transitions`,
    `end_transitions`, `transitions`, decoding constraints already added)."""
    num_tags = emissions.shape[-1]
    ref, ours = _pair(num_tags, state)
    times = _interleaved(
        {
            "nll": (_nll_step(ref, emissions, tags, mask), _nll_step(ours, emissions, tags, mask)),
            "decode": (_decode_step(ref, emissions, mask), _decode_step(ours, emissions, mask)),
        },
        repeats,
    )
    with torch.no_grad():
        equal = 100.0 * sum(a == b for a, b in zip(ref.decode(emissions, mask), ours.decode(emissions, mask))) / emissions.shape[0]
        probs = emissions.softmax(-1).amax(-1)[mask]
    trans = state["transitions"]
    allowed = trans > -1e3
    settings = {
        **(source or {}), "batch": int(emissions.shape[0]), "max_words": int(emissions.shape[1]), "num_tags": num_tags, "repeats": repeats,
        "threads": torch.get_num_threads(), "mean_max_softmax_of_emissions": round(float(probs.mean()), 4),
        "allowed_transitions_share": round(float(allowed.float().mean()), 4),
        "transition_std_allowed": round(float(trans[allowed].std()), 4) if int(allowed.sum()) > 1 else None,
        "torchcrf_nll_ms": round(statistics.median(times["nll"][0]), 3), "ours_nll_ms": round(statistics.median(times["nll"][1]), 3),
        "torchcrf_decode_ms": round(statistics.median(times["decode"][0]), 3), "ours_decode_ms": round(statistics.median(times["decode"][1]), 3),
        "reference": f"pytorch-crf {torchcrf.__version__}", "load_average_1min": round(os.getloadavg()[0], 2),
    }

    def ratio(op):
        return statistics.median(r / o for r, o in zip(*times[op]))

    return [
        record(f"crf.real.{name}.nll_speedup", ratio("nll"), "x", "higher", settings),
        record(f"crf.real.{name}.decode_speedup", ratio("decode"), "x", "higher", settings),
        record(f"crf.real.{name}.decode_paths_equal", equal, "%", "higher", settings),
    ]


def slot_model_emissions(model_dir, dataset=None, max_utterances=256, batch_words=None):
    """Real emissions of a trained `SharedPrivateForIntentAndSlotFilling` on its data set's test
    split: `(emissions, mask, tags, state, source)`; `state` holds the CRF's parameters with the
    decoding constraints' penalties added (what its Viterbi really maximises)."""
    import re
    from pathlib import Path

    from transformers import AutoTokenizer

    from hf_transfer.data.collators import DataCollatorForWordLevel
    from hf_transfer.data.registry import load_dataset
    from hf_transfer.models.multitask import SharedPrivateForIntentAndSlotFilling

    model_dir = Path(model_dir)
    model = SharedPrivateForIntentAndSlotFilling.from_pretrained(str(model_dir)).eval()
    if model.crf is None:
        raise ValueError(f"{model_dir}: the slot model has no CRF")
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if dataset is None:  # from the folder's name, e.g. atis-ours-seed42 (the benchmarks' own naming)
        known = [t for t in re.split(r"[-_.]", model_dir.name) if t in ("snips", "atis")]
        if not known:
            raise ValueError(f"--slot_model {model_dir}: say which data set it was trained on with --slot_dataset (snips, atis, ...)")
        dataset = known[0]
    data = load_dataset(dataset, tokens_column="tokens", tags_column="tags", unseen_labels="unk")
    rows = data["test"].select(range(min(max_utterances, len(data["test"]))))
    collator = DataCollatorForWordLevel(tokenizer, max_length=128)
    batch = collator([rows[i] for i in range(len(rows))])
    with torch.no_grad():
        out = model(**{k: v for k, v in batch.items() if k not in ("intent_labels", "slot_labels")}, return_tag_paths=False)
    emissions = out.slot_logits.detach().float()
    words = min(batch["slot_labels"].shape[1], emissions.shape[1])
    emissions = emissions[:, :words].contiguous()
    mask = batch["slot_labels"][:, :words] != -100
    keep = mask[:, 0]  # pytorch-crf needs the first position on
    emissions, mask, tags = emissions[keep], mask[keep], batch["slot_labels"][:, :words][keep].clamp(min=0)
    state = {k: v.detach().clone() for k, v in model.crf.state_dict().items() if k in ("start_transitions", "end_transitions", "transitions")}
    constraints = model.crf_constraints()
    if constraints is not None:
        for key, allowed in zip(("start_transitions", "transitions", "end_transitions"), constraints):
            state[key] = state[key].masked_fill(~allowed, -1e4)
    source = {"slot_model": model_dir.name, "data": f"{dataset} test", "utterances": int(emissions.shape[0]),
              "constraints": model.config.resolved_crf_scheme()}
    return emissions, mask, tags, state, source


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="store_true", help="also time over --lengths x --tags (crf.sweep.* records)")
    parser.add_argument("--lengths", default="10,25,50,100", help="--sweep: comma-separated sequence lengths")
    parser.add_argument("--tags", default="20,60,122", help="--sweep: comma-separated tag counts")
    parser.add_argument("--batch", type=int, default=64, help="--sweep: batch size")
    parser.add_argument("--slot_model", default=None, help="a trained multi-task model directory: also time on its real emissions")
    parser.add_argument("--slot_dataset", default=None, help="--slot_model: the data set whose test split feeds it (default: from the folder name)")
    parser.add_argument("--no_main", action="store_true", help="skip the fixed-shape figures (crf.nll_speedup ...)")
    parser.add_argument("--results_dir", default=None, help="write crf.json here instead of benchmarks/results")
    args = parser.parse_args(argv)
    from benchmarks import common

    with common.results_dir(args.results_dir):
        records = [] if args.no_main else main_figures(args)
        extra = []
        if args.sweep:
            extra += sweep([int(x) for x in args.lengths.split(",")], [int(x) for x in args.tags.split(",")], args.batch, args.repeats, args.seed)
        if args.slot_model:
            emissions, mask, tags, state, source = slot_model_emissions(args.slot_model, args.slot_dataset)
            extra += real_emissions_records(source["data"].split()[0], emissions, mask, tags, state, args.repeats, source)
        if extra:
            common.merge_results("crf", extra)
    return records + extra


def main_figures(args):
    """The fixed-shape figures (batch 64, up to 50 words, 122 tags), written to crf.json."""
    batch, length, num_tags = 64, 50, 122
    torch.manual_seed(args.seed)
    ref = torchcrf.CRF(num_tags, batch_first=True)
    ours = CRF(num_tags)
    ours.load_state_dict(ref.state_dict())
    emissions, tags, mask = _inputs(batch, length, num_tags, args.seed)

    with torch.no_grad():
        llh_ref = ref(emissions, tags, mask, reduction="none")
        llh_ours = ours(emissions, tags, mask, reduction="none")
        max_rel = float(((llh_ours - llh_ref).abs() / llh_ref.abs()).max())
        paths_ref, paths_ours = ref.decode(emissions, mask), ours.decode(emissions, mask)
        equal = 100.0 * sum(a == b for a, b in zip(paths_ref, paths_ours)) / batch

    wide_ref = torchcrf.CRF(num_tags, batch_first=True)
    with torch.no_grad():
        for p in wide_ref.parameters():
            p.normal_()
    wide = CRF(num_tags)
    wide.load_state_dict(wide_ref.state_dict())
    with torch.no_grad():
        wide_equal = 100.0 * sum(
            a == b for a, b in zip(wide_ref.decode(emissions, mask), wide.decode(emissions, mask))
        ) / batch

    times = _interleaved(
        {
            "nll": (_nll_step(ref, emissions, tags, mask), _nll_step(ours, emissions, tags, mask)),
            "decode": (_decode_step(ref, emissions, mask), _decode_step(ours, emissions, mask)),
            "decode_wide": (_decode_step(wide_ref, emissions, mask), _decode_step(wide, emissions, mask)),
        },
        args.repeats,
    )

    def ratio(name):
        return statistics.median(r / o for r, o in zip(*times[name]))

    settings = {
        "batch": batch,
        "max_length": length,
        "lengths": "uniform 20-50",
        "num_tags": num_tags,
        "threads": torch.get_num_threads(),
        "repeats": args.repeats,
        "seed": args.seed,
        "emissions": "N(0, 1)",
        "transitions": "pytorch-crf init U(-0.1, 0.1)",
        "reference": f"pytorch-crf {torchcrf.__version__}",
        "load_average_1min": round(os.getloadavg()[0], 2),  # other jobs on the machine skew absolute times
    }
    wide_settings = {**settings, "transitions": "N(0, 1)"}
    records = [
        record("crf.nll_speedup", ratio("nll"), "x", "higher", settings, target=5.0),
        record("crf.decode_speedup", ratio("decode"), "x", "higher", settings, target=5.0),
        record("crf.nll_ms", statistics.median(times["nll"][1]), "ms", "lower", settings),
        record("crf.decode_ms", statistics.median(times["decode"][1]), "ms", "lower", settings),
        record("crf.torchcrf_nll_ms", statistics.median(times["nll"][0]), "ms", "lower", settings),
        record("crf.torchcrf_decode_ms", statistics.median(times["decode"][0]), "ms", "lower", settings),
        record("crf.nll_max_relative_difference", max_rel * 1e6, "ppm", "lower", settings),
        record("crf.decode_paths_equal", equal, "%", "higher", settings),
        record("crf.decode_speedup_wide_transitions", ratio("decode_wide"), "x", "higher", wide_settings),
        record("crf.decode_paths_equal_wide_transitions", wide_equal, "%", "higher", wide_settings),
    ]
    write_results("crf", records)
    return records


if __name__ == "__main__":
    main()
