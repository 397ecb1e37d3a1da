"""Model cards filled from a run's real metrics: a `README.md` with Hub metadata beside the saved
weights, built on `huggingface_hub.ModelCard` / `ModelCardData` / `EvalResult` and written
atomically.

    write_model_card(out, model_name="snips-sp", family="multitask", task="token-classification",
                     metrics={"slot_f1": 91.52}, dataset="snips", eval_split="test",
                     base_model=minilm_dir, template="multitask.md")

The metadata says what the Hub needs to file and use the model:

- `library_name: transformers`; `tags`: `hf_transfer`, the family and the caller's.
- `base_model`: the Hub id of the backbone (`hf_transfer.hub_ids.backbone_hub_id`: the offline MiniLM
  directory is `sentence-transformers/all-MiniLM-L6-v2`, the multilingual-e5-small cache is
  `intfloat/multilingual-e5-small`); a local path that maps to no Hub id is never written, and a
  model trained from scratch (BCNN) has none.
- `datasets`: Hub ids, only where the data set the library reads is on the Hub (`DATASETS`:
  CLINC150 is `clinc/clinc_oos`); the others (SNIPS and ATIS in JointBERT's split, xSID 0.7, the
  reference design's data) are named in the card's text and left out of `datasets`.
- `language`: ISO codes of every language the model was trained or evaluated on (xSID's dialects
  de-ba, de-muc, de-st are filed under `de` and listed by name in the text).
- `license`: what the caller passes; by default the licence of the training data when it is
  known (xSID: cc-by-sa-4.0, CLINC150: cc-by-3.0, the embedded sample: apache-2.0, like the
  library), else `other`, with a note in the card's "License" section. The weights derive from
  the data (and the base model), so the library's own Apache-2.0 licence is not theirs to inherit.
- `pipeline_tag`: only a standard Hub task that the model serves through the standard
  `transformers` pipeline: `text-classification` for the sequence classifiers (fine-tuning,
  multilingual intents). The others name none: the multi-task model (`joint-intent-slot`), the
  few-shot classifiers (`few-shot-classification`) and the multilingual tagger (`word-tagging`)
  are served by hf_transfer's own pipelines, which the Hub does not know; the standard
  `token-classification` pipeline would score the tagger's sub-word pieces and skip its CRF, so
  its card says so instead of tagging it `token-classification`.
- `model-index`: one `EvalResult` per metric the run measured (its value rounded to 4 decimals,
  never retyped), with the task type, the data set's name and type and the split's name.

The text comes from the templates in the repository's `model_cards/` folder (shipped in the wheel
as `hf_transfer/model_cards/*.md`), filled with `str.format` fields; numbers print at their real
precision (metrics to at most 4 decimals, settings such as `5e-05` as they are). Each template's
"How to use" section shows the family's pipeline twice, without the library
(`pipeline(task, model="{repo_id}", trust_remote_code=True)`) and with it (`import hf_transfer`
first, no remote code), and loads the model with `from_pretrained("{repo_id}")`; `retarget_card`
points every `from_pretrained("...")` and `model="..."` of them at the repository a card is
pushed to.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.resources
import json
import math
import os
import platform
import re
import tempfile
from pathlib import Path


__all__ = [
    "DATASETS",
    "DEFAULT_TEMPLATE",
    "DatasetInfo",
    "build_model_card",
    "card_from_config",
    "dataset_info",
    "find_template",
    "iso_language",
    "load_template",
    "render_model_card",
    "retarget_card",
    "template_dirs",
    "usage_code",
    "write_model_card",
]

# Card templates: one source copy in the repository's top-level `model_cards/` folder, shipped in
# the wheel as package data `hf_transfer/model_cards/*.md` (mapped there by setup.py's build_py).
TEMPLATES = Path(__file__).resolve().parents[1] / "model_cards"  # the repository folder (source / editable use)

#: the template used when none is named (the fine-tuning family's)
DEFAULT_TEMPLATE = "finetune.md"


def template_dirs() -> list:
    """Where named templates are looked up, in order: the installed package's data, then the repo folder."""
    return [importlib.resources.files("hf_transfer") / "model_cards", TEMPLATES]


def _is_template_name(template: str) -> bool:
    """A single word with no placeholder (`"multitask.md"`) names a template file; anything else is its text."""
    return "{" not in template and not any(c.isspace() for c in template)


def find_template(name: str):
    """The template file `name` (a `Traversable`: a `Path` for ordinary installs). Raises
    `FileNotFoundError` naming it and every place looked, rather than ever using the name as the text."""
    looked = []
    for directory in template_dirs():
        candidate = directory / name
        looked.append(str(candidate))
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"model card template {name!r} not found; looked in: {', '.join(looked)}")


def load_template(name: str) -> str:
    """The text of the template file `name` (see `find_template`)."""
    return find_template(name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- data sets

@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a card says about a data set: its name, Hub id (None: not on the Hub in the form the
    library reads), licence (Hub licence id; None: unknown) and languages (ISO codes)."""

    name: str
    hub_id: str | None = None
    license: str | None = None
    language: tuple[str, ...] | None = None
    url: str | None = None
    key: str | None = None

    @property
    def type(self) -> str:
        """The `model-index` dataset type: the Hub id, else the library's name for it, else the plain name."""
        return self.hub_id or self.key or re.sub(r"[^\w.-]+", "_", self.name.lower()).strip("_") or "unknown"


XSID_LANGUAGES = ("ar", "da", "de", "de-ba", "de-muc", "de-st", "en", "gsw", "it", "ja", "nap", "nl", "zh")

#: the built-in data sets (`hf_transfer.data.registry.BUILTIN_DATASETS`) as cards name them
DATASETS = {
    "clinc150": DatasetInfo("CLINC150", hub_id="clinc/clinc_oos", license="cc-by-3.0", language=("en",),
                            url="https://github.com/clinc/oos-eval"),
    "snips": DatasetInfo("SNIPS (JointBERT split)", language=("en",), url="https://github.com/sonos/nlu-benchmark"),
    "atis": DatasetInfo("ATIS (JointBERT split)", language=("en",)),
    "xsid": DatasetInfo("xSID 0.7", license="cc-by-sa-4.0", language=XSID_LANGUAGES, url="https://bitbucket.org/robvanderg/xsid"),
    "seed": DatasetInfo("multi_lang (the reference design's data)", language=("eyu", "xiyu")),
    "seed_ner": DatasetInfo("the reference design's Chinese NER data", language=("zh",)),
    "sample": DatasetInfo("hf_transfer's embedded sample", license="apache-2.0", language=("en",)),
}

#: language names of the data sets -> ISO 639 codes (the reference design's names; xSID's dialects
#: are filed under German: de-ba Bavarian, de-muc Munich Bavarian, de-st South Tyrolean)
LANGUAGE_CODES = {"eyu": "ru", "xiyu": "es", "de-ba": "de", "de-muc": "de", "de-st": "de"}
_ISO = re.compile(r"[a-z]{2,3}")


DATASETS = {key: dataclasses.replace(info, key=key) for key, info in DATASETS.items()}


def dataset_info(dataset) -> DatasetInfo:
    """The `DatasetInfo` of a built-in name (`"xsid"`, `"xsid:de"`, `"xsid-de"`, `"clinc150"`),
    a `DatasetInfo` itself, or a plain name / Hub id given by the caller."""
    if isinstance(dataset, DatasetInfo):
        return dataset
    name = str(dataset)
    key = name.lower()
    if key in DATASETS:
        return DATASETS[key]
    selected = re.fullmatch(r"xsid[:-](.+)", key)
    if selected:  # "xsid:de,nl" (the registry's spelling) or "xsid-de" (a directory name)
        langs = tuple(x for x in re.split(r"[,+]", selected.group(1)) if x in XSID_LANGUAGES)
        return dataclasses.replace(DATASETS["xsid"], language=langs or DATASETS["xsid"].language)
    if key.endswith("data_full.json") or key == "data_full":
        return DATASETS["clinc150"]
    from .hub_ids import looks_like_hub_id

    if "/" in name and looks_like_hub_id(name):
        return DatasetInfo(name, hub_id=name)
    return DatasetInfo(name)


def iso_language(code: str) -> str | None:
    """The ISO 639 code of a language name the data sets use, or None when there is none."""
    code = LANGUAGE_CODES.get(code, code)
    return code if _ISO.fullmatch(code or "") else None


def _languages(language) -> tuple[list[str], str]:
    """(ISO codes for the metadata, the text that names them in the card)."""
    codes = [language] if isinstance(language, str) else list(language or [])
    iso, text = [], []
    for code in dict.fromkeys(codes):
        mapped = iso_language(code)
        if mapped and mapped not in iso:
            iso.append(mapped)
        text.append(code if mapped == code else f"{code} (filed as {mapped})" if mapped else f"{code} (no ISO code)")
    return iso, ", ".join(text) if text else "not recorded"


# ---------------------------------------------------------------------------------- numbers

def _metric_value(value) -> float | int | None:
    """A measured figure as the card holds it: rounded to 4 decimals; None for missing / NaN."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, 4)


def _fmt(value) -> str:
    """A value at its real precision (floats by their shortest repr: `5e-05`, `0.001`, `97.1234`)."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "n/a"
    return str(value)


def _table(rows: dict, header=("name", "value"), metric: bool = False) -> str:
    if not rows:
        return "_none recorded_"
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    for key, value in rows.items():
        if metric:
            value = _metric_value(value)
            value = "n/a" if value is None else value
        lines.append(f"| {key} | {_fmt(value)} |")
    return "\n".join(lines)


def _metric_type(name: str) -> str:
    """The `evaluate` metric a figure is (`accuracy`, `f1`, `precision`, `recall`), else its name."""
    parts = name.lower().split("_")
    if "ci95" in parts:
        return name
    for kind in ("accuracy", "f1", "precision", "recall"):
        if kind in parts:
            return kind
    return name


TASK_NAMES = {"text-classification": "Text Classification", "token-classification": "Token Classification"}


# ------------------------------------------------------------------------------------ cards

def _base_model_text(base_model, hub_id) -> str:
    if hub_id:
        return f"[{hub_id}](https://huggingface.co/{hub_id})"
    if base_model:
        return "a local pretrained model (not on the Hub; its path is not recorded)"
    return "none (trained from scratch)"


def _license_note(license, data: DatasetInfo, base_id) -> str:
    from .hub import KNOWN_BACKBONES

    base = KNOWN_BACKBONES.get(base_id or "")
    base_text = f" The base model {base_id} is released under `{base}`." if base else (
        f" Check the terms of the base model {base_id} too." if base_id else "")
    if license is not None:
        return f"`license: {license}`, as set by the publisher.{base_text}"
    if data.license:
        return (f"`license: {data.license}` is the licence of the training data ({data.name}), from which these weights derive."
                f"{base_text} The hf_transfer library itself is Apache-2.0; that covers its code, not these weights.")
    return (f"`license: other`: hf_transfer does not know the licence of the training data ({data.name}).{base_text} "
            "Check the terms of the data before reusing these weights, and set the repository's licence accordingly.")


def build_model_card(
    *,
    model_name: str,
    family: str,
    task: str,
    metrics: dict[str, float],
    dataset,
    eval_split: str = "test",
    eval_description: str | None = None,
    base_model: str | os.PathLike | None = None,
    description: str = "",
    training: dict | None = None,
    limitations: str = "Trained and evaluated on the data named above only; accuracy on other domains and languages is unknown.",
    repo_id: str | None = None,
    template: str | None = None,
    tags: list[str] | None = None,
    language: list[str] | str | None = None,
    license: str | None = None,
    pipeline_tag: str | None = None,
    task_name: str | None = None,
    metric_tasks: dict | None = None,
    dataset_config: str | None = None,
):
    """The card as a `huggingface_hub.ModelCard`.

    Args:
        model_name: the model's name (the `model-index` name and the card's title).
        family: the hf_transfer family (a tag).
        task: the task type of the evaluation (`text-classification`, `token-classification`);
            `metric_tasks` gives some metrics another one: `{metric: type}` or `{metric: (type, name)}`.
        metrics: the figures the run measured (never typed by hand), in its own words.
        dataset: a built-in name (`"snips"`, `"xsid:de"`), a Hub id or a `DatasetInfo`.
        eval_split: the evaluated split's name (`"test"`); `eval_description` is free text for the card.
        base_model: the backbone (a Hub id or a local directory; see `hf_transfer.hub_ids.backbone_hub_id`).
        language: the languages (default: the data set's); mapped to ISO codes.
        license: default: the data set's licence when known, else `other` (see the module docstring).
        pipeline_tag: only one the model serves; None writes none.
        template: a file in `model_cards/` (`"multitask.md"`; an unknown name raises
            `FileNotFoundError`) or the template text itself; default `finetune.md`.
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    from .hub_ids import backbone_hub_id

    data = dataset_info(dataset)
    base_id = backbone_hub_id(base_model) if base_model else None
    iso, languages_text = _languages(language if language is not None else data.language)
    metric_tasks = dict(metric_tasks or {})
    results = []
    for name, value in metrics.items():
        value = _metric_value(value)
        if value is None:
            continue
        kind = metric_tasks.get(name, task)
        kind, kind_name = kind if isinstance(kind, tuple) else (kind, task_name if kind == task else None)
        results.append(EvalResult(
            task_type=kind, task_name=kind_name or TASK_NAMES.get(kind), dataset_type=data.type, dataset_name=data.name,
            dataset_split=eval_split, dataset_config=dataset_config, metric_type=_metric_type(name), metric_name=name, metric_value=value,
        ))
    card_data = ModelCardData(
        library_name="transformers",
        base_model=base_id,
        datasets=[data.hub_id] if data.hub_id else None,
        language=iso or None,
        license=license or data.license or "other",
        pipeline_tag=pipeline_tag,
        tags=list(dict.fromkeys(["hf_transfer", family, *(tags or [])])),
        model_name=model_name if results else None,
        eval_results=results or None,
    )
    if template is None:
        body = load_template(DEFAULT_TEMPLATE)
    elif _is_template_name(template):
        body = load_template(template)
    else:
        body = template
    training = dict(training or {})
    training.setdefault("machine", f"{os.cpu_count()}-core {platform.machine()}")
    dataset_text = f"[{data.name}](https://huggingface.co/datasets/{data.hub_id})" if data.hub_id else f"[{data.name}]({data.url})" if data.url else data.name
    fields = dict(
        model_name=model_name,
        family=family,
        description=description or f"A {family} model for {task}.",
        eval_split=eval_split,
        eval_description=eval_description or f"the {eval_split} split",
        date=datetime.date.today().isoformat(),
        metrics_table=_table(metrics, ("metric", "value"), metric=True),
        training_table=_table(training, ("setting", "value")),
        limitations=limitations,
        repo_id=repo_id or model_name,
        base_model=_base_model_text(base_model, base_id),
        dataset=dataset_text,
        languages=languages_text,
        license_note=_license_note(license, data, base_id),
    )
    text = body.format_map(_Defaulting(fields))
    return ModelCard("---\n" + card_data.to_yaml() + "\n---\n\n" + text.lstrip("\n"))


def render_model_card(**kwargs) -> str:
    """The card's text (see `build_model_card` for the arguments)."""
    return str(build_model_card(**kwargs))


class _Defaulting(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def write_model_card(save_directory: str | os.PathLike, **kwargs) -> Path:
    """Render the card (see `build_model_card`) to `save_directory/README.md` via a temporary file."""
    directory = Path(save_directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = render_model_card(**kwargs)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    path = directory / "README.md"
    os.chmod(tmp, 0o644)  # mkstemp makes it private
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------- publishing a card

_CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
#: where a snippet names the repository: `from_pretrained("...")` and `pipeline(..., model="...")`
_REPO_ARGUMENT = re.compile(r"""(from_pretrained\(\s*|\bmodel\s*=\s*)(["'])(?:(?!\2).)*\2""")


def usage_code(text: str) -> list[str]:
    """The python code blocks of a card's "How to use" section."""
    match = re.search(r"^## How to use\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return _CODE_BLOCK.findall(match.group(1)) if match else []


def retarget_card(text: str, repo_id: str, tags: list[str] | None = None) -> str:
    """The card with its code snippets loading from `repo_id` (every `from_pretrained("...")` and
    `model="..."` keyword, e.g. of `pipeline(...)`) and `tags` added to its metadata."""
    from huggingface_hub import ModelCard

    card = ModelCard(text)
    if tags:
        card.data.tags = list(dict.fromkeys([*(card.data.tags or []), *tags]))
    card.text = _CODE_BLOCK.sub(lambda m: _REPO_ARGUMENT.sub(lambda c: f"{c.group(1)}{json.dumps(str(repo_id))}", m.group(0)), card.text)
    return str(card)


#: `base_model` of a model built on a local backbone that maps to no Hub id (nothing is written)
LOCAL_BASE_MODEL = "<local>"

#: family -> template; the multilingual tagger has its own
FAMILY_TEMPLATES = {"finetune": "finetune.md", "multitask": "multitask.md", "fewshot": "fewshot.md", "multilingual": "multilingual.md"}


def card_from_config(model_dir: str | os.PathLike, repo_id: str | None = None) -> str:
    """A card for a saved model that no training run wrote one for: the family's template, the
    metadata the config tells (base model; `pipeline_tag: text-classification` for a sequence
    classifier, none otherwise: see the module docstring), no figures (no `model-index`)."""
    from .inference import FAMILIES

    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    family = FAMILIES.get(config.get("model_type"), "hf_transfer")
    architectures = config.get("architectures") or []
    token = any(a.endswith("TokenClassification") for a in architectures)
    sequence = any(a.endswith("SequenceClassification") for a in architectures)
    template = "multilingual_slots.md" if family == "multilingual" and token else FAMILY_TEMPLATES.get(family, DEFAULT_TEMPLATE)
    backbone = None
    if config.get("encoder_type") == "backbone":  # config.json holds its Hub id, or nothing (a local one)
        backbone = (config.get("backbone_config") or {}).get("_name_or_path") or LOCAL_BASE_MODEL
    name = (repo_id or Path(model_dir).resolve().name).split("/")[-1]
    return render_model_card(
        model_name=name, family=family, task="token-classification" if token else "text-classification", metrics={},
        dataset=DatasetInfo("not recorded"), base_model=backbone, repo_id=repo_id or name, template=template,
        description=f"An hf_transfer {family} model ({', '.join(architectures) or config.get('model_type')}). No training run recorded its figures with it.",
        eval_description="no data (not recorded)", training={}, pipeline_tag="text-classification" if sequence and not token else None,
    )
