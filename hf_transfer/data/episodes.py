"""Few-shot episodes over a `datasets.Dataset`.

Episodic training and evaluation (Vinyals et al., 2016, "Matching Networks for One Shot Learning";
Snell et al., 2017, "Prototypical Networks for Few-shot Learning") draw C-way K-shot *episodes*:
C classes, K support and Q query examples per class. As in easyfsl's `TaskSampler`, the sampler is
an ordinary `torch.utils.data.Sampler` and a collate function turns an episode into tensors, so
few-shot plugs into standard PyTorch data loading:

```python
sampler = EpisodeSampler(train, n_way=5, n_shot=5, n_query=15, n_episodes=600, seed=1000,
                         query_dataset=test, classes=novel)
collator = EpisodeCollator(tokenizer, text_column="text")
loader = sampler.dataloader(collator)  # == DataLoader(EpisodeDataset(train, test), sampler=sampler,
                                       #               batch_size=None, collate_fn=collator)
for batch in loader:
    batch["support_input_ids"], batch["support_labels"], batch["query_input_ids"], ...
```

When support and query come from the same data set, an `Episode` also iterates over its row
indices (support first, then queries, class by class), so easyfsl's composition works as well:
`DataLoader(train, batch_sampler=sampler, collate_fn=EpisodeCollator(tokenizer))`.

`split_classes`, `filter_classes` and `sample_few_shot` reproduce the CLINC150 protocol of
`BENCHMARKS.md` (base / validation / novel classes; K examples per class for the generalised
setting, like SetFit's `sample_dataset`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


__all__ = [
    "Episode",
    "EpisodeCollator",
    "EpisodeDataset",
    "EpisodeSampler",
    "filter_classes",
    "sample_few_shot",
    "split_classes",
]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _check_positive_int(name: str, value: Any, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        expected = "a non-negative integer" if allow_zero else "a positive integer"
        raise ValueError(f"`{name}` must be {expected}, got {value!r}.")
    return int(value)


def _label_feature(dataset, label_column: str):
    """The `ClassLabel` feature of `label_column`, or None."""
    features = getattr(dataset, "features", None)
    if features is None:
        return None
    if label_column not in features:
        raise ValueError(
            f"`label_column={label_column!r}` is not a column of the data set; its columns are {list(features)}."
        )
    feature = features[label_column]
    return feature if hasattr(feature, "names") and hasattr(feature, "str2int") else None


def _label_array(dataset, label_column: str) -> np.ndarray:
    """The label column as one numpy array, read column-wise (fast: no row iteration)."""
    if label_column not in dataset.column_names:
        raise ValueError(
            f"`label_column={label_column!r}` is not a column of the data set; its columns are {dataset.column_names}."
        )
    table = dataset.select_columns([label_column]).with_format("arrow")[:]
    column = table[label_column]
    values = column.to_numpy(zero_copy_only=False) if hasattr(column, "to_numpy") else np.asarray(column)
    if values.dtype == object and len(values) and not isinstance(values[0], str):
        values = np.asarray(values.tolist())
    return values


def _group_indices(labels: np.ndarray) -> dict[Any, list[int]]:
    """label -> ascending row indices, computed with one stable sort."""
    if len(labels) == 0:
        return {}
    order = np.argsort(labels, kind="stable")
    uniques, starts = np.unique(labels[order], return_index=True)
    ends = list(starts[1:]) + [len(order)]
    return {_to_python(u): order[s:e].tolist() for u, s, e in zip(uniques, starts, ends, strict=True)}


def _to_python(value):
    return value.item() if isinstance(value, np.generic) else value


def _normalise_classes(classes: Iterable, feature, known: Iterable, parameter: str) -> list:
    """Map class names (with a `ClassLabel`) or raw label values to the label column's values."""
    known = set(known)
    out = []
    for c in classes:
        c = _to_python(c)
        if feature is not None and isinstance(c, str):
            if c not in feature.names:
                raise ValueError(f"`{parameter}` names class {c!r}, which is not one of the data set's label names.")
            c = feature.str2int(c)
        elif feature is not None and isinstance(c, int) and not 0 <= c < feature.num_classes:
            raise ValueError(f"`{parameter}` holds label id {c}, outside 0..{feature.num_classes - 1}.")
        elif feature is None and c not in known:
            raise ValueError(f"`{parameter}` holds label {c!r}, which never occurs in the data set.")
        out.append(c)
    if len(set(out)) != len(out):
        raise ValueError(f"`{parameter}` holds the same class more than once: {list(classes)!r}.")
    return out


def _class_name(value, feature) -> str:
    if feature is not None and isinstance(value, int):
        return f"{feature.int2str(value)!r} (id {value})"
    return repr(value)


def _default_rank_and_world() -> tuple[int, int]:
    """`torch.distributed` if initialised, else an initialised accelerate `PartialState`, else (0, 1)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    try:
        from accelerate import PartialState
    except ImportError:  # pragma: no cover - accelerate is a dependency
        return 0, 1
    if PartialState._shared_state:  # only read a state someone created; never create one here
        state = PartialState()
        return state.process_index, state.num_processes
    return 0, 1


def _offset_seed(seed: int, index: int) -> int:
    return seed + index


def _mixed_seed(seed: int, index: int) -> int:
    return seed * 1_000_003 + index


_EPISODE_SEEDS = {"offset": _offset_seed, "mixed": _mixed_seed}


# ---------------------------------------------------------------------------------------------
# episodes
# ---------------------------------------------------------------------------------------------


@dataclass
class Episode:
    """One C-way K-shot episode: which rows form its support and query sets.

    `support_indices` and `query_indices` are grouped class by class in the order of `class_ids`
    (local label `j` is `class_ids[j]`). `support` / `query` hold the fetched rows (a dict of
    column lists) once `EpisodeDataset` has read them. When the queries come from the same data
    set as the support, iterating an `Episode` gives support then query indices, so it can be
    used as one batch of a `batch_sampler`.
    """

    index: int
    class_ids: list
    support_indices: list[int]
    query_indices: list[int]
    n_shot: int
    n_query: int
    query_from_support_dataset: bool = True
    class_names: list[str] | None = None
    support: dict[str, list] | None = field(default=None, repr=False)
    query: dict[str, list] | None = field(default=None, repr=False)

    @property
    def n_way(self) -> int:
        return len(self.class_ids)

    @property
    def support_labels(self) -> list[int]:
        """Episode-local labels 0..n_way-1 of the support rows."""
        return [j for j in range(self.n_way) for _ in range(self.n_shot)]

    @property
    def query_labels(self) -> list[int]:
        """Episode-local labels 0..n_way-1 of the query rows."""
        return [j for j in range(self.n_way) for _ in range(self.n_query)]

    @property
    def indices(self) -> list[int]:
        """Support then query indices (one data set only)."""
        if not self.query_from_support_dataset:
            raise TypeError(
                "This episode's queries index another data set (`query_dataset`), so its indices "
                "cannot be read from one data set: load episodes with "
                "`DataLoader(EpisodeDataset(dataset, query_dataset), sampler=sampler, batch_size=None, "
                "collate_fn=collator)` (or `sampler.dataloader(collator)`) instead of `batch_sampler=`."
            )
        return self.support_indices + self.query_indices

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.support_indices) + len(self.query_indices)


class EpisodeSampler(Sampler):
    """Draws few-shot episodes from a `datasets.Dataset`, reproducibly and rank-aware.

    Episode `i` (a *global* index) is drawn with its own `random.Random(episode_seed(seed, i))`, so
    it is the same whenever and wherever it is drawn. With the default `episode_seed="offset"`,
    episode `i` uses `random.Random(seed + i)`: `seed=1000` is the protocol of `BENCHMARKS.md`
    ("episode `i` is drawn with `random.Random(1000 + i)`"). Seeds `s` and `s + 1` then give the
    same episodes shifted by one, so for independent repeats use seeds far apart or
    `episode_seed="mixed"` (`random.Random(seed * 1_000_003 + i)`), or pass any
    `callable(seed, i) -> int` (a module-level function if data loader workers must pickle it).

    Within an episode, with `rng` that generator and `eligible` the sorted candidate class ids:
    `class_ids = rng.sample(eligible, n_way)`; then for each class in that order, from its
    ascending row indices, `picked = rng.sample(rows, n_shot + n_query)` (support `picked[:n_shot]`,
    queries the rest), or, with a `query_dataset`, `rng.sample(rows, n_shot)` then
    `rng.sample(query_rows, n_query)`.

    Under several processes, rank `r` of `w` takes global episodes `r, r + w, r + 2w, ...` of the
    `n_episodes` of an epoch; ranks that would run short wrap around to the first episodes so all
    ranks yield the same number (DDP collectives need it), unless `drop_last=True`. Epoch `e`
    uses global indices `e * n_episodes + 0 .. n_episodes - 1` (see `set_epoch`). `len()` is the
    number of episodes of this rank. Do not let `accelerate` shard this sampler again.

    Args:
        dataset: the support (and, without `query_dataset`, query) rows.
        n_way, n_shot, n_query: classes per episode, support and query examples per class.
        n_episodes: episodes per epoch, over all processes.
        label_column: the label column (a `ClassLabel` gives label names to errors and classes).
        seed: base seed of the episodes.
        query_dataset: draw queries from this data set instead (e.g. support from train, query
            from test). Its labels must use the same ids.
        classes: candidate classes (names or ids); default: every label with enough examples.
        num_replicas, rank: process count and index; default from `torch.distributed` when
            initialised, else an initialised accelerate `PartialState`, else 1 and 0.
        drop_last: drop the tail episodes instead of wrapping around when `n_episodes` is not a
            multiple of `num_replicas`.
        episode_seed: `"offset"` (default), `"mixed"` or `callable(seed, i) -> int`.
    """

    def __init__(
        self,
        dataset,
        n_way: int,
        n_shot: int,
        n_query: int,
        n_episodes: int,
        label_column: str = "label",
        seed: int = 0,
        query_dataset=None,
        classes: Sequence | None = None,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
        episode_seed: str | Callable[[int, int], int] = "offset",
    ):
        self.n_way = _check_positive_int("n_way", n_way)
        self.n_shot = _check_positive_int("n_shot", n_shot)
        self.n_query = _check_positive_int("n_query", n_query)
        self.n_episodes = _check_positive_int("n_episodes", n_episodes)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"`seed` must be an integer, got {seed!r}.")
        self.seed = int(seed)
        if isinstance(episode_seed, str):
            if episode_seed not in _EPISODE_SEEDS:
                raise ValueError(
                    f"`episode_seed` must be one of {sorted(_EPISODE_SEEDS)} or a callable, got {episode_seed!r}."
                )
            episode_seed = _EPISODE_SEEDS[episode_seed]
        elif not callable(episode_seed):
            raise ValueError(f"`episode_seed` must be 'offset', 'mixed' or a callable, got {episode_seed!r}.")
        self.episode_seed = episode_seed

        default_rank, default_world = _default_rank_and_world()
        self.num_replicas = _check_positive_int(
            "num_replicas", default_world if num_replicas is None else num_replicas
        )
        self.rank = default_rank if rank is None else rank
        if (
            isinstance(self.rank, bool)
            or not isinstance(self.rank, (int, np.integer))
            or not 0 <= self.rank < self.num_replicas
        ):
            raise ValueError(
                f"`rank` must be an integer in [0, {self.num_replicas - 1}] "
                f"(num_replicas={self.num_replicas}), got {self.rank!r}."
            )
        self.rank = int(self.rank)
        self.drop_last = bool(drop_last)
        if self.drop_last and self.n_episodes < self.num_replicas:
            raise ValueError(
                f"`drop_last=True` with `n_episodes={self.n_episodes}` < `num_replicas={self.num_replicas}` "
                "leaves no episodes."
            )
        self.epoch = 0

        self.dataset = dataset
        self.query_dataset = query_dataset
        self.label_column = label_column
        self.label_feature = _label_feature(dataset, label_column)
        self._support_rows = _group_indices(_label_array(dataset, label_column))
        if query_dataset is None:
            self._query_rows = None
        else:
            query_feature = _label_feature(query_dataset, label_column)
            if (self.label_feature is None) != (query_feature is None) or (
                self.label_feature is not None and list(self.label_feature.names) != list(query_feature.names)
            ):
                raise ValueError(
                    f"`dataset` and `query_dataset` must label column {label_column!r} the same way "
                    "(the same `ClassLabel` names, or both raw values)."
                )
            self._query_rows = _group_indices(_label_array(query_dataset, label_column))

        self.classes = self._eligible_classes(classes)

    # -- classes ----------------------------------------------------------------------------

    def _counts(self, c) -> tuple[int, int]:
        n_support = len(self._support_rows.get(c, ()))
        n_query = len(self._query_rows.get(c, ())) if self._query_rows is not None else n_support
        return n_support, n_query

    def _enough(self, c) -> bool:
        n_support, n_query = self._counts(c)
        if self._query_rows is None:
            return n_support >= self.n_shot + self.n_query
        return n_support >= self.n_shot and n_query >= self.n_query

    def _shortage(self, c) -> str:
        n_support, n_query = self._counts(c)
        name = _class_name(c, self.label_feature)
        if self._query_rows is None:
            return (
                f"class {name} has {n_support} examples in column {self.label_column!r} but each episode needs "
                f"n_shot + n_query = {self.n_shot} + {self.n_query} = {self.n_shot + self.n_query}"
            )
        if n_support < self.n_shot:
            return f"class {name} has {n_support} examples in `dataset` but each episode needs n_shot = {self.n_shot}"
        return (
            f"class {name} has {n_query} examples in `query_dataset` but each episode needs n_query = {self.n_query}"
        )

    def _eligible_classes(self, classes) -> list:
        if classes is not None:
            chosen = _normalise_classes(classes, self.label_feature, self._support_rows, "classes")
            for c in chosen:
                if not self._enough(c):
                    raise ValueError(f"{self._shortage(c)}. Lower n_shot/n_query or leave the class out of `classes`.")
            if len(chosen) < self.n_way:
                raise ValueError(
                    f"`classes` holds {len(chosen)} classes but `n_way={self.n_way}` are needed per episode."
                )
            return sorted(chosen)
        known = (
            self._support_rows.keys()
            if self._query_rows is None
            else self._support_rows.keys() & self._query_rows.keys()
        )
        eligible = sorted(c for c in known if self._enough(c))
        if len(eligible) < self.n_way:
            short = sorted(c for c in self._support_rows if not self._enough(c))
            detail = f"; for example {self._shortage(short[0])}" if short else ""
            raise ValueError(
                f"Only {len(eligible)} classes have enough examples for n_shot={self.n_shot}, "
                f"n_query={self.n_query}, but `n_way={self.n_way}` are needed per episode{detail}."
            )
        return eligible

    # -- episodes ---------------------------------------------------------------------------

    def episode(self, index: int) -> Episode:
        """The episode of global index `index` (independent of rank and epoch)."""
        rng = random.Random(self.episode_seed(self.seed, index))
        class_ids = rng.sample(self.classes, self.n_way)
        support, query = [], []
        for c in class_ids:
            rows = self._support_rows[c]
            if self._query_rows is None:
                picked = rng.sample(rows, self.n_shot + self.n_query)
                support.extend(picked[: self.n_shot])
                query.append(picked[self.n_shot :])
            else:
                support.extend(rng.sample(rows, self.n_shot))
                query.append(rng.sample(self._query_rows[c], self.n_query))
        return Episode(
            index=index,
            class_ids=class_ids,
            support_indices=support,
            query_indices=[i for q in query for i in q],
            n_shot=self.n_shot,
            n_query=self.n_query,
            query_from_support_dataset=self._query_rows is None,
            class_names=[self.label_feature.int2str(c) for c in class_ids] if self.label_feature is not None else None,
        )

    def global_indices(self) -> list[int]:
        """The global episode indices this rank draws in the current epoch."""
        positions = range(self.rank, self.num_replicas * len(self), self.num_replicas)
        return [self.epoch * self.n_episodes + p % self.n_episodes for p in positions]

    def set_epoch(self, epoch: int) -> None:
        """Use episodes `epoch * n_episodes + ...`: new episodes each epoch, the same ones on resume."""
        self.epoch = _check_positive_int("epoch", epoch, allow_zero=True)

    def __iter__(self) -> Iterator[Episode]:
        for index in self.global_indices():
            yield self.episode(index)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n_episodes // self.num_replicas
        return math.ceil(self.n_episodes / self.num_replicas)

    def dataloader(self, collate_fn: Callable | None = None, **kwargs) -> DataLoader:
        """`DataLoader(EpisodeDataset(dataset, query_dataset), sampler=self, batch_size=None, ...)`."""
        return DataLoader(
            EpisodeDataset(self.dataset, self.query_dataset),
            sampler=self,
            batch_size=None,
            collate_fn=collate_fn if collate_fn is not None else EpisodeCollator(label_column=self.label_column),
            **kwargs,
        )


class EpisodeDataset(Dataset):
    """Maps an `Episode` to the same episode with its support and query rows read.

    The map-style dataset to pair with `EpisodeSampler` (`batch_size=None`), because an episode may
    read two data sets (support from `dataset`, queries from `query_dataset`).
    """

    def __init__(self, dataset, query_dataset=None):
        self.dataset = dataset
        self.query_dataset = query_dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, episode: Episode) -> Episode:
        if not isinstance(episode, Episode):
            raise TypeError(
                f"EpisodeDataset is indexed by `Episode` records (from EpisodeSampler), got {type(episode).__name__}."
            )
        if not episode.query_from_support_dataset and self.query_dataset is None:
            raise ValueError("The episode draws its queries from a `query_dataset`, but this EpisodeDataset has none.")
        query_source = self.dataset if episode.query_from_support_dataset else self.query_dataset
        support = self.dataset[episode.support_indices]
        query = query_source[episode.query_indices] if episode.query_indices else {k: [] for k in support}
        return Episode(
            index=episode.index,
            class_ids=list(episode.class_ids),
            support_indices=list(episode.support_indices),
            query_indices=list(episode.query_indices),
            n_shot=episode.n_shot,
            n_query=episode.n_query,
            query_from_support_dataset=episode.query_from_support_dataset,
            class_names=episode.class_names,
            support=dict(support),
            query=dict(query),
        )


# ---------------------------------------------------------------------------------------------
# collator
# ---------------------------------------------------------------------------------------------


class EpisodeCollator:
    """Turns an episode into tensors for a few-shot model.

    Input: an `Episode` whose rows were read (from `EpisodeDataset`), or the list of row dicts a
    `DataLoader(dataset, batch_sampler=sampler)` fetches (support first, then queries, class by
    class; `n_shot` is read from that layout when there are two or more classes, else pass it).

    Output: `support_input_ids`, `support_attention_mask` (and any other tokenizer output, e.g.
    `support_token_type_ids`), `support_labels` (episode-local, 0..n_way-1), the same for `query_*`,
    and `class_ids` (the data set's label id of each local class: a LongTensor for integer labels,
    else a list), plus `class_names` when the labels have names. Without a tokenizer the texts are
    returned as `support_texts` / `query_texts` instead of token ids.
    """

    def __init__(
        self,
        tokenizer=None,
        text_column: str = "text",
        max_length: int | None = 128,
        label_column: str = "label",
        padding: bool | str = True,
        truncation: bool = True,
        n_shot: int | None = None,
        label_names: Sequence[str] | None = None,
    ):
        self.tokenizer = tokenizer
        self.text_column = text_column
        self.max_length = None if max_length is None else _check_positive_int("max_length", max_length)
        self.label_column = label_column
        self.padding = padding
        self.truncation = truncation
        self.n_shot = None if n_shot is None else _check_positive_int("n_shot", n_shot)
        self.label_names = list(label_names) if label_names is not None else None

    def __call__(self, episode) -> dict[str, Any]:
        if isinstance(episode, Episode):
            if episode.support is None:
                raise ValueError(
                    "EpisodeCollator got an Episode without rows: read them with EpisodeDataset, e.g. "
                    "`DataLoader(EpisodeDataset(dataset, query_dataset), sampler=sampler, batch_size=None, "
                    "collate_fn=collator)`."
                )
            class_ids, n_shot, n_query = list(episode.class_ids), episode.n_shot, episode.n_query
            support, query = episode.support, episode.query
            self._check_labels(support, class_ids, n_shot, "support")
            self._check_labels(query, class_ids, n_query, "query")
            support_texts, query_texts = list(support[self.text_column]), list(query[self.text_column])
            class_names = episode.class_names
        elif isinstance(episode, (list, tuple)) and all(isinstance(row, dict) for row in episode):
            class_ids, n_shot, n_query, support_texts, query_texts = self._split_rows(list(episode))
            class_names = None
        else:
            raise TypeError(
                f"EpisodeCollator expects an Episode or a list of row dicts, got {type(episode).__name__}."
            )

        n_way = len(class_ids)
        batch: dict[str, Any] = {}
        if self.tokenizer is None:
            batch["support_texts"], batch["query_texts"] = support_texts, query_texts
        else:
            for prefix, texts in (("support", support_texts), ("query", query_texts)):
                encoded = self.tokenizer(
                    texts,
                    padding=self.padding,
                    truncation=self.truncation,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                for key, value in encoded.items():
                    batch[f"{prefix}_{key}"] = value
        batch["support_labels"] = torch.arange(n_way).repeat_interleave(n_shot)
        batch["query_labels"] = torch.arange(n_way).repeat_interleave(n_query)
        ids = [_to_python(c.item() if isinstance(c, torch.Tensor) else c) for c in class_ids]
        batch["class_ids"] = torch.tensor(ids, dtype=torch.long) if all(isinstance(c, int) for c in ids) else ids
        if class_names is not None:
            batch["class_names"] = list(class_names)
        elif self.label_names is not None and all(isinstance(c, int) for c in ids):
            batch["class_names"] = [self.label_names[c] for c in ids]
        elif all(isinstance(c, str) for c in ids):
            batch["class_names"] = ids
        return batch

    def _check_labels(self, rows: dict, class_ids: list, per_class: int, part: str) -> None:
        """Catch an `EpisodeDataset` built over other data than the sampler."""
        if self.label_column not in rows:
            return
        got = [_to_python(v.item() if isinstance(v, torch.Tensor) else v) for v in rows[self.label_column]]
        expected = [c for c in class_ids for _ in range(per_class)]
        if got != expected:
            raise ValueError(
                f"The {part} rows' {self.label_column!r} values {got} do not match the episode's classes {class_ids} "
                f"({per_class} each): was EpisodeDataset built over the same data set(s) as the EpisodeSampler?"
            )

    def _split_rows(self, rows: list[dict]):
        if not rows:
            raise ValueError("EpisodeCollator got an empty episode.")
        if self.label_column not in rows[0]:
            raise ValueError(
                f"Rows have no label column {self.label_column!r} (columns: {list(rows[0])}); set `label_column`."
            )
        labels = [
            _to_python(
                r[self.label_column].item() if isinstance(r[self.label_column], torch.Tensor) else r[self.label_column]
            )
            for r in rows
        ]
        class_ids = list(dict.fromkeys(labels))
        n_way, total = len(class_ids), len(rows)
        if total % n_way:
            raise ValueError(
                f"An episode of {total} rows over {n_way} classes is not n_way * (n_shot + n_query) rows."
            )
        per_class = total // n_way
        n_shot = self.n_shot
        if n_shot is None:
            if n_way < 2:
                raise ValueError(
                    "A 1-way episode given as rows does not show its n_shot: pass `EpisodeCollator(n_shot=...)`."
                )
            n_shot = labels.index(class_ids[1])
        n_query = per_class - n_shot
        expected = [c for c in class_ids for _ in range(n_shot)] + [c for c in class_ids for _ in range(n_query)]
        if n_query < 0 or labels != expected:
            raise ValueError(
                "Rows are not laid out as an EpisodeSampler episode (support class by class, then queries class by "
                f"class, n_shot={n_shot} each): labels were {labels}."
            )
        texts = [r[self.text_column] for r in rows]
        cut = n_way * n_shot
        return class_ids, n_shot, n_query, texts[:cut], texts[cut:]


# ---------------------------------------------------------------------------------------------
# class splits and K-shot subsets
# ---------------------------------------------------------------------------------------------


def split_classes(
    labels_or_dataset,
    n_base: int,
    n_val: int,
    n_novel: int,
    seed: int = 0,
    label_column: str = "label",
) -> tuple[list, list, list]:
    """Split class names into base, validation and novel classes.

    The protocol of `BENCHMARKS.md`: sort the class names, shuffle them with
    `random.Random(seed).shuffle`; the first `n_base` are base classes, the next `n_val` validation
    classes, the last `n_novel` novel classes (seed 0 reproduces the CLINC150 split). Names come
    from the `ClassLabel` of a `datasets.Dataset` (all of its names), or are the distinct values of
    an iterable of labels.
    """
    n_base = _check_positive_int("n_base", n_base, allow_zero=True)
    n_val = _check_positive_int("n_val", n_val, allow_zero=True)
    n_novel = _check_positive_int("n_novel", n_novel, allow_zero=True)
    if hasattr(labels_or_dataset, "column_names"):
        feature = _label_feature(labels_or_dataset, label_column)
        if feature is not None:
            names = list(feature.names)
        else:
            names = list(_group_indices(_label_array(labels_or_dataset, label_column)))
    else:
        names = list({_to_python(label) for label in labels_or_dataset})
    names = sorted(names)
    if n_base + n_val + n_novel > len(names):
        raise ValueError(
            f"n_base + n_val + n_novel = {n_base} + {n_val} + {n_novel} = {n_base + n_val + n_novel} "
            f"exceeds the {len(names)} classes."
        )
    random.Random(seed).shuffle(names)
    base = names[:n_base]
    val = names[n_base : n_base + n_val]
    novel = names[len(names) - n_novel :] if n_novel else []
    return base, val, novel


def filter_classes(dataset, classes: Iterable, label_column: str = "label"):
    """The rows of `dataset` whose label is one of `classes` (names or ids), in their order.

    Labels keep their original ids (a `ClassLabel` is unchanged), so `class_ids` stay comparable
    across splits.
    """
    labels = _label_array(dataset, label_column)
    feature = _label_feature(dataset, label_column)
    wanted = _normalise_classes(classes, feature, (_to_python(v) for v in np.unique(labels)), "classes")
    mask = np.isin(labels, np.asarray(wanted, dtype=labels.dtype if feature is not None else None))
    return dataset.select(np.flatnonzero(mask).tolist())


def sample_few_shot(dataset, k: int, seed: int = 0, label_column: str = "label", strict: bool = True):
    """K examples per class, for the generalised few-shot setting (like SetFit's `sample_dataset`).

    `rng = random.Random(seed)`; for each label in sorted order, `rng.sample(rows, k)` from its
    ascending row indices; the result keeps the data set's row order. A class with fewer than `k`
    rows is an error unless `strict=False`, which then keeps all of its rows.
    """
    k = _check_positive_int("k", k)
    feature = _label_feature(dataset, label_column)
    groups = _group_indices(_label_array(dataset, label_column))
    rng = random.Random(seed)
    chosen: list[int] = []
    for label in sorted(groups):
        rows = groups[label]
        if len(rows) < k:
            if strict:
                raise ValueError(
                    f"class {_class_name(label, feature)} has {len(rows)} examples in column {label_column!r} "
                    f"but k = {k} were asked; pass strict=False to keep all of them."
                )
            chosen.extend(rows)
        else:
            chosen.extend(rng.sample(rows, k))
    return dataset.select(sorted(chosen))
