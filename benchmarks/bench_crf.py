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


def _inputs(batch, length, num_tags, seed):
    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, length, num_tags, generator=g)
    tags = torch.randint(0, num_tags, (batch, length), generator=g)
    lengths = torch.randint(20, length + 1, (batch,), generator=g)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

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
