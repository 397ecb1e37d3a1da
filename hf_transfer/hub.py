"""Publishing a saved model on the Hugging Face Hub, and the Hub ids of the backbones it was built on.

    hub.push("runs/snips", "me/snips-shared-private")          # or: hf-transfer push runs/snips me/snips-shared-private
    model.push_to_hub("me/snips-shared-private")               # the same path, from a loaded model

`push` uploads exactly what someone needs to load and use the model (`UPLOADED_FILES`): the
config, the safetensors weights (one file, or shards and their index), the tokenizer files, the
code files `config.json` names (`auto_map` for `trust_remote_code`, `custom_pipelines`) and the
library's model card (`README.md`, whose "How to use" snippets are pointed at the repository).
Nothing else of a run directory goes up: no data, no `training_args.json` (it holds the local
`output_dir`), no results files (the card carries the figures), no checkpoints, no plots. Before
anything is sent, every file is scanned for local paths (the model directory, the home and
temporary directories, the Python installation's site-packages) and the push is refused with an
error naming the file if one is found.

`backbone_hub_id` maps the backbone a model was built from to its Hub id, for the card's
`base_model` and for `config.json` (`TransferConfig` writes no local path; see
`hf_transfer.configuration_utils`): the offline all-MiniLM-L6-v2 package directory is
`sentence-transformers/all-MiniLM-L6-v2`, the multilingual-e5-small built into
`~/.cache/hf_transfer/multilingual-e5-small` is `intfloat/multilingual-e5-small`, a Hugging Face
cache snapshot is its repository, a directory whose `config.json` names a Hub id gives that id, a
Hub id is itself; any other local path maps to nothing and is never written.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import re
import shutil
import struct
import sysconfig
import tempfile
from pathlib import Path

from .hub_ids import backbone_hub_id, looks_like_hub_id


logger = logging.getLogger(__name__)

__all__ = [
    "KNOWN_BACKBONES",
    "LocalPathError",
    "UPLOADED_FILES",
    "backbone_hub_id",
    "files_to_upload",
    "find_local_paths",
    "is_library_card",
    "is_tokenizer_file",
    "looks_like_hub_id",
    "push",
    "saved_model_dir",
    "uploaded_names",
]

#: Hub id -> licence of the backbones the library installs offline (the cards name it beside the data's)
KNOWN_BACKBONES = {
    "sentence-transformers/all-MiniLM-L6-v2": "apache-2.0",
    "intfloat/multilingual-e5-small": "mit",
}

#: file names (shell patterns) a push uploads from a model directory; everything else stays local
UPLOADED_FILES = (
    "config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    "model-*-of-*.safetensors",
    # tokenizer files (every kind transformers writes)
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
    "README.md",
)
_TOKENIZER_FILES = UPLOADED_FILES[4:-1]


def is_tokenizer_file(name: str) -> bool:
    """A file name transformers' tokenizers save (`tokenizer.json`, `vocab.txt` ...)."""
    return name in _TOKENIZER_FILES


def saved_model_dir(model) -> str | None:
    """The directory `model` was loaded from (`from_pretrained(dir)`), when it holds a save of the
    same `model_type` (a model built `from_backbone` names the backbone's directory: not this)."""
    path = getattr(model, "name_or_path", None) or ""
    config = os.path.join(path, "config.json") if path else ""
    if not config or not os.path.isfile(config):
        return None
    try:
        saved = json.loads(Path(config).read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError):
        return None
    return path if saved == model.config.model_type else None


def is_library_card(path) -> bool:
    """A README.md that hf_transfer wrote (its metadata has the `hf_transfer` tag)."""
    path = Path(path)
    if not path.is_file():
        return False
    from huggingface_hub import ModelCard

    try:
        return "hf_transfer" in (ModelCard(path.read_text(encoding="utf-8")).data.tags or [])
    except Exception:  # not a card at all
        return False


#: weights files left in the repository by an earlier push are deleted (stale shards must not mix)
STALE_PATTERNS = ["*.safetensors", "model.safetensors.index.json"]



class LocalPathError(ValueError):
    """A file about to be uploaded holds a local path."""


# ------------------------------------------------------------------------------------ Hub ids



# ------------------------------------------------------------------------------ local paths

def _path_needles(model_dir: Path, extra=()) -> list[str]:
    """Local paths no uploaded file may hold (each with at least one component below the root)."""
    candidates = [model_dir, model_dir.absolute(), model_dir.resolve(), Path.home(), Path(tempfile.gettempdir()), Path("/tmp"),
                  *(sysconfig.get_paths().get(k) for k in ("purelib", "platlib", "stdlib")), *extra]
    needles = []
    for c in candidates:
        if not c:
            continue
        text = os.fspath(c)
        if not os.path.isabs(text) or len(Path(text).parts) < 2:
            continue
        text = text.rstrip("/\\")
        if text not in needles:
            needles.append(text)
    return sorted(needles, key=len, reverse=True)


def _scannable_bytes(path: Path) -> bytes:
    """The bytes of a file where text can live: all of it, or a safetensors file's JSON header
    (its tensor data is numbers; scanning it would find paths by chance)."""
    if path.name.endswith(".safetensors"):
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return head
            (n,) = struct.unpack("<Q", head)
            return f.read(min(n, 100_000_000))
    return path.read_bytes()


def find_local_paths(path: Path, needles: list[str]) -> list[str]:
    """The needles (local paths) that occur in the file `path`, as a path (followed by a path
    separator, a quote, whitespace, or the end), also JSON-escaped."""
    data = _scannable_bytes(Path(path))
    found = []
    for needle in needles:
        for form in {needle, json.dumps(needle)[1:-1]}:
            pattern = re.escape(form.encode("utf-8")) + rb"(?=[/\\\"'\s,)\]}]|$)"
            if re.search(pattern, data):
                found.append(needle)
                break
    return found


# ----------------------------------------------------------------------------------- upload

def _code_files(model_dir: Path) -> set[str]:
    """The `.py` files of `model_dir` that `config.json` points at: its `auto_map` (remote code,
    `"module.Class"` or `"repo--module.Class"`) and its `custom_pipelines` implementations."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    refs = []
    for value in (config.get("auto_map") or {}).values():
        refs.extend(value if isinstance(value, (list, tuple)) else [value])
    for task in (config.get("custom_pipelines") or {}).values():
        if isinstance(task, dict):
            for key in ("impl", "pt", "tf"):
                value = task.get(key)
                refs.extend(value if isinstance(value, (list, tuple)) else [value])
    names = set()
    for ref in refs:
        if isinstance(ref, str) and "." in ref:
            module = ref.split("--")[-1].rsplit(".", 1)[0]
            if re.fullmatch(r"[\w]+", module) and (model_dir / f"{module}.py").is_file():
                names.add(f"{module}.py")
    return names


def files_to_upload(model_dir: str | os.PathLike) -> list[str]:
    """The names of the files of `model_dir` that `push` uploads (see `UPLOADED_FILES`; and the
    code files `config.json` names for `trust_remote_code`), after checking that the directory
    holds a whole saved model."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"{model_dir} is not a directory")
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir} holds no saved model (no config.json)")
    code = _code_files(model_dir)
    names = sorted(p.name for p in model_dir.iterdir()
                   if p.is_file() and (p.name in code or any(fnmatch.fnmatchcase(p.name, pat) for pat in UPLOADED_FILES)))
    index = model_dir / "model.safetensors.index.json"
    if index.is_file():
        shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        missing = sorted(s for s in shards if not (model_dir / s).is_file())
        if missing:
            raise FileNotFoundError(f"{model_dir}: model.safetensors.index.json names shards that are missing: {missing[:3]}")
        names = [n for n in names if not fnmatch.fnmatchcase(n, "model-*-of-*.safetensors") or n in shards]
    elif not (model_dir / "model.safetensors").is_file():
        other = sorted(p.name for p in model_dir.glob("*.bin"))
        raise FileNotFoundError(f"{model_dir} holds no model.safetensors" + (f" (only {', '.join(other)}: save with safe_serialization)" if other else ""))
    return names


def uploaded_names(model_dir: str | os.PathLike) -> list[str]:
    """The names of the files `push(model_dir, ...)` uploads (the card always among them)."""
    return sorted(set(files_to_upload(model_dir)) | {"README.md"})


def _card_text(model_dir: Path, card, repo_id: str, tags) -> str:
    from . import cards

    if card is None and (model_dir / "README.md").is_file():
        card = model_dir / "README.md"
    if card is None:
        text = cards.card_from_config(model_dir, repo_id=repo_id)
    elif isinstance(card, os.PathLike) or (isinstance(card, str) and "\n" not in card and _is_file(card)):
        text = Path(card).read_text(encoding="utf-8")
    else:  # the text, or a huggingface_hub.ModelCard
        text = str(card)
    return cards.retarget_card(text, repo_id, tags=tags)


def _retarget(text: str, repo_id: str) -> str:
    from .cards import retarget_card

    return retarget_card(text, repo_id)


def _is_file(value: str) -> bool:
    try:
        return Path(value).is_file()
    except (OSError, ValueError):  # a name too long to be a path: the card's text
        return False


def _stage(model_dir: Path, names: list[str], staging: Path) -> None:
    for name in names:
        src, dst = model_dir / name, staging / name
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)


def push(
    model_dir: str | os.PathLike,
    repo_id: str,
    *,
    token: str | bool | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    commit_description: str | None = None,
    revision: str | None = None,
    create_pr: bool = False,
    card=None,
    tags: list[str] | None = None,
    check_paths=(),
):
    """Upload the model saved in `model_dir` to the Hub repository `repo_id` (created if needed).

    Args:
        model_dir: a directory `save_pretrained` (or a training run) wrote.
        repo_id: `"user/name"` or `"name"` (in the token's namespace).
        token, private, revision, create_pr, commit_message, commit_description: as for
            `huggingface_hub.HfApi.upload_folder`; `private` only applies to a new repository.
        card: the card to upload instead of `model_dir/README.md` (a path, the text, or a
            `huggingface_hub.ModelCard`); with neither, a card is made from the config (no figures).
        tags: added to the card's tags.
        check_paths: more local paths no uploaded file may hold.

    Returns the `CommitInfo` of the upload. Raises `FileNotFoundError` for a directory without a
    saved model and `LocalPathError` naming the file when one holds a local path (nothing is sent).
    """
    from huggingface_hub import HfApi

    model_dir = Path(model_dir)
    if not repo_id or not isinstance(repo_id, str):
        raise ValueError(f"push: repo_id must be 'user/name' or 'name', got {repo_id!r}")
    names = files_to_upload(model_dir)
    text = _card_text(model_dir, card, repo_id, tags)
    needles = _path_needles(model_dir, [os.fspath(p) for p in check_paths])
    with tempfile.TemporaryDirectory(prefix="hf_transfer-push-") as tmp:
        staging = Path(tmp)
        _stage(model_dir, [n for n in names if n != "README.md"], staging)
        (staging / "README.md").write_text(text, encoding="utf-8")
        for path in sorted(staging.iterdir()):
            found = find_local_paths(path, needles)
            if found:
                raise LocalPathError(f"{model_dir / path.name}: holds the local path {found[0]!r}; refusing to upload it to {repo_id} "
                                     "(re-save the model with this version of hf_transfer, or remove the path)")
        api = HfApi(token=token)
        repo = api.create_repo(repo_id, token=token, private=private, exist_ok=True, repo_type="model")
        resolved = getattr(repo, "repo_id", None) or repo_id
        if resolved != repo_id:  # "name" is "user/name": the snippets say so
            repo_id = resolved
            (staging / "README.md").write_text(_retarget(text, repo_id), encoding="utf-8")
        uploaded = sorted(p.name for p in staging.iterdir())
        logger.info("uploading %s to %s", ", ".join(uploaded), repo_id)
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=str(staging),
            repo_type="model",
            token=token,
            commit_message=commit_message or "Upload model with hf_transfer",
            commit_description=commit_description,
            revision=revision,
            create_pr=create_pr,
            delete_patterns=STALE_PATTERNS,
        )
