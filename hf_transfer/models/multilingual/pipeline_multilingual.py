"""The `"word-tagging"` pipeline: the adversarial multilingual tagger's words, tags and spans.

    tagger = pipeline("word-tagging", model="runs/xsid-slots")
    tagger("wecke mich um 7 uhr", language="de")
    # {"entities": [{"entity": "datetime", "text": "um 7 uhr", "start": 10, "end": 18}],
    #  "words": ["wecke", "mich", "um", "7", "uhr"], "tags": ["O", "O", "B-datetime", ...]}

transformers' own `"token-classification"` pipeline does not fit this model: it scores every
sub-word piece (the special tokens included) and never runs the CRF. This one tags whitespace
words, as the model was trained (pieces pooled into words), decodes the best tag path (CRF
Viterbi, constrained by `config.crf_constraints`; argmax without a CRF) and chunks the tags
into spans (BIO / BIOES / BILOU, `hf_transfer.tagging.tags_to_spans`).
"""

from __future__ import annotations

from ...data.collators import DataCollatorForWordLevel
from ...pipelines import TextPipeline, encode_words, split_words, word_spans


__all__ = ["WordTaggingPipeline"]


class WordTaggingPipeline(TextPipeline):
    """Output per text: `{"entities": [{"entity", "text", "start", "end"}], "words": [str],
    "tags": [str]}`: the spans with character offsets into the raw text (`text[start:end] ==
    entity["text"]`), the whitespace words and the decoded tag of each word (an over-long text
    is truncated with one warning: its cut words are in `words` but get no tag). An empty text
    gets `{"entities": [], "words": [], "tags": []}`.

    Parameters, at creation or per call: `language` (a name of `config.languages`, or its id):
    the language of the texts, for a model with per-language private encoders (default: unknown,
    handled as `config.unknown_language` says); `max_length`, the token budget per text.
    """

    empty_result = {"entities": [], "words": [], "tags": []}

    def __init__(self, model, tokenizer=None, **kwargs):
        self._collators = {}
        super().__init__(model, tokenizer, **kwargs)

    def _sanitize_parameters(self, language=None, max_length=None, **unknown):
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)} (it takes language, max_length)")
        forward = {}
        if language is not None:
            forward["language_id"] = self._language_id(language)
        if max_length is not None:
            forward["max_length"] = max_length
        return {}, forward, {}

    def _language_id(self, language) -> int:
        languages = list(getattr(self.model.config, "languages", None) or [])
        if isinstance(language, int) and not isinstance(language, bool) and 0 <= language < len(languages):
            return language
        if language in languages:
            return languages.index(language)
        raise ValueError(f"{type(self).__name__}: language {language!r} is not one of the model's languages {languages}")

    def _collator(self, max_length):
        if max_length not in self._collators:
            config = self.model.config
            self._collators[max_length] = DataCollatorForWordLevel(
                self.tokenizer, max_length=max_length, max_words=getattr(config, "max_words", None), prefix=config.input_prefix,
                intent_column=None, tag_label_name="labels",
            )
        return self._collators[max_length]

    def _predict(self, texts, language_id=None, max_length=None):
        inputs, kept = encode_words(self._collator(max_length), texts, self.device)
        if language_id is not None:
            inputs["language_ids"] = inputs["input_ids"].new_full((len(texts),), language_id)
        paths = self.model(**inputs, return_tag_paths=True).tag_paths
        return {"tag_paths": paths, "num_words": inputs["input_ids"].new_tensor(kept)}

    def _result(self, text, outputs, **params):
        id2label = self.model.config.id2label
        path = outputs["tag_paths"][: int(outputs["num_words"])].tolist()
        tags = [id2label[t] if t >= 0 else "O" for t in path]
        return {"entities": word_spans(text, tags), "words": split_words(text)[0], "tags": tags}
