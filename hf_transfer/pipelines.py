"""`transformers.pipeline(task, model=...)` for every hf_transfer model family.

Importing `hf_transfer` registers these tasks with `transformers.pipelines.PIPELINE_REGISTRY`
(the registration lines are in the family packages):

==========================  ===============================================  ==================================
task                        model                                            output per text
==========================  ===============================================  ==================================
`"joint-intent-slot"`       `SharedPrivateForIntentAndSlotFilling`           `{"intent", "score", "slots"}`
`"few-shot-classification"` `PrototypicalNetwork`, `MatchingNetwork`,        `{"label", "score"}`
                            `RelationNetwork`
`"word-tagging"`            `AdversarialSharedPrivateForTokenClassification` `{"entities", "words", "tags"}`
`"text-classification"`     `TransferForSequenceClassification`,             `{"label", "score"}`
(transformers' own)         `AdversarialSharedPrivateForSequenceClassification`
==========================  ===============================================  ==================================

(each pipeline class documents its output; slots and entities are
`{"entity", "text", "start", "end"}` with `start`/`end` character offsets into the raw text,
`text[start:end] == span["text"]`).

    from transformers import pipeline
    nlu = pipeline("joint-intent-slot", model="runs/snips", device=0)
    nlu(["book a table at noon", "play jazz"], batch_size=32)

Every custom pipeline takes a string (one result) or a list of strings (a list of results), or
a generator / `KeyDataset` (results streamed); anything else (`None`, a number, bytes, or a list
holding one) is a `TypeError` naming the position. An empty or whitespace-only text gets the
pipeline's empty result (no prediction) and a call with such texts warns once, counting them.
`batch_size=` batches (the texts of a batch are encoded together, as the library's own
`predict` functions do); `device=` is where the model runs (transformers' default: the first
GPU when there is one).

Remote code: `hf_transfer.remote_code.save_remote_code` (called by every `save_pretrained`)
bundles the model's pipeline classes into `modeling_hf_transfer.py` and names them in
`config.json`'s `custom_pipelines`, so `pipeline(task, model=repo, trust_remote_code=True)`
works where `hf_transfer` is not installed (the same code: identical outputs). transformers
reads `custom_pipelines` before its registry, and then insists on `trust_remote_code=True`; for
`pipeline(task, model=dir)` to use the registered classes without it, the library's own config
classes must ignore that key (the bundled copies keep it).
"""

from __future__ import annotations

import copy
import os
import re
import types
from collections.abc import Sequence
from typing import Any

import torch
from transformers.pipelines import PIPELINE_REGISTRY, Pipeline

from .tagging import tags_to_spans
from .utils import check_texts, empty_text_positions, warn_empty_texts


__all__ = ["TASKS", "TextPipeline", "encode_words", "pipeline_tasks", "register_pipeline", "split_words", "word_spans"]

_WORD = re.compile(r"\S+")

#: task -> {"impl": pipeline class, "pt": auto class, "models": model classes that serve it}
TASKS: dict[str, dict] = {}

#: the model inputs the word-level models read
_WORD_LEVEL_INPUTS = ("input_ids", "attention_mask", "word_ids", "token_type_ids")


def split_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Whitespace words of `text` and their `(start, end)` character spans."""
    matches = list(_WORD.finditer(text))
    return [m.group(0) for m in matches], [m.span() for m in matches]


def word_spans(text: str, tags: Sequence[str]) -> list[dict]:
    """`[{"entity", "text", "start", "end"}]`: the BIO / BIOES / BILOU chunks of the tags of the
    whitespace words of `text` (`tags_to_spans`), with character offsets into `text` (a chunk
    runs from its first word's start to its last word's end, whitespace between words kept)."""
    _, offsets = split_words(text)
    out = []
    for entity, first, last in tags_to_spans(list(tags)):
        start, end = offsets[first][0], offsets[last][1]
        out.append({"entity": entity, "text": text[start:end], "start": start, "end": end})
    return out


def encode_words(collator, texts: Sequence[str], device) -> tuple[dict[str, torch.Tensor], list[int]]:
    """`(model inputs on device, words kept per text)` for the whitespace words of `texts`, by
    `collator.encode` (a `DataCollatorForWordLevel`: the tokenization the models were trained
    with). Over-long texts are truncated with one warning per collator; their cut words get no tag."""
    words = [split_words(text)[0] for text in texts]
    enc, kept, _ = collator.encode([list(w) for w in words])
    collator._note_truncation(sum(k < len(w) for k, w in zip(kept, words)))
    return {k: v.to(device) for k, v in enc.items() if k in _WORD_LEVEL_INPUTS}, kept


class TextPipeline(Pipeline):
    """The base of the hf_transfer pipelines: raw texts in, one result per text.

    `preprocess` keeps the text as it is; `_forward` encodes a whole batch at once (the texts the
    DataLoader collated, or one) with the library's own encoding, runs the model on
    `self.device` and returns tensors with a batch dimension (rows of empty texts are left
    unset); `postprocess` turns one text's rows into its result. Subclasses define `_predict`
    (texts -> tensors), `_result` (one text's tensors -> result) and `empty_result`.
    """

    _load_tokenizer = True
    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False
    _load_feature_extractor = False

    #: what an empty or whitespace-only text gets
    empty_result: Any = None

    def __init__(self, model, tokenizer=None, **kwargs):
        if tokenizer is None:
            raise ValueError(f"{type(self).__name__} needs the tokenizer the model was trained with (`tokenizer=`)")
        super().__init__(model=model, tokenizer=tokenizer, **kwargs)
        self.model.eval()

    def __call__(self, inputs, *args, **kwargs):
        """A result for a string, a list of results for a list of strings, an iterator of results
        for a generator or a torch `Dataset` (e.g. `KeyDataset`). `batch_size=` / `num_workers=`
        as for every transformers pipeline; other keyword arguments are the pipeline's own."""
        if isinstance(inputs, types.GeneratorType) or isinstance(inputs, torch.utils.data.Dataset):
            return super().__call__(inputs, *args, **kwargs)  # streamed: each text is checked in `preprocess`
        texts, single = check_texts(inputs, "texts", type(self).__name__)
        empty = empty_text_positions(texts)
        warn_empty_texts(len(empty), len(texts), type(self).__name__, repr(self.empty_result))
        if single:
            return super().__call__(texts[0], *args, **kwargs)
        if not texts:
            return []
        return super().__call__(texts, *args, **kwargs)

    def save_pretrained(self, save_directory, **kwargs):
        """Save the model (with its remote code and `custom_pipelines`, written by the library's
        `save_pretrained`) and the tokenizer; no copy of the pipeline's module (it does not run
        on its own: the bundled `modeling_hf_transfer.py` holds the pipeline classes)."""
        os.makedirs(save_directory, exist_ok=True)
        self.model.save_pretrained(save_directory, **kwargs)
        self.tokenizer.save_pretrained(save_directory, **kwargs)

    def preprocess(self, text, **params):
        if not isinstance(text, str):  # a streamed text (lists are checked whole in `__call__`)
            shown = "None" if text is None else f"{type(text).__name__} {repr(text)[:40]}"
            raise TypeError(f"{type(self).__name__}: a text of the stream is {shown}; expected a string")
        return {"text": text}

    def _forward(self, model_inputs, **params):
        texts = model_inputs["text"]
        batch = [texts] if isinstance(texts, str) else list(texts)
        kept = [i for i, text in enumerate(batch) if text.strip()]
        out = {"text": texts}  # first: transformers unbatches by the first entry's length
        if not kept:
            return out
        predicted = self._predict([batch[i] for i in kept], **params)
        for key, value in predicted.items():
            if len(kept) < len(batch):  # rows for the empty texts, never read
                value = value.new_zeros((len(batch), *value.shape[1:])).index_copy_(0, torch.tensor(kept, device=value.device), value)
            out[key] = value
        return out

    def postprocess(self, model_outputs, **params):
        text = model_outputs["text"]
        if not text.strip():
            return self._empty(**params)
        return self._result(text, {k: v[0] for k, v in model_outputs.items() if k != "text"}, **params)

    # -- what a pipeline defines ------------------------------------------------------------------

    def _predict(self, texts: list[str], **params) -> dict[str, torch.Tensor]:
        """`{name: [len(texts), ...] tensor}` for non-empty texts."""
        raise NotImplementedError

    def _result(self, text: str, outputs: dict[str, torch.Tensor], **params):
        """The result of one text from its rows of `_predict`'s tensors."""
        raise NotImplementedError

    def _empty(self, **params):
        return copy.deepcopy(self.empty_result)


def register_pipeline(task: str, pipeline_class: type, pt_model: type, model_classes) -> None:
    """Register `task` with `transformers.pipelines.PIPELINE_REGISTRY` (so `pipeline(task,
    model=dir)` finds `pipeline_class` and loads the model with `pt_model`, an Auto class) and
    remember which model classes serve it (`pipeline_tasks`: what `save_remote_code` writes into
    `custom_pipelines`)."""
    models = tuple(model_classes) if isinstance(model_classes, (tuple, list)) else (model_classes,)
    PIPELINE_REGISTRY.register_pipeline(task, pipeline_class=pipeline_class, pt_model=pt_model, type="text")
    TASKS[task] = {"impl": pipeline_class, "pt": pt_model, "models": models}


def pipeline_tasks(model) -> dict[str, dict]:
    """The registered tasks `model` (an instance or a class) serves: `{task: {"impl", "pt",
    "models"}}`."""
    cls = model if isinstance(model, type) else type(model)
    return {task: info for task, info in TASKS.items() if issubclass(cls, info["models"])}
