"""Model cards filled from a run's real metrics: a README.md with Hub metadata (YAML front
matter, `model-index` results) beside the saved weights, written atomically."""

from __future__ import annotations

import datetime
import importlib.resources
import os
import platform
import tempfile
from pathlib import Path

import yaml


# Card templates: one source copy in the repository's top-level `model_cards/` folder, shipped in
# the wheel as package data `hf_transfer/model_cards/*.md` (mapped there by setup.py's build_py).
TEMPLATES = Path(__file__).resolve().parents[1] / "model_cards"  # the repository folder (source / editable use)


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


DEFAULT_TEMPLATE = """# {model_name}

{description}

This model was trained with [hf_transfer](https://pypi.org/project/hf-transfer-learning/) ({family}).

## Results

Measured by the training run itself on {eval_split}, {date}:

{metrics_table}

## Training

{training_table}

## How to use

```python
import hf_transfer  # registers the model classes with the Auto classes
from transformers import AutoModel

model = AutoModel.from_pretrained("{repo_id}")
```

## Limitations

{limitations}
"""


def _table(rows: dict, header=("name", "value")) -> str:
    if not rows:
        return "_none recorded_"
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    for key, value in rows.items():
        if isinstance(value, float):
            value = f"{value:.2f}"
        lines.append(f"| {key} | {value} |")
    return "\n".join(lines)


def render_model_card(
    *,
    model_name: str,
    family: str,
    task: str,
    metrics: dict[str, float],
    dataset: str,
    eval_split: str = "the test split",
    base_model: str | None = None,
    description: str = "",
    training: dict | None = None,
    limitations: str = "Trained and evaluated on the data named above only; accuracy on other domains and languages is unknown.",
    repo_id: str | None = None,
    template: str | None = None,
    tags: list[str] | None = None,
    language: list[str] | str | None = None,
) -> str:
    """The card's text. `metrics` must be the figures the run measured (never typed by hand);
    `template` names a file in `model_cards/` (e.g. `"multitask.md"`; an unknown name raises
    `FileNotFoundError`) or is the template text (anything with a placeholder or whitespace)."""
    meta = {
        "library_name": "transformers",
        "tags": ["hf_transfer", family] + list(tags or []),
        "datasets": [dataset],
        "pipeline_tag": task,
    }
    if base_model:
        meta["base_model"] = base_model
    if language:
        meta["language"] = language if isinstance(language, list) else [language]
    meta["model-index"] = [
        {
            "name": model_name,
            "results": [
                {
                    "task": {"type": task},
                    "dataset": {"name": dataset, "type": dataset, "split": eval_split},
                    "metrics": [{"type": k, "value": round(float(v), 4), "name": k} for k, v in metrics.items()],
                }
            ],
        }
    ]
    if template is None:
        body = DEFAULT_TEMPLATE
    elif _is_template_name(template):
        body = load_template(template)
    else:
        body = template
    training = dict(training or {})
    training.setdefault("machine", f"{os.cpu_count()}-core {platform.machine()}")
    fields = dict(
        model_name=model_name,
        family=family,
        description=description or f"A {family} model for {task}.",
        eval_split=eval_split,
        date=datetime.date.today().isoformat(),
        metrics_table=_table(metrics, ("metric", "value")),
        training_table=_table(training, ("setting", "value")),
        limitations=limitations,
        repo_id=repo_id or model_name,
        base_model=base_model or "none (trained from scratch)",
        dataset=dataset,
    )
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n" + body.format_map(_Defaulting(fields))


class _Defaulting(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def write_model_card(save_directory: str | os.PathLike, **kwargs) -> Path:
    """Render the card (see `render_model_card`) to `save_directory/README.md` via a temporary file."""
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
