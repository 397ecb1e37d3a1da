"""Pooling written once for every encoder: sub-word pieces to words, tokens to a sentence."""

from __future__ import annotations

import torch


def pool_words(hidden: torch.Tensor, word_ids: torch.Tensor, mode: str = "first", num_words: int | None = None):
    """Gather sub-word features into word features.

    Args:
        hidden: `[batch, tokens, dim]` token (sub-word) features.
        word_ids: `[batch, tokens]` index of the word each token belongs to, `-1` for special
            tokens and padding (what `BatchEncoding.word_ids()` gives, with `None` as `-1`).
        mode: `"first"` (the first piece of each word, as BERT's NER recipe) or `"mean"`.
        num_words: number of word slots in the output (default: the largest word index + 1).

    Returns:
        `(words [batch, num_words, dim], word_mask [batch, num_words] bool)`.
    """
    if mode not in ("first", "mean"):
        raise ValueError(f"word_pooling must be 'first' or 'mean', got {mode!r}")
    if word_ids.shape != hidden.shape[:2]:
        raise ValueError(f"word_ids has shape {tuple(word_ids.shape)}, expected {tuple(hidden.shape[:2])} (batch, tokens)")
    batch, tokens, dim = hidden.shape
    word_ids = word_ids.long()
    valid = word_ids >= 0
    if num_words is None:
        num_words = int(word_ids.max().item()) + 1 if bool(valid.any()) else 0
    num_words = max(num_words, 1)
    # one flat slot per (sentence, word); tokens that are no word go to a dump slot at the end
    flat_index = torch.where(valid, word_ids + torch.arange(batch, device=hidden.device)[:, None] * num_words, batch * num_words)
    if mode == "first":
        previous = torch.cat([torch.full_like(word_ids[:, :1], -2), word_ids[:, :-1]], dim=1)
        take = valid & (word_ids != previous)
        flat_index = torch.where(take, flat_index, batch * num_words)
    out = hidden.new_zeros(batch * num_words + 1, dim)
    out.index_add_(0, flat_index.reshape(-1), hidden.reshape(-1, dim))
    counts = hidden.new_zeros(batch * num_words + 1)
    counts.index_add_(0, flat_index.reshape(-1), torch.ones_like(flat_index.reshape(-1), dtype=hidden.dtype))
    out, counts = out[:-1].view(batch, num_words, dim), counts[:-1].view(batch, num_words)
    word_mask = counts > 0
    if mode == "mean":
        out = out / counts.clamp(min=1).unsqueeze(-1)
    return out, word_mask


def pool_sentence(hidden: torch.Tensor, mask: torch.Tensor, mode: str = "mean") -> torch.Tensor:
    """One vector per sentence from `[batch, length, dim]` features and a `[batch, length]` mask:
    `"mean"` (sentence-transformers' default), `"max"` (max-pool over time, the reference CNN's),
    or `"cls"` / `"first"` (the first position)."""
    mask = mask.to(hidden.dtype).unsqueeze(-1)
    if mode == "mean":
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    if mode == "max":
        filled = hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min)
        pooled = filled.max(1).values
        return torch.where(mask.sum(1) > 0, pooled, torch.zeros_like(pooled))
    if mode in ("cls", "first"):
        return hidden[:, 0]
    raise ValueError(f"sentence_pooling must be 'mean', 'max' or 'cls', got {mode!r}")


def word_level_inputs(input_ids: torch.Tensor, attention_mask, word_ids, labels, pad_token_id, labels_name: str = "labels"):
    """Defaults and checks shared by the word-level heads: `attention_mask` from the padding id,
    `word_ids` with every real token a word, and the word count of `labels` (`[batch, words]`,
    -100 padded), which must cover every word of `word_ids`. Returns `(attention_mask, word_ids,
    num_words)` (`num_words` is None without labels)."""
    if attention_mask is None:
        attention_mask = input_ids.ne(pad_token_id if pad_token_id is not None else 0).long()
    if word_ids is None:  # every real token is a word
        word_ids = torch.where(attention_mask.bool(), torch.cumsum(attention_mask.long(), 1) - 1, torch.full_like(input_ids, -1))
    if labels is None:
        return attention_mask, word_ids, None
    if labels.dim() != 2 or labels.shape[0] != input_ids.shape[0]:
        raise ValueError(f"{labels_name} must be [batch, words] tag ids with batch {input_ids.shape[0]}, got shape {tuple(labels.shape)}")
    num_words = labels.shape[1]
    longest = int(word_ids.max()) + 1 if word_ids.numel() else 0
    if longest > num_words:
        raise ValueError(f"{labels_name} has {num_words} word positions but word_ids reach word {longest - 1}; pad {labels_name} to the word count with -100")
    return attention_mask, word_ids, num_words

