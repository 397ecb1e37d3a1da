"""Raw text in, intent and slots out, with character offsets into the raw text.

`pipeline("joint-intent-slot", model=dir)` (a `JointIntentSlotPipeline`, registered when
`hf_transfer` is imported), `IntentSlotPipeline(model, tokenizer)(texts)`,
`IntentSlotPipeline.from_pretrained(dir)(texts)` and `predict(model, tokenizer, texts)` are the
same code and return, per utterance, `{"intent": name, "score": probability, "slots":
[{"entity", "text", "start", "end"}]}`; `start`/`end` index the raw string (`text[start:end] ==
slot["text"]`). Words are the whitespace-separated pieces of the text, as in the training data
(ATIS, SNIPS, xSID); slots come from the decoded tag paths (CRF Viterbi), chunked by
`hf_transfer.tagging.tags_to_spans` (BIO / BIOES / BILOU). A slots-only model gives `"intent":
None, "score": None`.

A bare string is one text (its result is one dict); a list of strings gives a list of dicts.
An empty or whitespace-only text gets no prediction, `{"intent": None, "score": None, "slots":
[]}`, and a call with such texts warns once (a `UserWarning` counting them). Anything but a
string or a list of strings (`None`, a number, bytes) is a `TypeError` naming the position.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...data.collators import DataCollatorForWordLevel
from ...pipelines import TextPipeline, encode_words, split_words, word_spans
from ...tagging import tags_to_spans  # noqa: F401  (re-exported by hf_transfer.models.multitask)
from ...utils import load_tokenizer


__all__ = ["IntentSlotPipeline", "JointIntentSlotPipeline", "predict", "split_words", "tags_to_spans"]

class JointIntentSlotPipeline(TextPipeline):
    """The `"joint-intent-slot"` task: intent and slot spans of each utterance.

        nlu = pipeline("joint-intent-slot", model="runs/snips")
        nlu("book a table at noon")
        # {"intent": "BookRestaurant", "score": 0.97,
        #  "slots": [{"entity": "timeRange", "text": "noon", "start": 16, "end": 20}]}

    Output per text: `{"intent": str | None, "score": float | None, "slots": [{"entity": str,
    "text": str, "start": int, "end": int}]}` (character offsets into the raw text); `{"intent":
    None, "score": None, "slots": []}` for an empty text. Parameters (at creation or per call):
    `max_length`, the token budget per utterance (over-long utterances are truncated with one
    warning; words past the cut get no slots).
    """

    empty_result = {"intent": None, "score": None, "slots": []}

    def __init__(self, model, tokenizer=None, **kwargs):
        self._collators = {}
        super().__init__(model, tokenizer, **kwargs)

    def _sanitize_parameters(self, max_length=None, **unknown):
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)} (it takes max_length)")
        return {}, ({"max_length": max_length} if max_length is not None else {}), {}

    def _collator(self, max_length):
        if max_length not in self._collators:
            config = self.model.config
            self._collators[max_length] = DataCollatorForWordLevel(self.tokenizer, max_length=max_length, max_words=config.max_words, prefix=config.input_prefix)
        return self._collators[max_length]

    def _predict(self, texts, max_length=None):
        inputs, kept = encode_words(self._collator(max_length), texts, self.device)
        out = self.model(**inputs, return_tag_paths=True)
        predicted = {"num_words": inputs["input_ids"].new_tensor(kept)}
        if out.intent_logits is not None:
            predicted["intent_probs"] = out.intent_logits.softmax(-1)
        if out.tag_paths is not None:
            predicted["tag_paths"] = out.tag_paths
        return predicted

    def _result(self, text, outputs, **params):
        config = self.model.config
        result = {"intent": None, "score": None, "slots": []}
        if "intent_probs" in outputs:
            score, idx = outputs["intent_probs"].max(-1)
            result["intent"] = config.id2label[int(idx)]
            result["score"] = float(score)
        if "tag_paths" in outputs:
            path = outputs["tag_paths"][: int(outputs["num_words"])].tolist()
            result["slots"] = word_spans(text, [config.id2tag[t] if t >= 0 else "O" for t in path])
        return result


class IntentSlotPipeline(JointIntentSlotPipeline):
    """`JointIntentSlotPipeline` built from a model and its tokenizer, the library's own way.

    Args:
        model: a `SharedPrivateForIntentAndSlotFilling` (put in eval mode here).
        tokenizer: the tokenizer it was trained with.
        batch_size: utterances per forward pass.
        max_length: token budget per utterance (over-long utterances are truncated with a
            warning; words past the cut get no slots).
        device: where to run (default: where the model is; `pipeline(...)` defaults to
            transformers' choice instead).
    """

    def __init__(self, model, tokenizer=None, batch_size: int = 32, max_length: int | None = None, device=None, **kwargs):
        kwargs.setdefault("task", "joint-intent-slot")
        if max_length is not None:
            kwargs["max_length"] = max_length
        super().__init__(model, tokenizer, batch_size=batch_size, device=model.device if device is None else device, **kwargs)

    @classmethod
    def from_pretrained(cls, path, **kwargs) -> IntentSlotPipeline:
        """Load the model and tokenizer that `examples/run_multitask.py` saved in `path` (a
        directory without tokenizer files is a `FileNotFoundError` naming the files expected)."""
        from .modeling_multitask import SharedPrivateForIntentAndSlotFilling

        tokenizer = load_tokenizer(path)
        return cls(SharedPrivateForIntentAndSlotFilling.from_pretrained(path), tokenizer, **kwargs)


def predict(model, tokenizer, texts: str | Sequence[str], batch_size: int = 32, max_length: int | None = None):
    """`IntentSlotPipeline(model, tokenizer, batch_size, max_length)(texts)`: a dict for a string, a
    list of dicts for a list of strings; empty texts get `{"intent": None, "score": None, "slots":
    []}` (and one warning)."""
    return IntentSlotPipeline(model, tokenizer, batch_size=batch_size, max_length=max_length)(texts)

