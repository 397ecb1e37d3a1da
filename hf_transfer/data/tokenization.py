"""Tokenizers for BCNN, built from a data set with the `tokenizers` library and saved as
`PreTrainedTokenizerFast`, and word-level tokenization shared by every model family."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
from transformers import PreTrainedTokenizerFast


PAD_TOKEN, UNK_TOKEN = "[PAD]", "[UNK]"


def build_bcnn_tokenizer(
    texts: Iterable[str] | Iterable[list[str]],
    level: str = "word",
    vocab_size: int | None = None,
    min_frequency: int = 1,
    lowercase: bool = True,
    model_max_length: int = 512,
) -> PreTrainedTokenizerFast:
    """Build a BCNN vocabulary from `texts` (strings, or lists of words / characters).

    Args:
        level: `"word"` (split on whitespace and punctuation) or `"char"` (one token per
            character, for languages written without spaces such as Chinese).
        vocab_size: keep at most this many tokens (most frequent first), PAD and UNK included.
        min_frequency: drop tokens seen fewer times.

    `[PAD]` is id 0 and `[UNK]` id 1. The result saves and loads like any Hugging Face tokenizer.
    """
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char', got {level!r}")
    normalizer = normalizers.Sequence([normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else []))
    if level == "word":
        pre = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    else:
        pre = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), behavior="isolated")])
    counter: dict[str, int] = {}
    probe = Tokenizer(models.WordLevel({UNK_TOKEN: 0}, unk_token=UNK_TOKEN))
    probe.normalizer, probe.pre_tokenizer = normalizer, pre
    n_texts = 0
    for text in texts:
        n_texts += 1
        pieces = text if isinstance(text, (list, tuple)) else [text]
        for piece in pieces:
            for token, _ in pre.pre_tokenize_str(normalizer.normalize_str(str(piece))):
                counter[token] = counter.get(token, 0) + 1
    if n_texts == 0:
        raise ValueError("build_bcnn_tokenizer: texts is empty")
    ranked = sorted((t for t, c in counter.items() if c >= min_frequency), key=lambda t: (-counter[t], t))
    if vocab_size is not None:
        ranked = ranked[: max(vocab_size - 2, 0)]
    vocab = {PAD_TOKEN: 0, UNK_TOKEN: 1}
    for token in ranked:
        vocab.setdefault(token, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=UNK_TOKEN))
    tokenizer.normalizer, tokenizer.pre_tokenizer = normalizer, pre
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD_TOKEN,
        unk_token=UNK_TOKEN,
        model_max_length=model_max_length,
        model_input_names=["input_ids", "attention_mask"],
    )


def tokenize_words(tokenizer, words: list[list[str]], max_length: int | None = None, prefix: str | None = None, return_tensors: bool = True):
    """Tokenize pre-split words and keep, for each token, the index of its word (`-1` for special
    tokens and padding): the `word_ids` that encoders pool into word-level features.

    `prefix` (e.g. E5's "query: ") is prepended as extra words whose features are dropped.
    Words cut off by `max_length` are reported by `num_words` per sentence (`words_kept`).
    """
    shift = 0
    if prefix:
        extra = prefix.split()
        shift = len(extra)
        words = [extra + list(w) for w in words]
    enc = tokenizer(
        [list(w) for w in words],
        is_split_into_words=True,
        truncation=max_length is not None,
        max_length=max_length,
        padding=True,
        return_tensors="pt" if return_tensors else None,
    )
    word_ids = []
    for i in range(len(words)):
        ids = [(-1 if w is None or w < shift else w - shift) for w in enc.word_ids(i)]
        word_ids.append(ids)
    enc["word_ids"] = torch.tensor(word_ids, dtype=torch.long) if return_tensors else word_ids
    return enc
