"""Batch collation for word-level data (joint intent + slots, NER): tokenize the words at batch
time, keep each token's word index, and pad word-level labels to the batch's word count.

Labels stay per *word* (never per sub-word piece): the models pool pieces into words before
their heads, so a word's tag is counted once whatever the tokenizer does with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import torch

from ..tagging import IGNORE_INDEX
from .schema import DataWarning
from .tokenization import tokenize_words


__all__ = ["DataCollatorForWordLevel", "require_columns"]


def require_columns(dataset, columns: Sequence[str], split: str | None = None, name: str = "dataset") -> None:
    """Raise a `ValueError` naming the split and the missing column, and what is there."""
    present = list(getattr(dataset, "column_names", None) or [])
    missing = [c for c in columns if c not in present]
    if missing:
        where = f"{name}[{split!r}]" if split is not None else name
        raise ValueError(f"{where} has no column {missing[0]!r} (needed: {list(columns)}); available columns: {present}")


class DataCollatorForWordLevel:
    """Collate examples with `tokens` (words), optional `tags` (one label per word) and
    optional `intent` into model inputs. Usable as a `Trainer` `data_collator` (with
    `remove_unused_columns=False`, since it reads the raw `tokens` column).

    Returns `input_ids`, `attention_mask` (and `token_type_ids` if the tokenizer makes them),
    `word_ids` (`[batch, tokens]`, -1 for special tokens and padding), `slot_labels`
    (`[batch, words]`, -100 padding) when the examples have tags, and `intent_labels`
    (`[batch]`) when they have an intent. The output key names are configurable
    (`tag_label_name="labels"` for a plain token classifier, `intent_label_name="labels"` for a
    sentence classifier).

    Over-long utterances (more than `max_words` words, or more than `max_length` tokens) are
    truncated, never an error: their dropped words lose their tags. The first batch with a
    truncation gives ONE warning; all are counted in `num_truncated`. Call
    `check_lengths(dataset, split)` before training to get one warning per split that counts
    every over-long utterance and names the first rows.

    Args:
        tokenizer: a BCNN tokenizer (`build_bcnn_tokenizer`) or any fast HF tokenizer.
        max_length: token budget per utterance, special tokens included (default: the
            tokenizer's `model_max_length`, capped at 512).
        max_words: word budget per utterance (default: no limit).
        prefix: text prepended to every utterance whose features are dropped (E5's `"query: "`).
        tag2id / intent2id: maps for string labels (`ClassLabel` columns already hold ids).
        tokens_column, tags_column, intent_column: input column names (`intent_column=None`:
            no intent output, e.g. for a plain tagger on data that has intents).
        intent_label_name, tag_label_name: output key names.
        extra_columns: integer columns copied into the batch as `[batch]` tensors under the same
            name (e.g. `("language_ids",)` for the adversarial multilingual models).
    """

    def __init__(
        self,
        tokenizer,
        max_length: int | None = None,
        max_words: int | None = None,
        prefix: str | None = None,
        tag2id: Mapping[str, int] | None = None,
        intent2id: Mapping[str, int] | None = None,
        tokens_column: str = "tokens",
        tags_column: str = "tags",
        intent_column: str = "intent",
        intent_label_name: str = "intent_labels",
        tag_label_name: str = "slot_labels",
        extra_columns: Sequence[str] = (),
    ):
        if max_length is None:
            model_max = getattr(tokenizer, "model_max_length", None) or 512
            max_length = min(int(model_max), 512)
        if int(max_length) < 1:
            raise ValueError(f"max_length must be a positive number of tokens, got {max_length}")
        if max_words is not None and int(max_words) < 1:
            raise ValueError(f"max_words must be a positive number of words or None, got {max_words}")
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.max_words = None if max_words is None else int(max_words)
        self.prefix = prefix
        self.tag2id = dict(tag2id) if tag2id is not None else None
        self.intent2id = dict(intent2id) if intent2id is not None else None
        self.tokens_column, self.tags_column, self.intent_column = tokens_column, tags_column, intent_column
        self.intent_label_name, self.tag_label_name = intent_label_name, tag_label_name
        self.extra_columns = tuple(extra_columns)
        self.num_truncated = 0
        self._warned = False

    # ------------------------------------------------------------------ helpers
    def _label(self, value, mapping, what, i):
        if isinstance(value, str):
            if mapping is None:
                raise ValueError(f"DataCollatorForWordLevel: example {i} has string {what} {value!r}; pass {'tag2id' if what == 'tag' else 'intent2id'} or use ClassLabel columns")
            if value not in mapping:
                raise ValueError(f"DataCollatorForWordLevel: example {i}: unknown {what} {value!r}; known: {sorted(mapping)[:10]}...")
            return mapping[value]
        return int(value)

    def _words(self, features):
        words = []
        for i, f in enumerate(features):
            if self.tokens_column not in f:
                raise ValueError(
                    f"DataCollatorForWordLevel: example {i} of the batch has no {self.tokens_column!r} column "
                    f"(columns: {sorted(f)}); with Trainer set remove_unused_columns=False"
                )
            w = f[self.tokens_column]
            if isinstance(w, str):
                w = w.split()
            words.append([str(x) for x in w])
        return words

    def encode(self, words: list[list[str]]):
        """Tokenize word lists with truncation; returns `(BatchEncoding, words_kept, truncated)`."""
        truncated = [False] * len(words)
        if self.max_words is not None:
            for i, w in enumerate(words):
                if len(w) > self.max_words:
                    words[i], truncated[i] = w[: self.max_words], True
        enc = tokenize_words(self.tokenizer, words, max_length=self.max_length, prefix=self.prefix)
        word_ids = enc["word_ids"]
        if word_ids.shape[1] == 0:  # every utterance empty: keep one padding column
            pad = self.tokenizer.pad_token_id or 0
            for key in list(enc.keys()):
                fill = pad if key == "input_ids" else (-1 if key == "word_ids" else 0)
                enc[key] = torch.full((len(words), 1), fill, dtype=torch.long)
            word_ids = enc["word_ids"]
        kept = (word_ids.max(1).values + 1).clamp_min(0).tolist()
        for i, w in enumerate(words):
            # the last words may have no token at all only because of truncation
            if kept[i] < len(w) and _has_tokens_beyond(self.tokenizer, w, kept[i]):
                truncated[i] = True
            if not truncated[i]:
                kept[i] = len(w)
        return enc, kept, truncated

    def _note_truncation(self, count: int, detail: str = "") -> None:
        if count == 0:
            return
        self.num_truncated += count
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"DataCollatorForWordLevel: truncated {count} over-long utterance(s) in this batch to "
                f"max_length={self.max_length} tokens" + (f" / max_words={self.max_words} words" if self.max_words else "")
                + f"{detail}; the cut words lose their tags. Later truncations are counted in "
                "`num_truncated` without more warnings (call check_lengths(dataset, split) for a count per split).",
                DataWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------- public
    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        if not features:
            raise ValueError("DataCollatorForWordLevel: empty batch")
        features = [dict(f) for f in features]
        words = self._words(features)
        enc, kept, truncated = self.encode([list(w) for w in words])
        batch = dict(enc.items())
        self._note_truncation(sum(truncated))
        has_tags = [self.tags_column in f and f[self.tags_column] is not None for f in features]
        if any(has_tags):
            if not all(has_tags):
                i = has_tags.index(False)
                raise ValueError(f"DataCollatorForWordLevel: example {i} of the batch has no {self.tags_column!r} while others have")
            width = max(max(kept), 1)
            labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
            for i, f in enumerate(features):
                tags = list(f[self.tags_column])
                if len(tags) != len(words[i]):
                    raise ValueError(
                        f"DataCollatorForWordLevel: example {i} of the batch has {len(tags)} tags for {len(words[i])} "
                        f"words; expected one tag per word (tokens: {words[i][:8]}...)"
                    )
                ids = [self._label(t, self.tag2id, "tag", i) for t in tags[: kept[i]]]
                if ids:
                    labels[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            batch[self.tag_label_name] = labels
        has_intent = [self.intent_column is not None and self.intent_column in f and f[self.intent_column] is not None for f in features]
        if any(has_intent):
            if not all(has_intent):
                i = has_intent.index(False)
                raise ValueError(f"DataCollatorForWordLevel: example {i} of the batch has no {self.intent_column!r} while others have")
            batch[self.intent_label_name] = torch.tensor(
                [self._label(f[self.intent_column], self.intent2id, "intent", i) for i, f in enumerate(features)], dtype=torch.long
            )
        for column in self.extra_columns:
            missing = [i for i, f in enumerate(features) if f.get(column) is None]
            if missing:
                raise ValueError(f"DataCollatorForWordLevel: example {missing[0]} of the batch has no {column!r} (extra_columns={list(self.extra_columns)})")
            try:
                batch[column] = torch.tensor([int(f[column]) for f in features], dtype=torch.long)
            except (TypeError, ValueError) as err:
                raise ValueError(f"DataCollatorForWordLevel: column {column!r} must hold integers, got {[f[column] for f in features][:5]}") from err
        return batch

    def check_lengths(self, dataset, split: str | None = None, batch_size: int = 1000) -> int:
        """Count the utterances of `dataset` this collator would truncate and give ONE warning
        naming the split, the count and the first rows (later batches then stay silent).
        Returns the count."""
        require_columns(dataset, [self.tokens_column], split)
        rows = []
        for start in range(0, len(dataset), batch_size):
            chunk = dataset[start : start + batch_size][self.tokens_column]
            _, _, truncated = self.encode([list(w) for w in chunk])
            rows.extend(start + i for i, t in enumerate(truncated) if t)
        if rows:
            self._warned = True
            where = f"split {split!r}" if split is not None else "the data set"
            warnings.warn(
                f"{where}: {len(rows)} of {len(dataset)} utterances are longer than max_length={self.max_length} tokens"
                + (f" or max_words={self.max_words} words" if self.max_words else "")
                + f" and will be truncated (rows {rows[:10]}{' ...' if len(rows) > 10 else ''}); the cut words lose their tags",
                DataWarning,
                stacklevel=2,
            )
        return len(rows)


def _has_tokens_beyond(tokenizer, words: list[str], kept: int) -> bool:
    """Whether the words after `kept` would have produced tokens (else they are words the
    tokenizer drops, such as a lone control character, not a truncation)."""
    rest = words[kept:]
    ids = tokenizer(rest, is_split_into_words=True, add_special_tokens=False)["input_ids"]
    return len(ids) > 0
