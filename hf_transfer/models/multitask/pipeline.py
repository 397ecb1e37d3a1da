"""Raw text in, intent and slots out, with character offsets into the raw text.

`predict(model, tokenizer, texts)` or `IntentSlotPipeline(model, tokenizer)(texts)` returns, per
utterance, `{"intent": name, "score": probability, "slots": [{"entity", "text", "start",
"end"}]}`; `start`/`end` index the raw string (`text[start:end] == slot["text"]`). Words are
the whitespace-separated pieces of the text, as in the training data (ATIS, SNIPS, xSID).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch

from ...data.collators import DataCollatorForWordLevel
from ...tagging import tags_to_spans


_WORD = re.compile(r"\S+")


def split_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Whitespace words of `text` and their `(start, end)` character spans."""
    matches = list(_WORD.finditer(text))
    return [m.group(0) for m in matches], [m.span() for m in matches]


class IntentSlotPipeline:
    """Callable wrapper around a `SharedPrivateForIntentAndSlotFilling` and its tokenizer.

    Args:
        model: the model (put in eval mode here).
        tokenizer: the tokenizer it was trained with.
        batch_size: utterances per forward pass.
        max_length: token budget per utterance (over-long utterances are truncated with a
            warning; words past the cut get no slots).
    """

    def __init__(self, model, tokenizer, batch_size: int = 32, max_length: int | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        config = model.config
        self.collator = DataCollatorForWordLevel(tokenizer, max_length=max_length, max_words=config.max_words, prefix=config.input_prefix)

    @classmethod
    def from_pretrained(cls, path, **kwargs) -> IntentSlotPipeline:
        """Load the model and tokenizer that `examples/run_multitask.py` saved in `path`."""
        from transformers import AutoTokenizer

        from .modeling_multitask import SharedPrivateForIntentAndSlotFilling

        return cls(SharedPrivateForIntentAndSlotFilling.from_pretrained(path), AutoTokenizer.from_pretrained(path), **kwargs)

    def __call__(self, texts: str | Sequence[str]):
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        results = []
        for start in range(0, len(texts), self.batch_size):
            results.extend(self._batch(texts[start : start + self.batch_size]))
        return results[0] if single else results

    @torch.no_grad()
    def _batch(self, texts: list[str]) -> list[dict]:
        config = self.model.config
        split = [split_words(t) for t in texts]
        enc, kept, _ = self.collator.encode([list(w) for w, _ in split])
        self.collator._note_truncation(sum(k < len(w) for k, (w, _) in zip(kept, split)))
        device = next(self.model.parameters()).device
        inputs = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "word_ids", "token_type_ids")}
        out = self.model(**inputs, return_tag_paths=True)
        results = []
        probs = out.intent_logits.softmax(-1) if out.intent_logits is not None else None
        for i, text in enumerate(texts):
            result = {"intent": None, "score": None, "slots": []}
            if probs is not None:
                score, idx = probs[i].max(-1)
                result["intent"] = config.id2label[int(idx)]
                result["score"] = float(score)
            if out.tag_paths is not None:
                words, spans = split[i]
                path = out.tag_paths[i, : kept[i]].tolist()
                tags = [config.id2tag[t] if t >= 0 else "O" for t in path]
                for typ, first, last in tags_to_spans(tags):
                    s, e = spans[first][0], spans[last][1]
                    result["slots"].append({"entity": typ, "text": text[s:e], "start": s, "end": e})
            results.append(result)
        return results


def predict(model, tokenizer, texts: str | Sequence[str], batch_size: int = 32, max_length: int | None = None):
    """`IntentSlotPipeline(model, tokenizer, batch_size, max_length)(texts)`."""
    return IntentSlotPipeline(model, tokenizer, batch_size=batch_size, max_length=max_length)(texts)
